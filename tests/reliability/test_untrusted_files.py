"""Files crafted to make h5linalg read other files.

HDF5 lets a file point outside itself: external links (also behind a soft link,
or as a group on the way to the dataset, or to a file that does not exist),
external raw storage (the bytes live in other files) and virtual datasets
(mapped from datasets in other files). By default every function and the
command line refuse them with a PermissionError (or ValueError) naming the
mechanism; ``allow_external=True`` reads the right data. Tracing the process's
file system calls (strace) proves the other files are never even opened, and
that inputs are opened read-only.

Without strace these tests skip; H5LINALG_REQUIRE_ALL=1 (CI) or
H5LINALG_REQUIRE_STRACE=1 makes that a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from conftest import needs

import h5linalg

ROWS, COLS = 40, 3


@dataclass(frozen=True)
class Crafted:
    """A file whose /x (and /y) reach data in another file through `mechanism`."""

    mechanism: str
    path: Path
    x: str  # dataset names inside `path`
    y: str
    refusal: str  # regex the refusal message must match
    #: Files that only allow_external=True may open (the data's real home).
    others: tuple[Path, ...]
    #: What allow_external=True reads, or None when it must fail (missing target).
    expected: tuple[np.ndarray, np.ndarray] | None


def secret_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    x = rng.normal(loc=1000.0, scale=3.0, size=(ROWS, COLS))
    y = x @ np.array([0.5, -1.0, 2.0]) + rng.normal(size=ROWS)
    return x, y


def craft_all(directory: Path) -> dict[str, Crafted]:
    """Every kind of crafted file, in `directory`; the data's files in directory/elsewhere."""
    x, y = secret_data()
    elsewhere = directory / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "target-SECRET.h5"
    with h5py.File(target, "w") as file:
        file["x"], file["y"] = x, y
        file["grp/x"], file["grp/y"] = x, y
    crafted: dict[str, Crafted] = {}

    def add(
        mechanism: str,
        build: Callable[[h5py.File], None],
        refusal: str,
        others: tuple[Path, ...] = (target,),
        names: tuple[str, str] = ("/x", "/y"),
        expected: tuple[np.ndarray, np.ndarray] | None = (x, y),
    ) -> None:
        path = directory / f"crafted-{mechanism}.h5"
        with h5py.File(path, "w") as file:
            build(file)
        crafted[mechanism] = Crafted(mechanism, path, *names, refusal, others, expected)

    def external_link(file: h5py.File) -> None:
        file["x"] = h5py.ExternalLink(str(target), "/x")
        file["y"] = h5py.ExternalLink(str(target), "/y")

    def relative_external_link(file: h5py.File) -> None:
        file["x"] = h5py.ExternalLink("elsewhere/target-SECRET.h5", "/x")
        file["y"] = h5py.ExternalLink("elsewhere/target-SECRET.h5", "/y")

    def soft_to_external(file: h5py.File) -> None:
        file["ex"] = h5py.ExternalLink(str(target), "/x")
        file["ey"] = h5py.ExternalLink(str(target), "/y")
        file["x"] = h5py.SoftLink("/ex")
        file["y"] = h5py.SoftLink("/ey")

    def external_group(file: h5py.File) -> None:
        file["g"] = h5py.ExternalLink(str(target), "/grp")

    def soft_to_external_group(file: h5py.File) -> None:
        file["eg"] = h5py.ExternalLink(str(target), "/grp")
        file["g"] = h5py.SoftLink("/eg")

    def missing_target(file: h5py.File) -> None:
        file["x"] = h5py.ExternalLink(str(elsewhere / "missing-SECRET.h5"), "/x")
        file["y"] = h5py.ExternalLink(str(elsewhere / "missing-SECRET.h5"), "/y")

    raw_x, raw_y = elsewhere / "x-SECRET.bin", elsewhere / "y-SECRET.bin"

    def external_storage(file: h5py.File) -> None:
        file.create_dataset("x", data=x, external=[(str(raw_x), 0, x.nbytes)])
        file.create_dataset("y", data=y, external=[(str(raw_y), 0, y.nbytes)])

    def virtual(file: h5py.File) -> None:
        for name, data in (("x", x), ("y", y)):
            layout = h5py.VirtualLayout(shape=data.shape, dtype="f8")
            layout[...] = h5py.VirtualSource(str(target), name, shape=data.shape)
            file.create_virtual_dataset(name, layout)

    link = r"external link"
    add("external-link", external_link, link)
    add("relative-external-link", relative_external_link, link)
    add("soft-link-to-external-link", soft_to_external, link)
    add("external-link-group", external_group, link, names=("/g/x", "/g/y"))
    add(
        "soft-link-to-external-group",
        soft_to_external_group,
        link,
        names=("/g/x", "/g/y"),
    )
    add(
        "external-link-missing-file",
        missing_target,
        link,
        others=(elsewhere / "missing-SECRET.h5",),
        expected=None,
    )
    add(
        "external-storage",
        external_storage,
        r"external (files|storage)",
        others=(raw_x, raw_y),
    )
    add("virtual-dataset", virtual, r"virtual dataset")
    return crafted


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Crafted]:
    return craft_all(tmp_path_factory.mktemp("crafted"))


