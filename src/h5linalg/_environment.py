"""The environment variables h5linalg reads; the compiled core reads none.

They are read here and passed into the core: the thread count once, when
h5linalg is imported (the worker pool is process-wide); the other two on every
call, in the process that runs the kernel (a worker's own, on a cluster).

- ``H5LINALG_NUM_THREADS``: threads that decode compressed chunks (default:
  the CPUs; anything but a whole number >= 1 means the default).
- ``H5LINALG_SERIAL_INFLATE``: set (to anything), every chunk is left to HDF5's
  own, single-threaded filters.
- ``H5LINALG_LSTSQ_SLAB``: rows per LAPACK call in lstsq (default 4096; a
  diagnostic, not a tuning knob).
"""

from __future__ import annotations

import os
import re

_LEADING_INTEGER = re.compile(r"\s*([+-]?\d+)")


def _leading_integer(name: str) -> int | None:
    """The whole number a variable starts with, as C's ``strtol`` reads it, or None."""
    match = _LEADING_INTEGER.match(os.environ.get(name, ""))
    return int(match.group(1)) if match else None


def worker_threads() -> int:
    """``H5LINALG_NUM_THREADS`` if it is a number >= 1, else 0 (the core's: the CPUs)."""
    value = _leading_integer("H5LINALG_NUM_THREADS")
    return value if value is not None and value >= 1 else 0


def parallel_inflate() -> bool:
    """Whether h5linalg may decode chunks on its own threads (not H5LINALG_SERIAL_INFLATE)."""
    return "H5LINALG_SERIAL_INFLATE" not in os.environ


def lstsq_slab_rows() -> int:
    """``H5LINALG_LSTSQ_SLAB`` (at least 1) if set to a number, else 0 (the core's: 4096)."""
    value = _leading_integer("H5LINALG_LSTSQ_SLAB")
    return 0 if value is None else max(1, value)
