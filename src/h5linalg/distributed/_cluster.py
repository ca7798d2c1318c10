"""One call on the cluster: the client, the checked options, the planned
partitions, the tasks submitted, and how the call ends (:class:`ClusterRun`)."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

import distributed

from .._options import RunOptions, _positive_int, run_options
from .._progress import Progress, close_reporter
from . import _tasks
from ._partitions import Part, Piece, default_partition_rows, plan, shape_probe

#: Times the scheduler reruns a task that raised or whose worker died; a task is
#: a pure function of its rows, so a rerun gives the same answer.
RETRIES = 2


class ClusterRun:
    """The client, the checked options and the planned partitions of one call.

    A context manager: ``with run:`` around the work closes the progress bar
    however the call ends and, when it ends with an exception (Ctrl-C too),
    cancels the tasks still queued and then runs the cleanups registered with
    :meth:`on_failure`.
    """

    def __init__(
        self,
        client: distributed.Client | None,
        partition_rows: int | None,
        *,
        block_rows: int | None,
        memory_limit: int | str | None,
        progress: Progress,
        allow_external: bool,
        label: str,
    ) -> None:
        self.options: RunOptions = run_options(
            block_rows=block_rows,
            memory_limit=memory_limit,
            progress=progress,
            allow_external=allow_external,
            label=label,
        )
        self.client = find_client(client)
        self.allow_external = allow_external
        self.partition_rows = (
            None
            if partition_rows is None
            else _positive_int(partition_rows, "partition_rows")
        )
        self.label = label
        self.futures: list[distributed.Future[Any]] = []
        self.cleanups: list[Callable[[], None]] = []

    def __enter__(self) -> None:
        pass

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close(failed=kind is not None)

    def on_failure(self, cleanup: Callable[[], None]) -> None:
        """Calls ``cleanup()`` if the run fails, after its tasks are cancelled."""
        self.cleanups.append(cleanup)

    def submit(
        self, function: Callable[..., Any], *args: Any
    ) -> distributed.Future[Any]:
        future = self.client.submit(function, *args, pure=False, retries=RETRIES)
        self.futures.append(future)
        return future

    def kernel_options(self) -> tuple[int, int]:
        return self.options.block_rows, self.options.memory_limit

    def shape(
        self, source_parts: list[Part], allow_1d: bool = False
    ) -> tuple[Any, ...]:
        """(rows of each part, columns, 1-D, chunk rows), read on a worker."""
        probe = shape_probe(source_parts)
        rows, cols, vector, chunk_rows = self.submit(
            _tasks.shape, probe, self.allow_external, allow_1d
        ).result()
        rows = [
            part.array.shape[0] if part.array is not None else count
            for part, count in zip(source_parts, rows, strict=True)
        ]
        return rows, cols, vector, chunk_rows

    def height(self, rows: list[int], cols: int, chunk_rows: int) -> int:
        """Rows per partition: partition_rows, or chosen from the layout and workers."""
        if self.partition_rows is not None:
            return self.partition_rows
        workers = len(self.client.scheduler_info().get("workers", {})) or 1
        return default_partition_rows(sum(rows), cols, chunk_rows, workers)

    def partitions(
        self, source_parts: list[Part], rows: list[int], cols: int, chunk_rows: int
    ) -> list[list[Piece]]:
        return plan(rows, source_parts, self.height(rows, cols, chunk_rows))

    def wait(self, pieces: list[distributed.Future[Any]], rows: list[int]) -> None:
        """Reports rows done as tasks finish; raises the first task's error."""
        total = sum(rows)
        done = 0
        report = self.options.progress
        if report is not None:
            report(0, total)
        rows_of = dict(zip((future.key for future in pieces), rows, strict=True))
        for future in distributed.as_completed(pieces):
            if future.status == "error":
                future.result()  # raises the task's own exception here
            done += rows_of[future.key]
            if report is not None:
                report(done, total)

    def close(self, failed: bool) -> None:
        close_reporter(self.options.progress)
        if failed:
            self.client.cancel(self.futures)
            for cleanup in self.cleanups:
                cleanup()


def find_client(client: object) -> distributed.Client:
    """``client``, checked, or the current one."""
    if client is not None:
        if not isinstance(client, distributed.Client):
            msg = f"client must be a distributed.Client, not {type(client).__name__}"
            raise TypeError(msg)
        return client
    try:
        found: distributed.Client = distributed.default_client()
    except ValueError:
        msg = (
            "h5linalg.distributed found no distributed.Client: create one first "
            "(distributed.Client() starts a local cluster; Client('tcp://host:8786') "
            "connects to a running scheduler) or pass client="
        )
        raise ValueError(msg) from None
    return found


def merge_tree(
    run: ClusterRun, kind: str, states: list[distributed.Future[Any]]
) -> distributed.Future[Any]:
    """Merges neighbours pairwise, level by level: a shape fixed by the count alone."""
    level = states
    while len(level) > 1:
        merged = [
            run.submit(_tasks.merge, kind, level[i], level[i + 1])
            for i in range(0, len(level) - 1, 2)
        ]
        level = merged + ([level[-1]] if len(level) % 2 else [])
    return level[0]
