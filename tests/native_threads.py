"""This process's native threads, for the tests that check no run leaves one behind.

Threads are compared by id, not counted: a thread of earlier work (a pool's idle
worker timing out) may end during the run, and must not hide a leaked one.
"""

from __future__ import annotations

import os
import time


def native_threads() -> set[int]:
    return {int(tid) for tid in os.listdir("/proc/self/task")}


def threads_left_behind(
    before: set[int], allowed: int = 0, seconds: float = 5.0
) -> set[int]:
    """The threads started since `before` that still run, once at most `allowed`
    are left or `seconds` have passed.

    A joined thread may still be listed for a moment: the kernel wakes the joiner
    when the thread clears its id, before it removes the task from /proc.
    """
    deadline = time.monotonic() + seconds
    while len(native_threads() - before) > allowed and time.monotonic() < deadline:
        time.sleep(0.01)
    return native_threads() - before
