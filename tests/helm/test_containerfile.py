"""The Containerfile, read statically (no container engine is needed): a builder stage and a
runtime stage that holds only the installed virtual environment, runs as an unprivileged user,
and takes no secret from the build context."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import tomllib
from dataclasses import dataclass, field

import pytest

from .conftest import RELEASE, ROOT, Render, container, env_of, find

CONTAINERFILE = ROOT / "Containerfile"
IGNORE_FILE = ROOT / ".dockerignore"
RUNTIME_UID = 10001
#: Build-context paths that may hold secrets or machine state and must never reach an image.
NEVER_IN_CONTEXT = (
    "instance",
    "keys",
    ".venv",
    ".git",
    ".env",
    "secret.key",
    "audit-ed25519.pem",
    "signing.jwk.json",
)


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def parse(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the stages, with continuation lines joined."""
    logical = re.sub(r"\\\n", " ", text)
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(parts[0], name))
        elif not stages and keyword == "ARG":
            key, _, default = rest.partition("=")
            args[key] = default
        else:
            stages[-1].instructions.append((keyword, rest))
    return args, stages


@pytest.fixture(scope="module")
def containerfile() -> tuple[dict[str, str], list[Stage]]:
    return parse(CONTAINERFILE.read_text("utf-8"))


@pytest.fixture(scope="module")
def runtime(containerfile: tuple[dict[str, str], list[Stage]]) -> Stage:
    return containerfile[1][-1]


def copy_sources(args: str) -> tuple[list[str], list[str]]:
    """(flags, sources) of a COPY instruction (its last word is the destination)."""
    words = shlex.split(args)
    flags = [w for w in words if w.startswith("--")]
    paths = [w for w in words if not w.startswith("--")]
    return flags, paths[:-1]


def test_image_is_built_in_stages_on_python_3_11_slim(
    containerfile: tuple[dict[str, str], list[Stage]],
) -> None:
    args, stages = containerfile
    assert len(stages) >= 2
    assert stages[0].name == "builder"
    base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], stages[-1].base)
    assert base == "python:3.11-slim"


def test_runtime_stage_runs_as_an_unprivileged_user(runtime: Stage) -> None:
    (user,) = runtime.all("USER")
    uid, _, gid = user.partition(":")
    # A numeric uid lets Kubernetes check runAsNonRoot before starting the container.
    assert uid == str(RUNTIME_UID) and gid == str(RUNTIME_UID)
    created = " ".join(runtime.all("RUN"))
    assert f"--uid {RUNTIME_UID}" in created
    # Nothing runs as root after the switch.
    keywords = [kw for kw, _ in runtime.instructions]
    assert "RUN" not in keywords[keywords.index("USER") :]


def test_runtime_stage_holds_only_the_virtual_environment(runtime: Stage) -> None:
    assert runtime.all("ADD") == []
    copies = runtime.all("COPY")
    assert copies
    for instruction in copies:
        flags, sources = copy_sources(instruction)
        assert "--from=builder" in flags, instruction
        assert sources == ["/opt/jjj-gateway"], instruction


def test_builder_copies_only_the_project_metadata_and_its_packages(
    containerfile: tuple[dict[str, str], list[Stage]],
) -> None:
    builder = containerfile[1][0]
    copied = {src for instruction in builder.all("COPY") for src in copy_sources(instruction)[1]}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    licence_files = set(project["project"]["license-files"])
    assert copied == {"pyproject.toml", "README.md"} | licence_files | packages
    assert all((ROOT / path).exists() for path in copied)
    assert builder.all("ADD") == []


def test_no_secret_is_baked_into_the_image(
    containerfile: tuple[dict[str, str], list[Stage]],
) -> None:
    args, stages = containerfile
    for stage in stages:
        for keyword in ("ENV", "ARG", "LABEL"):
            for instruction in stage.all(keyword):
                assert not re.search(r"SECRET|PASSWORD|TOKEN|DATABASE_URL|REDIS_URL", instruction)
        for instruction in stage.all("COPY"):
            for source in copy_sources(instruction)[1]:
                assert source not in NEVER_IN_CONTEXT and not source.endswith((".pem", ".key"))
    assert not any(re.search(r"SECRET|PASSWORD|TOKEN", name) for name in args)


@pytest.mark.parametrize("path", NEVER_IN_CONTEXT)
def test_build_context_leaves_out_secrets_and_local_state(path: str) -> None:
    patterns = [
        line.strip()
        for line in IGNORE_FILE.read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert any(
        fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path, p.removeprefix("**/")) for p in patterns
    ), path


def test_entrypoint_serves_on_port_8080(runtime: Stage) -> None:
    (entrypoint,) = runtime.all("ENTRYPOINT")
    (command,) = runtime.all("CMD")
    assert json.loads(entrypoint) == ["jjj-gateway"]
    assert json.loads(command) == ["serve", "--bind", "0.0.0.0:8080"]
    assert runtime.all("EXPOSE") == ["8080"]


def test_image_and_chart_agree_on_user_and_instance_folder(runtime: Stage, render: Render) -> None:
    env_lines = " ".join(runtime.all("ENV"))
    instance = re.search(r"GATEWAY_INSTANCE_PATH=(\S+)", env_lines)
    assert instance is not None
    deployment = find(render(), "Deployment", RELEASE)
    gateway = container(deployment, "gateway")
    assert env_of(gateway)["GATEWAY_INSTANCE_PATH"] == instance.group(1)
    assert gateway["securityContext"]["runAsUser"] == RUNTIME_UID
    assert deployment["spec"]["template"]["spec"]["securityContext"]["fsGroup"] == RUNTIME_UID
