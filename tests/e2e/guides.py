"""Run a guide as its reader would: every ```sh and ```python block, in order, in one shell,
against a demo gateway started for the test on a free port.

A guide names the demo's address once, as ``export GATEWAY=${GATEWAY:-http://127.0.0.1:8080}``
(Python: ``os.environ.get("GATEWAY", "http://127.0.0.1:8080")``); the test sets ``GATEWAY`` to
the demo it started, so nothing is rewritten. A block that cannot run
against a demo says why in its fence, and the reason must be one of ``NOT_RUN``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .processes import JJJ, Process, free_port

REPO = Path(__file__).resolve().parents[2]
DEMO_ADDRESS = "http://127.0.0.1:8080"
DEFAULTS = (
    "export GATEWAY=${GATEWAY:-" + DEMO_ADDRESS + "}",
    f'os.environ.get("GATEWAY", "{DEMO_ADDRESS}")',
)
# ```sh, ```python, or ```sh <reason> for a block the test does not run; fences may be indented
# (a block inside a numbered list).
FENCE = re.compile(r"^( *)```(sh|python)(?: ([a-z-]+))?\n(.*?)^\1```$", re.S | re.M)
NOT_RUN = {
    "cluster": "needs a Kubernetes cluster, an image registry or a production database",
    "setup": "makes or starts the demo itself, which the test has already done",
}
# ```sh server: a block that starts a long-running server; it is started in the background and
# stopped again once it answers on the address its `--bind` names.
IN_BACKGROUND = "server"
MARK = "<<<guide-block-{}>>>"


@dataclass(frozen=True)
class Block:
    index: int
    language: str
    code: str
    reason: str | None  # why it is not run, or None


@dataclass
class GuideRun:
    base: str
    instance: Path
    workdir: Path
    blocks: list[Block]
    outputs: dict[int, str]
    variables: dict[str, str]

    def output(self, snippet: str, language: str = "sh") -> str:
        """What the first block whose code contains `snippet` printed."""
        for block in self.blocks:
            if block.language == language and snippet in block.code and block.index in self.outputs:
                return self.outputs[block.index]
        raise AssertionError(f"no {language} block of the guide contains {snippet!r}")


def guide_blocks(guide: Path) -> list[Block]:
    return [
        Block(i, m.group(2), textwrap.dedent(m.group(4)), m.group(3))
        for i, m in enumerate(FENCE.finditer(guide.read_text("utf-8")))
    ]


def runnable(blocks: Sequence[Block]) -> list[Block]:
    unknown = {b.reason for b in blocks if b.reason is not None} - {*NOT_RUN, IN_BACKGROUND}
    assert not unknown, f"blocks marked with reasons the guide test does not know: {unknown}"
    return [b for b in blocks if b.reason not in NOT_RUN]


def _in_background(block: Block) -> list[str]:
    command = block.code.strip()
    bind = re.search(r"--bind (\S+)", command)
    assert bind and "\n" not in command, f"a server block is one command with --bind: {command}"
    return [
        f"( exec {command} ) > guide-server-{block.index}.log 2>&1 & guide_server=$!",
        "for _ in $(seq 300); do",
        f"  curl -s -o /dev/null --max-time 1 http://{bind.group(1)}/ && break",
        '  kill -0 "$guide_server" || { cat guide-server-*.log >&2; exit 1; }; sleep 0.1',
        "done",
        f"curl -s -o /dev/null --max-time 1 http://{bind.group(1)}/",
        f"echo 'server of block {block.index} answered on {bind.group(1)}'",
        'kill "$guide_server"; wait "$guide_server" || true',
    ]


def json_documents(text: str) -> list[Any]:
    """Every JSON object printed in `text` (pretty-printed or not, mixed with other lines)."""
    decoder, found, position = json.JSONDecoder(), [], 0
    while (start := text.find("{", position)) != -1:
        try:
            document, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            position = start + 1
            continue
        found.append(document)
        position = end
    return found


def first_json(text: str) -> dict:
    documents = json_documents(text)
    assert documents, f"no JSON in the output:\n{text}"
    assert isinstance(documents[0], dict)
    return documents[0]


def _script(blocks: Sequence[Block], workdir: Path, variables: Sequence[str]) -> str:
    lines = ["set -euo pipefail"]
    for block in blocks:
        lines.append(f"echo '>>> guide block {block.index} ({block.language})' >&2")
        if block.reason == IN_BACKGROUND:
            lines += _in_background(block)
        elif block.language == "sh":
            lines.append(block.code)
        else:
            path = workdir / f"guide-block-{block.index}.py"
            path.write_text(block.code, "utf-8")
            lines.append(f".venv/bin/python {path.name}")
        lines.append(f"echo '{MARK.format(block.index)}'")
    lines += [
        f"echo '{MARK.format('variables')}'",
        f'for v in {" ".join(variables)}; do printf \'%s=%s\\n\' "$v" "${{!v-}}"; done',
    ]
    return "\n".join(lines) + "\n"


@contextmanager
def run_guide(
    guide: Path,
    workdir: Path,
    *,
    variables: Sequence[str] = (),
    installed: bool = False,
    timeout: float = 180,
) -> Iterator[GuideRun]:
    """Start a demo, run the guide's runnable blocks in a fresh shell in `workdir` (which holds
    the demo's `instance/` and a `.venv` link, as a checkout after `make run` does), and yield
    what each block printed and the shell `variables` at the end. With `installed`, the
    gateway's commands are on PATH, as for an operator who installed the package."""
    blocks = guide_blocks(guide)
    to_run = runnable(blocks)
    assert to_run, f"{guide.name} has no runnable blocks"
    (workdir / ".venv").symlink_to(REPO / ".venv")
    instance = workdir / "instance"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    demo = Process(
        "demo",
        [JJJ, "--instance", str(instance), "demo", "--bind", f"127.0.0.1:{port}"],
        env={},
        log_dir=workdir,
        health_url=f"{base}/healthz",
    )
    demo.start(timeout=90)
    try:
        # A fresh shell: nothing of the test's own configuration leaks into the commands.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "OTEL_"))}
        env["GATEWAY"] = base
        if installed:
            env["PATH"] = f"{workdir / '.venv' / 'bin'}:{env['PATH']}"
        result = subprocess.run(
            ["bash", "-c", _script(to_run, workdir, variables)],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            last = re.findall(r">>> guide block (\d+)", result.stderr)
            failed = blocks[int(last[-1])] if last else None
            pytest.fail(
                f"a command of {guide.name} failed (exit {result.returncode}) in block "
                f"{failed.index if failed else '?'}:\n{failed.code if failed else ''}\n"
                f"--- stderr ---\n{result.stderr[-3000:]}\n"
                f"--- stdout ---\n{result.stdout[-3000:]}\n--- demo log ---\n{demo.log()}",
                pytrace=False,
            )
        outputs: dict[int, str] = {}
        rest = result.stdout
        for block in to_run:
            before, mark, rest = rest.partition(MARK.format(block.index) + "\n")
            assert mark, f"no output marker of block {block.index}"
            outputs[block.index] = before
        _, mark, dump = rest.partition(MARK.format("variables") + "\n")
        assert mark
        values = dict(line.split("=", 1) for line in dump.splitlines())
        yield GuideRun(base, instance, workdir, blocks, outputs, values)
    finally:
        demo.stop()


def assert_no_hard_coded_address(guide: Path) -> None:
    """The demo's address appears only as the default of ``GATEWAY``: a reader whose demo runs
    elsewhere sets one variable, and the test runs the guide on a free port."""
    for block in runnable(guide_blocks(guide)):
        for line in block.code.splitlines():
            assert DEMO_ADDRESS not in line or any(d in line for d in DEFAULTS), (
                f"{guide.name} block {block.index} names {DEMO_ADDRESS} instead of $GATEWAY: "
                f"{line.strip()}"
            )
