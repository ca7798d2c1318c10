"""Keep `requires-pixi` in pixi.toml equal to what the manifest actually needs.

The table of pixi features, each with the first pixi release that has it (from
pixi's CHANGELOG.md), is [pixi] in tools/conda/facts.toml. The check finds the
features pixi.toml uses and requires `requires-pixi = ">=X"` with X the newest
of their versions. Keys known to be newer than every row ([[pixi.unread]]) are
errors until the table grows a row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tools.conda._common import ROOT, CheckError, facts, load_toml


def found(data: Any, path: str) -> Iterator[str]:
    """The places of ``data`` that the dotted ``path`` names ("*": any key or item)."""
    if not path:
        yield ""
        return
    key, _, rest = path.partition(".")
    if key == "*" and isinstance(data, dict):
        children = list(data.items())
    elif key == "*" and isinstance(data, list):
        children = [(str(i), item) for i, item in enumerate(data)]
    elif isinstance(data, dict) and key in data:
        children = [(key, data[key])]
    else:
        children = []
    for name, child in children:
        yield from (f"{name}.{tail}".rstrip(".") for tail in found(child, rest))


def uses(manifest: dict[str, Any], row: dict[str, Any]) -> list[str]:
    """Where ``manifest`` uses the feature ``row`` of facts.toml."""
    if row.get("always"):
        return ["(always)"]
    return [place for path in row["where"] for place in found(manifest, path)]


def version(text: str) -> tuple[int, ...]:
    parts = tuple(int(part) for part in text.split("."))
    return parts + (0,) * (3 - len(parts))


def used_features(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for row in facts()["pixi"]["feature"] if uses(manifest, row)]


def parse_lower_bound(spec: str) -> tuple[int, ...]:
    match = re.fullmatch(r"\s*>=\s*(\d+(?:\.\d+)*)\s*(?:,\s*<\s*[\d.]+\s*)?", spec)
    if not match:
        msg = (
            f'requires-pixi = "{spec}" is not of the form ">=X.Y.Z" (optionally ",<A")'
        )
        raise CheckError(msg)
    return version(match[1])


def check(path: Path = ROOT / "pixi.toml") -> tuple[int, ...]:
    """Raise CheckError unless requires-pixi's lower bound is the newest used feature's version."""
    manifest = load_toml(path)
    unknown = [
        f"{row['name']} ({row['seen']}) at {place}"
        for row in facts()["pixi"]["unread"]
        for place in uses(manifest, row)
    ]
    if unknown:
        msg = f"{path} uses pixi features missing from [pixi] in tools/conda/facts.toml: {'; '.join(unknown)}"
        raise CheckError(msg)
    used = used_features(manifest)
    needed = max(version(row["version"]) for row in used)
    wanted = f'requires-pixi = ">={".".join(map(str, needed))}"'
    spec = manifest.get("workspace", {}).get("requires-pixi")
    if spec is None:
        msg = f"{path} has no requires-pixi; it needs {wanted}"
        raise CheckError(msg)
    if parse_lower_bound(spec) != needed:
        newest = [row["name"] for row in used if version(row["version"]) == needed]
        msg = (
            f'{path}: requires-pixi = "{spec}" but the newest feature it uses ({", ".join(newest)}) '
            f"needs pixi {'.'.join(map(str, needed))}: set {wanted}"
        )
        raise CheckError(msg)
    return needed
