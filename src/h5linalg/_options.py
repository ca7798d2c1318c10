"""Checking the keyword options every function shares."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

from ._progress import ProgressCallback, progress_reporter

#: Block buffers are capped at this many bytes unless memory_limit says otherwise.
DEFAULT_MEMORY_LIMIT = 256 * 1024 * 1024


def _positive_int(value: Any, name: str, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool):
        msg = f"{name} must be an integer, not a bool"
        raise TypeError(msg)
    try:
        number = operator.index(value)
    except TypeError:
        msg = f"{name} must be an integer, not {type(value).__name__}"
        raise TypeError(msg) from None
    if number < (0 if allow_zero else 1):
        bound = "0 or more" if allow_zero else "at least 1"
        msg = f"{name} must be {bound}, got {number}"
        raise ValueError(msg)
    return number


@dataclass(frozen=True)
class RunOptions:
    """The options as _core takes them."""

    block_rows: int
    memory_limit: int
    progress: ProgressCallback | None

    def core_kwargs(self) -> dict[str, Any]:
        return {
            "block_rows": self.block_rows,
            "memory_limit": self.memory_limit,
            "progress": self.progress,
        }


def run_options(
    *,
    block_rows: int | None,
    memory_limit: int | None,
    progress: object,
    allow_external: object,
    label: str,
) -> RunOptions:
    """Validates the shared options; ``label`` names the run on a progress bar."""
    if not isinstance(allow_external, bool):
        msg = f"allow_external must be True or False, not {allow_external!r}"
        raise TypeError(msg)
    return RunOptions(
        block_rows=0 if block_rows is None else _positive_int(block_rows, "block_rows"),
        memory_limit=DEFAULT_MEMORY_LIMIT
        if memory_limit is None
        else _positive_int(memory_limit, "memory_limit"),
        progress=progress_reporter(progress, label),
    )


def check_ddof(ddof: Any) -> int:
    """ddof must be an int >= 0, as in NumPy."""
    return _positive_int(ddof, "ddof", allow_zero=True)


def check_k(k: Any) -> int:
    return _positive_int(k, "k")
