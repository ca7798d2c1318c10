"""Lint conda recipes with conda-forge's rules, for both recipe formats.

The rules follow conda-smithy's linter (rule IDs as in its message catalog:
R-xxx both formats, R1-xxx v1 only, R0-xxx v0 only) and the staged-recipes
checklist (S-xxx, with --staged). conda-smithy itself is not installable here;
the workflow on GitHub runs it for real. Lints fail, hints only inform.

check_all.py lints recipe/, recipe/conda-build/ and a trial staged recipe;
staged_recipe.py lints what it writes. A folder is linted as the recipe in it
(one format per folder, as on staged-recipes and feedstocks: a folder with
both is lint R-051); a file alone, so R-051 is found only on folders.
Not implemented (they need the network or conda itself): maintainer and
feedstock-name lookups (CF-001, CF-008, staged-recipes' name clash check),
SPDX list lookups (R-044) and the old PyPI alias host (R-050).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import yaml

from tools.conda._common import V1_SECTIONS, facts, requirement_strings, spec_name

V0_ORDER = (
    "package",
    "source",
    "build",
    "requirements",
    "test",
    "outputs",
    "about",
    "extra",
)
_FACTS = facts()["conda-smithy"]
#: conda-build's FIELDS (R-018), license families (R0-007) and conda-smithy's
#: VALID_PYTHON_BUILD_BACKENDS (R-046): tools/conda/facts.toml [conda-smithy].
V0_FIELDS: dict[str, set[str]] = {k: set(v) for k, v in _FACTS["v0-fields"].items()}
LICENSE_FAMILIES = set(_FACTS["license-families"])
BUILD_BACKENDS = set(_FACTS["build-backends"])
_NAME = re.compile(r"^[a-z0-9_.\-]+$")
_VERSION = re.compile(r"^[A-Za-z0-9_.+!]+$")
#: A ${{ }} that is more than a variable's name: conda-smithy (2026.8.5, through
#: rattler-build-conda-compat) cannot evaluate it in a version and renders e.g.
#: env.get("X", default=...) as `env_"X"`, then rejects that version (R-016).
_V1_COMPUTED = re.compile(r"\$\{\{(?!\s*\w+\s*\}\})")
_V1_COMPILER = re.compile(
    r"^\$\{\{ compiler\(['\"](m2w64_)?(c|cxx|fortran|rust|go-cgo)['\"]\) \}\}$"
)
_V1_STDLIB = re.compile(r"^\$\{\{ stdlib\(['\"](m2w64_)?c['\"]\) \}\}$")
_V0_COMPILER = re.compile(r"^(c|cxx|fortran|rust|go-cgo)_compiler_stub$")
_OPERATOR = re.compile(r"(>=|<=|==|!=|~=|>|<)")


@dataclass(frozen=True)
class Finding:
    kind: str  # "lint" or "hint"
    rule: str
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.kind} {self.rule}: {self.message}"


class _Linter:
    def __init__(self, path: Path, staged: bool) -> None:
        self.path = path
        self.staged = staged
        self.findings: list[Finding] = []

    def lint(self, rule: str, message: str) -> None:
        self.findings.append(Finding("lint", rule, self.path, message))

    def hint(self, rule: str, message: str) -> None:
        self.findings.append(Finding("hint", rule, self.path, message))


def _v0_parse(text: str) -> dict[str, Any]:
    """meta.yaml the way conda-smithy's linter reads it: Jinja with stub functions, every selector branch kept."""
    env = jinja2.Environment(undefined=jinja2.Undefined, autoescape=False)
    stripped = re.sub(r"\s+#\s*\[[^\]]*\]\s*$", "", text, flags=re.MULTILINE)
    rendered = env.from_string(stripped).render(
        compiler=lambda lang: f"{lang}_compiler_stub",
        stdlib=lambda lang: f"{lang}_stdlib_stub",
        pin_compatible=lambda name, **_: f"{name}_pin_compatible_stub",
        pin_subpackage=lambda name, **_: f"{name}_pin_subpackage_stub",
        environ={},
        os=type("os", (), {"environ": {}}),
        target_platform="linux-64",
        build_platform="linux-64",
    )
    return yaml.safe_load(rendered) or {}


