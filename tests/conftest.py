"""Shared fixtures: data written every way h5linalg can read it, and NumPy references."""

from __future__ import annotations

import importlib.util
import itertools
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import h5py
import numpy as np
import pytest
from wheel_data import Unavailable, WheelFile, fetch

import h5linalg
from h5linalg import _core

#: The packaging checks (the recipes, the stand-in conda build, the workflows)
#: are collected only when named: `python -m pytest tests/packaging`, or
#: `pixi run recipe-check`. A path given on the command line is always collected.
collect_ignore = ["packaging"]

#: The packaging checks need the `packaging` dependency group (`pixi run
#: recipe-check` has it). Without it each of their modules is one skip naming the
#: install command, not an import error at collection. Import name -> distribution.
PACKAGING_GROUP = {
    "rattler_build": "py-rattler-build",
    "jsonschema": "jsonschema",
    "yaml": "pyyaml",
    "jinja2": "jinja2",
    "packaging": "packaging",
    "zstandard": "zstandard",
}
PACKAGING_TESTS = Path(__file__).parent / "packaging"


class _MissingGroup(pytest.Module):
    """A test module that is not imported: its collection is one skip."""

    missing: tuple[str, ...] = ()

    def collect(self) -> NoReturn:
        needs(
            self.missing[0],
            f"python -m pip install --group packaging; missing: {', '.join(self.missing)}",
        )


def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> Any:
    if PACKAGING_TESTS not in module_path.parents:
        return None
    missing = tuple(
        dist
        for module, dist in PACKAGING_GROUP.items()
        if importlib.util.find_spec(module) is None
    )
    if not missing:
        return None
    module = _MissingGroup.from_parent(parent, path=module_path)
    module.missing = missing
    return module


#: What the packaging checks read: tests/packaging copies them to break them
#: (each check must pass on the repository and fail on a broken copy).
CHECKED_FILES = (
    "pyproject.toml",
    "pixi.toml",
    "LICENSE",
    "README.md",
    ".pre-commit-config.yaml",
)
CHECKED_DIRS = ("recipe", "variants", ".github")
REPOSITORY = Path(__file__).resolve().parents[1]


@pytest.fixture
def broken(tmp_path: Path) -> Callable[..., Path]:
    """``broken(FILE, OLD, NEW)`` replaces OLD (which must be there) by NEW in
    FILE of a copy of what the packaging checks read, and returns the copy's root.

    FILE is relative to the copy's root (or absolute: a file elsewhere under
    tmp_path); every call of one test edits the same copy, and ``broken()``
    returns it untouched.
    """
    root = tmp_path / "repo"
    root.mkdir()
    for name in CHECKED_FILES:
        shutil.copy2(REPOSITORY / name, root / name)
    for name in CHECKED_DIRS:
        shutil.copytree(REPOSITORY / name, root / name)

    def edit(file: str | Path | None = None, old: str = "", new: str = "") -> Path:
        if file is not None:
            path = root / file
            text = path.read_text(encoding="utf-8")
            assert old in text, f"{old!r} not in {path}"
            path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return root

    return edit


