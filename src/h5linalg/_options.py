"""Checking the keyword options every function shares."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

from . import _core
from ._progress import ProgressCallback, progress_reporter


def _integer(value: Any, name: str) -> int:
    """``value`` as an int: any integer type NumPy's indexing takes, but not a bool."""
    if isinstance(value, bool):
        msg = f"{name} must be an integer, not a bool"
        raise TypeError(msg)
    try:
        return operator.index(value)
    except TypeError:
        msg = f"{name} must be an integer, not {type(value).__name__}"
        raise TypeError(msg) from None


def _int_at_least(value: Any, name: str, minimum: int) -> int:
    number = _integer(value, name)
    if number < minimum:
        msg = f"{name} must be at least {minimum}, got {number}"
        raise ValueError(msg)
    return number


def _positive_int(value: Any, name: str) -> int:
    return _int_at_least(value, name, 1)


def _non_negative_int(value: Any, name: str) -> int:
    return _int_at_least(value, name, 0)


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
        # The core's own default, so that it is written down once.
        memory_limit=_core.default_memory_limit
        if memory_limit is None
        else _positive_int(memory_limit, "memory_limit"),
        progress=progress_reporter(progress, label),
    )


def check_ddof(ddof: Any) -> int:
    """ddof must be an int >= 0, as in NumPy."""
    return _non_negative_int(ddof, "ddof")


def check_k(k: Any) -> int:
    return _positive_int(k, "k")
