"""Keep `requires-pixi` in pixi.toml equal to what the manifest actually needs.

FEATURES lists each pixi feature the workspace may use with the first pixi
release that has it (from pixi's CHANGELOG.md, prefix-dev/pixi at commit
2b25fc7, v0.77.0). The check finds the features pixi.toml uses and requires
`requires-pixi = ">=X"` with X the newest of their versions. Keys known to be
newer than every row (NEWER_FEATURES) are errors until the table grows a row.

    python tools/conda/requires_pixi.py            # check
    python tools/conda/requires_pixi.py --table    # print the table and what pixi.toml uses
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import ROOT, CheckError, load_toml

Manifest = dict[str, Any]


def _tasks(manifest: Manifest) -> list[dict[str, Any]]:
    tables = [manifest.get("tasks", {})]
    tables += [
        feature.get("tasks", {}) for feature in manifest.get("feature", {}).values()
    ]
    return [
        task for table in tables for task in table.values() if isinstance(task, dict)
    ]


def _environments(manifest: Manifest) -> list[dict[str, Any]]:
    return [
        env
        for env in manifest.get("environments", {}).values()
        if isinstance(env, dict)
    ]


def _features(manifest: Manifest) -> list[dict[str, Any]]:
    return list(manifest.get("feature", {}).values())


@dataclass(frozen=True)
class Feature:
    name: str
    version: tuple[int, int, int]
    changelog: str
    used: Callable[[Manifest], bool]


#: Feature -> first pixi version, newest first. "changelog" quotes the entry.
FEATURES: tuple[Feature, ...] = (
    Feature(
        "pixi.lock format v7 (the lock file CI writes with current pixi)",
        (0, 68, 0),
        "0.68.0: This release bump the lock file version to v7 (Lockfile-v7, #5607)",
        lambda _manifest: (
            True
        ),  # the workspace commits the pixi.lock its workflow writes
    ),
    Feature(
        "task `default-environment`",
        (0, 63, 0),
        "0.63.0: `default_environment` option for specifying the default environment for a task (#5164)",
        lambda m: any("default-environment" in t for t in _tasks(m)),
    ),
    Feature(
        "`depends-on` naming an environment",
        (0, 46, 0),
        "0.46.0: The `depends-on` key can now include the environment that the task should run in",
        lambda m: any(
            isinstance(d, dict) and "environment" in d
            for t in _tasks(m)
            for d in t.get("depends-on", [])
        ),
    ),
    Feature(
        "task `args`",
        (0, 45, 0),
        "0.45.0: task `args` (named task arguments with defaults)",
        lambda m: any("args" in t for t in _tasks(m)),
    ),
    Feature(
        "`requires-pixi`",
        (0, 44, 0),
        "0.44.0: Add 'requires-pixi' manifest key (#3358)",
        lambda m: "requires-pixi" in m.get("workspace", {}),
    ),
    Feature(
        "`[workspace]` table",
        (0, 43, 0),
        "0.43.0: Rename project to workspace (#3300)",
        lambda m: "workspace" in m,
    ),
    Feature(
        "task `description`",
        (0, 24, 0),
        "0.24.0: Add `description` field to `task` (#1479)",
        lambda m: any("description" in t for t in _tasks(m)),
    ),
    Feature(
        "environment `no-default-feature`",
        (0, 21, 0),
        "0.21.0: Add `no-default-feature` option to environments (#1092)",
        lambda m: any("no-default-feature" in e for e in _environments(m)),
    ),
    Feature(
        "task `depends-on`",
        (0, 21, 0),
        "0.21.0: Alias `depends_on` to `depends-on` (#1310)",
        lambda m: any("depends-on" in t for t in _tasks(m)),
    ),
    Feature(
        "feature `platforms`",
        (0, 13, 0),
        "0.13.0: We added support for multiple environments (features and environments tables)",
        lambda m: any("platforms" in f for f in _features(m)),
    ),
)

#: Manifest keys that mark a feature newer than anything in FEATURES. Using one
#: fails the check until the table grows a row for it.
NEWER_FEATURES: dict[str, str] = {
    "build-variants": "0.57.0 ([workspace.build-variants])",
    "exclude-newer": "0.67.0 (relative exclude-newer)",
    "preview": "pixi-build preview",
    "package": "pixi-build [package]",
}


def used_features(manifest: Manifest) -> list[Feature]:
    return [f for f in FEATURES if f.used(manifest)]


def unknown_features(manifest: Manifest) -> list[str]:
    keys = set(manifest) | set(manifest.get("workspace", {}))
    inline_envs = [
        name
        for name, env in manifest.get("environments", {}).items()
        if isinstance(env, dict) and "dependencies" in env
    ]
    found = [f"`{key}` ({why})" for key, why in NEWER_FEATURES.items() if key in keys]
    found += [
        f"inline environment dependencies in `{name}` (0.74.0)" for name in inline_envs
    ]
    found += [
        f"rich platform entries in `platforms` (0.71.0): {p}"
        for p in manifest.get("workspace", {}).get("platforms", [])
        if not isinstance(p, str)
    ]
    return found


def parse_lower_bound(spec: str) -> tuple[int, ...]:
    match = re.fullmatch(r"\s*>=\s*(\d+(?:\.\d+)*)\s*(?:,\s*<\s*[\d.]+\s*)?", spec)
    if not match:
        msg = (
            f'requires-pixi = "{spec}" is not of the form ">=X.Y.Z" (optionally ",<A")'
        )
        raise CheckError(msg)
    return tuple(int(part) for part in match[1].split("."))


def check(path: Path = ROOT / "pixi.toml") -> tuple[int, int, int]:
    """Raise CheckError unless requires-pixi's lower bound is the newest used feature's version."""
    manifest = load_toml(path)
    unknown = unknown_features(manifest)
    if unknown:
        msg = (
            f"{path} uses pixi features missing from tools/conda/requires_pixi.py FEATURES: "
            + "; ".join(unknown)
        )
        raise CheckError(msg)
    used = used_features(manifest)
    needed = max(f.version for f in used)
    spec = manifest.get("workspace", {}).get("requires-pixi")
    if spec is None:
        msg = f'{path} has no requires-pixi; it needs requires-pixi = ">={".".join(map(str, needed))}"'
        raise CheckError(msg)
    have = parse_lower_bound(spec)
    have = have + (0,) * (3 - len(have))
    if have != needed:
        newest = [f.name for f in used if f.version == needed]
        msg = (
            f'{path}: requires-pixi = "{spec}" but the newest feature it uses ({", ".join(newest)}) '
            f'needs pixi {".".join(map(str, needed))}: set requires-pixi = ">={".".join(map(str, needed))}"'
        )
        raise CheckError(msg)
    return needed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("manifest", nargs="?", type=Path, default=ROOT / "pixi.toml")
    parser.add_argument("--table", action="store_true", help="print the feature table")
    args = parser.parse_args(argv)
    if args.table:
        used = {f.name for f in used_features(load_toml(args.manifest))}
        for f in FEATURES:
            print(
                f"{'used' if f.name in used else '    '}  >={'.'.join(map(str, f.version)):8} {f.name}  [{f.changelog}]"
            )
    try:
        needed = check(args.manifest)
    except CheckError as error:
        print(error, file=sys.stderr)
        return 1
    print(
        f"{args.manifest}: requires-pixi >={'.'.join(map(str, needed))} matches the features it uses"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
