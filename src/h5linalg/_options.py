"""Checking the keyword options every function shares."""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from fractions import Fraction
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


#: The units a size may end with, by upper-cased spelling. K, M, G, T and their
#: IEC names KiB, MiB, GiB, TiB are binary (powers of 1024); KB, MB, GB, TB are
#: decimal (powers of 1000), as IEC and SI define them.
_SIZE_UNITS = {
    "": 1,
    "B": 1,
    **{
        f"{prefix}{suffix}": 1024**power
        for power, prefix in enumerate("KMGT", 1)
        for suffix in ("", "I", "IB")
    },
    **{f"{prefix}B": 1000**power for power, prefix in enumerate("KMGT", 1)},
}

_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]*)\s*")

#: How a size is written, for messages and help texts.
SIZE_FORMS = "bytes, or a number with a unit: 512M, 1.5G, 2GiB (binary), 2GB (decimal)"


def parse_size(value: Any, name: str = "") -> int:
    """A byte count from an int or a string such as ``"512M"``, ``"1.5G"`` or ``"2GiB"``.

    A plain number is bytes. ``K``/``M``/``G``/``T`` and ``KiB``/``MiB``/``GiB``/``TiB``
    are binary units (1024, 1024**2, ...); ``KB``/``MB``/``GB``/``TB`` are decimal
    (1000, 1000**2, ...), as IEC and SI define them. Units are case-insensitive; a
    fraction of a byte is rounded down. The result must be at least 1. ``name``
    starts the error messages (none for the command line, where argparse names
    the option).
    """
    prefix = f"{name} " if name else ""
    if isinstance(value, str):
        match = _SIZE.fullmatch(value)
        unit = match and _SIZE_UNITS.get(match.group(2).upper())
        if not match or unit is None:
            msg = f"{prefix}{value!r} is not a size; write {SIZE_FORMS}"
            raise ValueError(msg)
        number = int(Fraction(match.group(1)) * unit)
        if number < 1:
            msg = f"{prefix}must be at least 1 byte, got {value!r}"
            raise ValueError(msg)
        return number
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        try:
            value = _integer(value, name)
        except TypeError:
            msg = (
                f"{name} must be an integer (bytes) or a string such as '512M', "
                f"not {type(value).__name__}"
            )
            raise TypeError(msg) from None
    return _positive_int(value, name)


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
    memory_limit: int | str | None,
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
        else parse_size(memory_limit, "memory_limit"),
        progress=progress_reporter(progress, label),
    )


def check_ddof(ddof: Any) -> int:
    """ddof must be an int >= 0, as in NumPy."""
    return _non_negative_int(ddof, "ddof")


def check_k(k: Any) -> int:
    return _positive_int(k, "k")
