"""The ``h5linalg`` command: describe a dataset, or compute its covariance.

h5linalg describe data.h5              # the datasets of a file
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
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO

import numpy as np

from . import _core, covariance, moments
from ._listing import DEFAULT_LIMIT, ListedDataset, list_datasets
from ._options import SIZE_FORMS, parse_size
from ._output import output_target
from ._sources import H5Source, expand_text, resolve

_EXIT_ERROR = 1
_EXIT_INTERRUPTED = 130


def _size(text: str) -> int:
    """--memory-limit: a size such as 512M or 2G (argparse reports a bad one)."""
    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _count(minimum: int) -> Callable[[str], int]:
    def convert(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            msg = f"{text!r} is not a whole number"
            raise argparse.ArgumentTypeError(msg) from None
        if number < minimum:
            msg = f"must be at least {minimum}, got {number}"
            raise argparse.ArgumentTypeError(msg)
        return number

    convert.__name__ = f"integer >= {minimum}"
    return convert


def _names_dataset(text: str) -> bool:
    """Whether ``text`` is FILE:/DATASET (a ``:/`` after a drive letter's does not count)."""
    return text.find(":/", 2) != -1


def _npy_file(text: str) -> str:
    """-o: a .npy file name, not FILE:/DATASET."""
    if _names_dataset(text):
        msg = (
            f"{text!r} names an HDF5 dataset, but -o writes a .npy file; "
            f"write the dataset with --out {text}"
        )
        raise argparse.ArgumentTypeError(msg)
    return text


def _hdf5_dataset(text: str) -> str:
    """--out: FILE:/DATASET, not a plain path."""
    if not _names_dataset(text):
        stem = os.path.splitext(text)[0] or "results"
        msg = (
            f"{text!r} is a plain path, but --out writes an HDF5 dataset, "
            f"FILE:/DATASET (for example {stem}.h5:/cov); "
            f"to write a .npy file use -o {stem}.npy"
        )
        raise argparse.ArgumentTypeError(msg)
    return text


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """One line per warning, for people: no source file, no source line."""
    del category, filename, lineno, line  # what a programmer's traceback would show
    print(f"h5linalg: warning: {message}", file=sys.stderr if file is None else file)


@contextlib.contextmanager
def _warnings_as_lines() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = _show_warning
        yield


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
    return (
        bool(info["numeric"])
        and len(shape) == 2
        and 0 not in shape
        and not info["cf_encoding"]
    )


def _listing_line(entry: ListedDataset, widths: tuple[int, int, int]) -> str:
    name_width, shape_width, dtype_width = widths
    if entry.kind != "dataset":
        target = f" to {entry.target}" if entry.target else ""
        return (
            f"  {entry.name:<{name_width}}  {entry.kind}{target}: "
            "not read without --allow-external"
        )
    if not entry.described:
        return f"  {entry.name}"
    shape = "" if entry.shape is None else str(entry.shape)
    dtype = entry.dtype or ""
    layout = str(entry.layout)
    if entry.chunks is not None:
        layout += f", chunks {entry.chunks}"
    if entry.filters:
        layout += ", filters " + " + ".join(entry.filters)
    if entry.needs_allow_external:
        why = f"  ({entry.problem}: not read without --allow-external)"
    elif entry.problem:
        why = f"  (not read: {entry.problem})"
    else:
        why = ""
    return (
        f"  {entry.name:<{name_width}}  {shape:<{shape_width}}  "
        f"{dtype:<{dtype_width}}  {layout}{why}"
    )


def _describe_file(path: str, show_all: bool) -> None:
    """The datasets of a file, without reading their data."""
    if not os.path.exists(path):
        msg = f"No such file: {path!r}"
        raise FileNotFoundError(msg)
    entries = list_datasets(path, None if show_all else DEFAULT_LIMIT)
    shown = [entry for entry in entries if entry.described]
    readable = sum(entry.readable for entry in entries)
    noun = "dataset" if len(entries) == 1 else "datasets"
    print(f"{path}: {len(entries)} {noun}, {readable} of them read by h5linalg")
    if not entries:
        return
    widths = (
        max(len(entry.name) for entry in shown),
        max(len(str(entry.shape or "")) for entry in shown),
        max(len(entry.dtype or "") for entry in shown),
    )
    for entry in shown:
        print(_listing_line(entry, widths))
    if len(shown) < len(entries):
        print(f"  ... {len(entries) - len(shown)} more (list them all with --all)")
    if readable:
        example = next(entry.name for entry in entries if entry.readable)
        print(f"describe one with: h5linalg describe {path}:{example}")


def _describe(args: argparse.Namespace) -> None:
    if len(args.datasets) == 1 and not _names_dataset(args.datasets[0]):
        _describe_file(args.datasets[0], args.all)
        return
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
        if info["cf_encoding"]:
            print(f"  CF      {', '.join(info['cf_encoding'])}")
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
    if any(info["cf_encoding"] for info in infos):
        print(
            "  (no column statistics: h5linalg does not decode CF encoding attributes "
            "yet; read the data decoded with xarray)"
        )
        return
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


def _check_npy(path: str, overwrite: bool) -> None:
    """Errors a .npy output would meet, found before the computation starts."""
    if os.path.isdir(path):
        msg = (
            f"-o {path!r} is a directory; give a file name in it, such as "
            f"{os.path.join(path, 'cov.npy')!r}"
        )
        raise IsADirectoryError(msg)
    folder = os.path.dirname(path)
    if folder and not os.path.isdir(folder):
        msg = f"cannot write {path!r}: the folder {folder!r} does not exist"
        raise FileNotFoundError(msg)
    if os.path.exists(path) and not overwrite:
        msg = f"{path!r} exists; pass --overwrite to replace it"
        raise FileExistsError(msg)


def _save_npy(path: str, array: np.ndarray, overwrite: bool) -> None:
    """np.save to a temporary name, then rename: never a half-written file.

    An error names ``path``, never the temporary file."""
    _check_npy(path, overwrite)
    directory = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(
        directory, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp"
    )
    try:
        with open(temporary, "wb") as handle:
            np.save(handle, array)
        os.replace(temporary, path)
    except OSError as error:
        msg = f"cannot write {path!r}: {error.strerror or error}"
        raise type(error)(msg) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)


