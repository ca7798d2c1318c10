"""The built documentation site: every internal link and anchor resolves, and the
pages made from committed results show them.

Runs on the HTML that ``sphinx-build -b html docs docs/_build/html`` wrote
(``H5LINALG_DOCS_HTML`` names another folder; ``.ci/run`` and ``pixi run docs``
set it), and is skipped when the site was not built.
"""

from __future__ import annotations

import json
import os
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("H5LINALG_DOCS_HTML", REPO / "docs" / "_build" / "html"))

pytestmark = [
    pytest.mark.docs,
    pytest.mark.skipif(
        not (SITE / "index.html").is_file(),
        reason=f"needs sphinx-build (the site is not built in {SITE}: `pixi run docs`)",
    ),
]


class _Page(HTMLParser):
    """The anchors a page defines and the links it makes."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("id", "name") if tag == "a" else ("id",):
            if values.get(name):
                self.ids.add(str(values[name]))
        attribute = {"a": "href", "link": "href", "img": "src", "script": "src"}.get(
            tag
        )
        if attribute and values.get(attribute):
            self.links.append(str(values[attribute]))


def _pages() -> dict[Path, _Page]:
    pages = {}
    for path in sorted(SITE.rglob("*.html")):
        page = _Page()
        page.feed(path.read_text(encoding="utf-8"))
        pages[path.resolve()] = page
    return pages


def _text(path: Path) -> str:
    """A page's visible text, whitespace collapsed."""
    html = (SITE / path).read_text(encoding="utf-8")
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    # Sphinx's smart quotes: the Markdown source has straight ones.
    text = text.translate(str.maketrans("\u2018\u2019\u201c\u201d", "''\"\""))
    return " ".join(text.split())


def test_every_internal_link_and_anchor_resolves() -> None:
    pages = _pages()
    assert len(pages) > 10
    broken = []
    checked = 0
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith("//"):
                continue  # external: not this test's business
            target = (
                (path.parent / unquote(parts.path)).resolve() if parts.path else path
            )
            if target.is_dir():
                target /= "index.html"
            checked += 1
            if not target.is_file():
                broken.append(f"{path.relative_to(SITE)}: {link} (no such file)")
            elif (
                parts.fragment
                and target.suffix == ".html"
                and unquote(parts.fragment) not in pages[target].ids
            ):
                broken.append(f"{path.relative_to(SITE)}: {link} (no such anchor)")
    assert checked > 100
    assert not broken, "\n".join(broken)


def test_every_public_name_is_in_the_reference() -> None:
    import h5linalg
    import h5linalg.distributed

    ids = _pages()[(SITE / "api" / "index.html").resolve()].ids
    names = [*h5linalg.__all__, "use_hdf5plugin"]
    missing = [name for name in names if f"h5linalg.{name}" not in ids]
    distributed = _pages()[(SITE / "api" / "distributed.html").resolve()].ids
    missing += [
        f"distributed.{name}"
        for name in h5linalg.distributed.__all__
        if f"h5linalg.distributed.{name}" not in distributed
    ]
    assert not missing


def test_performance_page_shows_summary_md() -> None:
    summary = (REPO / "benchmarks" / "results" / "summary.md").read_text()
    page = _text(Path("performance.html"))
    rows = [line for line in summary.splitlines() if line.startswith("| ")]
    assert len(rows) > 20
    for row in rows:
        # Cells split at the pipes that are not escaped ("[X \\| y]" is one cell).
        for raw in re.split(r"(?<!\\)\|", row.strip().strip("|")):
            cell = raw.replace("\\|", "|").replace("**", "").replace("`", "").strip()
            if cell:
                assert cell in page, (
                    f"{cell!r} of summary.md is not on performance.html"
                )
    assert (SITE / "_images" / "chart.png").is_file()


def test_reliability_page_shows_the_fuzz_report() -> None:
    report = json.loads(
        (REPO / "tests" / "reliability" / "results" / "fuzz-report.json").read_text()
    )
    page = _text(Path("reliability.html"))
    assert f"damaged files (seed {report['seed']}) {report['cases']}" in page
    assert (
        f"results compared with NumPy on h5py's data {report['results_compared']}"
        in page
    )
    assert f"failures {len(report['failures'])}" in page
