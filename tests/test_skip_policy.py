"""The suite's skip policy (tests/conftest.py): a skip names what is missing and
how to get it, and under H5LINALG_REQUIRE_ALL (CI) a skip is a failure unless
the stage lists the tool in H5LINALG_ALLOWED_ABSENT or the test does not apply."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from xml.etree import ElementTree as ET

TESTS = Path(__file__).resolve().parent

PROBE = textwrap.dedent(
    """
    import pytest
    from conftest import needs

    def test_needs():
        needs("frobnicator", "apt-get install frobnicator")

    def test_does_not_apply():
        pytest.skip("does not apply: a wheel-only check")

    def test_plain_skip():
        pytest.skip("something is missing")

    def test_importorskip():
        pytest.importorskip("h5linalg_no_such_module")
    """
)


def run_probe(tmp_path: Path, **env: str) -> tuple[dict[str, str], str]:
    """Each probe test's outcome, and the output, with tests/conftest.py loaded
    as a plugin."""
    (tmp_path / "test_probe.py").write_text(PROBE)
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("H5LINALG_REQUIRE_ALL", "H5LINALG_ALLOWED_ABSENT")
    }
    environment["PYTHONPATH"] = str(TESTS)
    report = tmp_path / "report.xml"
    completed = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider",
            "-q", "-rA", "--rootdir", str(tmp_path), "-o", "addopts=",
            f"--junitxml={report}",
            str(tmp_path),
        ],
        capture_output=True, text=True, cwd=tmp_path, env=environment | env,
        check=False, timeout=120,
    )  # fmt: skip
    assert report.is_file(), completed.stdout + completed.stderr
    outcomes = {}
    for case in ET.parse(report).iter("testcase"):
        kinds = {child.tag for child in case} & {"failure", "error", "skipped"}
        outcomes[case.get("name", "")] = (
            "FAILED"
            if kinds & {"failure", "error"}
            else "SKIPPED"
            if kinds
            else "PASSED"
        )
    return outcomes, completed.stdout


PROBE_TESTS = (
    "test_needs",
    "test_does_not_apply",
    "test_plain_skip",
    "test_importorskip",
)


def test_skips_are_skips_on_a_users_machine(tmp_path):
    outcomes, _ = run_probe(tmp_path)
    assert set(outcomes.values()) == {"SKIPPED"}


def test_ci_turns_each_skip_into_a_failure_that_says_why(tmp_path):
    outcomes, output = run_probe(tmp_path, H5LINALG_REQUIRE_ALL="1")
    assert outcomes == {
        "test_needs": "FAILED",
        "test_does_not_apply": "SKIPPED",
        "test_plain_skip": "FAILED",
        "test_importorskip": "FAILED",
    }
    assert "H5LINALG_REQUIRE_ALL is set" in output
    assert "needs frobnicator (apt-get install frobnicator)" in output


def test_a_stage_names_the_tools_it_may_lack(tmp_path):
    outcomes, _ = run_probe(
        tmp_path,
        H5LINALG_REQUIRE_ALL="1",
        H5LINALG_ALLOWED_ABSENT="frobnicator h5linalg_no_such_module",
    )
    assert outcomes == {
        "test_needs": "SKIPPED",
        "test_does_not_apply": "SKIPPED",
        "test_plain_skip": "FAILED",
        "test_importorskip": "SKIPPED",
    }


def test_the_packaging_checks_are_collected_only_when_named():
    def collect(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "-rs", "-p",
             "no:cacheprovider", *args],
            capture_output=True, text=True, cwd=TESTS.parent, check=False, timeout=120,
        )  # fmt: skip

    def items(completed: subprocess.CompletedProcess[str]) -> list[str]:
        return [line for line in completed.stdout.splitlines() if "::" in line]

    # The whole folder, as `python -m pytest` collects it, less the modules
    # around tests/packaging (their collection is the slow part, not the point).
    around = ["--ignore-glob=tests/test_*.py", "--ignore-glob=tests/reliability/*"]
    assert items(collect("tests", *around)) == []
    named = collect("tests/packaging/test_conda_facts.py")
    if importlib.util.find_spec("rattler_build") is not None:
        assert items(named)
        assert all(line.startswith("tests/packaging/") for line in items(named))
    else:
        # Without the packaging group: one skip naming the install command.
        assert not items(named)
        assert "needs py-rattler-build (python -m pip install --group packaging" in (
            named.stdout
        )
