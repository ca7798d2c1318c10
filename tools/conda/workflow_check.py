"""Validate the GitHub Actions workflows and dependabot.yml offline.

check-jsonschema with its built-in GitHub schemas, zizmor --offline (the
security audit; both from PyPI, [dependency-groups] packaging), and the
project's own rules: every workflow has a name, workflow_dispatch,
concurrency and `permissions: {}`; every job its own permissions and
timeout-minutes; every action is pinned by commit SHA with a version comment;
every checkout sets persist-credentials: false.

    python tools/conda/workflow_check.py [.github]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from _common import ROOT, CheckError, fail_if

_PINNED = re.compile(
    r"^\s*-?\s*uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*\s*$"
)


def tool(name: str) -> str:
    """The console script ``name`` beside this interpreter, else on PATH."""
    scripts = Path(sys.executable).parent
    found = shutil.which(
        name,
        path=os.pathsep.join(
            [str(scripts), str(scripts / "Scripts"), os.environ.get("PATH", "")]
        ),
    )
    if not found:
        msg = f"{name} is not installed (pip install --group packaging)"
        raise CheckError(msg)
    return found


def run(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        msg = f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}"
        raise CheckError(msg)
    return result.stdout.strip()


def policy_problems(path: Path) -> list[str]:
    """The project's workflow rules, for one workflow file."""
    text = path.read_text(encoding="utf-8")
    workflow: dict[Any, Any] = yaml.safe_load(text)
    # YAML 1.1 reads the `on:` key as True.
    triggers = workflow.get(True, workflow.get("on")) or {}
    jobs = workflow.get("jobs") or {}
    problems = [
        f"{path.name}: no top-level `{key}`"
        for key in ("name", "concurrency")
        if key not in workflow
    ]
    if "workflow_dispatch" not in triggers:
        problems.append(f"{path.name}: no `workflow_dispatch` trigger")
    if workflow.get("permissions") != {}:
        problems.append(
            f"{path.name}: top-level `permissions` must be {{}} (grant per job)"
        )
    problems.extend(
        f"{path.name}: job {job_id} has no `{key}`"
        for job_id, job in jobs.items()
        for key in ("permissions", "timeout-minutes")
        if key not in job
    )
    problems.extend(
        f"{path.name}: job {job_id}: checkout without `persist-credentials: false`"
        for job_id, job in jobs.items()
        for step in job.get("steps") or []
        if step.get("uses", "").startswith("actions/checkout@")
        and (step.get("with") or {}).get("persist-credentials") is not False
    )
    problems.extend(
        f"{path.name}:{number}: action not pinned by full commit SHA with a `# vX.Y.Z` comment: {line.strip()}"
        for number, line in enumerate(text.splitlines(), 1)
        if re.match(r"^\s*-?\s*uses:", line) and not _PINNED.match(line)
    )
    return problems


def check(github: Path = ROOT / ".github") -> None:
    workflows = sorted(str(p) for p in (github / "workflows").glob("*.y*ml"))
    if not workflows:
        msg = f"no workflows under {github / 'workflows'}"
        raise CheckError(msg)
    run(
        [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *workflows,
        ]
    )
    fail_if([p for w in workflows for p in policy_problems(Path(w))], "workflow rules")
    if (github / "dependabot.yml").is_file():
        run(
            [
                tool("check-jsonschema"),
                "--builtin-schema",
                "vendor.dependabot",
                str(github / "dependabot.yml"),
            ]
        )
    run([tool("zizmor"), "--offline", "--no-progress", str(github)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("github", nargs="?", type=Path, default=ROOT / ".github")
    args = parser.parse_args(argv)
    try:
        check(args.github)
    except CheckError as error:
        print(error, file=sys.stderr)
        return 1
    print(
        f"{args.github}: workflows and dependabot.yml validate; zizmor has no findings"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