def _hdf5_target(
    args: argparse.Namespace, parts: list[H5Source]
) -> tuple[_core.OutputRef, H5Source]:
    """The --out target, checked (exists? folder? group in the way?) before any work."""
    target, written = output_target(
        args.out, overwrite=args.overwrite, inputs=[part.path for part in parts]
    )
    try:
        _core.check_output(target)
    except FileExistsError:
        msg = f"{str(written)!r} already exists; pass --overwrite to replace it"
        raise FileExistsError(msg) from None
    return target, written


def _cov(args: argparse.Namespace) -> None:
    parts = _parts(args)
    # Outputs are checked first: a run may take hours.
    if args.output is not None:
        _check_npy(args.output, args.overwrite)
    else:
        target, written = _hdf5_target(args, parts)
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
        try:
            _core.write_array(result, target)
        except FileExistsError:  # made since the check above
            msg = f"{str(written)!r} already exists; pass --overwrite to replace it"
            raise FileExistsError(msg) from None
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
    common = _common_options()
    _add_describe(commands, common)
    _add_cov(commands, common)
    return parser


def _common_options() -> argparse.ArgumentParser:
    """The arguments every command takes: the datasets and how to read them."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "datasets",
        nargs="+",
        metavar="FILE:/DATASET",
        help="the dataset to read; several, or a glob pattern in FILE "
        "('runs/*.h5:/x'), are read one after another as one dataset "
        "(describe: a FILE alone lists its datasets)",
    )
    common.add_argument(
        "--block-rows",
        type=_count(1),
        default=None,
        metavar="N",
        help="rows per block (default: chosen from the chunking and memory)",
    )
    common.add_argument(
        "--memory-limit",
        type=_size,
        default=None,
        metavar="SIZE",
        help="memory for block buffers: "
        + SIZE_FORMS.replace("%", "%%")
        + f" (default: {_core.default_memory_limit >> 20}M)",
    )
    common.add_argument(
        "--allow-external",
        action="store_true",
        help="follow external links and external or virtual storage",
    )
    common.add_argument("--no-progress", action="store_true", help="no progress bar")
    return common


def _add_describe(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    describe = commands.add_parser(
        "describe",
        parents=[common],
        help="shape, dtype, layout and per-column statistics; or a file's datasets",
        description="Shape, dtype, layout, chunking, compression and per-column "
        "count/mean/std/min/max of a dataset, in one pass. Given a FILE alone, "
        f"lists its datasets (the first {DEFAULT_LIMIT}) without reading their data, "
        "and says why h5linalg cannot read those it cannot.",
    )
    describe.add_argument(
        "--all",
        action="store_true",
        help=f"with a FILE alone: list every dataset (default: the first {DEFAULT_LIMIT})",
    )
    describe.add_argument(
        "--all-columns",
        action="store_true",
        help="list every column (default: the first 20)",
    )
    describe.set_defaults(run=_describe)


def _add_cov(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    cov = commands.add_parser(
        "cov",
        parents=[common],
        help="covariance matrix of the columns",
        description="The covariance matrix of the columns (numpy.cov(X, rowvar=False)), "
        "in one pass over the dataset.",
    )
    target = cov.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "-o",
        "--output",
        type=_npy_file,
        metavar="FILE.npy",
        help="write a .npy file (for HDF5 use --out)",
    )
    target.add_argument(
        "--out",
        type=_hdf5_dataset,
        metavar="FILE:/DATASET",
        help="write an HDF5 dataset (for .npy use -o)",
    )
    cov.add_argument(
        "--ddof",
        type=_count(0),
        default=1,
        help="delta degrees of freedom (default 1)",
    )
    cov.add_argument(
        "--overwrite", action="store_true", help="replace an existing output"
    )
    cov.set_defaults(run=_cov)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``h5linalg`` console script; returns the exit status.

    A bad command line exits with 2 before any work or output (argparse); an
    error while working with 1, Ctrl-C with 130. Warnings are one line each.
    """
    args = _parser().parse_args(argv)
    try:
        with _warnings_as_lines():
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
