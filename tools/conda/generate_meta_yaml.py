"""Generate the conda-build form of the recipe (meta.yaml, build.sh, bld.bat).

recipe/recipe.yaml (rattler-build, format v1) is the single source of truth;
this script writes the v0 form into a folder of its own, recipe/conda-build/
(conda-forge's linter allows one recipe format per folder, rule R-051):

    python -m tools.conda.generate_meta_yaml            # rewrite them
    python -m tools.conda.check_all generated           # fail, with a diff, if stale

A local `source: path` is rewritten relative to the new folder. The tests take
their files from the source (tests[].files.source, test: source_files), so
neither form keeps copies beside the recipe. rattler-build's package_contents
test has no conda-build counterpart: it becomes shell checks (`test -f` on
Unix, `if not exist` on Windows) that fail when a file is missing.

It converts the subset of the v1 format the recipe uses and stops with an error
on anything else, so a new construct in recipe.yaml cannot be dropped silently.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from tools.conda._common import (
    CONDA_BUILD_DIR,
    ROOT,
    V1_SECTIONS,
    CheckError,
    load_yaml,
)

GENERATED = (
    "Generated from recipe.yaml by tools/conda/generate_meta_yaml.py; do not edit."
)

_JINJA = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
#: Selector expressions v1 and conda-build share (platform names, comparisons).
_SELECTOR = re.compile(r"^[\w\s!=<>()'\".]+$")
#: SPDX license -> conda-build license_family.
LICENSE_FAMILIES = {
    "BSD-2-Clause": "BSD",
    "BSD-3-Clause": "BSD",
    "MIT": "MIT",
    "Apache-2.0": "Apache",
}


def _unsupported(what: str) -> CheckError:
    msg = f"recipe.yaml uses {what}, which generate_meta_yaml.py cannot convert to meta.yaml"
    return CheckError(msg)


def jinja_expression(expr: str) -> str:
    """A v1 Jinja expression as conda-build's Jinja understands it."""
    # conda-forge's linter cannot read environment lookups (the version is a literal).
    if "env." in expr:
        what = f"the expression {expr!r}"
        raise _unsupported(what)
    return expr


def jinja_text(value: str) -> str:
    """Rewrite every ``${{ expr }}`` in ``value`` as ``{{ expr }}``."""
    return _JINJA.sub(lambda m: "{{ " + jinja_expression(m[1]) + " }}", value)


def scalar(value: Any) -> str:
    """A YAML scalar for meta.yaml; Jinja-bearing strings stay unquoted."""
    if isinstance(value, str) and "${{" in value:
        return jinja_text(value)
    dumped: str = yaml.safe_dump(value, default_flow_style=True, width=1000)
    return dumped.removesuffix("\n...\n").rstrip("\n")


def selector(condition: str) -> str:
    if not _SELECTOR.match(condition) or "${{" in condition:
        what = f"the condition {condition!r}"
        raise _unsupported(what)
    return condition.strip()


def flatten(
    items: list[Any], condition: str | None = None
) -> list[tuple[Any, str | None]]:
    """(item, selector) pairs from a v1 list with ``if/then`` entries."""
    out: list[tuple[Any, str | None]] = []
    for item in items:
        if isinstance(item, dict) and "if" in item:
            if "else" in item or set(item) - {"if", "then"}:
                what = "an if/then/else entry"
                raise _unsupported(what)
            if condition is not None:
                what = "a nested if/then entry"
                raise _unsupported(what)
            then = item["then"] if isinstance(item["then"], list) else [item["then"]]
            out.extend(flatten(then, selector(item["if"])))
        else:
            out.append((item, condition))
    return out


def list_lines(items: list[Any], indent: int) -> list[str]:
    pad = " " * indent
    lines = []
    for item, cond in flatten(items):
        line = f"{pad}- {scalar(item)}"
        lines.append(f"{line}  # [{cond}]" if cond else line)
    return lines


def _check_keys(section: str, data: dict[str, Any], allowed: set[str]) -> None:
    extra = set(data) - allowed
    if extra:
        what = f"{section}.{min(extra)}"
        raise _unsupported(what)