#: Every function, called on a crafted file's x (and y) datasets.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "moments": lambda x, _y, _out, **kw: h5linalg.moments(x, **kw),
    "gram": lambda x, _y, _out, **kw: h5linalg.gram(x, **kw),
    "covariance": lambda x, _y, _out, **kw: h5linalg.covariance(x, **kw),
    "pca": lambda x, _y, _out, **kw: h5linalg.pca(x, 2, **kw),
    "lstsq-x": lambda x, _y, _out, **kw: h5linalg.lstsq(x, secret_data()[1], **kw),
    "lstsq-y": lambda _x, y, _out, **kw: h5linalg.lstsq(secret_data()[0], y, **kw),
    "matmul": lambda x, _y, _out, **kw: h5linalg.matmul(x, np.eye(COLS)[:, :2], **kw),
    "matmul-out": lambda x, _y, out, **kw: h5linalg.matmul(
        x, np.eye(COLS)[:, :2], out=f"{out}:/p", **kw
    ),
}


def expected_results(x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    pca_values = np.linalg.eigvalsh(np.cov(x, rowvar=False))[::-1][:2]
    return {
        "moments": x.mean(axis=0),
        "gram": x.T @ x,
        "covariance": np.cov(x, rowvar=False),
        "pca": pca_values,
        "lstsq-x": np.linalg.lstsq(x, secret_data()[1], rcond=None)[0],
        "lstsq-y": np.linalg.lstsq(secret_data()[0], y, rcond=None)[0],
        "matmul": x[:, :2],
        "matmul-out": x[:, :2],
    }


def comparable(name: str, result: Any, out: Path) -> np.ndarray:
    if name == "moments":
        return np.asarray(result.mean)
    if name == "pca":
        return np.asarray(result.explained_variance)
    if name == "matmul-out":
        with h5py.File(out, "r") as file:
            return np.asarray(file["p"][()])
    return np.asarray(result)


def fingerprint(path: Path) -> tuple[int, bytes]:
    """The file's modification time and bytes (both must survive every call)."""
    return path.stat().st_mtime_ns, path.read_bytes()


@pytest.fixture
def unchanged(crafted: dict[str, Crafted]) -> Iterator[None]:
    """Every crafted file and every file they point to is left exactly as it was."""
    paths = {c.path for c in crafted.values()}
    paths |= {p for c in crafted.values() for p in c.others if p.exists()}
    before = {p: fingerprint(p) for p in paths}
    yield
    changed = [str(p) for p in sorted(paths) if fingerprint(p) != before[p]]
    assert not changed, f"h5linalg modified input files: {changed}"


MECHANISMS = [
    "external-link",
    "relative-external-link",
    "soft-link-to-external-link",
    "external-link-group",
    "soft-link-to-external-group",
    "external-link-missing-file",
    "external-storage",
    "virtual-dataset",
]
each_mechanism = pytest.mark.parametrize("mechanism", MECHANISMS)
each_function = pytest.mark.parametrize("function", list(FUNCTIONS))


@each_mechanism
@each_function
@pytest.mark.usefixtures("unchanged")
def test_refused_by_default(crafted, mechanism, function, tmp_path, monkeypatch):
    monkeypatch.chdir(
        crafted[mechanism].path.parent
    )  # where relative links would resolve
    case = crafted[mechanism]
    out = tmp_path / "out.h5"
    with pytest.raises((PermissionError, ValueError), match=case.refusal) as caught:
        FUNCTIONS[function](f"{case.path}:{case.x}", f"{case.path}:{case.y}", out)
    assert "allow_external=True" in str(caught.value)
    assert not out.exists(), "a refused run left an output file"


@each_mechanism
@each_function
@pytest.mark.usefixtures("unchanged")
def test_read_with_allow_external(crafted, mechanism, function, tmp_path, monkeypatch):
    monkeypatch.chdir(crafted[mechanism].path.parent)
    case = crafted[mechanism]
    out = tmp_path / "out.h5"
    call = FUNCTIONS[function]
    x, y = f"{case.path}:{case.x}", f"{case.path}:{case.y}"
    if case.expected is None:
        with pytest.raises((KeyError, OSError)):
            call(x, y, out, allow_external=True)
        return
    result = call(x, y, out, allow_external=True)
    expected = expected_results(*case.expected)[function]
    np.testing.assert_allclose(comparable(function, result, out), expected, rtol=1e-9)


@pytest.mark.parametrize("mechanism", ["external-storage", "virtual-dataset"])
@pytest.mark.usefixtures("unchanged")
def test_h5py_dataset_sources_are_refused_too(crafted, mechanism):
    """An open h5py.Dataset is reopened by name, with the same rules."""
    case = crafted[mechanism]
    with h5py.File(case.path, "r") as file:
        with pytest.raises((PermissionError, ValueError), match=case.refusal):
            h5linalg.gram(file["x"])
        x = case.expected[0] if case.expected else None
        assert x is not None
        np.testing.assert_allclose(
            h5linalg.gram(file["x"], allow_external=True), x.T @ x
        )


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "h5linalg", *args, "--no-progress"],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


