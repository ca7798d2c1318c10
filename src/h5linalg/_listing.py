"""What a file holds: its datasets, listed by the C++ core without reading data.

The core walks the file's links (HDF5's H5Lvisit, through hard links only), so
an external link or a virtual dataset is listed but never followed or opened:
listing an untrusted file touches no other file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from . import _core

#: Datasets ``h5linalg describe FILE`` describes unless told ``--all``.
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class ListedDataset:
    """One dataset of a file (or a link out of it), as the listing shows it."""

    name: str
    kind: str  # "dataset", "external link" or "user-defined link"
    target: str  # an external link's "file:/object" ("" otherwise)
    described: bool  # the fields below are filled in (the first `limit` entries)
    shape: tuple[int, ...] | None
    dtype: str | None
    layout: str
    chunks: tuple[int, ...] | None
    filters: tuple[str, ...]
    storage_bytes: int
    problem: str  # why h5linalg cannot read it ("" when it can)
    needs_allow_external: bool  # it reads another file, so it is not opened

    @property
    def readable(self) -> bool:
        return self.described and not self.problem

    @classmethod
    def _from_core(cls, entry: dict[str, Any]) -> ListedDataset:
        return cls(
            name=str(entry["name"]),
            kind=str(entry["kind"]),
            target=str(entry["target"]),
            described=bool(entry["described"]),
            shape=None if entry["shape"] is None else tuple(entry["shape"]),
            dtype=None if entry["dtype"] is None else str(entry["dtype"]),
            layout=str(entry["layout"]),
            chunks=None if entry["chunks"] is None else tuple(entry["chunks"]),
            filters=tuple(entry["filters"]),
            storage_bytes=int(entry["storage_bytes"]),
            problem=str(entry["problem"]),
            needs_allow_external=bool(entry["needs_allow_external"]),
        )


def list_datasets(
    path: str | os.PathLike[str], limit: int | None = DEFAULT_LIMIT
) -> list[ListedDataset]:
    """The datasets of ``path`` by name, the first ``limit`` described (all: None).

    Soft links are left out (their targets are listed under their own names);
    external links and virtual datasets are listed with ``needs_allow_external``.
    """
    described = 2**63 - 1 if limit is None else limit
    return [
        ListedDataset._from_core(entry)
        for entry in _core.list_datasets(os.fspath(path), described)
    ]