def _context_lines(context: dict[str, Any]) -> list[str]:
    lines = []
    for key, value in context.items():
        if isinstance(value, str) and value.startswith("${{") and value.endswith("}}"):
            expr = jinja_expression(_JINJA.fullmatch(value)[1])  # type: ignore[index]
        else:
            expr = '"' + str(value) + '"'
        lines.append(f"{{% set {key} = {expr} %}}")
    return lines


def relocate(
    recipe_path: Path, directory: Path, source: dict[str, Any]
) -> dict[str, Any]:
    """The source of the v0 recipe written to ``directory``: a local `path` is
    rewritten relative to it; an archive (`url`, the staged recipe) is left alone."""
    if "path" not in source:
        return source
    tree = (recipe_path.parent / source["path"]).resolve()
    return {
        **source,
        "path": Path(os.path.relpath(tree, directory.resolve())).as_posix(),
    }


def _source_lines(source: dict[str, Any]) -> list[str]:
    _check_keys("source", source, {"path", "url", "sha256"})
    return ["source:"] + [f"  {key}: {scalar(value)}" for key, value in source.items()]


def _build_lines(build: dict[str, Any]) -> list[str]:
    _check_keys("build", build, {"number", "script", "dynamic_linking"})
    lines = ["build:", f"  number: {build['number']}"]
    lines.append(
        "  # build.sh / bld.bat (generated too) run pip with the script environment of recipe.yaml."
    )
    linking = build.get("dynamic_linking", {})
    _check_keys(
        "build.dynamic_linking",
        linking,
        {"overlinking_behavior", "overdepending_behavior", "missing_dso_allowlist"},
    )
    if linking.get("overlinking_behavior") == "error":
        lines.append("  error_overlinking: true")
    if linking.get("overdepending_behavior") == "error":
        lines.append("  error_overdepending: true")
    if "missing_dso_allowlist" in linking:
        lines += [
            "  missing_dso_allowlist:",
            *list_lines(linking["missing_dso_allowlist"], 4),
        ]
    return lines


def _requirements_lines(requirements: dict[str, Any]) -> list[str]:
    _check_keys(
        "requirements", requirements, {"build", "host", "run", "run_constraints"}
    )
    lines = ["requirements:"]
    for key, v0_key in (
        ("build", "build"),
        ("host", "host"),
        ("run", "run"),
        ("run_constraints", "run_constrained"),
    ):
        if key in requirements:
            lines += [f"  {v0_key}:", *list_lines(requirements[key], 4)]
    return lines


#: package_contents sections -> the file a Unix and a Windows check test for a glob.
CONTENTS_PATHS = {
    "site_packages": ('"$SP_DIR"/{}', "%SP_DIR%\\{}"),
    # pip writes console scripts to Scripts\ as .exe launchers on Windows.
    "bin": ('"$PREFIX"/bin/{}', "%PREFIX%\\Scripts\\{}.exe"),
}


def _contents_checks(contents: dict[str, Any]) -> list[Any]:
    """package_contents as commands: ``test -f`` (bash, whose glob stays
    unexpanded and fails when nothing matches) and ``if not exist`` (cmd)."""
    _check_keys("tests[].package_contents", contents, set(CONTENTS_PATHS))
    checks: list[Any] = []
    for key, (unix, win) in CONTENTS_PATHS.items():
        for glob, condition in flatten(contents.get(key, [])):
            if condition not in {None, "unix", "win"}:
                what = f"the package_contents condition {condition!r}"
                raise _unsupported(what)
            if condition != "win":
                checks.append({"if": "unix", "then": f"test -f {unix.format(glob)}"})
            if condition != "unix":
                path = win.format(glob.replace("/", "\\"))
                checks.append({"if": "win", "then": f"if not exist {path} exit 1"})
    return checks


def _script_commands(script: Any) -> list[Any]:
    """A test script's lines, its environment set first (conda-build runs the
    commands as one script, so the variables reach the later lines)."""
    if not isinstance(script, dict):
        return script if isinstance(script, list) else [script]
    _check_keys("tests[].script", script, {"env", "content"})
    env = script.get("env", {})
    content = script["content"]
    return [
        *({"if": "unix", "then": line} for line in _env_lines(env, "unix")),
        *({"if": "win", "then": line} for line in _env_lines(env, "win")),
        *(content if isinstance(content, list) else [content]),
    ]