@each_mechanism
@pytest.mark.usefixtures("unchanged")
def test_cli_refuses_by_default(crafted, mechanism, tmp_path):
    case = crafted[mechanism]
    source = f"{case.path}:{case.x}"
    refused = run_cli("describe", source, cwd=case.path.parent)
    assert refused.returncode == 1, refused
    assert re.search(case.refusal, refused.stderr), refused.stderr
    assert "Traceback" not in refused.stderr
    cov = run_cli("cov", source, "-o", str(tmp_path / "c.npy"), cwd=case.path.parent)
    assert cov.returncode == 1, cov
    assert re.search(case.refusal, cov.stderr), cov.stderr
    assert not (tmp_path / "c.npy").exists()

    allowed = run_cli("describe", source, "--allow-external", cwd=case.path.parent)
    if case.expected is None:
        assert allowed.returncode == 1, allowed
        assert "Traceback" not in allowed.stderr
    else:
        assert allowed.returncode == 0, allowed.stderr
        assert f"shape   ({ROWS}, {COLS})" in allowed.stdout
        mean = case.expected[0].mean(axis=0)
        assert f"{mean[0]:.6g}" in allowed.stdout


# --------------------------------------------------------------------------- tracing

TRACED_CHILD = (
    textwrap.dedent(
        """
    import json, sys
    import numpy as np
    import h5linalg
    from h5linalg import cli

    cases, allow, out_dir = json.loads(sys.argv[1]), sys.argv[2] == "allow", sys.argv[3]
    outcomes = {}
    for i, (mechanism, path, x, y) in enumerate(cases):
        xs, ys = f"{path}:{x}", f"{path}:{y}"
        kw = {"allow_external": allow}
        calls = {
            "moments": lambda: h5linalg.moments(xs, **kw),
            "gram": lambda: h5linalg.gram(xs, **kw),
            "covariance": lambda: h5linalg.covariance(xs, **kw),
            "pca": lambda: h5linalg.pca(xs, 2, **kw),
            "lstsq-x": lambda: h5linalg.lstsq(xs, np.ones(ROWS_), **kw),
            "lstsq-y": lambda: h5linalg.lstsq(np.eye(ROWS_, COLS_), ys, **kw),
            "matmul": lambda: h5linalg.matmul(xs, np.ones((COLS_, 2)), **kw),
            "matmul-out": lambda: h5linalg.matmul(
                xs, np.ones((COLS_, 2)), out=f"{out_dir}/out{i}.h5:/p", **kw),
            "describe": lambda: cli.main(
                ["describe", xs, "--no-progress"] + (["--allow-external"] if allow else [])),
        }
        for name, call in calls.items():
            try:
                result = call()
                outcome = f"exit {result}" if name == "describe" else "result"
            except Exception as error:
                outcome = type(error).__name__
            outcomes[f"{mechanism} {name}"] = outcome
    print(json.dumps(outcomes))
    """
    )
    .replace("ROWS_", str(ROWS))
    .replace("COLS_", str(COLS))
)


