"""Check that pyproject.toml, the recipes, pixi.toml and variants/ agree.

Each check below is one rule; each finding names the two files and the values
that disagree:

* name, license (and license file), summary, project URLs (check_metadata);
* the version source: setuptools-scm via scikit-build-core; the recipe passes
  its version in SETUPTOOLS_SCM_PRETEND_VERSION, and its literal version (which
  a release build overwrites) is setuptools-scm's fallback (check_version_source);
* [project].dependencies <-> recipe `run` and pixi (check_run_requirements);
* [build-system].requires <-> recipe `host` (names) and pixi [dependencies]
  (lower bounds) (check_build_requirements); that each bound exists is the
  solvers' to say: ci.yml's `pixi lock` on conda-forge (pixi.toml holds the
  same bounds), pip and cibuildwheel on PyPI;
* the native libraries of the recipe `host` <-> pixi [dependencies];
* requires-python <-> the Pythons of variants/ <-> the Python classifiers and
  the pixi pyXYZ(t) environments, the free-threaded ones included; the
  oldest-NumPy environment <-> the NumPy bound;
* the dependency groups test / packaging / lint <-> their pixi features, both ways
  (py-rattler-build: from conda in pixi, the group's pin as its lower bound);
* compiler launchers (ccache) activated by pixi <-> pixi's dependencies.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

from tools.conda._common import (
    ROOT,
    VARIANT_STACK,
    facts,
    fail_if,
    load_toml,
    load_yaml,
    python_label,
    requirement_strings,
    spec_name,
)

#: Packages of pixi's default feature that are tools, not linked libraries.
PIXI_TOOLS = {
    "c-compiler", "cxx-compiler", "cmake", "ninja", "pkg-config", "python", "pip",
    "scikit-build-core", "setuptools-scm", "pybind11", "numpy", "gtest",
}  # fmt: skip
#: Recipe host entries that are Python build tools rather than linked libraries.
HOST_PYTHON = {
    "python",
    "pip",
    "scikit-build-core",
    "setuptools-scm",
    "pybind11",
    "numpy",
}
#: (what, pyproject.toml key, other file, its key): values that must be equal.
SAME_METADATA = [
    ("package name", "project.name", "recipe.yaml", "context.name"),
    ("license", "project.license", "recipe.yaml", "about.license"),
    ("license", "project.license", "pixi.toml", "workspace.license"),
    ("summary", "project.description", "recipe.yaml", "about.summary"),
] + [
    (f"{key} URL", f"project.urls.{name}", other, f"{section}.{key}")
    for name, key in (
        ("Homepage", "homepage"),
        ("Repository", "repository"),
        ("Documentation", "documentation"),
    )
    for other, section in (("recipe.yaml", "about"), ("pixi.toml", "workspace"))
]
#: Each dependency group of pyproject.toml and the pixi feature with the same packages.
GROUP_FEATURES = {"test": "test", "packaging": "checks", "lint": "lint"}
#: Packages that conda-build itself depends on: pixi takes them from conda, with
#: the group's exact version as their lower bound (an exact or PyPI pin could
#: fight conda-build's requirement in the `packaging` environment).
FROM_CONDA = {"py-rattler-build"}


@dataclass
class Files:
    """The parsed files the checks compare, by the names the findings use."""

    root: Path
    pyproject: dict[str, Any]
    recipe: dict[str, Any]
    pixi: dict[str, Any]

    @property
    def project(self) -> dict[str, Any]:
        project: dict[str, Any] = self.pyproject["project"]
        return project

    @property
    def features(self) -> dict[str, Any]:
        features: dict[str, Any] = self.pixi.get("feature", {})
        return features

    def get(self, file: str, key: str) -> Any:
        """The value at the dotted ``key`` of ``file`` (None if absent)."""
        value: Any = {
            "pyproject.toml": self.pyproject,
            "recipe.yaml": self.recipe,
            "pixi.toml": self.pixi,
        }[file]
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    def pixi_bound(self, name: str) -> str | None:
        """The lower bound of ``name`` in pixi.toml [dependencies]."""
        return lower_bound(pixi_version(self.pixi["dependencies"].get(name, "")))


def differ(what: str, a_file: str, a: Any, b_file: str, b: Any) -> list[str]:
    """A finding if ``a`` (from ``a_file``) and ``b`` (from ``b_file``) differ."""
    return [] if a == b else [f"{what}: {a_file} says {a!r}, {b_file} says {b!r}"]


def conda_name(requirement: Requirement) -> str:
    return str(facts()["conda-names"].get(requirement.name, requirement.name))


def lower_bound(specifier: Any) -> str | None:
    """The `>=` bound of a PEP 440 specifier set or a conda/pixi version string."""
    match = re.search(r">=\s*([0-9][0-9a-zA-Z.]*)", str(specifier))
    return match[1] if match else None


def conda_spec(entry: str) -> tuple[str, str]:
    """('numpy', '>=1.25') from a recipe requirement 'numpy >=1.25'."""
    name, _, constraint = entry.partition(" ")
    return name, constraint.strip()


def pixi_version(spec: Any) -> str:
    return spec.get("version", "*") if isinstance(spec, dict) else str(spec)


def _version_key(python: str) -> tuple[int, ...]:
    """Sort key of "3.14" and of free-threaded "3.14t" (after "3.14")."""
    return (*(int(p) for p in python.removesuffix("t").split(".")), python[-1] == "t")


def check_metadata(f: Files) -> list[str]:
    problems = [
        p
        for what, key, other, other_key in SAME_METADATA
        for p in differ(
            what,
            f"pyproject.toml {key}",
            f.get("pyproject.toml", key),
            f"{other} {other_key}",
            f.get(other, other_key),
        )
    ]
    license_files = f.recipe["about"]["license_file"]
    return problems + [
        f"license file: recipe.yaml about.license_file {name!r} is not in pyproject.toml [project].license-files"
        for name in (
            license_files if isinstance(license_files, list) else [license_files]
        )
        if name not in f.project.get("license-files", [])
    ]


def check_version_source(f: Files) -> list[str]:
    problems = []
    provider = f.get("pyproject.toml", "tool.scikit-build.metadata.version.provider")
    if (
        "version" not in f.project.get("dynamic", [])
        or provider != "scikit_build_core.metadata.setuptools_scm"
    ):
        problems.append(
            "version source: pyproject.toml no longer takes the version from setuptools-scm; recipe.yaml sets SETUPTOOLS_SCM_PRETEND_VERSION for it"
        )
    env = f.recipe["build"]["script"].get("env", {})
    return [
        *problems,
        *differ(
            "version handed to setuptools-scm",
            "expected",
            "${{ version }}",
            "recipe.yaml build.script.env.SETUPTOOLS_SCM_PRETEND_VERSION",
            env.get("SETUPTOOLS_SCM_PRETEND_VERSION"),
        ),
        *differ(
            "version without a tag",
            "pyproject.toml [tool.setuptools_scm].fallback_version",
            f.get("pyproject.toml", "tool.setuptools_scm.fallback_version"),
            "recipe.yaml context.version",
            str(f.recipe["context"]["version"]),
        ),
    ]


def check_run_requirements(f: Files) -> list[str]:
    run = dict(
        conda_spec(r)
        for r in requirement_strings(f.recipe["requirements"]["run"])
        if not r.startswith("python")
    )
    wanted = {conda_name(r): r for r in map(Requirement, f.project["dependencies"])}
    problems = [
        f"run requirement {name}: in recipe.yaml requirements.run but not in pyproject.toml [project].dependencies"
        for name in sorted(set(run) - set(wanted))
    ]
    for name, req in wanted.items():
        if name not in run:
            problems.append(
                f"run requirement {name}: in pyproject.toml [project].dependencies ({req}) but not in recipe.yaml requirements.run"
            )
            continue
        bound = lower_bound(req.specifier)
        problems += differ(
            f"lower bound of run requirement {name}",
            "pyproject.toml [project].dependencies",
            bound,
            "recipe.yaml requirements.run",
            lower_bound(run[name]),
        )
        problems += differ(
            f"lower bound of {name}",
            "pyproject.toml [project].dependencies",
            bound,
            "pixi.toml [dependencies]",
            f.pixi_bound(name),
        )
    return problems


def check_build_requirements(f: Files) -> list[str]:
    host = {spec_name(r) for r in requirement_strings(f.recipe["requirements"]["host"])}
    problems = [
        f"build requirement {conda_name(req)}: in pyproject.toml [build-system].requires but not in recipe.yaml requirements.host"
        for req in map(Requirement, f.pyproject["build-system"]["requires"])
        if conda_name(req) not in host
    ]
    # pixi's numpy bound is the runtime one: the variants choose the build NumPy,
    # and the NumPy environments deliberately build against NumPy 1.25 too.
    for where, entries in (
        ("[build-system].requires", f.pyproject["build-system"]["requires"]),
        (
            "[dependency-groups].build",
            f.get("pyproject.toml", "dependency-groups.build"),
        ),
    ):
        for req in map(Requirement, entries or []):
            if conda_name(req) != "numpy":
                problems += differ(
                    f"lower bound of {conda_name(req)}",
                    f"pyproject.toml {where}",
                    lower_bound(req.specifier),
                    "pixi.toml [dependencies]",
                    f.pixi_bound(conda_name(req)),
                )
    return problems


def check_native_libraries(f: Files) -> list[str]:
    host = {spec_name(r) for r in requirement_strings(f.recipe["requirements"]["host"])}
    recipe_native = host - HOST_PYTHON
    pixi_native = set(f.pixi["dependencies"]) - PIXI_TOOLS
    return [
        f"native library {n}: in recipe.yaml requirements.host but not in pixi.toml [dependencies]"
        for n in sorted(recipe_native - pixi_native)
    ] + [
        f"native library {n}: in pixi.toml [dependencies] but not in recipe.yaml requirements.host"
        for n in sorted(pixi_native - recipe_native)
    ]


def _variant_pythons(root: Path) -> list[str]:
    pythons = set()
    for path in [
        root / "recipe/variants.yaml",
        *(root / m for m in VARIANT_STACK),
    ]:
        for value in load_yaml(path).get("python", []):
            pythons.add(
                python_label(str(value["then"] if isinstance(value, dict) else value))
            )
    return sorted(pythons, key=_version_key)


def _pixi_pythons(f: Files) -> list[str]:
    """The Pythons of the pixi features pyXYZ and, free-threaded, pyXYZt."""
    pythons = []
    for name, feature in f.features.items():
        if re.fullmatch(r"py3\d+t?", name):
            deps = feature["dependencies"]
            version = pixi_version(deps["python"]).removesuffix(".*")
            pythons.append(version + ("t" if "python-freethreading" in deps else ""))
    return sorted(pythons, key=_version_key)


def check_pythons(f: Files) -> list[str]:
    requires_python = lower_bound(f.project["requires-python"])
    pythons = _variant_pythons(f.root)
    with_gil = [p for p in pythons if not p.endswith("t")]
    classifiers = sorted(
        (
            c.rsplit(":: ", 1)[1]
            for c in f.project.get("classifiers", [])
            if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
        ),
        key=_version_key,
    )
    return [
        *differ(
            "oldest Python",
            "pyproject.toml requires-python",
            requires_python,
            "variants/ (oldest python)",
            pythons[0] if pythons else None,
        ),
        *differ(
            "oldest Python",
            "pyproject.toml requires-python",
            requires_python,
            "pixi.toml [dependencies] python",
            f.pixi_bound("python"),
        ),
        *differ(
            "supported Pythons",
            "pyproject.toml classifiers",
            classifiers,
            "variants/ (with the GIL)",
            with_gil,
        ),
        *differ(
            "supported Pythons",
            "pixi.toml features pyXYZ(t)",
            _pixi_pythons(f),
            "variants/",
            pythons,
        ),
    ]


def check_oldest_numpy(f: Files) -> list[str]:
    numpy = [
        r for r in map(Requirement, f.project["dependencies"]) if r.name == "numpy"
    ]
    oldest = f.get("pixi.toml", "feature.np-oldest.dependencies.numpy")
    return [
        p
        for req in numpy
        for p in differ(
            "oldest NumPy",
            "pyproject.toml [project].dependencies",
            lower_bound(req.specifier),
            "pixi.toml feature np-oldest",
            pixi_version(oldest).removesuffix(".*") if oldest else None,
        )
    ]


def check_dependency_groups(f: Files) -> list[str]:
    problems = []
    for group, feature in GROUP_FEATURES.items():
        tables = f.features.get(feature, {})
        pixi_deps = tables.get("dependencies", {}) | tables.get("pypi-dependencies", {})
        entries = f.get("pyproject.toml", f"dependency-groups.{group}") or []
        reqs = [Requirement(e) for e in entries if isinstance(e, str)]
        problems += [
            f"pixi.toml feature {feature}: {name} is not in [dependency-groups] {group}"
            for name in sorted(
                set(pixi_deps) - {n for r in reqs for n in (r.name, conda_name(r))}
            )
        ]
        for req in reqs:
            name = req.name if req.name in pixi_deps else conda_name(req)
            if name not in pixi_deps:
                problems.append(
                    f"[dependency-groups] {group}: {req.name} is not in pixi.toml feature {feature}"
                )
                continue
            wanted = str(req.specifier) or "*"
            where = "pyproject.toml"
            if name in FROM_CONDA:
                wanted, where = (
                    f">={wanted.removeprefix('==')}",
                    f"{where} (as a lower bound)",
                )
                if name in tables.get("pypi-dependencies", {}):
                    problems.append(
                        f"pixi.toml feature {feature}: {name} must come from conda, not PyPI"
                    )
            problems += differ(
                f"[dependency-groups] {group}: {req.name}",
                where,
                wanted,
                f"pixi.toml feature {feature}",
                pixi_version(pixi_deps[name]).replace(" ", "") or "*",
            )
    return problems


def check_compiler_launchers(f: Files) -> list[str]:
    """CMake writes the launcher's absolute path into build.ninja, so it must be a
    direct dependency where it is activated, not something a re-solve may drop."""
    scopes = {
        "": f.pixi,
        **{f"target.{k}.": v for k, v in f.pixi.get("target", {}).items()},
    }
    return [
        f"pixi.toml {prefix}activation.env.{variable} = {launcher!r}, "
        f"but {launcher} is not in {prefix}dependencies"
        for prefix, scope in scopes.items()
        for variable, launcher in scope.get("activation", {}).get("env", {}).items()
        if variable.endswith("_COMPILER_LAUNCHER")
        and launcher not in scope.get("dependencies", {})
    ]


CHECKS: tuple[Callable[[Files], list[str]], ...] = (
    check_metadata,
    check_version_source,
    check_run_requirements,
    check_build_requirements,
    check_native_libraries,
    check_pythons,
    check_oldest_numpy,
    check_dependency_groups,
    check_compiler_launchers,
)


def load(root: Path) -> Files:
    return Files(
        root,
        load_toml(root / "pyproject.toml"),
        load_yaml(root / "recipe/recipe.yaml"),
        load_toml(root / "pixi.toml"),
    )


def check(root: Path = ROOT) -> None:
    files = load(root)
    problems = [p for rule in CHECKS for p in rule(files)]
    fail_if(problems, "pyproject.toml, recipe/, pixi.toml and variants/ disagree")