def _test_lines(tests: list[dict[str, Any]]) -> list[str]:
    imports: list[Any] = []
    requires: list[Any] = []
    commands: list[Any] = []
    source_files: list[Any] = []
    for test in tests:
        if "python" in test:
            python = test["python"]
            _check_keys("tests.python", python, {"imports", "pip_check"})
            imports += python.get("imports", [])
            if python.get("pip_check", True):
                requires.append("pip")
                commands.insert(0, "pip check")
        elif "package_contents" in test:
            _check_keys("tests[]", test, {"package_contents"})
            commands += _contents_checks(test["package_contents"])
        elif "script" in test:
            _check_keys("tests[]", test, {"script", "requirements", "files"})
            _check_keys("tests[].requirements", test.get("requirements", {}), {"run"})
            _check_keys("tests[].files", test.get("files", {}), {"source"})
            requires += test.get("requirements", {}).get("run", [])
            # conda-build copies source_files into the test folder under their
            # path in the source, as rattler-build does with files.source.
            source_files += test.get("files", {}).get("source", [])
            commands += _script_commands(test["script"])
        else:
            what = f"the test {sorted(test)}"
            raise _unsupported(what)
    lines = ["test:"]
    for key, values in (
        ("imports", imports),
        ("source_files", source_files),
        ("requires", requires),
        ("commands", commands),
    ):
        if values:
            lines += [f"  {key}:", *list_lines(values, 4)]
    return lines


def _about_lines(about: dict[str, Any]) -> list[str]:
    _check_keys(
        "about",
        about,
        {
            "homepage",
            "repository",
            "documentation",
            "license",
            "license_file",
            "summary",
            "description",
        },
    )
    lines = ["about:"]
    for key, v0_key in (("homepage", "home"), ("license", "license")):
        lines.append(f"  {v0_key}: {scalar(about[key])}")
    if about["license"] in LICENSE_FAMILIES:
        lines.append(f"  license_family: {LICENSE_FAMILIES[about['license']]}")
    lines.append(f"  license_file: {scalar(about['license_file'])}")
    lines.append(f"  summary: {scalar(about['summary'])}")
    if "description" in about:
        lines.append("  description: |")
        lines += [
            f"    {line}" if line else ""
            for line in about["description"].rstrip("\n").split("\n")
        ]
    for key, v0_key in (("documentation", "doc_url"), ("repository", "dev_url")):
        if key in about:
            lines.append(f"  {v0_key}: {scalar(about[key])}")
    return lines


def meta_yaml(recipe: dict[str, Any], note: str = "") -> str:
    """The meta.yaml text for a parsed recipe.yaml (source already relocated)."""
    _check_keys("the recipe", recipe, set(V1_SECTIONS))
    header = [f"# {GENERATED}"] + [f"# {line}".rstrip() for line in note.splitlines()]
    sections = [
        header + _context_lines(recipe.get("context", {})),
        ["package:"]
        + [f"  {key}: {scalar(value)}" for key, value in recipe["package"].items()],
        _source_lines(recipe["source"]),
        _build_lines(recipe["build"]),
        _requirements_lines(recipe["requirements"]),
        _test_lines(recipe["tests"]),
        _about_lines(recipe["about"]),
        [
            "extra:",
            "  recipe-maintainers:",
            *list_lines(recipe["extra"]["recipe-maintainers"], 4),
        ],
    ]
    return "\n\n".join("\n".join(section) for section in sections) + "\n"


def _env_lines(env: dict[str, Any], family: str) -> list[str]:
    """A script's environment as bash (``family`` "unix") or cmd ("win") lines,
    ${{ version }} as conda-build's PKG_VERSION."""
    out = []
    for key, value in env.items():

        def repl(m: re.Match[str]) -> str:
            names = {"version": "PKG_VERSION", "name": "PKG_NAME"}
            if m[1] not in names:
                what = f"the script variable {m[0]!r}"
                raise _unsupported(what)
            return f"${{{names[m[1]]}}}" if family == "unix" else f"%{names[m[1]]}%"

        text = _JINJA.sub(repl, str(value))
        out.append(
            f'export {key}="{text}"' if family == "unix" else f'set "{key}={text}"'
        )
    return out


