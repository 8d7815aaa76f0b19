"""What the commands print, the same way in every group: a table with a header, or "name: value"
lines, for people; with --json, JSON for programs (the API's shapes); an error as one line and a
non-zero exit; progress of long runs on standard error."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

#: Long exports and verifications report every this many records (on standard error).
PROGRESS_EVERY = 10_000

#: Every command that shows something prints it for people (a table with a header, or
#: "name: value" lines) and, with --json, as JSON for programs: the API's shapes.
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON (for programs).")

PROGRESS_OPTION = click.option(
    "--progress/--no-progress",
    default=None,
    help="Report progress on standard error (default: when it is a terminal).",
)


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def echo_table(headers: list[str], rows: list[list[str]]) -> None:
    """Columns as wide as their widest cell; the last column (names, free text) is not padded."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    for row in [headers, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]).rstrip())


def echo_fields(values: dict[str, Any]) -> None:
    """One "name: value" line per field, for one object."""
    width = max(len(k) for k in values) + 1
    for key, value in values.items():
        shown = (
            " ".join(map(str, value))
            if isinstance(value, list)
            else "-"
            if value is None
            else str(value)
        )
        click.echo(f"{key + ':':{width}} {shown}")


def fail(exc: Exception) -> click.ClickException:
    """The one-line error (and exit status 1) of a refusal the domain explained."""
    return click.ClickException(str(exc))


class _Progress:
    """Counts records on standard error every ``every`` records (never on standard output,
    which may carry JSON or a bundle)."""

    def __init__(self, verb: str, total: int | None, every: int) -> None:
        self.verb, self.total, self.every = verb, total, every

    def __call__(self, done: int) -> None:
        if done % self.every == 0 or done == self.total:
            of = f" of {self.total}" if self.total is not None else ""
            click.echo(f"{self.verb} {done}{of} records", err=True)


def progress_report(
    wanted: bool | None, verb: str, total: int | None
) -> Callable[[int], None] | None:
    """Progress when asked (--progress) or, by default, when standard error is a terminal."""
    shown = wanted if wanted is not None else sys.stderr.isatty()
    return _Progress(verb, total, PROGRESS_EVERY) if shown else None
