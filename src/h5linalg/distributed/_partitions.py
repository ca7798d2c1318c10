"""How a distributed run splits a source's rows into tasks.

A source (one dataset, a stack, a pattern, an array) becomes a list of
:class:`Part`\\ s, the things a worker opens by path. The rows of all parts, one
after another, are cut into partitions of ``partition_rows`` rows; a partition
is a list of :class:`Piece`\\ s, each a row range of one part, so a task may read
the end of one file and the start of the next. Pure Python, no cluster: the
client plans, the workers only read what they are given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import _core
from .._environment import parallel_inflate
from .._sources import H5Source, _resolve_part, parts_of


@dataclass(frozen=True)
class Part:
    """A dataset a worker opens by path, or an array the task carries."""

    path: str | None = None
    dataset: str | None = None
    array: np.ndarray | None = None
    ignore_file_locks: bool = False

    def ref(self, first: int, count: int, allow_external: bool) -> object:
        """What _core reads for rows [first, first + count) of this part."""
        if self.array is not None:
            return self.array[first : first + count]
        assert self.path is not None
        assert self.dataset is not None
        return _core.DatasetRef(
            self.path,
            self.dataset,
            allow_external=allow_external,
            ignore_file_locks=self.ignore_file_locks,
            first=first,
            count=count,
            parallel_inflate=parallel_inflate(),
        )

    def whole(self, allow_external: bool) -> object:
        """What _core reads for every row of this part."""
        if self.array is not None:
            return self.array
        return self.ref(0, 0, allow_external)  # a DatasetRef's count 0: every row


@dataclass(frozen=True)
class Piece:
    """Rows [first, first + count) of one part."""

    part: Part
    first: int
    count: int


def parts(source: object, role: str) -> list[Part]:
    """The parts of a source, patterns expanded here, on the client.

    Paths are not checked here: the workers open them, and their errors come
    back. Everything else is resolved as a local run resolves it (h5py datasets
    flushed and named by file, arrays checked), and kept in a form a task can
    carry.
    """
    out: list[Part] = []
    for listed in parts_of(source):
        item = H5Source.parse(listed) if isinstance(listed, str) else listed
        if isinstance(item, H5Source):
            out.append(Part(path=item.path, dataset=item.dataset))
            continue
        resolved = _resolve_part(item, allow_external=False, role=role)
        if isinstance(resolved, _core.DatasetRef):
            out.append(
                Part(
                    path=resolved.path,
                    dataset=resolved.name,
                    ignore_file_locks=resolved.ignore_file_locks,
                )
            )
        else:
            out.append(Part(array=resolved))
    return out


def shape_probe(parts_list: list[Part]) -> list[Part]:
    """The parts as the shape task needs them: arrays cut to one row (their
    columns and dtype are what is checked; their rows are known here)."""
    return [Part(array=p.array[:1]) if p.array is not None else p for p in parts_list]


def source_of(pieces: list[Piece], allow_external: bool) -> object:
    """What _core reads for a partition: one piece, or a stack of them."""
    refs = [
        piece.part.ref(piece.first, piece.count, allow_external) for piece in pieces
    ]
    return refs[0] if len(refs) == 1 else refs


def plan(
    part_rows: list[int], parts_list: list[Part], partition_rows: int
) -> list[list[Piece]]:
    """Consecutive partitions of ``partition_rows`` rows (the last may be shorter)."""
    total = sum(part_rows)
    offsets = np.cumsum([0, *part_rows])
    partitions: list[list[Piece]] = []
    for first in range(0, total, partition_rows):
        last = min(total, first + partition_rows)
        pieces = []
        index = int(np.searchsorted(offsets, first, side="right")) - 1
        row = first
        while row < last:
            start = int(offsets[index])
            end = int(offsets[index + 1])
            take = min(last, end) - row
            part = parts_list[index]
            if take > 0 and part.array is not None:
                # A task carries only its own rows of an array, not the whole of it.
                within = row - start
                pieces.append(
                    Piece(Part(array=part.array[within : within + take]), 0, take)
                )
            elif take > 0:
                pieces.append(Piece(part, row - start, take))
            row += take
            index += 1
        partitions.append(pieces)
    return partitions


#: A task reads at most about this much (float64), so that its share of memory
#: and its time to redo after a lost worker stay small.
MAX_TASK_BYTES = 1 << 30


def default_partition_rows(
    total_rows: int, cols: int, chunk_rows: int, workers: int
) -> int:
    """At least four tasks per worker and at most MAX_TASK_BYTES each, in whole chunks."""
    tasks = max(4 * max(1, workers), math.ceil(total_rows * cols * 8 / MAX_TASK_BYTES))
    rows = math.ceil(total_rows / tasks)
    chunk = max(1, chunk_rows)
    return max(chunk, math.ceil(rows / chunk) * chunk)