def _script_content(recipe: dict[str, Any], family: str) -> list[str]:
    """The lines of build.script.content for ``family`` ("unix" or "win"):
    plain lines, and ``if: unix`` / ``if: win`` blocks (build.sh / bld.bat)."""
    script = recipe["build"]["script"]
    _check_keys("build.script", script, {"env", "content"})
    content = script["content"]
    items = content if isinstance(content, list) else content.strip().splitlines()
    lines: list[str] = []
    for item in items:
        if isinstance(item, str):
            lines.append(item)
            continue
        if not isinstance(item, dict) or item.get("if") not in {"unix", "win"}:
            what = f"build.script.content item {item!r} (only lines and if: unix/win)"
            raise _unsupported(what)
        _check_keys("build.script.content if-block", item, {"if", "then"})
        if item["if"] == family:
            then = item["then"]
            lines += [then] if isinstance(then, str) else list(then)
    if any("${{" in line for line in lines):
        what = "Jinja in build.script.content"
        raise _unsupported(what)
    return lines


def build_sh(recipe: dict[str, Any]) -> str:
    lines = ["#!/usr/bin/env bash", f"# {GENERATED}", "set -euxo pipefail"]
    lines += _env_lines(recipe["build"]["script"].get("env", {}), "unix")
    lines += _script_content(recipe, "unix")
    return "\n".join(lines) + "\n"


def bld_bat(recipe: dict[str, Any]) -> str:
    lines = ["@echo on", f":: {GENERATED}"]
    lines += _env_lines(recipe["build"]["script"].get("env", {}), "win")
    for line in _script_content(recipe, "win"):
        # No check after `set`: clearing a variable that is not set leaves errorlevel 1.
        lines += [line] if line.startswith("set ") else [line, "if errorlevel 1 exit 1"]
    return "\n".join(lines) + "\n"


def default_directory(recipe_path: Path) -> Path:
    """Where the v0 form of ``recipe_path`` goes: recipe/conda-build/ for recipe/recipe.yaml."""
    return recipe_path.parent / CONDA_BUILD_DIR.name


def generate(
    recipe_path: Path, note: str = "", directory: Path | None = None
) -> dict[str, str]:
    """{file name: content} of the conda-build form of ``recipe_path``, to be
    written to ``directory`` (default: default_directory)."""
    recipe = load_yaml(recipe_path)
    recipe["source"] = relocate(
        recipe_path, directory or default_directory(recipe_path), recipe["source"]
    )
    return {
        "meta.yaml": meta_yaml(recipe, note),
        "build.sh": build_sh(recipe),
        "bld.bat": bld_bat(recipe),
    }


def write(files: dict[str, str], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (directory / name).write_bytes(content.encode("utf-8"))
        if name.endswith(".sh"):
            (directory / name).chmod(0o755)


def check(recipe_path: Path, directory: Path) -> None:
    """Raise CheckError with a diff if the generated files in ``directory`` are stale."""
    problems = []
    for name, content in generate(recipe_path, directory=directory).items():
        path = directory / name
        # Compare text, whatever line endings a Windows checkout gave the files.
        current = (
            path.read_text(encoding="utf-8").replace("\r\n", "\n")
            if path.is_file()
            else ""
        )
        if current != content:
            diff = difflib.unified_diff(
                current.splitlines(),
                content.splitlines(),
                f"{path} (committed)",
                f"{path} (from recipe.yaml)",
                lineterm="",
            )
            problems.append(
                f"{path} is out of date with {recipe_path}:\n" + "\n".join(diff)
            )
    if problems:
        raise CheckError(
            "\n".join(problems) + "\nRun: python -m tools.conda.generate_meta_yaml"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--recipe", type=Path, default=ROOT / "recipe/recipe.yaml", help="the v1 recipe"
    )
    recipe = parser.parse_args(argv).recipe
    try:
        write(generate(recipe), default_directory(recipe))
    except CheckError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"wrote {default_directory(recipe)}/meta.yaml, build.sh, bld.bat")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
