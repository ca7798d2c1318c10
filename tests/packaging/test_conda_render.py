"""variants/ and the recipe rendered offline by py-rattler-build over the whole variant matrix.

Platforms: native linux-64, osx-64, osx-arm64, win-64 and the cross builds
osx-64 -> osx-arm64 and linux-64 -> linux-aarch64. Matrices: `rattler-build
build -r recipe` as typed (recipe/variants.yaml), and -m variants/conda-forge,
+ python314, + python314t (free-threaded 3.14t), + numpy (the full grid), + hdf5
(the full grid against HDF5 2 and 1.14.6, conda-forge's hdf52 migration). Each
stack is merged by conda-build's rules too, and must give the same cells.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tools.conda import _common as common
from tools.conda import conda_build_variants as conda_build
from tools.conda import render_check as render
from tools.conda._common import ROOT

CheckError = common.CheckError

PLATFORMS = {p.label: p for p in common.PLATFORMS}
COUNTS = {
    "recipe": 5,
    "conda-forge": 3,
    "python314": 4,
    "python314t": 5,
    "full": 7,
    "hdf5": 14,
}

HOST = [
    "python",
    "pip",
    "scikit-build-core",
    "setuptools-scm",
    "pybind11",
    "numpy",
    "hdf5",
    "libblas",
    "libcblas",
    "liblapack",
    "zlib",
    "libdeflate",
    "zstd",
    "lz4-c",
    "blosc",
    "liblzf",
]
RUN = ["python", "numpy >=1.25"]
TOOLCHAIN = {
    "linux-64": ["gcc_linux-64 15.*", "gxx_linux-64 15.*", "sysroot_linux-64 2.17.*"],
    "osx-64": [
        "clang_osx-64 21.*",
        "clangxx_osx-64 21.*",
        "macosx_deployment_target_osx-64 11.0.*",
    ],
    "osx-arm64": [
        "clang_osx-arm64 21.*",
        "clangxx_osx-arm64 21.*",
        "macosx_deployment_target_osx-arm64 11.0.*",
    ],
    "win-64": ["vs2022_win-64", "vs2022_win-64", "vs_win-64"],
    "osx-64->osx-arm64": [
        "clang_osx-arm64 21.*",
        "clangxx_osx-arm64 21.*",
        "macosx_deployment_target_osx-arm64 11.0.*",
    ],
    "linux-64->linux-aarch64": [
        "gcc_linux-aarch64 15.*",
        "gxx_linux-aarch64 15.*",
        "sysroot_linux-aarch64 2.17.*",
    ],
}
CROSS = {
    "osx-64->osx-arm64": ["python", "cross-python_osx-arm64", "pybind11", "numpy"],
    "linux-64->linux-aarch64": [
        "python",
        "cross-python_linux-aarch64",
        "pybind11",
        "numpy",
    ],
}


def test_each_axis_is_a_conda_build_config_named_in_the_readme() -> None:
    files = sorted(
        p.relative_to(ROOT).as_posix() for p in (ROOT / "variants").rglob("*.yaml")
    )
    assert files == [
        "variants/conda-forge/conda_build_config.yaml",
        "variants/hdf5/conda_build_config.yaml",
        "variants/numpy/conda_build_config.yaml",
        "variants/python314/conda_build_config.yaml",
        "variants/python314t/conda_build_config.yaml",
    ]
    readme = (ROOT / "variants/README.md").read_text(encoding="utf-8")
    for name in files:
        assert name.removeprefix("variants/") in readme
    assert "rattler-build build -r recipe" in readme
    # conda-forge's hdf52 migration (recipe/migrations/hdf52.yaml), and how to build it.
    assert "hdf52" in readme
    assert "-m variants/hdf5/conda_build_config.yaml" in readme
    pinning = (ROOT / "variants/conda-forge/conda_build_config.yaml").read_text(
        encoding="utf-8"
    )
    assert "f87504532b7060e6a2b55ae4d63b7960f32268af" in pinning  # the pinning commit


@pytest.fixture(scope="module")
def rendered() -> dict[tuple[str, str], list[Any]]:
    cells: dict[tuple[str, str], list[Any]] = render.render_all(ROOT)
    return cells


@pytest.mark.parametrize("matrix", list(COUNTS))
@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_each_cell_requirements(
    rendered: dict[tuple[str, str], list[Any]], platform: str, matrix: str
) -> None:
    for cell in rendered[platform, matrix]:
        assert cell.build == CROSS.get(platform, []) + TOOLCHAIN[platform] + [
            "cmake",
            "ninja",
        ], cell.build_string
        assert cell.host == HOST, cell.build_string
        assert cell.run == RUN, cell.build_string
        assert cell.name == "h5linalg"
        assert cell.number == 0


@pytest.mark.parametrize("matrix", list(COUNTS))
@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_each_matrix_has_its_cells(
    rendered: dict[tuple[str, str], list[Any]], platform: str, matrix: str
) -> None:
    cells = rendered[platform, matrix]
    assert len(cells) == len({c.key for c in cells}) == COUNTS[matrix]
    pythons = {c.python for c in cells}
    assert min(pythons) == "3.11"  # conda-forge dropped 3.10 on 2026-08-31
    free_threaded = [c for c in cells if c.python == "3.14t"]
    if matrix in ("conda-forge", "python314"):
        assert not free_threaded
    else:  # the cp314t cells of conda-forge's python314t migration
        assert free_threaded
        assert {c.variant["python"] for c in free_threaded} == {"3.14.* *_cp314t"}


@pytest.mark.parametrize("matrix", [m for m in COUNTS if m != "recipe"])
@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_conda_build_makes_the_same_cells(
    rendered: dict[tuple[str, str], list[Any]], platform: str, matrix: str
) -> None:
    # conda-build adds the files' zip_keys up and checks each file on its own;
    # rattler-build lets a later file's zip_keys win: the same files must give
    # the same packages under both.
    merged = conda_build.variants(ROOT, common.MATRICES[matrix], PLATFORMS[platform])
    assert sorted(
        (common.python_label(v["python"]), v["numpy"], v["hdf5"]) for v in merged
    ) == sorted((c.python, c.numpy, c.hdf5) for c in rendered[platform, matrix])


@pytest.mark.parametrize("matrix", ["conda-forge", "python314", "python314t", "full"])
@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_host_pins_come_from_the_global_pinning(
    rendered: dict[tuple[str, str], list[Any]], platform: str, matrix: str
) -> None:
    for cell in rendered[platform, matrix]:
        assert cell.variant["hdf5"] == "1.14.6"
        assert cell.variant["zlib"] == "1"
        # conda-forge pins lz4-c under the key lz4_c; blosc and liblzf are unpinned.
        assert cell.variant["libdeflate"] == "1.25"
        assert cell.variant["zstd"] == "1.5"
        assert cell.variant["lz4_c"] == "1.10"
        assert "blosc" not in cell.variant
        assert "liblzf" not in cell.variant
        for blas in ("libblas", "libcblas", "liblapack"):
            assert cell.variant[blas] == "3.9.* *netlib"
        assert cell.variant["target_platform"] == PLATFORMS[platform].target


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_hdf5_axis_doubles_the_full_grid(
    rendered: dict[tuple[str, str], list[Any]], platform: str
) -> None:
    # conda-forge's hdf52 migration: every package against HDF5 2 and 1.14.6.
    cells = rendered[platform, "hdf5"]
    assert len(cells) == len({c.key for c in cells}) == 14
    assert {c.variant["hdf5"] for c in cells} == {"2", "1.14.6"}
    full = sorted((c.python, c.numpy) for c in rendered[platform, "full"])
    for hdf5 in ("2", "1.14.6"):
        # one package per HDF5 x Python x NumPy cell: the full grid once per HDF5
        assert sorted((c.python, c.numpy) for c in cells if c.hdf5 == hdf5) == full
    for cell in cells:
        assert cell.variant["zlib"] == "1"
        assert cell.variant["libblas"] == "3.9.* *netlib"
    # The HDF5 1.14.6 half is the full matrix's packages, build strings and all.
    assert {c.key for c in cells if c.hdf5 == "1.14.6"} == {
        c.key for c in rendered[platform, "full"]
    }


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_build_script_forces_ninja_and_the_version(
    rendered: dict[tuple[str, str], list[Any]], platform: str
) -> None:
    for cell in rendered[platform, "full"]:
        script = cell.recipe["build"]["script"]
        assert script["env"] == {
            "CMAKE_GENERATOR": "Ninja",
            "SETUPTOOLS_SCM_PRETEND_VERSION": cell.version,
        }
        pip = "python -m pip install . -vv --no-deps --no-build-isolation"
        if platform == "win-64":
            # vs2022's activation sets these for Visual Studio; Ninja refuses them
            assert script["content"] == [
                'set "CMAKE_GENERATOR_PLATFORM="',
                'set "CMAKE_GENERATOR_TOOLSET="',
                pip,
                'for /d %%d in ("%SP_DIR%\\h5linalg-*.dist-info") do del /q "%%d\\direct_url.json"',
            ]
        else:
            # pip's record of the build folder (direct_url.json) must not ship.
            assert script["content"] == [
                pip,
                'rm -f "$SP_DIR"/h5linalg-*.dist-info/direct_url.json',
            ]
        linking = cell.recipe["build"]["dynamic_linking"]
        assert linking["overlinking_behavior"] == "error"
        windows_only = ["**/python3*.dll"] if platform == "win-64" else []
        assert list(linking.get("missing_dso_allowlist") or []) == windows_only


# --- failing counterparts -----------------------------------------------------------------


def _fails(root: Path, match: str) -> None:
    with pytest.raises(CheckError, match=match):
        render.check(root)


def test_numpy_126_on_python_313_breaks_the_grid(broken: Callable[..., Path]) -> None:
    root = broken()
    path = root / "variants/numpy/conda_build_config.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "  - 3.13.* *_cp313\n", "  - 3.13.* *_cp313\n  - 3.13.* *_cp313\n"
    )
    for key, value in (("numpy", "'1.26'"), ("is_python_min", "false")):
        text = text.replace(f"{key}:\n", f"{key}:\n  - {value}\n")
    text = text.replace("is_freethreading:\n", "is_freethreading:\n  - false\n")
    path.write_text(text, encoding="utf-8")
    _fails(root, r"Python x NumPy x HDF5 grid")


def test_an_hdf5_axis_with_one_value_breaks_the_grid(
    broken: Callable[..., Path],
) -> None:
    root = broken("variants/hdf5/conda_build_config.yaml", "  - 1.14.6\n", "")
    _fails(root, r"variants/hdf5/conda_build_config\.yaml: Python x NumPy x HDF5 grid")


def test_an_hdf5_file_with_its_own_zip_keys_breaks_the_grid(
    broken: Callable[..., Path],
) -> None:
    # zip_keys in the last file would replace the NumPy file's Python/NumPy zip.
    root = broken()
    path = root / "variants/hdf5/conda_build_config.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text + "zip_keys:\n  -\n    - python\n    - is_python_min\n", encoding="utf-8"
    )
    _fails(root, r"variants/hdf5/conda_build_config\.yaml: Python x NumPy x HDF5 grid")


def test_numpy_left_out_of_the_zip_breaks_the_grid(
    broken: Callable[..., Path],
) -> None:
    # Unzipped, the NumPy file would cross every Python with every NumPy.
    root = broken(
        "variants/numpy/conda_build_config.yaml",
        "    - python\n    - numpy\n",
        "    - python\n",
    )
    _fails(root, r"Python x NumPy x HDF5 grid")


def test_a_compiler_zip_without_its_versions_is_refused_by_conda_build(
    broken: Callable[..., Path],
) -> None:
    # conda-build checks each file on its own: a file naming the compiler zip
    # group must set both versions (rattler-build would accept it).
    root = broken(
        "variants/python314/conda_build_config.yaml",
        "zip_keys:\n",
        "zip_keys:\n  -\n    - c_compiler_version\n    - cxx_compiler_version\n",
    )
    _fails(root, r"conda-build rejects variants/python314/.*c_compiler_version")


def test_python_zipped_differently_in_two_files_is_refused_by_conda_build(
    broken: Callable[..., Path],
) -> None:
    # conda-build adds zip_keys up: Python would sit in two groups.
    root = broken(
        "variants/numpy/conda_build_config.yaml", "    - is_freethreading\n", ""
    )
    _fails(root, r"variants/numpy/.*python ends in 2 groups")


def test_missing_cross_compilation_block_is_found(broken: Callable[..., Path]) -> None:
    root = broken(
        "recipe/recipe.yaml", "        - cross-python_${{ target_platform }}\n", ""
    )
    _fails(root, r"cross-compilation block missing")


def test_recipe_variants_out_of_step_with_conda_forge(
    broken: Callable[..., Path],
) -> None:
    root = broken("recipe/variants.yaml", '    then: "15"', '    then: "14"')
    _fails(root, r"recipe/variants\.yaml c_compiler_version")


def test_an_unrenderable_recipe_is_reported(broken: Callable[..., Path]) -> None:
    root = broken(
        "recipe/recipe.yaml",
        "    - ${{ compiler('c') }}\n",
        "    - ${{ compiler('c') }\n",
    )
    _fails(root, r"cannot render")