@dataclass
class Trace:
    outcomes: dict[str, str]
    #: Every path-taking system call of the process and its children.
    calls: list[str]


def traced_run(crafted: dict[str, Crafted], allow: bool, tmp_path: Path) -> Trace:
    strace = shutil.which("strace")
    if strace is None:
        if os.environ.get("H5LINALG_REQUIRE_STRACE"):
            pytest.fail(
                "strace is required (H5LINALG_REQUIRE_STRACE is set) but not installed"
            )
        needs("strace", "sudo apt-get install strace")
    cases = [[c.mechanism, str(c.path), c.x, c.y] for c in crafted.values()]
    log = tmp_path / "strace.log"
    out_dir = tmp_path / "outputs"
    out_dir.mkdir(parents=True)
    completed = subprocess.run(
        [
            strace,
            "-f",
            "-qq",
            "-s",
            "4096",
            "-e",
            "trace=%file",
            "-e",
            "signal=none",
            "-o",
            str(log),
            sys.executable,
            "-c",
            TRACED_CHILD,
            json.dumps(cases),
            "allow" if allow else "deny",
            str(out_dir),
        ],
        capture_output=True,
        text=True,
        cwd=next(iter(crafted.values())).path.parent,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    last_line = completed.stdout.strip().splitlines()[-1]
    return Trace(json.loads(last_line), log.read_text(errors="replace").splitlines())


def test_trace_shows_no_other_file_is_opened(crafted, tmp_path):
    """strace -f: with the default, no system call names any file the crafted files
    point to (not even a stat); inputs are opened read-only. The allow_external run
    is the control: there the same tracing does see those files."""
    denied = traced_run(crafted, allow=False, tmp_path=tmp_path / "deny")
    marker = "SECRET"  # in the name of every file the crafted files point to
    touched = [line for line in denied.calls if marker in line]
    assert not touched, (
        "h5linalg touched files outside the ones it was given:\n"
        + "\n".join(touched[:20])
    )
    # Every call was refused (which exception each gives: test_refused_by_default).
    assert len(denied.outcomes) == len(crafted) * 9
    refused = {"exit 1", "PermissionError", "ValueError", "OSError", "KeyError"}
    unrefused = {k: v for k, v in denied.outcomes.items() if v not in refused}
    assert not unrefused, unrefused
    assert any("crafted-external-link.h5" in line for line in denied.calls), (
        "tracing saw nothing"
    )

    allowed = traced_run(crafted, allow=True, tmp_path=tmp_path / "allow")
    seen = {line for line in allowed.calls if marker in line and "open" in line}
    for case in crafted.values():
        if case.expected is not None:
            assert any(str(case.others[0].name) in line for line in seen), (
                f"control: tracing did not see {case.mechanism}'s target opened"
            )

    # Inputs (the crafted files, and with allow_external their targets) are only
    # ever opened read-only.
    for trace in (denied, allowed):
        opens = [line for line in trace.calls if re.search(r"\bopen(at)?\(", line)]
        inputs = [line for line in opens if "crafted-" in line or marker in line]
        assert inputs
        writable = [
            line for line in inputs if re.search(r"O_(RDWR|WRONLY|CREAT|TRUNC)", line)
        ]
        assert not writable, "inputs opened for writing:\n" + "\n".join(writable)


@pytest.mark.parametrize("link", ["group", "dataset"])
def test_output_file_cannot_redirect_writes(tmp_path, link):
    """An existing output file whose path to `out` crosses an external link must not
    make h5linalg write (or read) the file it points to."""
    victim = tmp_path / "victim-SECRET.h5"
    with h5py.File(victim, "w") as file:
        file.create_group("grp")
        file["grp/c"] = np.zeros((2, 2))
    out = tmp_path / "out.h5"
    with h5py.File(out, "w") as file:
        if link == "group":
            file["g"] = h5py.ExternalLink(str(victim), "/grp")
        else:
            file["g/c"] = h5py.ExternalLink(str(victim), "/grp/c")
    before = fingerprint(victim)
    with pytest.raises((PermissionError, ValueError), match="external link"):
        h5linalg.matmul(
            np.ones((5, 3)), np.ones((3, 2)), out=f"{out}:/g/c", overwrite=True
        )
    assert fingerprint(victim) == before, "h5linalg wrote into a file it was not given"
