"""Ctrl-C stops tools/offline/build_conda.py within seconds, in each phase of
the build, and leaves no process of it behind; the script says what it is
doing before the first seconds are over.

The script runs as a terminal runs a foreground job: in a session of its own,
SIGINT sent to its process group. Its processes are found through /proc, as
the script finds them (build_conda.processes): every descendant just before
the signal, and every process of their sessions after the script exits.

Four places for the signal, 5 s after the start and 2 s after the phase
began: the downloads of a channel built from nothing (pip, apt-get, dpkg-deb
run); the stand-ins' rattler-build runs (the downloads reused from the
stand-in channel in build/conda-standin); the engine building
recipe/recipe.yaml (the whole stand-in channel reused); and, later, the
compilers its build script runs. The last three need that channel, which this
module builds first if it is missing or stale (minutes, once).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tools.conda._common import ROOT
from tools.offline import build_conda, standin_channel
from tools.offline.build_conda import Proc

pytestmark = pytest.mark.slow

#: The script, run as a module from the repository root.
SCRIPT = "tools.offline.build_conda"
#: When the signal is sent: this long after the start...
SIGNAL_AFTER = 5.0
#: ...and at least this long after the phase's line was printed.
INTO_THE_PHASE = 2.0
#: The phase must have begun (and said so) this long after the start.
ANNOUNCE_WITHIN = 60.0
#: A process named in ``running`` must have started this long after the start.
RUNNING_WITHIN = 900.0
#: The script must have exited this long after the signal.
EXIT_WITHIN = 10.0
CHANNEL_LINE = "building the stand-in channel in "
ENGINE_LINE = "rattler-build: building recipe/recipe.yaml for python 3.11 \u00d7 numpy "


def descendants(root: int) -> list[Proc]:
    table = build_conda.processes()
    children: dict[int, list[int]] = {}
    for proc in table.values():
        children.setdefault(proc.ppid, []).append(proc.pid)
    found: list[Proc] = []
    todo = [root]
    while todo:
        pid = todo.pop()
        found.extend(table[c] for c in children.get(pid, ()) if c in table)
        todo.extend(children.get(pid, ()))
    return found


def left_behind(sessions: set[int], seen: list[Proc]) -> list[Proc]:
    """Live processes of ``sessions``, or of ``seen`` (same pid and start)."""
    seen_keys = {(p.pid, p.start) for p in seen}
    return [
        p
        for p in build_conda.processes().values()
        if p.state != "Z" and (p.session in sessions or (p.pid, p.start) in seen_keys)
    ]


def kill_all(sessions: set[int], seen: list[Proc]) -> None:
    for proc in left_behind(sessions, seen):
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)


def interrupt(
    work_dir: Path,
    out: Path,
    log: Path,
    phase_line: str,
    running: tuple[str, ...] = (),
) -> None:
    """Start the build, send SIGINT once it is in the phase of ``phase_line``
    (and, if ``running`` names any, once a process of that name runs under
    it), and check how it stops."""
    command = [sys.executable, "-m", SCRIPT, "--output-dir", str(out)]
    command += ["--work-dir", str(work_dir)]
    sessions: set[int] = set()
    seen: list[Proc] = []
    with log.open("wb") as sink:
        started = time.monotonic()
        script = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )
        sessions.add(script.pid)
        try:
            phase_seen = None
            while True:
                if phase_seen is None and phase_line in log.read_text():
                    phase_seen = time.monotonic()
                if phase_seen is None and time.monotonic() - started > ANNOUNCE_WITHIN:
                    pytest.fail(
                        f"no {phase_line!r} in {ANNOUNCE_WITHIN} s:\n{log.read_text()}"
                    )
                if (
                    phase_seen is not None
                    and time.monotonic() - started >= SIGNAL_AFTER
                    and time.monotonic() - phase_seen >= INTO_THE_PHASE
                    and (
                        not running
                        or any(p.comm in running for p in descendants(script.pid))
                    )
                ):
                    break
                if time.monotonic() - started > RUNNING_WITHIN:
                    pytest.fail(f"none of {running} ran in {RUNNING_WITHIN} s")
                assert script.poll() is None, (
                    f"exited ({script.returncode}) before the signal:\n{log.read_text()}"
                )
                time.sleep(0.1)
            before = log.read_text()
            seen = descendants(script.pid)
            sessions |= {p.session for p in seen}
            signalled = time.monotonic()
            os.killpg(script.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
            try:
                status = script.wait(timeout=30)
            except subprocess.TimeoutExpired:
                status = None
            took = time.monotonic() - signalled
            left = left_behind(sessions, seen)
        finally:
            # Whatever the outcome, nothing of the build outlives the test.
            alive = descendants(script.pid)
            kill_all(sessions | {p.session for p in alive}, seen + alive)
            script.kill()
            script.wait()
    ran = ", ".join(sorted({f"{p.comm}[{p.pid}]" for p in seen}))
    print(
        f"signal {signalled - started:.1f} s after the start, in: {ran}; "
        f"exit {status} {took:.1f} s after it"
    )
    assert status is not None, f"still running 30 s after SIGINT:\n{log.read_text()}"
    assert took < EXIT_WITHIN, f"exited {took:.1f} s after SIGINT"
    assert status == 130, log.read_text()
    assert not left, f"left running: {left}"
    assert phase_line in before, f"the phase was not announced:\n{before}"
    assert "were stopped" in log.read_text().splitlines()[-1]


@pytest.fixture(scope="module")
def built_channel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """build/conda-standin, its channel built (or checked unchanged) first."""
    work = standin_channel.DEFAULT_WORK_DIR
    out = tmp_path_factory.mktemp("channel-only")
    if build_conda.build_in_child(out, work, channel_only=True) != 0:
        pytest.fail("building the stand-in channel failed (its output is above)")
    return work


def test_ctrl_c_stops_the_downloads(tmp_path: Path) -> None:
    interrupt(tmp_path / "work", tmp_path / "out", tmp_path / "log", CHANNEL_LINE)


def test_ctrl_c_stops_the_stand_in_builds(tmp_path: Path, built_channel: Path) -> None:
    # The downloads are reused (read only), the stand-ins built anew.
    work = tmp_path / "work"
    work.mkdir()
    (work / "downloads").symlink_to(built_channel / "downloads")
    interrupt(work, tmp_path / "out", tmp_path / "log", "  building ")


def test_ctrl_c_stops_the_engine(tmp_path: Path, built_channel: Path) -> None:
    interrupt(built_channel, tmp_path / "out", tmp_path / "log", ENGINE_LINE)


def test_ctrl_c_stops_the_compilers(tmp_path: Path, built_channel: Path) -> None:
    # The recipe's build script runs (ninja puts each compiler command in a
    # process group of its own: stopping the engine's group is not enough).
    compilers = ("cc1plus", "cc1", "ninja", "cmake")
    interrupt(built_channel, tmp_path / "out", tmp_path / "log", ENGINE_LINE, compilers)