@pytest.fixture(scope="session")
def worktree_files() -> list[Path]:
    """The checkout's files as git sees them: tracked or new, nothing ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPOSITORY,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return [REPOSITORY / name for name in filter(None, listed.split("\0"))]


#: A git checkout rather than an unpacked sdist, which leaves out what only the
#: repository needs (benchmarks/results, .github, ...): tests of those files
#: do not apply there.
CHECKOUT = (Path(__file__).resolve().parents[1] / ".git").exists()
only_in_a_checkout = pytest.mark.skipif(
    not CHECKOUT, reason="does not apply: an sdist leaves out the files this checks"
)


#: CI sets this: a skipped test fails instead, unless the tool it names is
#: listed (space-separated) in ALLOWED_ABSENT_ENV for that stage.
REQUIRE_ALL_ENV = "H5LINALG_REQUIRE_ALL"
ALLOWED_ABSENT_ENV = "H5LINALG_ALLOWED_ABSENT"

#: A skip whose reason starts so is a test that has no meaning for this build or
#: platform (a wheel-only check on a source build), not a missing tool.
DOES_NOT_APPLY = "does not apply: "

#: The tool a skip reason names: needs() writes "needs TOOL (...)", and
#: pytest.importorskip "could not import 'MODULE'".
_SKIPPED_TOOL = re.compile(r"needs (\S+) \(|could not import '([^']+)'")


def needs(tool: str, install: str) -> NoReturn:
    """Skip the calling test: ``tool`` is not available here; ``install`` says
    how to get it (a command, or what to set). Under H5LINALG_REQUIRE_ALL=1 the
    skip is a failure, unless ``tool`` is in H5LINALG_ALLOWED_ABSENT."""
    __tracebackhide__ = True  # the skip is reported at the calling test
    # (allow_module_level: a module may call it at import, before any test)
    pytest.skip(f"needs {tool} ({install})", allow_module_level=True)


def _allowed_absent() -> set[str]:
    return set(os.environ.get(ALLOWED_ABSENT_ENV, "").split())


def _strict_skip(report: pytest.CollectReport | pytest.TestReport) -> None:
    """Turns a skip into a failure when CI asked for every test to run."""
    if not (report.skipped and os.environ.get(REQUIRE_ALL_ENV)):
        return
    if hasattr(report, "wasxfail"):
        return
    reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else ""
    if reason.startswith(("Skipped: " + DOES_NOT_APPLY, DOES_NOT_APPLY)):
        return
    match = _SKIPPED_TOOL.search(reason)
    tool = (match.group(1) or match.group(2)) if match else None
    if tool is not None and tool in _allowed_absent():
        return
    report.outcome = "failed"
    report.longrepr = (
        f"skipped, but {REQUIRE_ALL_ENV} is set (add the tool to "
        f"{ALLOWED_ABSENT_ENV} if this stage cannot have it): {reason}"
    )


# (pluggy passes a hook only the arguments it names: these need none)
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport() -> Any:
    outcome = yield
    _strict_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report() -> Any:
    outcome = yield
    _strict_skip(outcome.get_result())


def pytest_report_header() -> list[str]:
    info = _core.build_info()
    lines = [
        (
            f"h5linalg {h5linalg.__version__}: HDF5 {info['hdf5_running']} "
            f"(built {info['hdf5_built']}, threadsafe={info['hdf5_threadsafe']}), "
            f"NumPy {np.__version__} (ABI target {info['numpy_built']}), "
            f"h5py {h5py.__version__} (HDF5 {h5py.version.hdf5_version})"
        ),
    ]
    if os.environ.get(REQUIRE_ALL_ENV):
        allowed = " ".join(sorted(_allowed_absent())) or "none"
        lines.append(
            f"{REQUIRE_ALL_ENV} is set: a skip fails; allowed absent: {allowed}"
        )
    return lines


#: How a source reaches h5linalg.
SOURCE_KINDS = ("array", "h5py", "H5Source", "string")

#: Storage layouts: h5py.create_dataset keyword arguments (chunk rows that do
#: not divide the block size, chunks narrower than the row, gzip with shuffle).
LAYOUTS: dict[str, dict[str, Any]] = {
    "contiguous": {},
    "chunked-gzip": {"chunks": (7, None), "compression": "gzip"},
    "narrow-chunks-shuffle-gzip": {
        "chunks": (5, 2),
        "compression": "gzip",
        "compression_opts": 4,
        "shuffle": True,
    },
}

#: Shapes that exercise the edges: many blocks, one row, one column, and more
#: columns than a block has rows.
SHAPES = {
    "tall": (203, 6),
    "one-row": (1, 4),
    "one-column": (150, 1),
    "wide-block": (23, 9),
}


def reference(array: np.ndarray) -> np.ndarray:
    """What h5linalg computes on: the data as float64, as NumPy would."""
    return np.asarray(array).astype(np.float64)


def sample(shape: tuple[int, int], dtype: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.normal(loc=3.0, scale=2.0, size=shape)
    if np.dtype(dtype).kind in "iu":
        values = np.round(values * 10)
    return values.astype(dtype)


# Four rows in which every sum is exact: a column, its negative (negative
# covariances), a constant column (zero variance and covariances) and a fourth
# column covarying positively with the first. With ddof >= 4 NumPy divides by
# zero: +inf, -inf and NaN all appear, in positions exact arithmetic decides.
NO_DOF_ROWS = np.array(
    [
        [1.0, -1.0, 5.0, 0.0],
        [2.0, -2.0, 5.0, 4.0],
        [3.0, -3.0, 5.0, 0.0],
        [6.0, -6.0, 5.0, 4.0],
    ]
)
NO_DOF_WARNING = r"^Degrees of freedom <= 0 for slice$"


SourceFactory = Callable[..., Any]


@pytest.fixture
def make_source(tmp_path: Path) -> Iterator[SourceFactory]:
    """make_source(kind, array, layout="contiguous", name="/x") -> a source of that kind."""
    opened: list[h5py.File] = []
    counter = itertools.count()

    def make(
        kind: str, array: np.ndarray, layout: str = "contiguous", name: str = "/x"
    ) -> Any:
        if kind == "array":
            return array
        path = tmp_path / f"data{next(counter)}.h5"
        options = dict(LAYOUTS[layout])
        if "chunks" in options:
            chunk_rows, chunk_cols = options["chunks"]
            cols = array.shape[1] if array.ndim == 2 else 1
            chunk_cols = cols if chunk_cols is None else min(chunk_cols, cols)
            rows = max(1, min(chunk_rows, array.shape[0]))
            options["chunks"] = (rows, chunk_cols) if array.ndim == 2 else (rows,)
        with h5py.File(path, "w") as file:
            file.create_dataset(name, data=array, **options)
        if kind == "h5py":
            handle = h5py.File(path, "r")
            opened.append(handle)
            return handle[name]
        if kind == "H5Source":
            return h5linalg.H5Source(path, name)
        if kind == "string":
            return f"{path}:{name}"
        msg = f"unknown source kind {kind!r}"
        raise ValueError(msg)

    yield make
    for handle in opened:
        handle.close()


@pytest.fixture
def h5_path(tmp_path: Path) -> Callable[..., Path]:
    """h5_path(**datasets) -> a new HDF5 file holding the given arrays."""
    counter = itertools.count()

    def write(**datasets: np.ndarray) -> Path:
        path = tmp_path / f"file{next(counter)}.h5"
        with h5py.File(path, "w") as file:
            for name, data in datasets.items():
                file.create_dataset(name, data=data)
        return path

    return write


def assert_close(actual: np.ndarray, expected: np.ndarray, rtol: float = 1e-10) -> None:
    """Element-wise agreement, scaled by the size of the expected values."""
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.dtype == np.float64
    assert actual.shape == expected.shape
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


@pytest.fixture(scope="session")
def release_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory for the release checks of a session (tests/reliability/
    release_support.py), so test_sdist.py and test_reproducible.py share the
    sdist and the wheel built from it."""
    return tmp_path_factory.getbasetemp() / "release-checks"


@pytest.fixture(scope="session")
def wheel_file() -> Callable[[WheelFile], Path]:
    """``wheel_file(SCANPY_PBMC68K)``: a real file from a published wheel (cached in
    .cache/wheel-data/); skips with needs("network", ...) when pip cannot get it."""

    def get(wheel: WheelFile) -> Path:
        try:
            return fetch(wheel)
        except Unavailable as error:
            needs("network", f"pip download of {wheel.requirement} must work: {error}")

    return get
