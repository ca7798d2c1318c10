"""README.md links only to what exists and says which docs pages GitHub shows raw.

No documentation site is published, so the README links to the MyST sources in
``docs/``. GitHub shows a page's Sphinx directives (``{doctest}``, ``{include}``,
``{eval-rst}``, ...) and roles raw, so a link to such a page must be followed by
"(rendered by `pixi run docs`)".
"""

from __future__ import annotations

import re
from pathlib import Path

from conftest import only_in_a_checkout

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
MARKER = "(rendered by `pixi run docs`)"
# [text](target): relative targets only, without their #anchor.
LINK = re.compile(r"\[(?:[^\]]|\][^(])*\]\((?![a-z]+:|#)([^)#\s]*)(?:#[^)]*)?\)")
# A MyST directive fence (```{doctest}, :::{note}) or role ({doc}`...`).
MYST = re.compile(r"^\s*(?:`{3,}|:{3,})\s*\{[\w-]+\}|\{[\w:-]+\}`", re.MULTILINE)


def _sections() -> dict[str, str]:
    """The README's text before the first heading ("") and under each ## heading."""
    parts = re.split(
        r"^## (.+)$", README.read_text(encoding="utf-8"), flags=re.MULTILINE
    )
    return {"": parts[0], **dict(zip(parts[1::2], parts[2::2], strict=True))}


def _shown_raw_on_github(target: Path) -> bool:
    return target.suffix == ".md" and bool(MYST.search(target.read_text("utf-8")))


@only_in_a_checkout
def test_every_relative_link_resolves():
    text = README.read_text(encoding="utf-8")
    targets = LINK.findall(text)
    assert targets
    missing = [t for t in targets if not (REPO / t).exists()]
    assert not missing, f"README.md links to {missing}, which do not exist"


@only_in_a_checkout
def test_links_to_myst_pages_say_where_they_render():
    sections = _sections()
    for name in sections:
        text = " ".join(sections[name].split())
        for match in LINK.finditer(text):
            target = REPO / match.group(1)
            if _shown_raw_on_github(target):
                after = text[match.end() : match.end() + len(MARKER) + 1].lstrip()
                assert after.startswith(MARKER), (
                    f"README.md ({name or 'opening'}): the link to {match.group(1)} "
                    f"needs {MARKER!r}, GitHub shows that page's directives raw"
                )


def test_development_page_has_no_myst_syntax():
    # README.md links to it without the marker: GitHub shows it as it is.
    assert not _shown_raw_on_github(REPO / "docs" / "development.md")


def test_metadata_documentation_is_the_readme():
    # No site is published: every package's "documentation" is this README.
    found = {
        "pyproject.toml": re.findall(
            r'^Documentation = "(.+)"$', _read("pyproject.toml"), re.MULTILINE
        ),
        "pixi.toml": re.findall(
            r'^documentation = "(.+)"$', _read("pixi.toml"), re.MULTILINE
        ),
        "recipe/recipe.yaml": re.findall(
            r"^\s*documentation: (\S+)$", _read("recipe/recipe.yaml"), re.MULTILINE
        ),
    }
    readme = "https://github.com/h5linalg/h5linalg#readme"
    assert found == {name: [readme] for name in found}


def _read(name: str) -> str:
    return (REPO / name).read_text(encoding="utf-8")
