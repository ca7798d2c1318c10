"""The ``h5linalg`` command: describe a dataset, or compute its covariance.

h5linalg describe data.h5:/x
h5linalg cov data.h5:/x -o cov.npy
h5linalg cov data.h5:/x --out results.h5:/cov
h5linalg cov 'runs/day-*.h5:/x' extra.h5:/x -o cov.npy   # several files as one
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _core, covariance, moments
from ._output import output_target
from ._sources import H5Source, expand_text, resolve

_EXIT_ERROR = 1
_EXIT_INTERRUPTED = 130


def _human_bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if count < 1024 or unit == "TiB":
            return f"{count:.1f} {unit}" if unit != "B" else f"{int(count)} B"
        count /= 1024
    return f"{count:.1f} TiB"  # pragma: no cover


def _parts(args: argparse.Namespace) -> list[H5Source]:
    """The datasets the command line names, patterns expanded, in the order used."""
    return [part for text in args.datasets for part in expand_text(text)]


def _as_source(parts: list[H5Source]) -> H5Source | list[H5Source]:
    return parts[0] if len(parts) == 1 else parts


def _layout_text(info: dict[str, Any]) -> str:
    layout = str(info["layout"])
    if info["chunks"] is not None:
        layout += f", chunks {tuple(info['chunks'])}"
    if info["filters"]:
        layout += ", filters " + " + ".join(info["filters"])
    return layout


def _readable(info: dict[str, Any]) -> bool:
    shape = tuple(info["shape"])
    return bool(info["numeric"]) and len(shape) == 2 and 0 not in shape


def _describe(args: argparse.Namespace) -> None:
    parts = _parts(args)
    infos = [
        _core.describe(resolve(part, allow_external=args.allow_external))
        for part in parts
    ]
    if len(parts) == 1:
        info = infos[0]
        print(f"{parts[0]}")
        print(f"  shape   {tuple(info['shape'])}")
        print(f"  dtype   {info['dtype']}")
        print(f"  layout  {_layout_text(info)}")
        print(f"  stored  {_human_bytes(info['storage_bytes'])}")
    else:
        # One line per file, in the order the rows are read, then the totals.
        width = max(len(str(part)) for part in parts)
        print(f"{len(parts)} datasets, read in this order:")
        for part, info in zip(parts, infos, strict=True):
            print(
                f"  {part!s:<{width}}  {tuple(info['shape'])!s:<14} "
                f"{info['dtype']:<8} {_layout_text(info)}, "
                f"{_human_bytes(info['storage_bytes'])}"
            )
        rows = sum(int(info["shape"][0]) for info in infos)
        # Column counts that differ are reported by the statistics below.
        first_columns = tuple(infos[0]["shape"][1:2])
        print("total")
        print(f"  shape   {(rows, *first_columns)}")
        print(f"  stored  {_human_bytes(sum(info['storage_bytes'] for info in infos))}")
    if not all(_readable(info) for info in infos):
        print("  (no column statistics: h5linalg reads 2-D numeric datasets with rows)")
        return
    stats = moments(
        _as_source(parts),
        block_rows=args.block_rows,
        progress=not args.no_progress,
        allow_external=args.allow_external,
        memory_limit=args.memory_limit,
    )
    columns = len(stats.mean)
    shown = columns if args.all_columns else min(columns, 20)
    print()
    print(f"  {'column':>8} {'mean':>14} {'std':>14} {'min':>14} {'max':>14}")
    std = np.sqrt(stats.var)
    for j in range(shown):
        print(
            f"  {j:>8} {stats.mean[j]:>14.6g} {std[j]:>14.6g} "
            f"{stats.min[j]:>14.6g} {stats.max[j]:>14.6g}"
        )
    if shown < columns:
        print(f"  ... {columns - shown} more columns (show them with --all-columns)")


def _save_npy(path: str, array: np.ndarray, overwrite: bool) -> None:
    """np.save to a temporary name, then rename: never a half-written file."""
    if os.path.exists(path) and not overwrite:
        msg = f"{path!r} exists; pass --overwrite to replace it"
        raise FileExistsError(msg)
    directory = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(
        directory, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp"
    )
    try:
        with open(temporary, "wb") as handle:
            np.save(handle, array)
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)


def _cov(args: argparse.Namespace) -> None:
    parts = _parts(args)
    result = covariance(
        _as_source(parts),
        ddof=args.ddof,
        block_rows=args.block_rows,
        progress=not args.no_progress,
        allow_external=args.allow_external,
        memory_limit=args.memory_limit,
    )
    if args.output is not None:
        _save_npy(args.output, result, args.overwrite)
        print(
            f"wrote the {result.shape[0]}x{result.shape[1]} covariance to {args.output}"
        )
    else:
        target, written = output_target(
            args.out, overwrite=args.overwrite, inputs=[part.path for part in parts]
        )
        _core.write_array(result, target)
        print(f"wrote the {result.shape[0]}x{result.shape[1]} covariance to {written}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="h5linalg",
        description="Statistics and linear algebra on HDF5 datasets larger than memory.",
        epilog="Datasets are written FILE:/DATASET, for example data.h5:/group/x.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {_core.__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "datasets",
        nargs="+",
        metavar="FILE:/DATASET",
        help="the dataset to read; several, or a glob pattern in FILE "
        "('runs/*.h5:/x'), are read one after another as one dataset",
    )
    common.add_argument(
        "--block-rows",
        type=int,
        default=None,
        metavar="N",
        help="rows per block (default: chosen from the chunking and memory)",
    )
    common.add_argument(
        "--memory-limit",
        type=int,
        default=None,
        metavar="BYTES",
        help=f"bytes of block buffers (default: {_core.default_memory_limit >> 20} MiB)",
    )
    common.add_argument(
        "--allow-external",
        action="store_true",
        help="follow external links and external or virtual storage",
    )
    common.add_argument("--no-progress", action="store_true", help="no progress bar")

    describe = commands.add_parser(
        "describe",
        parents=[common],
        help="shape, dtype, layout and per-column statistics",
        description="Shape, dtype, layout, chunking, compression and per-column "
        "count/mean/std/min/max of a dataset, in one pass.",
    )
    describe.add_argument(
        "--all-columns",
        action="store_true",
        help="list every column (default: the first 20)",
    )
    describe.set_defaults(run=_describe)

    cov = commands.add_parser(
        "cov",
        parents=[common],
        help="covariance matrix of the columns",
        description="The covariance matrix of the columns (numpy.cov(X, rowvar=False)), "
        "in one pass over the dataset.",
    )
    target = cov.add_mutually_exclusive_group(required=True)
    target.add_argument("-o", "--output", metavar="FILE.npy", help="write a .npy file")
    target.add_argument("--out", metavar="FILE:/DATASET", help="write an HDF5 dataset")
    cov.add_argument(
        "--ddof", type=int, default=1, help="delta degrees of freedom (default 1)"
    )
    cov.add_argument(
        "--overwrite", action="store_true", help="replace an existing output"
    )
    cov.set_defaults(run=_cov)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``h5linalg`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        args.run(args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
    except BrokenPipeError:
        # The reader went away (`h5linalg describe ... | head`): a command-line
        # tool stops quietly then. stdout goes to devnull so that Python's own
        # flush at exit does not report the same pipe again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("h5linalg: interrupted", file=sys.stderr)
        return _EXIT_INTERRUPTED
    except (
        OSError,
        ValueError,
        TypeError,
        KeyError,
        MemoryError,
        np.linalg.LinAlgError,
    ) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"h5linalg: error: {message}", file=sys.stderr)
        return _EXIT_ERROR
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
