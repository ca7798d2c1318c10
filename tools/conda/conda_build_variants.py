"""The variant matrix as conda-build merges stacked ``-m`` files, for comparison
with rattler-build's engine (render_check.py).

conda-build cannot be installed from PyPI, so its merge rules are restated here,
from conda_build/variants.py (``validate_spec``, ``combine_specs``,
``explode_variants``, ``filter_combined_spec_to_used_keys``):

* each file is validated on its own: every key of a zip group it names must be
  set in that file, with the same number of values, and a key may sit in one
  group only;
* ``zip_keys`` are added up across files (rattler-build lets a later file's
  replace the earlier ones), so a Python axis zipped differently in two files
  ends in two groups;
* a later file replaces a zipped key only together with its whole group;
* after the grid is exploded, every file filters it, the latest first, on the
  keys no later file set.

Files are read as conda-build reads them: ``# [selector]`` lines evaluated for
the target platform, every scalar a string (YAML's base loader).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import yaml

from tools.conda._common import CheckError, Platform

_SELECTOR = re.compile(r"^(.*?)#\s*\[(.+)\]\s*$")


def _namespace(target: str) -> dict[str, bool]:
    system, arch = target.split("-")
    return {
        "linux": system == "linux",
        "osx": system == "osx",
        "win": system == "win",
        "unix": system != "win",
        "x86_64": arch == "64",
        "x86": arch == "64",
        "aarch64": arch == "aarch64",
        "arm64": arch in ("arm64", "aarch64"),
    }


def read(path: Path, platform: Platform) -> dict[str, Any]:
    """One variant file with its selectors applied, every scalar a string."""
    namespace = _namespace(platform.target)
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _SELECTOR.match(line)
        # Selectors are Python expressions over the platform names above.
        if not match:
            kept.append(line)
        elif eval(match[2], {"__builtins__": {}}, namespace):
            kept.append(match[1])
    return yaml.load("\n".join(kept), Loader=yaml.BaseLoader) or {}


def _groups(spec: dict[str, Any]) -> list[list[str]]:
    zips = [group for group in spec.get("zip_keys") or [] if group]
    return [zips] if zips and isinstance(zips[0], str) else zips


def validate(name: str, spec: dict[str, Any]) -> None:
    """conda-build's checks of a single file."""
    errors = []
    seen: set[str] = set()
    for group in _groups(spec):
        errors += [
            f"zip_key entry {k} in group {group} does not have any settings"
            for k in group
            if k not in spec
        ]
        errors += [
            f"zip_key entry {k} in group {group} is a duplicate"
            for k in group
            if k in seen
        ]
        seen.update(group)
        if len({len(spec[k]) for k in group if k in spec}) > 1:
            errors.append(
                f"zip fields in zip_key group {group} are not all the same length"
            )
    if errors:
        raise CheckError(f"conda-build rejects {name}: " + "; ".join(errors))


def _added_up_zip_keys(specs: dict[str, dict[str, Any]]) -> list[tuple[str, ...]]:
    """Every file's zip groups, each once; a key in two groups is an error."""
    zips = list(
        dict.fromkeys(tuple(g) for spec in specs.values() for g in _groups(spec))
    )
    for key in dict.fromkeys(k for g in zips for k in g):
        holding = [list(g) for g in zips if key in g]
        if len(holding) > 1:
            msg = (
                f"conda-build adds up the files' zip_keys, and {key} ends in "
                f"{len(holding)} groups: {holding}; zip it the same way in every file"
            )
            raise CheckError(msg)
    return zips


def _set_group(
    values: dict[str, Any], name: str, spec: dict[str, Any], group: tuple[str, ...]
) -> None:
    """A file that sets a whole zip group replaces it, every key the same length."""
    lengths = {k: len(spec[k]) for k in group}
    if len(set(lengths.values())) > 1:
        msg = (
            f"conda-build rejects {name}: all entries associated by a zip_key "
            f"field must be the same length, and {lengths} are not"
        )
        raise CheckError(msg)
    values.update({k: spec[k] for k in group})


def _set_part_of_group(
    values: dict[str, Any],
    name: str,
    spec: dict[str, Any],
    key: str,
    group: tuple[str, ...],
) -> None:
    """A file that sets part of a zip group may only narrow it, and it changes
    the key only where its length still fits the group."""
    value = spec[key]
    if not set(value) <= set(values[key]):
        msg = (
            f"conda-build rejects {name}: {key} is zipped with "
            f"{[k for k in group if k not in spec]}, which it does not set"
        )
        raise CheckError(msg)
    if all(len(values.get(k, value)) == len(value) for k in group):
        values[key] = value


def combine(specs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The files merged into one spec, conda-build's way."""
    zips = _added_up_zip_keys(specs)
    values: dict[str, Any] = {"zip_keys": [list(g) for g in zips]}
    for name, spec in specs.items():
        for key in spec:
            if key == "zip_keys":
                continue
            group = next((g for g in zips if key in g), (key,))
            if all(k in spec for k in group):
                _set_group(values, name, spec, group)
            elif key in values:
                _set_part_of_group(values, name, spec, key, group)
    return values


def explode(spec: dict[str, Any]) -> list[dict[str, str]]:
    """Every combination: zip groups step together, other lists multiply."""
    # As conda-build's zip: a shorter key would cut its group short (combine() checks).
    zipped = {
        tuple(g): list(zip(*(spec[k] for k in g), strict=False))
        for g in spec["zip_keys"]
    }
    in_zips = {k for g in spec["zip_keys"] for k in g}
    axes = {
        (k,): [(v,) for v in values]
        for k, values in spec.items()
        if k != "zip_keys" and k not in in_zips and isinstance(values, list)
    }
    axes.update(zipped)
    return [
        {
            k: v
            for keys, combo in zip(axes, values, strict=True)
            for k, v in zip(keys, combo, strict=True)
        }
        for values in itertools.product(*axes.values())
    ]


def variants(
    root: Path, files: tuple[str, ...], platform: Platform
) -> list[dict[str, str]]:
    """The variants `conda-build -m F1 -m F2 ...` builds for ``platform``."""
    specs = {name: read(root / name, platform) for name in files}
    for name, spec in specs.items():
        validate(name, spec)
    grid = explode(combine(specs))
    seen: set[str] = set()
    for spec in reversed(list(specs.values())):
        for key, allowed in spec.items():
            if key == "zip_keys" or key in seen or not isinstance(allowed, list):
                continue
            grid = [v for v in grid if v.get(key) in allowed] or grid
            seen.add(key)
    return grid
