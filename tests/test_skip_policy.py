"""The suite's skip policy (tests/conftest.py): a skip names what is missing and
how to get it, and under H5LINALG_REQUIRE_ALL (CI) a skip is a failure unless
the stage lists the tool in H5LINALG_ALLOWED_ABSENT or the test does not apply."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

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


def run_probe(tmp_path: Path, **env: str) -> dict[str, str]:
    """Each probe test's outcome, with tests/conftest.py loaded as a plugin."""
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
            "-q", "--rootdir", str(tmp_path), "-o", "addopts=", f"--junitxml={report}",
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
    return outcomes


PROBE_TESTS = (
    "test_needs",
    "test_does_not_apply",
    "test_plain_skip",
    "test_importorskip",
)


def test_skips_are_skips_on_a_users_machine(tmp_path):
    assert set(run_probe(tmp_path).values()) == {"SKIPPED"}


def test_ci_turns_each_skip_into_a_failure(tmp_path):
    outcomes = run_probe(tmp_path, H5LINALG_REQUIRE_ALL="1")
    assert outcomes == {
        "test_needs": "FAILED",
        "test_does_not_apply": "SKIPPED",
        "test_plain_skip": "FAILED",
        "test_importorskip": "FAILED",
    }


def test_a_stage_names_the_tools_it_may_lack(tmp_path):
    outcomes = run_probe(
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


def test_the_failure_says_why(tmp_path):
    (tmp_path / "test_probe.py").write_text(PROBE)
    completed = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider",
            "-q", "--rootdir", str(tmp_path), "-o", "addopts=",
            f"{tmp_path / 'test_probe.py'}::test_needs",
        ],
        capture_output=True, text=True, cwd=tmp_path, check=False, timeout=120,
        env={**os.environ, "PYTHONPATH": str(TESTS), "H5LINALG_REQUIRE_ALL": "1",
             "H5LINALG_ALLOWED_ABSENT": ""},
    )  # fmt: skip
    assert completed.returncode == 1
    assert "H5LINALG_REQUIRE_ALL is set" in completed.stdout
    assert "needs frobnicator (apt-get install frobnicator)" in completed.stdout


@pytest.mark.parametrize("collected", ["default", "named"])
def test_the_packaging_checks_are_collected_only_when_named(collected):
    args = ["--collect-only", "-q", "-p", "no:cacheprovider"]
    if collected == "named":
        args.append(str(TESTS / "packaging" / "test_conda_facts.py"))
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        capture_output=True, text=True, cwd=TESTS.parent, check=False, timeout=120,
    )  # fmt: skip
    packaging = [line for line in completed.stdout.splitlines() if "packaging/" in line]
    if collected == "named":
        assert packaging, completed.stdout
    else:
        assert not packaging, completed.stdout