def _layout_rules(lt: _Linter, recipe: dict[str, Any], fmt: str, text: str) -> None:
    """The top-level keys, their order, the end of the file (R-000, R-001, R-011)."""
    order = V1_SECTIONS if fmt == "v1" else V0_ORDER
    keys = list(recipe)
    for key in keys:
        if key not in order and not (fmt == "v0" and key == "app"):
            lt.lint("R-000", f"The top level meta key {key} is unexpected")
    present = [k for k in keys if k in order]
    if present != sorted(present, key=order.index):
        lt.lint(
            "R-001",
            f"The top level meta keys are in an unexpected order. Expecting {[k for k in order if k in present]}.",
        )

    if not text.endswith("\n") or text.endswith("\n\n"):
        lt.lint("R-011", "There should be one empty line at the end of the file.")


def _about_rules(lt: _Linter, recipe: dict[str, Any], fmt: str) -> None:
    """about: and extra: (R-002, R-003, R-004, R-007, R-010, R-013, R-039)."""
    about = recipe.get("about") or {}
    for item in ("homepage" if fmt == "v1" else "home", "license", "summary"):
        if not about.get(item):
            lt.lint("R-002", f"The {item} item is expected in the about section.")
    license_ = str(about.get("license", ""))
    if license_.lower() == "unknown":
        lt.lint("R-007", "The recipe license cannot be unknown.")
    if re.search(r"\blicense\b", license_, re.IGNORECASE) and not re.search(
        r"Unlicense|LicenseRef|-license", license_
    ):
        lt.lint("R-010", 'The recipe `license` should not include the word "License".')
    family = str(about.get("license_family", "")).upper()
    needs_file = fmt == "v1" or any(
        f in (family or license_.upper())
        for f in ("GPL", "BSD", "MIT", "APACHE", "PSF")
    )
    if needs_file and not about.get("license_file"):
        lt.lint("R-013", "license_file entry is missing, but is required.")

    extra = recipe.get("extra") or {}
    maintainers = extra.get("recipe-maintainers")
    if not maintainers:
        lt.lint(
            "R-003",
            "The recipe could do with some maintainers listed in the `extra/recipe-maintainers` section.",
        )
    elif not isinstance(maintainers, list):
        lt.lint("R-004", "Recipe maintainers should be a json list.")
    if str(extra.get("feedstock-name", "")).endswith("-feedstock"):
        lt.lint(
            "R-039",
            "The feedstock-name in the `extra` section must not end with `-feedstock`.",
        )


def _package_rules(lt: _Linter, recipe: dict[str, Any], fmt: str) -> None:
    """package: and build: (R-008, R-012, R-014, R-016, R-020, R-040)."""
    package = recipe.get("package") or {}
    context = recipe.get("context") or {}
    name = str(package.get("name", ""))
    name = re.sub(r"\$\{\{\s*name\s*\}\}", str(context.get("name", "")), name)
    if name and not _NAME.match(name):
        lt.lint(
            "R-012",
            "Recipe name has invalid characters. only lowercase alpha, numeric, underscores, hyphens and dots allowed",
        )
    version = package.get("version")
    raw_version = context.get("version", version) if fmt == "v1" else version
    if isinstance(raw_version, float):
        lt.lint(
            "R-040", f"The version {raw_version!r} is parsed as a number; quote it."
        )
    computed = [str(v) for v in {raw_version, version} if _V1_COMPUTED.search(str(v))]
    if fmt == "v1" and computed:
        lt.lint(
            "R-016",
            f"The version {computed[0]} is computed: conda-smithy cannot read it "
            "(it renders env.get() as a placeholder). Write it literally in context.version.",
        )
    if version in (None, ""):
        lt.lint("R-014", "Package version is missing.")
    elif (
        "${{" not in str(version)
        and "{{" not in str(version)
        and not _VERSION.match(str(version))
    ):
        lt.lint("R-016", f"Package version {version} doesn't match conda spec")

    build = recipe.get("build") or {}
    if "number" not in build:
        lt.lint("R-008", "The recipe must have a `build/number` section.")
    noarch = build.get("noarch")
    if noarch is not None and noarch not in ("python", "generic"):
        lt.lint(
            "R-020",
            f"Invalid `noarch` value `{noarch}`. Should be one of ['python', 'generic'].",
        )


def _source_rules(lt: _Linter, recipe: dict[str, Any]) -> None:
    """source: (R-019, R-028)."""
    sources = recipe.get("source") or {}
    for source in sources if isinstance(sources, list) else [sources]:
        if not isinstance(source, dict):
            continue
        if "url" in source and not any(k in source for k in ("sha256", "sha1", "md5")):
            lt.lint(
                "R-019",
                "When defining a source/url please add a sha256, sha1 or md5 checksum (sha256 preferably).",
            )
        if str(source.get("url", "")).endswith(".whl"):
            lt.lint("R-028", "Compiled wheels are not allowed as a source.")


