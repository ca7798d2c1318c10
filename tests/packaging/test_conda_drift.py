"""pyproject.toml, the recipes, pixi.toml and variants/ agree; a change to one names the mismatch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tools.conda import check_all, drift_check
from tools.conda._common import CheckError


@pytest.mark.parametrize(
    ("file", "old", "new", "match"),
    [
        (
            "pyproject.toml",
            'dependencies = ["numpy>=1.25"]',
            'dependencies = ["numpy>=1.26"]',
            r"lower bound of run requirement numpy: pyproject\.toml .* '1\.26', recipe\.yaml .* '1\.25'",
        ),
        (
            "pyproject.toml",
            'dependencies = ["numpy>=1.25"]',
            'dependencies = ["numpy>=1.25", "scipy>=1.11"]',
            r"run requirement scipy: in pyproject\.toml .* but not in recipe\.yaml",
        ),
        (
            "recipe/recipe.yaml",
            "    - numpy >=1.25\n",
            "    - numpy >=1.24\n",
            r"lower bound of run requirement numpy",
        ),
        (
            "recipe/recipe.yaml",
            "  license: BSD-3-Clause\n",
            "  license: MIT\n",
            r"license: pyproject\.toml .* 'BSD-3-Clause', recipe\.yaml about\.license says 'MIT'",
        ),
        (
            "recipe/recipe.yaml",
            "    - setuptools-scm\n",
            "",
            r"build requirement setuptools-scm: in pyproject\.toml \[build-system\]\.requires but not in recipe\.yaml",
        ),
        (
            "recipe/recipe.yaml",
            'version: "0.0.0"',
            'version: "0.1.0"',
            r"version without a tag: .* '0\.0\.0', recipe\.yaml context\.version says '0\.1\.0'",
        ),
        (
            "recipe/recipe.yaml",
            "SETUPTOOLS_SCM_PRETEND_VERSION: ${{ version }}",
            "SETUPTOOLS_SCM_PRETEND_VERSION: 1.0.0",
            r"version handed to setuptools-scm",
        ),
        (
            "recipe/recipe.yaml",
            "    - zlib\n",
            "",
            r"native library zlib: in pixi\.toml \[dependencies\] but not in recipe\.yaml",
        ),
        (
            "pixi.toml",
            'hdf5 = ">=1.14,<3"\n',
            "",
            r"native library hdf5: in recipe\.yaml requirements\.host but not in pixi\.toml",
        ),
        (
            "pixi.toml",
            'pybind11 = ">=3.0"',
            'pybind11 = ">=2.13"',
            r"lower bound of pybind11: pyproject\.toml \[build-system\]\.requires says '3\.0', pixi\.toml",
        ),
        ("pixi.toml", 'numpy = "1.25.*"', 'numpy = "1.26.*"', r"oldest NumPy"),
        (
            "pixi.toml",
            '[target.unix.dependencies]\nccache = ">=4.10,<5"\n',
            "[target.unix.dependencies]\n",
            r"target\.unix\.activation\.env\.CMAKE_C_COMPILER_LAUNCHER = 'ccache', but ccache is not in target\.unix\.dependencies",
        ),
        (
            "pixi.toml",
            '[feature.py314.dependencies]\npython = "3.14.*"\n',
            "",
            r"supported Pythons: pixi\.toml features pyXYZ",
        ),
        (
            "pixi.toml",
            'hypothesis = ">=6"\n',
            "",
            r"\[dependency-groups\] test: hypothesis is not in pixi\.toml feature test",
        ),
        (
            "pixi.toml",
            'mypy = "==2.4.1"',
            'mypy = "==2.4.0"',
            r"\[dependency-groups\] lint: mypy: pyproject\.toml says '==2\.4\.1'",
        ),
        (
            "pixi.toml",
            'lizard = "==1.24.3"',
            'lizard = "==1.24.3"\nradon = "==6.0.1"',
            r"pixi\.toml feature lint: radon is not in \[dependency-groups\] lint",
        ),
        (
            "pixi.toml",
            'py-rattler-build = ">=0.73.0"',
            'py-rattler-build = ">=0.72.0"',
            r"\[dependency-groups\] packaging: py-rattler-build: pyproject\.toml \(as a lower bound\) says '>=0\.73\.0'",
        ),
        (
            "pixi.toml",
            "[feature.checks.pypi-dependencies]\n",
            '[feature.checks.pypi-dependencies]\npy-rattler-build = "==0.73.0"\n',
            r"feature checks: py-rattler-build must come from conda, not PyPI",
        ),
        (
            "pyproject.toml",
            'requires-python = ">=3.11"',
            'requires-python = ">=3.12"',
            r"oldest Python: pyproject\.toml requires-python says '3\.12', variants/",
        ),
        (
            "pixi.toml",
            'python-freethreading = "*"\n',
            "",
            r"supported Pythons: pixi\.toml features pyXYZ\(t\) says \[.*'3\.14', '3\.14'\]",
        ),
        (
            "pyproject.toml",
            '  "Programming Language :: Python :: 3.14",\n',
            "",
            r"supported Pythons: pyproject\.toml classifiers",
        ),
        (
            "variants/python314/conda_build_config.yaml",
            "  - 3.14.* *_cp314\n",
            "  - 3.15.* *_cp315\n",
            r"supported Pythons",
        ),
    ],
)
def test_a_change_names_the_mismatch(
    broken: Callable[..., Path], file: str, old: str, new: str, match: str
) -> None:
    root = broken(file, old, new)
    with pytest.raises(CheckError, match=match):
        drift_check.check(root)
    assert check_all.main(["--root", str(root), "drift"]) == 1
