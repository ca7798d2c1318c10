"""What test_sdist.py and test_reproducible.py share: the tools they drive.

Both run ``tools/reliability/release_checks.py`` in one session-wide directory
(the ``release_workdir`` fixture of tests/conftest.py), so the sdist
and the wheel built from it are made once and reused by the other module.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def tool(name: str) -> ModuleType:
    """A module of tools/reliability, as the package ``tools.reliability``
    (the repository root is on the path: pythonpath in [tool.pytest])."""
    return importlib.import_module(f"tools.reliability.{name}")


def release_checks(check: str, workdir: Path, summary: Path) -> dict[str, object]:
    """Runs ``release_checks.py CHECK`` reusing what earlier checks built in workdir."""
    assert (ROOT / ".git").exists(), (
        "the release checks build a commit: use a git checkout"
    )
    result = subprocess.run(
        [sys.executable, "-m", "tools.reliability.release_checks", check,
         "--workdir", workdir, "--reuse", "--summary", summary],
        capture_output=True, text=True, timeout=3600, check=False, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    return json.loads(summary.read_text())  # type: ignore[no-any-return]
