"""One way to call into _core: resolve sources, check options, report progress."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ._options import RunOptions, run_options
from ._progress import close_reporter
from ._sources import Resolved, Source, resolve

T = TypeVar("T")


def run(
    kernel: Callable[..., T],
    sources: Sequence[tuple[Source | Resolved, str]],
    *args: Any,
    block_rows: int | None,
    memory_limit: int | str | None,
    progress: Any,
    allow_external: bool,
    label: str,
    **kwargs: Any,
) -> T:
    """Calls ``kernel(*resolved_sources, *args, **kwargs, **options)``.

    ``sources`` pairs each source with its role ("source", "x", "y", ...) for
    error messages. A terminal progress bar is closed however the run ends.
    """
    options: RunOptions = run_options(
        block_rows=block_rows,
        memory_limit=memory_limit,
        progress=progress,
        allow_external=allow_external,
        label=label,
    )
    resolved = [
        resolve(source, allow_external=allow_external, role=role)
        for source, role in sources
    ]
    try:
        return kernel(*resolved, *args, **kwargs, **options.core_kwargs())
    finally:
        close_reporter(options.progress)
