"""Counting this process's native threads, for the tests that check no run leaves one behind."""

from __future__ import annotations

import os
import time


def native_threads() -> int:
    return len(os.listdir("/proc/self/task"))


def settled_threads(expected: int, seconds: float = 5.0) -> int:
    """The native thread count, once it is back to `expected` or `seconds` have passed.

    A joined thread may still be listed for a moment: the kernel wakes the joiner
    when the thread clears its id, before it removes the task from /proc.
    """
    deadline = time.monotonic() + seconds
    while native_threads() > expected and time.monotonic() < deadline:
        time.sleep(0.01)
    return native_threads()
