"""Check that pyproject.toml, the recipes, pixi.toml and variants/ agree.

Each finding names the two files and the values that disagree:

* name, license (and license file), summary, project URLs, version source
  (setuptools-scm via scikit-build-core; the recipe passes its version in
  SETUPTOOLS_SCM_PRETEND_VERSION and defaults to setuptools-scm's fallback);
* [project].dependencies <-> recipe `run` (names and lower bounds);
* [build-system].requires <-> recipe `host` (names) and pixi [dependencies]
  (lower bounds), each lower bound satisfiable on both PyPI and conda-forge;
* the native libraries of the recipe `host` <-> pixi [dependencies];
* requires-python <-> the Pythons of variants/ <-> the Python classifiers and
  the pixi pyXYZ environments; the oldest-NumPy environment <-> the NumPy bound;
* the dependency groups test / packaging / lint <-> their pixi features.

    python tools/conda/drift_check.py
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from _common import MATRICES, ROOT, CheckError, fail_if, load_toml, load_yaml
from packaging.requirements import Requirement
from packaging.version import Version

#: A release of each [build-system].requires / [project].dependencies package
#: known to exist on each index, with where it was seen. A lower bound above
#: one of these may not be installable there: raise it only after checking.
KNOWN_RELEASES: dict[str, dict[str, tuple[str, str]]] = {
    "numpy": {
        "conda-forge": ("2.5.1", "conda-forge/numpy-feedstock 8d5abb1 (2026-07-05)"),
        "PyPI": ("2.4.6", "installed from PyPI in CI (2026-08)"),
    },
    "pybind11": {
        "conda-forge": ("3.0.3", "conda-forge/pybind11-feedstock f837ef5 (2026-04-22)"),
        "PyPI": ("3.1.0", "installed from PyPI in CI (2026-08)"),
    },
    "scikit-build-core": {
        "conda-forge": (
            "1.0.3",
            "conda-forge/scikit-build-core-feedstock 3b56bd0 (2026-07-12)",
        ),
        "PyPI": ("1.1.2", "installed from PyPI in CI (2026-08)"),
    },
    "setuptools-scm": {
        "conda-forge": (
            "9.2.2",
            "conda-forge/setuptools_scm-feedstock 762e46f (2026-04-23)",
        ),
        "PyPI": ("10.3.4", "installed from PyPI in CI (2026-08)"),
    },
}
#: PyPI name -> conda-forge name where they differ.
CONDA_NAMES = {"matplotlib": "matplotlib-base", "build": "python-build"}
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


def conda_name(requirement: Requirement) -> str:
    return CONDA_NAMES.get(requirement.name, requirement.name)


def lower_bound(specifier: Any) -> str | None:
    """The `>=` bound of a PEP 440 specifier set or a conda/pixi version string."""
    text = str(specifier)
    match = re.search(r">=\s*([0-9][0-9a-zA-Z.]*)", text)
    return match[1] if match else None


def conda_spec(entry: str) -> tuple[str, str]:
    """('numpy', '>=1.25') from a recipe requirement 'numpy >=1.25'."""
    name, _, constraint = entry.partition(" ")
    return name, constraint.strip()


def pixi_version(spec: Any) -> str:
    return spec.get("version", "*") if isinstance(spec, dict) else str(spec)


def _strings(items: list[Any]) -> list[str]:
    """Requirement strings of a v1 list, conditional entries included."""
    out = []
    for item in items:
        if isinstance(item, dict) and "then" in item:
            then = item["then"]
            out += _strings(then if isinstance(then, list) else [then])
        else:
            out.append(str(item))
    return out


def _variant_pythons(root: Path) -> set[str]:
    pythons = set()
    for path in [
        root / "recipe/variants.yaml",
        *(root / m for ms in MATRICES.values() for m in ms),
    ]:
        for value in load_yaml(path).get("python", []):
            text = value["then"] if isinstance(value, dict) else value
            pythons.add(str(text).split(".*")[0])
    return pythons


def _version_key(python: str) -> tuple[int, ...]:
    return tuple(int(p) for p in python.split("."))


def check(root: Path = ROOT) -> None:
    pyproject = load_toml(root / "pyproject.toml")
    project = pyproject["project"]
    recipe = load_yaml(root / "recipe/recipe.yaml")
    pixi = load_toml(root / "pixi.toml")
    workspace = pixi["workspace"]
    features = pixi.get("feature", {})
    problems: list[str] = []

    def differ(what: str, a_file: str, a: Any, b_file: str, b: Any) -> None:
        if a != b:
            problems.append(f"{what}: {a_file} says {a!r}, {b_file} says {b!r}")

    # --- identity and metadata ---------------------------------------------------
    differ(
        "package name",
        "pyproject.toml [project].name",
        project["name"],
        "recipe.yaml context.name",
        recipe["context"]["name"],
    )
    differ(
        "license",
        "pyproject.toml [project].license",
        project["license"],
        "recipe.yaml about.license",
        recipe["about"]["license"],
    )
    differ(
        "license",
        "pyproject.toml [project].license",
        project["license"],
        "pixi.toml workspace.license",
        workspace.get("license"),
    )
    license_files = recipe["about"]["license_file"]
    problems.extend(
        f"license file: recipe.yaml about.license_file {name!r} is not in pyproject.toml [project].license-files"
        for name in (
            license_files if isinstance(license_files, list) else [license_files]
        )
        if name not in project.get("license-files", [])
    )
    differ(
        "summary",
        "pyproject.toml [project].description",
        project["description"],
        "recipe.yaml about.summary",
        recipe["about"]["summary"],
    )
    urls = project.get("urls", {})
    for pyproject_key, recipe_key in (
        ("Homepage", "homepage"),
        ("Repository", "repository"),
        ("Documentation", "documentation"),
    ):
        differ(
            f"{recipe_key} URL",
            f"pyproject.toml [project.urls].{pyproject_key}",
            urls.get(pyproject_key),
            f"recipe.yaml about.{recipe_key}",
            recipe["about"].get(recipe_key),
        )
        differ(
            f"{recipe_key} URL",
            f"pyproject.toml [project.urls].{pyproject_key}",
            urls.get(pyproject_key),
            f"pixi.toml workspace.{recipe_key}",
            workspace.get(recipe_key),
        )

    # --- version source ---------------------------------------------------------------
    provider = (
        pyproject.get("tool", {})
        .get("scikit-build", {})
        .get("metadata", {})
        .get("version", {})
        .get("provider")
    )
    if (
        "version" not in project.get("dynamic", [])
        or provider != "scikit_build_core.metadata.setuptools_scm"
    ):
        problems.append(
            "version source: pyproject.toml no longer takes the version from setuptools-scm; recipe.yaml sets SETUPTOOLS_SCM_PRETEND_VERSION for it"
        )
    env = recipe["build"]["script"].get("env", {})
    differ(
        "version handed to setuptools-scm",
        "expected",
        "${{ version }}",
        "recipe.yaml build.script.env.SETUPTOOLS_SCM_PRETEND_VERSION",
        env.get("SETUPTOOLS_SCM_PRETEND_VERSION"),
    )
    fallback = (
        pyproject.get("tool", {}).get("setuptools_scm", {}).get("fallback_version")
    )
    default = re.search(r'default\s*=\s*"([^"]*)"', str(recipe["context"]["version"]))
    differ(
        "version without a tag",
        "pyproject.toml [tool.setuptools_scm].fallback_version",
        fallback,
        "recipe.yaml context.version default",
        default[1] if default else recipe["context"]["version"],
    )

    # --- runtime dependencies -----------------------------------------------------------
    run = dict(
        conda_spec(r)
        for r in _strings(recipe["requirements"]["run"])
        if not r.startswith("python")
    )
    wanted = {
        conda_name(r): r for r in map(Requirement, project.get("dependencies", []))
    }
    for name, req in wanted.items():
        if name not in run:
            problems.append(
                f"run requirement {name}: in pyproject.toml [project].dependencies ({req}) but not in recipe.yaml requirements.run"
            )
            continue
        differ(
            f"lower bound of run requirement {name}",
            "pyproject.toml [project].dependencies",
            lower_bound(req.specifier),
            "recipe.yaml requirements.run",
            lower_bound(run[name]),
        )
        differ(
            f"lower bound of {name}",
            "pyproject.toml [project].dependencies",
            lower_bound(req.specifier),
            "pixi.toml [dependencies]",
            lower_bound(pixi_version(pixi["dependencies"].get(name, ""))),
        )
    problems.extend(
        f"run requirement {name}: in recipe.yaml requirements.run but not in pyproject.toml [project].dependencies"
        for name in sorted(set(run) - set(wanted))
    )

    # --- build requirements -------------------------------------------------------------
    host = {conda_spec(r)[0] for r in _strings(recipe["requirements"]["host"])}
    for req in map(Requirement, pyproject["build-system"]["requires"]):
        name = conda_name(req)
        if name not in host:
            problems.append(
                f"build requirement {name}: in pyproject.toml [build-system].requires but not in recipe.yaml requirements.host"
            )
        bound = lower_bound(req.specifier)
        if (
            name != "numpy"
        ):  # pixi's numpy bound is the runtime one; the variants choose the build NumPy
            differ(
                f"lower bound of {name}",
                "pyproject.toml [build-system].requires",
                bound,
                "pixi.toml [dependencies]",
                lower_bound(pixi_version(pixi["dependencies"].get(name, ""))),
            )
        for index, (version, seen) in KNOWN_RELEASES.get(name, {}).items():
            if bound and Version(bound) > Version(version):
                problems.append(
                    f"lower bound of {name}: pyproject.toml asks >={bound}, but the newest {name} known on {index} is {version} ({seen})"
                )
    for entry in pyproject.get("dependency-groups", {}).get("build", []):
        # What a non-isolated build needs outside conda; pixi provides the same.
        req = Requirement(entry)
        name = conda_name(req)
        if (
            name != "numpy"
        ):  # the NumPy environments deliberately build against NumPy 1.25 too
            differ(
                f"lower bound of {name}",
                "pyproject.toml [dependency-groups].build",
                lower_bound(req.specifier),
                "pixi.toml [dependencies]",
                lower_bound(pixi_version(pixi["dependencies"].get(name, ""))),
            )
    for req in map(Requirement, project.get("dependencies", [])):
        bound = lower_bound(req.specifier)
        for index, (version, seen) in KNOWN_RELEASES.get(conda_name(req), {}).items():
            if bound and Version(bound) > Version(version):
                problems.append(
                    f"lower bound of {req.name}: pyproject.toml asks >={bound}, but the newest known on {index} is {version} ({seen})"
                )

    # --- native libraries ---------------------------------------------------------------
    recipe_native = host - HOST_PYTHON
    pixi_native = set(pixi["dependencies"]) - PIXI_TOOLS
    problems.extend(
        f"native library {n}: in recipe.yaml requirements.host but not in pixi.toml [dependencies]"
        for n in sorted(recipe_native - pixi_native)
    )
    problems.extend(
        f"native library {n}: in pixi.toml [dependencies] but not in recipe.yaml requirements.host"
        for n in sorted(pixi_native - recipe_native)
    )

    # --- Python versions ----------------------------------------------------------------
    requires_python = lower_bound(project["requires-python"])
    pythons = sorted(_variant_pythons(root), key=_version_key)
    differ(
        "oldest Python",
        "pyproject.toml requires-python",
        requires_python,
        "variants/ (oldest python)",
        pythons[0] if pythons else None,
    )
    differ(
        "oldest Python",
        "pyproject.toml requires-python",
        requires_python,
        "pixi.toml [dependencies] python",
        lower_bound(pixi_version(pixi["dependencies"].get("python", ""))),
    )
    classifiers = sorted(
        (
            c.rsplit(":: ", 1)[1]
            for c in project.get("classifiers", [])
            if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
        ),
        key=_version_key,
    )
    differ(
        "supported Pythons",
        "pyproject.toml classifiers",
        classifiers,
        "variants/",
        pythons,
    )
    pixi_pythons = sorted(
        (
            pixi_version(f["dependencies"]["python"]).removesuffix(".*")
            for n, f in features.items()
            if re.fullmatch(r"py3\d+", n)
        ),
        key=_version_key,
    )
    differ(
        "supported Pythons",
        "pixi.toml features pyXYZ",
        pixi_pythons,
        "variants/",
        pythons,
    )
    numpy_req = wanted.get("numpy")
    oldest = features.get("np-oldest", {}).get("dependencies", {}).get("numpy")
    if numpy_req is not None:
        differ(
            "oldest NumPy",
            "pyproject.toml [project].dependencies",
            lower_bound(numpy_req.specifier),
            "pixi.toml feature np-oldest",
            pixi_version(oldest).removesuffix(".*") if oldest else None,
        )

    # --- dependency groups <-> pixi features ------------------------------------------------
    groups = pyproject.get("dependency-groups", {})
    for group, feature_names in (
        ("test", ["test"]),
        ("packaging", ["checks"]),
        ("lint", ["lint"]),
    ):
        pixi_deps: dict[str, Any] = {}
        for feature in feature_names:
            pixi_deps |= features.get(feature, {}).get("dependencies", {})
            pixi_deps |= features.get(feature, {}).get("pypi-dependencies", {})
        for entry in groups.get(group, []):
            if not isinstance(entry, str):
                continue
            req = Requirement(entry)
            name = req.name if req.name in pixi_deps else conda_name(req)
            if name not in pixi_deps:
                problems.append(
                    f"[dependency-groups] {group}: {req.name} is not in pixi.toml feature {'/'.join(feature_names)}"
                )
                continue
            differ(
                f"[dependency-groups] {group}: {req.name}",
                "pyproject.toml",
                str(req.specifier) or "*",
                f"pixi.toml feature {'/'.join(feature_names)}",
                pixi_version(pixi_deps[name]).replace(" ", "") or "*",
            )

    # --- compiler launchers (ccache) ----------------------------------------------------
    # CMake writes the launcher's absolute path into build.ninja, so it must be a
    # direct dependency where it is activated, not something a re-solve may drop.
    scopes = {
        "": pixi,
        **{f"target.{k}.": v for k, v in pixi.get("target", {}).items()},
    }
    for prefix, scope in scopes.items():
        activation_env = scope.get("activation", {}).get("env", {})
        for variable, launcher in activation_env.items():
            if variable.endswith("_COMPILER_LAUNCHER") and launcher not in scope.get(
                "dependencies", {}
            ):
                problems.append(
                    f"pixi.toml {prefix}activation.env.{variable} = {launcher!r}, "
                    f"but {launcher} is not in {prefix}dependencies"
                )

    fail_if(problems, "pyproject.toml, recipe/, pixi.toml and variants/ disagree")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = parser.parse_args(argv)
    try:
        check(args.root)
    except CheckError as error:
        print(error, file=sys.stderr)
        return 1
    print("pyproject.toml, recipe/, pixi.toml and variants/ agree")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
