"""Progress reporting: a terminal bar for ``progress=True``, or the caller's callback."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO, cast

#: What reports progress: called with (rows_done, rows_total) once per block.
ProgressCallback = Callable[[int, int], None]

#: The ``progress`` argument of every function: True for a bar on a terminal,
#: False for none, or a ProgressCallback.
Progress = bool | ProgressCallback


class TerminalBar:
    """A one-line bar on stderr, redrawn at most ten times a second."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.monotonic()
        self.last_drawn = 0.0
        self.open = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        finished = done >= total
        if not finished and now - self.last_drawn < 0.1:
            return
        self.last_drawn = now
        fraction = done / total if total else 1.0
        width = 30
        filled = int(fraction * width)
        elapsed = now - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else float("inf")
        eta_text = f"{eta:5.0f}s left" if eta != float("inf") else "      "
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
            f"{fraction:6.1%} {done:,}/{total:,} rows {elapsed:6.1f}s {eta_text}"
        )
        self.open = True
        if finished:
            self.close()
        self.stream.flush()

    def close(self) -> None:
        """Ends the line (also after an interrupted run)."""
        if self.open:
            self.stream.write("\n")
            self.stream.flush()
            self.open = False


def progress_reporter(progress: object, label: str) -> ProgressCallback | None:
    """None for no reporting, a TerminalBar for True on a terminal, or the callback."""
    if progress is False or progress is None:
        return None
    if progress is True:
        return TerminalBar(label) if sys.stderr.isatty() else None
    if callable(progress):
        return cast("ProgressCallback", progress)
    msg = (
        "progress must be True, False or a callable taking (rows_done, rows_total), "
        f"not {type(progress).__name__}"
    )
    raise TypeError(msg)


def close_reporter(reporter: ProgressCallback | None) -> None:
    if isinstance(reporter, TerminalBar):
        reporter.close()
