"""Bad input files and arguments to the command give one clear line and a non-zero exit, never a
traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gateway.cli.main import main

HEADER = (
    '{"type":"header","format":"jjj-audit-bundle","version":1,"issuer":"http://gateway.test",'
    '"fromSeq":1,"toSeq":1,"anchor":"' + "0" * 64 + '"}\n'
)


def _one_line_error(result: Result) -> str:
    """The error the command printed, after checking it is one line and no traceback."""
    assert result.exit_code not in (0, None), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, result.output
    return lines[-1]


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("not json at all", "not a readable JSON key"),
        ('{"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}', '"kid"'),
        ('{"keys": [{"kty": "OKP"}]}', '"kid"'),
        ("[1, 2]", "expected a JWK"),
        ('{"keys": "none"}', "expected a JWK"),
    ],
    ids=["not-json", "jwk-without-kid", "set-without-kid", "a-list", "keys-not-a-list"],
)
def test_a_bad_pinned_public_key_is_one_clear_line(
    tmp_path: Path, content: str, named: str
) -> None:
    bundle, key = tmp_path / "bundle.jsonl", tmp_path / "key.json"
    bundle.write_text(HEADER, "utf-8")
    key.write_text(content, "utf-8")
    result = CliRunner().invoke(
        main, ["audit", "verify", "--bundle", str(bundle), "--public-key", str(key)]
    )
    line = _one_line_error(result)
    assert named in line and "--public-key" in line


@pytest.mark.parametrize(
    ("lines", "named"),
    [
        ("", "no header line"),
        ("5\n", "line 1"),
        (HEADER + "[]\n", "line 2"),
        (HEADER + '{"type":"record","seq":1}\n', "line 2: the entry has no 'prevHash'"),
        (HEADER + '{"type":"record","seq":"x","prevHash":"","hash":"","body":""}\n', "line 2"),
        (HEADER + '{"type":"key","jwk":[1]}\n', "line 2"),
        (HEADER + '{"type":"checkpoint","seq":1,"hash":1}\n', "line 2"),
        (HEADER.replace('"toSeq":1', '"toSeq":"x"'), "line 1"),
        (HEADER.replace('"fromSeq":1', '"fromSeq":5'), "not a range of seqs"),
        ("type,seq\nrecord,1\n", "line 2"),
    ],
    ids=[
        "empty",
        "not-an-object",
        "a-list-entry",
        "record-missing-fields",
        "seq-not-a-number",
        "jwk-not-an-object",
        "hash-not-a-string",
        "header-range-not-numbers",
        "header-range-reversed",
        "csv-short-row",
    ],
)
def test_a_malformed_bundle_is_one_clear_line_naming_where(
    tmp_path: Path, lines: str, named: str
) -> None:
    bundle = tmp_path / "bundle.jsonl"
    bundle.write_text(lines, "utf-8")
    line = _one_line_error(CliRunner().invoke(main, ["audit", "verify", "--bundle", str(bundle)]))
    assert named in line


def test_a_bundle_that_is_not_text_is_one_clear_line(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.jsonl"
    bundle.write_bytes(b"\x80\x81\xff binary")
    line = _one_line_error(CliRunner().invoke(main, ["audit", "verify", "--bundle", str(bundle)]))
    assert "utf-8" in line


def test_a_public_key_without_a_bundle_is_a_usage_error(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.write_text("{}", "utf-8")
    result = CliRunner().invoke(
        main, ["--instance", str(tmp_path), "audit", "verify", "--public-key", str(key)]
    )
    assert result.exit_code == 2 and "--public-key pins the key of a --bundle" in result.output


@pytest.mark.parametrize(
    ("content", "named"),
    [(None, "cannot read the config file"), ("not = [toml", "is not TOML")],
    ids=["missing", "not-toml"],
)
def test_a_bad_config_file_is_one_clear_line(
    tmp_path: Path, content: str | None, named: str
) -> None:
    config = tmp_path / "gateway.toml"
    if content is not None:
        config.write_text(content, "utf-8")
    result = CliRunner().invoke(
        main, ["catalog", "check"], env={"GATEWAY_CONFIG_FILE": str(config)}
    )
    assert named in _one_line_error(result)


def test_an_export_into_a_missing_folder_is_one_clear_line(tmp_path: Path) -> None:
    out = tmp_path / "missing" / "audit.jsonl"
    result = CliRunner().invoke(
        main, ["--instance", str(tmp_path / "instance"), "audit", "export", "-o", str(out)]
    )
    assert f"cannot write {out}" in _one_line_error(result)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens there once the socket is closed


@pytest.mark.parametrize(
    ("command", "broken", "named"),
    [
        ("audit verify", "instance-is-a-file", "File exists"),
        ("clients list", "instance-is-a-file", "File exists"),
        ("audit export", "unknown-database", "the database cannot be used"),
        ("audit verify", "database-down", "the database cannot be used (OperationalError)"),
        ("audit key", "damaged-audit-key", "does not hold an Ed25519 private key"),
    ],
)
def test_an_unusable_environment_is_one_clear_line(
    tmp_path: Path, command: str, broken: str, named: str
) -> None:
    instance = tmp_path / "instance"
    env: dict[str, str | None] = {"GATEWAY_DATABASE_URL": None}
    if broken == "instance-is-a-file":
        instance.write_text("", "utf-8")
    elif broken == "unknown-database":
        env["GATEWAY_DATABASE_URL"] = "nosuchdatabase://somewhere/gateway"
    elif broken == "database-down":
        env["GATEWAY_DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/x"
    else:
        assert (
            CliRunner().invoke(main, ["--instance", str(instance), "audit", "key"]).exit_code == 0
        )
        (instance / "keys" / "audit-ed25519.pem").write_text("not a key", "utf-8")
    result = CliRunner().invoke(main, ["--instance", str(instance), *command.split()], env=env)
    assert named in _one_line_error(result)