def _requirements(recipe: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """The build, host and run requirements, every if/then/else branch."""
    requirements = recipe.get("requirements") or {}
    return (
        requirement_strings(requirements.get("build")),
        requirement_strings(requirements.get("host")),
        requirement_strings(requirements.get("run")),
    )


def _compiler_rules(lt: _Linter, recipe: dict[str, Any], fmt: str) -> None:
    """The compilers and the C library (R-033, R-034, R-035)."""
    requirements = recipe.get("requirements") or {}
    build_reqs, host_reqs, run_reqs = _requirements(recipe)
    compiler_re, stdlib_re = (
        (_V1_COMPILER, _V1_STDLIB)
        if fmt == "v1"
        else (_V0_COMPILER, re.compile(r"^c_stdlib_stub$"))
    )
    if any(compiler_re.match(r) for r in build_reqs) and not any(
        stdlib_re.match(r) for r in build_reqs
    ):
        stdlib = '`${{ stdlib("c") }}`' if fmt == "v1" else '`{{ stdlib("c") }}`'
        lt.lint(
            "R-033",
            f"This recipe is using a compiler, which now requires adding a build dependence on {stdlib} as well.",
        )
    for spec in build_reqs + host_reqs + run_reqs:
        if spec.startswith("sysroot_linux"):
            lt.lint(
                "R-034",
                "You're setting a requirement on sysroot_linux-<arch> directly; use `stdlib('c')` and `c_stdlib_version` instead.",
            )
    for spec in run_reqs + requirement_strings(
        requirements.get("run_constraints" if fmt == "v1" else "run_constrained")
    ):
        if spec.startswith("__osx"):
            lt.lint(
                "R-035",
                "You're setting a constraint on the `__osx` virtual package directly; use `c_stdlib_version` instead.",
            )


def _spec_rules(lt: _Linter, recipe: dict[str, Any]) -> None:
    """The order of the sections and how each requirement is written (R-009,
    R-017, R-021, R-022)."""
    requirements = recipe.get("requirements") or {}
    req_order = [k for k in requirements if k in ("build", "host", "run")]
    if req_order != sorted(req_order, key=("build", "host", "run").index):
        lt.lint(
            "R-009",
            "The `requirements/` sections should be defined in the following order: build, host, run; instead saw: "
            + ", ".join(req_order)
            + ".",
        )
    for section, specs in zip(
        ("build", "host", "run"), _requirements(recipe), strict=True
    ):
        for spec in specs:
            if "{{" in spec:
                continue
            name_part, _, constraint = spec.partition(" ")
            if _OPERATOR.search(name_part) and not name_part.startswith(("__",)):
                lt.lint(
                    "R-022",
                    f"``requirements: {section}: {spec}`` should not contain a space between relational operator and the version, i.e. ``{name_part} {constraint}`` is expected as ``name >=x``.",
                )
            if re.search(r"(>=|<=|==|!=|~=|>|<)\s+\d", constraint):
                lt.lint(
                    "R-021",
                    f"``requirements: {section}: {spec}`` should not contain a space between relational operator and the version.",
                )
        if any(re.match(r"^numpy\s+x\.x", s) for s in specs):
            lt.lint(
                "R-017",
                "Using pinned numpy packages (numpy x.x) is a deprecated pattern.",
            )


def _python_rules(lt: _Linter, recipe: dict[str, Any]) -> None:
    """Python as a host and run requirement, and its build backend (R-023,
    R-024, R-046)."""
    noarch = (recipe.get("build") or {}).get("noarch")
    _build, host_reqs, run_reqs = _requirements(recipe)
    names_host = [spec_name(s) for s in host_reqs]
    names_run = [spec_name(s) for s in run_reqs]
    if noarch is None and "python" in names_host and "python" not in names_run:
        lt.lint(
            "R-023", "If python is a host requirement, it should be a run requirement."
        )
    if noarch is None:
        for section, specs in (("host", host_reqs), ("run", run_reqs)):
            for spec in specs:
                if spec_name(spec) == "python" and spec.strip() != "python":
                    lt.lint(
                        "R-024",
                        f"Non noarch packages should have python requirement without any version constraints ({section}: {spec}).",
                    )
    if "pip" in names_host and not BUILD_BACKENDS & set(names_host):
        lt.hint(
            "R-046",
            "No valid build backend found for Python recipe for package using `pip`.",
        )


def _common_rules(lt: _Linter, recipe: dict[str, Any], fmt: str, text: str) -> None:
    _layout_rules(lt, recipe, fmt, text)
    _about_rules(lt, recipe, fmt)
    _package_rules(lt, recipe, fmt)
    _source_rules(lt, recipe)
    _compiler_rules(lt, recipe, fmt)
    _spec_rules(lt, recipe)
    _python_rules(lt, recipe)


def _v1_rules(lt: _Linter, recipe: dict[str, Any], text: str) -> None:
    if recipe.get("schema_version", 1) != 1:
        lt.lint(
            "R1-000",
            f"Unsupported recipe.yaml schema version {recipe['schema_version']}",
        )
    for number, line in enumerate(text.splitlines(), 1):
        if re.search(r"#\s*\[[^\]]+\]\s*$", line) and not line.lstrip().startswith("#"):
            lt.lint(
                "R1-001",
                f"Selectors in comment form no longer work in v1 recipes (line {number}). Instead, if / then / else maps must be used.",
            )
        for match in re.finditer(r"\$\{\{(\S[^}]*?|[^}]*?\S)\}\}", line):
            if not (match[1].startswith(" ") and match[1].endswith(" ")):
                lt.hint(
                    "R-025",
                    f"Jinja2 variable references are suggested to take a ``${{ var }}`` form (line {number}: {match[0]}).",
                )
    tests = recipe.get("tests")
    if not tests:
        lt.lint("R-005", "The recipe must have some tests.")
    script = (recipe.get("build") or {}).get("script")
    if isinstance(script, dict) and "SP_DIR" in (script.get("env") or {}):
        lt.hint(
            "R1-006",
            "`SP_DIR` is defined by rattler-build; do not set it in the recipe.",
        )
    if (lt.path.parent / "bld.bat").exists():
        lt.hint(
            "R1-003",
            "Found `bld.bat` in recipe directory, but this is a recipe v1 (rattler-build uses `build.bat` instead).",
        )


def _v0_rules(lt: _Linter, recipe: dict[str, Any], text: str) -> None:
    for number, line in enumerate(text.splitlines(), 1):
        match = re.search(r"(\s*)#\s*\[([^\]]*)\]\s*$", line)
        if (
            match
            and not line.lstrip().startswith("#")
            and (match[1] != "  " or not re.search(r"  # \[[^\]]+\]$", line))
        ):
            lt.lint(
                "R0-001",
                f"Selectors are suggested to take a ``<two spaces>#<one space>[<expression>]`` form (line {number}).",
            )
        for set_match in re.finditer(r"\{%-?\s*set\s+.*?%\}", line):
            if not re.fullmatch(r"\{% set \w+ = .+? %\}", set_match[0]):
                lt.lint(
                    "R0-005",
                    f"Jinja2 variable definitions are suggested to take a ``{{% set<one space><variable name><one space>=<one space><expression> %}}`` form (line {number}).",
                )
    for section, allowed in V0_FIELDS.items():
        for key in recipe.get(section) or {}:
            if key not in allowed:
                lt.lint(
                    "R-018",
                    f"The {section} section contained an unexpected subsection name. {key} is not a valid subsection name.",
                )
    family = (recipe.get("about") or {}).get("license_family")
    if family is not None and str(family).upper() not in LICENSE_FAMILIES:
        lt.lint(
            "R0-007",
            f"license_family {family} is not one of conda-build's license families.",
        )
    test = recipe.get("test") or {}
    has_test_file = any(
        (lt.path.parent / f"run_test.{ext}").exists()
        for ext in ("py", "sh", "bat", "pl")
    )
    if not (test.get("imports") or test.get("commands") or has_test_file):
        lt.lint("R-005", "The recipe must have some tests.")


def _staged_rules(
    lt: _Linter, recipe: dict[str, Any], fmt: str, package_name: str
) -> None:
    """The staged-recipes checklist: where the recipe is and what it builds
    from (S-001 to S-004), then what it requires and tests (S-005 to S-009)."""
    folder = lt.path.parent
    if folder.parent.name != "recipes" or folder.name != package_name:
        lt.lint(
            "S-001",
            f"Put the recipe in its own directory as recipes/<name of feedstock>/{lt.path.name} (it is in {folder}).",
        )
    sources = recipe.get("source") or {}
    for source in sources if isinstance(sources, list) else [sources]:
        if not isinstance(source, dict) or "url" not in source:
            lt.lint(
                "S-002",
                "The source must be an official release archive given by `url` (not a path or a git repository).",
            )
    build = recipe.get("build") or {}
    if str(build.get("number")) != "0":
        lt.lint("S-003", "A new recipe's build number must be 0.")
    for variant_file in ("conda_build_config.yaml", "variants.yaml"):
        if (folder / variant_file).exists():
            lt.lint(
                "S-004",
                f"{variant_file}: the staged recipe builds against conda-forge's global pinning only; remove local variant files.",
            )
    _staged_requirement_rules(lt, recipe, fmt)


def _staged_requirement_rules(lt: _Linter, recipe: dict[str, Any], fmt: str) -> None:
    build = recipe.get("build") or {}
    requirements = recipe.get("requirements") or {}
    build_specs = requirement_strings(requirements.get("build"))
    build_names = [spec_name(s) for s in build_specs]
    host_names = [spec_name(s) for s in requirement_strings(requirements.get("host"))]
    compiled = any(
        "compiler(" in s or s.endswith("_compiler_stub") for s in build_specs
    )
    if (
        compiled
        and "scikit-build-core" in host_names
        and not ("cmake" in build_names and ({"ninja", "make"} & set(build_names)))
    ):
        lt.lint(
            "S-005",
            "A CMake build needs `cmake` and `ninja` (or `make`) in the build requirements.",
        )
    if "pip" not in host_names:
        lt.lint("S-006", "Remember to always add `pip` to the host requirements.")
    if compiled and build.get("noarch"):
        lt.lint("S-007", "A package with compiled code cannot be noarch.")
    _staged_test_rules(lt, recipe, fmt)


def _staged_test_rules(lt: _Linter, recipe: dict[str, Any], fmt: str) -> None:
    if fmt == "v1":
        python_tests = [
            t["python"]
            for t in recipe.get("tests") or []
            if isinstance(t, dict) and "python" in t
        ]
        if not any(t.get("imports") for t in python_tests) or any(
            t.get("pip_check") is False for t in python_tests
        ):
            lt.lint(
                "S-009",
                "Add a `python` test importing the package (and its compiled module) with pip_check on.",
            )
    else:
        lt.hint(
            "S-008",
            "The v0 `meta.yaml` recipe format is deprecated. Please use the v1 `recipe.yaml` format unless v1 cannot support this recipe, and explain the exception in the pull request.",
        )


def lint_file(path: Path, staged: bool = False) -> list[Finding]:
    """Every finding for one recipe file (recipe.yaml: v1, meta.yaml: v0)."""
    lt = _Linter(path, staged)
    text = path.read_text(encoding="utf-8")
    fmt = "v0" if path.name == "meta.yaml" else "v1"
    try:
        recipe = _v0_parse(text) if fmt == "v0" else yaml.safe_load(text)
    except (yaml.YAMLError, jinja2.TemplateError) as error:
        lt.lint("R-036", f"The recipe is not parsable: {error}")
        return lt.findings
    if not isinstance(recipe, dict):
        lt.lint("R-036", "The recipe is not a mapping.")
        return lt.findings
    _common_rules(lt, recipe, fmt, text)
    (_v1_rules if fmt == "v1" else _v0_rules)(lt, recipe, text)
    if staged:
        context = recipe.get("context") or {}
        name = str((recipe.get("package") or {}).get("name", ""))
        name = context.get("name", name) if "name" in name else name
        _staged_rules(lt, recipe, fmt, name)
    return lt.findings


def lint_folder(folder: Path, staged: bool = False) -> list[Finding]:
    """The recipe in ``folder``; a folder holds one recipe format."""
    v1, v0 = folder / "recipe.yaml", folder / "meta.yaml"
    findings: list[Finding] = []
    if v1.is_file() and v0.is_file():
        findings.append(
            Finding(
                "lint",
                "R-051",
                folder,
                "The recipe folder contains both meta.yaml and recipe.yaml; keep one format per folder.",
            )
        )
    recipes = [p for p in (v1, v0) if p.is_file()]
    if not recipes:
        return [Finding("lint", "R-036", folder, "No recipe.yaml or meta.yaml found.")]
    for recipe in recipes:
        findings += lint_file(recipe, staged)
    return findings


def lint_paths(paths: list[Path], staged: bool = False) -> list[Finding]:
    findings: list[Finding] = []
    for path in paths:
        findings += (
            lint_folder(path, staged) if path.is_dir() else lint_file(path, staged)
        )
    return findings
