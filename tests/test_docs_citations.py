"""The code cites the project's own documentation: every ``docs/<page>.md`` (and ``#section``)
that a module, schema or test names exists, and no citation points outside the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("gateway", "adapters", "catalog", "policies", "bench", "tests", "helm")
CITATION = re.compile(r"docs/(?P<page>[\w-]+\.md)(?:#(?P<anchor>[\w-]+))?")
HEADING = re.compile(r"^#{1,6} +(?P<title>.+?) *$", re.M)


def slug(title: str) -> str:
    """The anchor a Markdown heading gets (GitHub's rule): lower case, punctuation dropped,
    spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return text.replace(" ", "-")


def tracked_files() -> list[Path]:
    listing = subprocess.run(
        ["git", "ls-files", *SOURCES], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / name for name in listing if not name.endswith((".png", ".ttl"))]


def citations() -> list[tuple[str, str, str | None]]:
    found = []
    for path in tracked_files():
        if path == Path(__file__):
            continue
        text = path.read_text("utf-8", errors="replace")
        for match in CITATION.finditer(text):
            found.append((str(path.relative_to(ROOT)), match["page"], match["anchor"]))
    return found


def test_slug_follows_the_markdown_heading_rule() -> None:
    assert slug("The exchange pipeline") == "the-exchange-pipeline"
    assert slug("Caching, conditional requests and compression") == (
        "caching-conditional-requests-and-compression"
    )
    assert slug("Administration (scope `admin`)") == "administration-scope-admin"


def test_the_code_cites_its_docs() -> None:
    assert len(citations()) > 50  # the modules do cite them: the check below is not vacuous


def test_every_cited_page_and_section_exists() -> None:
    missing = []
    anchors: dict[str, set[str]] = {}
    for where, page, anchor in citations():
        doc = ROOT / "docs" / page
        if not doc.is_file():
            missing.append(f"{where}: docs/{page}")
            continue
        if anchor is None:
            continue
        if page not in anchors:
            anchors[page] = {slug(m["title"]) for m in HEADING.finditer(doc.read_text("utf-8"))}
        if anchor not in anchors[page]:
            missing.append(f"{where}: docs/{page}#{anchor}")
    assert missing == []


def test_no_citation_points_outside_the_repository() -> None:
    outside = re.compile(r"DESIGN(\.md)? ?§|DESIGN\.md|CONVENTIONS\.md|\.\./shared/")
    hits = []
    for path in tracked_files():
        if path == Path(__file__):
            continue
        for number, line in enumerate(path.read_text("utf-8", errors="replace").splitlines(), 1):
            if outside.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert hits == []
