"""Fuzzing h5linalg with damaged HDF5 files: templates, mutations, child processes.

The parent (the pytest process) builds small valid HDF5 files with h5py (the
*templates*), derives damaged copies from them (*cases*: bit flips,
truncation, bytes overwritten in the superblock, an object header, a chunk
index or the raw data), and runs every h5linalg function on each case in a
child process that never imports h5py. A second kind of child reads each
damaged dataset with h5py (its own libhdf5) as the reference. The parent then
checks that

- the h5linalg child ended every case with a result or a Python exception:
  never a signal (crash, abort), a hang (time limit) or a nonzero exit;
- no HDF5 object, native thread or partial output is left behind by a case,
  and the input file's bytes and mtime are unchanged;
- where h5linalg returned a result and h5py read the dataset, NumPy on h5py's
  data agrees (float64, with a tolerance suited to each function).

Children handle many cases each and report one JSON line per case, so a crash
names the case it happened in; that case is then re-run alone to confirm it
(and, if it only crashes after others, with the cases before it).

Run as a script, this module is the child: ``fuzz_runner.py h5linalg JOB.json``
or ``fuzz_runner.py reference JOB.json``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import re
import selectors
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"

#: Rows and columns of every template's /x (and rows of /y).
ROWS, COLS = 60, 4
#: Rows a child lets one call stream, and seconds it lets one case's calls run,
#: before the progress callback stops them: a damaged shape can claim billions
#: of unwritten rows, and streaming their fill values is slow but not a hang.
#: (Whether h5linalg should have refused such a file is checked separately.)
ROW_BUDGET = 1_000_000
CASE_SECONDS = 2.0
#: memory_limit for every call: small, so damaged chunk shapes meet it.
MEMORY_LIMIT = 64 * 2**20
#: How much a case's calls together may raise the resident memory: block
#: buffers within memory_limit, plus results and HDF5's caches, with room to spare.
PEAK_MEMORY = 4 * MEMORY_LIMIT + 256 * 2**20
#: Address-space limit of the children (about 0.6 GiB of it is taken at start):
#: an unbounded allocation fails quickly instead of filling the machine's memory,
#: and shows up as a MemoryError from the C++ allocator (see UNBOUNDED).
ADDRESS_SPACE = 2 * 2**30
#: MemoryError messages of allocations that no memory_limit check came before.
UNBOUNDED = re.compile(r"bad_alloc|bad_array_new_length")
#: Arrays larger than this are neither saved nor compared.
MAX_COMPARE_ELEMENTS = 1_000_000
#: Corpus files larger than this are not kept.
MAX_CORPUS_BYTES = 256 * 1024

DTYPES = ("<f8", ">f8", "<f4", "<f2", "<i4", ">i2", "|u1")
LAYOUTS: dict[str, dict[str, Any]] = {
    "contiguous": {},
    "chunked": {"chunks": (8, COLS)},
    "gzip": {"chunks": (7, COLS), "compression": "gzip", "compression_opts": 4},
    "shuffle-gzip": {
        "chunks": (5, 3),
        "compression": "gzip",
        "compression_opts": 6,
        "shuffle": True,
    },
    "fletcher32-gzip": {"chunks": (9, 2), "compression": "gzip", "fletcher32": True},
    # The other codecs h5linalg decodes on its worker threads (hdf5plugin's filters,
    # h5py's LZF), as h5py writes them: filter ids and parameters, no objects, so
    # that this module imports without hdf5plugin (the h5linalg children never
    # import it). Blosc's are lz4 with byte shuffle and zstd with bit shuffle.
    "zstd": {"chunks": (7, COLS), "compression": 32015, "compression_opts": (3,)},
    "shuffle-lz4": {
        "chunks": (6, 3),
        "compression": 32004,
        "compression_opts": (0,),
        "shuffle": True,
    },
    "blosc-lz4": {
        "chunks": (20, COLS),
        "compression": 32001,
        "compression_opts": (0, 0, 0, 0, 5, 1, 1),
    },
    "blosc-zstd": {
        "chunks": (12, 3),
        "compression": 32001,
        "compression_opts": (0, 0, 0, 0, 5, 2, 5),
    },
    "lzf": {"chunks": (8, COLS), "compression": "lzf"},
    "shuffle-lzf": {"chunks": (10, 3), "compression": "lzf", "shuffle": True},
}
#: Layouts whose data is made compressible (rounded): random doubles do not
#: shrink under these codecs, and a chunk that does not shrink is stored with
#: the filter skipped, so the damage would never reach a decoder.
CODEC_LAYOUTS = frozenset(
    ("zstd", "shuffle-lz4", "blosc-lz4", "blosc-zstd", "lzf", "shuffle-lzf")
)
#: The dtypes those layouts are made in (all of them would double the templates).
CODEC_DTYPES = ("<f8", ">f8", "<f4", ">i2")
#: h5py's libver bounds: the oldest file format (superblock 0, version-1 object
#: headers and B-trees, no checksums) and the 1.10 one (superblock 3, checksummed
#: object headers, fixed-array chunk indexes) that HDF5 1.10 also reads.
FORMATS: dict[str, tuple[str, str]] = {
    "earliest": ("earliest", "v110"),
    "v110": ("v110", "v110"),
}

#: Signatures of HDF5 metadata structures: B-trees and the chunk indexes among them.
CHUNK_INDEX_SIGNATURES = (
    b"TREE",
    b"FAHD",
    b"FADB",
    b"EAHD",
    b"EAIB",
    b"EASB",
    b"EADB",
    b"BTHD",
    b"BTIN",
    b"BTLF",
)
OTHER_SIGNATURES = (b"HEAP", b"SNOD", b"OHDR", b"OCHK", b"FRHP", b"FSHD", b"GCOL")

#: What a mutation overwrites, and how likely each kind is.
MUTATION_WEIGHTS: dict[str, int] = {
    "bitflip": 3,
    "truncate": 2,
    "superblock": 2,
    "object-header": 5,
    "chunk-index": 5,
    "raw-data": 2,
    "integer": 5,
    "shape": 3,
    "chunk-shape": 3,
}
#: Shapes that overflow sizes: n * 8, n * n, rows * cols, 32-bit ints.
OVERFLOWING_DIMS = (
    2**31 - 1,
    2**31 + 4,
    2**32,
    2**32 + 4,
    2**60 + 1,
    2**61,
    2**61 + 1,
    2**62,
    2**63 - 1,
    2**64 - 1,
    0,
    ROWS + 1,
    ROWS * 1000,
)
INTERESTING_INTEGERS = (
    0,
    1,
    2,
    0x7F,
    0xFF,
    0x7FFF,
    0xFFFF,
    0x7FFFFFFF,
    0xFFFFFFFF,
    2**32,
    2**40,
    2**61,
    2**62,
    2**63 - 1,
    2**64 - 1,
)

#: The calls each case makes, in this order.
FUNCTIONS = (
    "moments",
    "gram",
    "covariance",
    "pca",
    "lstsq",
    "matmul",
    "matmul_out",
    "describe_cli",
)
#: Exceptions the README promises for bad input.
DOCUMENTED_ERRORS = {
    "OSError",
    "FileNotFoundError",
    "PermissionError",
    "KeyError",
    "TypeError",
    "ValueError",
    "MemoryError",
    "LinAlgError",
    "RowBudgetExceeded",
}


# --------------------------------------------------------------------------- templates


@dataclass(frozen=True)
class Template:
    """A valid file with /x (ROWS x COLS) and /y (ROWS,), and where its parts are."""

    name: str
    path: str
    dtype: str
    layout: str
    format: str
    size: int
    superblock_bytes: int
    object_headers: list[tuple[int, int]]  # (address, length) of /x and /y
    chunk_index: list[tuple[int, int]]  # (address, length) of each index structure
    raw_data: list[tuple[int, int]]  # (address, length) of /x's chunks or data
    metadata: list[tuple[int, int]]  # every structure above, for integer writes
    #: Offsets of /x's dims and maxdims (8 bytes each) in its dataspace message.
    dims: list[int]
    #: Offsets and widths of /x's chunk dimensions in its layout message.
    chunk_dims: list[tuple[int, int]]


def template_data(
    dtype: str, compressible: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(sum(map(ord, dtype)))
    x = rng.normal(loc=3.0, scale=2.0, size=(ROWS, COLS))
    y = x @ np.array([1.0, -2.0, 0.5, 3.0]) + rng.normal(scale=0.1, size=ROWS)
    if compressible:
        x, y = np.round(x * 4) / 4, np.round(y * 4) / 4
    if np.dtype(dtype).kind in "iu":
        x, y = np.round(np.abs(x) * 10), np.round(np.abs(y) * 2)
    return x.astype(dtype), y.astype(dtype)


def _structures(
    data: bytes, signatures: Iterable[bytes], span: int
) -> list[tuple[int, int]]:
    return sorted(
        (match.start(), min(span, len(data) - match.start()))
        for signature in signatures
        for match in re.finditer(re.escape(signature), data)
    )


def make_template(
    directory: Path, dtype: str, layout: str, format_name: str
) -> Template:
    import h5py
    import hdf5plugin  # noqa: F401  (h5py writes zstd, lz4 and blosc with its filters)

    name = f"{format_name}-{layout}-{np.dtype(dtype).str.replace('|', '')}"
    path = directory / f"{name}.h5"
    x, y = template_data(dtype, compressible=layout in CODEC_LAYOUTS)
    options = dict(LAYOUTS[layout])
    y_options = dict(options)
    if "chunks" in y_options:
        y_options["chunks"] = (y_options["chunks"][0],)
    with h5py.File(path, "w", libver=FORMATS[format_name]) as file:
        file.create_dataset("x", data=x, **options)
        file.create_dataset("y", data=y, **y_options)
    data = path.read_bytes()
    with h5py.File(path, "r") as file:
        headers = []
        for key in ("x", "y"):
            info = h5py.h5o.get_info(file[key].id)
            headers.append((int(info.addr), int(info.hdr.space.total)))
        dataset = file["x"]
        raw: list[tuple[int, int]] = []
        if dataset.chunks is None:
            raw.append(
                (int(dataset.id.get_offset()), int(dataset.id.get_storage_size()))
            )
        else:
            for i in range(dataset.id.get_num_chunks()):
                chunk = dataset.id.get_chunk_info(i)
                raw.append((int(chunk.byte_offset), int(chunk.size)))
    x_header = slice(headers[0][0], headers[0][0] + headers[0][1])
    dims_at = data.find(
        struct.pack("<4Q", ROWS, COLS, ROWS, COLS), x_header.start, x_header.stop
    )
    dims = [dims_at + 8 * i for i in range(4)] if dims_at >= 0 else []
    chunk_dims: list[tuple[int, int]] = []
    chunks = LAYOUTS[layout].get("chunks")
    if chunks is not None:
        item = np.dtype(dtype).itemsize
        for width in (4, 1):  # layout message v3 (u32 each), v4 (one byte each here)
            code = "<3I" if width == 4 else "<3B"
            at = data.find(
                struct.pack(code, *chunks, item), x_header.start, x_header.stop
            )
            if at >= 0:
                chunk_dims = [(at, width), (at + width, width)]
                break
    index = _structures(data, CHUNK_INDEX_SIGNATURES, 256)
    superblock = 96 if format_name == "earliest" else 48
    others = _structures(data, OTHER_SIGNATURES, 128)
    metadata = sorted({(0, superblock), *headers, *index, *others})
    return Template(
        name=name,
        path=str(path),
        dtype=dtype,
        layout=layout,
        format=format_name,
        size=len(data),
        superblock_bytes=superblock,
        object_headers=headers,
        chunk_index=index,
        raw_data=raw,
        metadata=metadata,
        dims=dims,
        chunk_dims=chunk_dims,
    )


def make_templates(directory: Path) -> list[Template]:
    directory.mkdir(parents=True, exist_ok=True)
    return [
        make_template(directory, dtype, layout, format_name)
        for format_name in FORMATS
        for layout in LAYOUTS
        for dtype in (CODEC_DTYPES if layout in CODEC_LAYOUTS else DTYPES)
    ]


# --------------------------------------------------------------------------- mutations


@dataclass(frozen=True)
class Case:
    """One damaged file: which template, which mutation, and the bytes' digest."""

    id: str
    template: str
    mutation: str
    detail: str
    path: str
    sha256: str


def _region(
    rng: np.random.Generator, regions: Sequence[tuple[int, int]], size: int
) -> int:
    """A random offset inside one of the regions (or anywhere, if there are none)."""
    usable = [
        (start, length) for start, length in regions if length > 0 and start < size
    ]
    if not usable:
        return int(rng.integers(0, size))
    start, length = usable[int(rng.integers(0, len(usable)))]
    return min(size - 1, start + int(rng.integers(0, length)))


def _overwrite(rng: np.random.Generator, data: bytearray, offset: int) -> str:
    count = int(rng.integers(1, 9))
    style = ("random", "zeros", "ones", "flip", "increment")[int(rng.integers(0, 5))]
    end = min(len(data), offset + count)
    for i in range(offset, end):
        if style == "random":
            data[i] = int(rng.integers(0, 256))
        elif style == "zeros":
            data[i] = 0
        elif style == "ones":
            data[i] = 0xFF
        elif style == "flip":
            data[i] ^= 1 << int(rng.integers(0, 8))
        else:
            data[i] = (data[i] + 1) % 256
    return f"{style} x{end - offset} at {offset}"


def mutate(
    template: Template, data: bytes, mutation: str, seed: int
) -> tuple[bytes, str]:
    """The damaged bytes and a description of the damage (deterministic in `seed`)."""
    rng = np.random.default_rng(seed)
    out = bytearray(data)
    size = len(out)
    if mutation == "bitflip":
        flips = [int(rng.integers(0, size * 8)) for _ in range(int(rng.integers(1, 5)))]
        for bit in flips:
            out[bit // 8] ^= 1 << (bit % 8)
        return bytes(out), "bits " + ",".join(map(str, flips))
    if mutation == "truncate":
        keep = int(rng.integers(0, size))
        return bytes(out[:keep]), f"keep {keep} of {size}"
    if mutation == "integer":
        offset = _region(rng, template.metadata, size)
        width = (1, 2, 4, 8)[int(rng.integers(0, 4))]
        value = INTERESTING_INTEGERS[int(rng.integers(0, len(INTERESTING_INTEGERS)))]
        value = value % (1 << (8 * width))
        if rng.random() < 0.3:
            value = min(value, size + int(rng.integers(-8, 9))) % (1 << (8 * width))
        encoded = value.to_bytes(width, "little")[: size - offset]
        out[offset : offset + len(encoded)] = encoded
        return bytes(out), f"u{8 * width}={value:#x} at {offset}"
    if mutation == "shape" and template.dims:
        axis = int(rng.integers(0, 2))
        value = OVERFLOWING_DIMS[int(rng.integers(0, len(OVERFLOWING_DIMS)))]
        out[template.dims[axis] : template.dims[axis] + 8] = value.to_bytes(8, "little")
        also_max = bool(rng.random() < 0.5)
        if also_max:  # a consistent maximum shape, as a real (huge) dataset has
            at = template.dims[axis + 2]
            out[at : at + 8] = value.to_bytes(8, "little")
        return bytes(out), f"dims[{axis}]={value:#x}" + (
            " and maxdims" if also_max else ""
        )
    if mutation == "chunk-shape" and template.chunk_dims:
        axis = int(rng.integers(0, 2))
        at, width = template.chunk_dims[axis]
        limit = 1 << (8 * width)
        value = int(
            rng.choice(
                [limit - 1, limit // 2, limit // 2 + 1, ROWS + 1, 2**20, 2**26, 1]
            )
        )
        value %= limit
        out[at : at + width] = value.to_bytes(width, "little")
        return bytes(out), f"chunk dim {axis}={value:#x}"
    if mutation in {"shape", "chunk-shape"}:
        mutation = "integer"
        return mutate(template, data, mutation, seed)
    regions = {
        "superblock": [(0, template.superblock_bytes)],
        "object-header": template.object_headers,
        "chunk-index": template.chunk_index or template.object_headers,
        "raw-data": template.raw_data,
    }[mutation]
    descriptions = [
        _overwrite(rng, out, _region(rng, regions, size))
        for _ in range(int(rng.integers(1, 3)))
    ]
    return bytes(out), "; ".join(descriptions)


def make_cases(
    templates: Sequence[Template], count: int, seed: int, directory: Path
) -> list[Case]:
    """`count` damaged files in `directory`, the same ones for the same seed."""
    directory.mkdir(parents=True, exist_ok=True)
    kinds = list(MUTATION_WEIGHTS)
    weights = np.array([MUTATION_WEIGHTS[k] for k in kinds], dtype=float)
    weights /= weights.sum()
    contents = {t.name: Path(t.path).read_bytes() for t in templates}
    cases = []
    for i in range(count):
        rng = np.random.default_rng([seed, i])
        template = templates[int(rng.integers(0, len(templates)))]
        mutation = kinds[int(rng.choice(len(kinds), p=weights))]
        data, detail = mutate(
            template, contents[template.name], mutation, seed * 1_000_003 + i
        )
        digest = hashlib.sha256(data).hexdigest()
        path = directory / f"case{i:05d}.h5"
        path.write_bytes(data)
        cases.append(
            Case(
                id=f"{seed}:{i}",
                template=template.name,
                mutation=mutation,
                detail=detail,
                path=str(path),
                sha256=digest,
            )
        )
    return cases


def corpus_cases(directory: Path = CORPUS) -> list[Case]:
    """The kept files that once failed, as cases (their JSON says where they came from)."""
    cases = []
    for path in sorted(directory.glob("*.h5")):
        meta_path = path.with_suffix(".json")
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        cases.append(
            Case(
                id=f"corpus:{path.stem}",
                template=str(meta.get("template", "?")),
                mutation=str(meta.get("mutation", "corpus")),
                detail=str(meta.get("detail", "")),
                path=str(path),
                sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
            )
        )
    return cases


# --------------------------------------------------------------------------- the children


class RowBudgetExceeded(Exception):
    """Raised by the fuzzing progress callback: the damaged file claims too many rows."""


def _budget(deadline: float) -> Callable[[int, int], None]:
    """A progress callback that stops a run past ROW_BUDGET rows or the deadline."""

    def progress(done: int, total: int) -> None:
        if done > ROW_BUDGET or (done < total and time.monotonic() > deadline):
            msg = f"stopped after {done} of {total} rows (fuzzing budget)"
            raise RowBudgetExceeded(msg)

    return progress


#: Where a child writes its JSON lines: stdout's file descriptor as the child
#: started (see _private_stdout).
_PROTOCOL: list[Any] = []


def _private_stdout() -> None:
    """Keeps file descriptor 1 for the JSON lines only: C code may print to it
    (hdf5plugin's LZ4 filter printf()s on a damaged chunk), so from here on fd 1 is
    the child's stderr and the JSON lines go to a copy of the original."""
    _PROTOCOL.append(os.fdopen(os.dup(1), "w"))
    sys.stdout.flush()
    os.dup2(2, 1)


def _emit(message: dict[str, Any]) -> None:
    stream = _PROTOCOL[0] if _PROTOCOL else sys.stdout
    stream.write(json.dumps(message) + "\n")
    stream.flush()


def _limit_address_space() -> None:
    import resource

    if "libasan" in os.environ.get("LD_PRELOAD", ""):
        # AddressSanitizer reserves terabytes of shadow address space; there the
        # sanitizer itself catches runaway allocations.
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = (
        ADDRESS_SPACE if hard == resource.RLIM_INFINITY else min(ADDRESS_SPACE, hard)
    )
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    del soft


def matmul_operand(cols: int) -> np.ndarray:
    """The in-memory b of matmul for a source with `cols` columns (same in every process)."""
    return np.random.default_rng(cols).normal(size=(cols, 2))


def _save(path: Path, arrays: dict[str, np.ndarray]) -> None:
    contents: dict[str, Any] = arrays
    np.savez(path, **contents)


def _memory_kib(field_name: str) -> int:
    """VmRSS, VmHWM, ... of this process, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak_memory() -> int:
    """Resets the peak resident size (Linux >= 4.0) and returns the current one in KiB."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
    return _memory_kib("VmRSS")


def _threads() -> int:
    return len(os.listdir("/proc/self/task"))


def _settled_threads(expected: int, seconds: float = 2.0) -> int:
    """The thread count, given up to ``seconds`` to fall to ``expected``.

    A joined thread can still be listed in /proc/self/task for a moment after
    pthread_join() returns (the kernel wakes the joiner before it removes the
    task), longer on a busy machine; only a count that stays up is a leak.
    """
    deadline = time.monotonic() + seconds
    count = _threads()
    while count > expected and time.monotonic() < deadline:
        time.sleep(0.01)
        count = _threads()
    return count


def _exception(error: BaseException) -> dict[str, Any]:
    return {
        "status": "exception",
        "type": type(error).__name__,
        "message": str(error)[:400],
    }


#: The inflating thread pool's size, and whether it has started in this process.
POOL: list[Any] = [0, False]


def _h5linalg_case(case: dict[str, Any], work: Path) -> dict[str, Any]:
    import h5linalg
    from h5linalg import _core, _testing, cli

    path = case["path"]
    source = f"{path}:/x"
    target = f"{path}:/y"
    stat = os.stat(path)
    before = (stat.st_mtime_ns, stat.st_size, Path(path).read_bytes())
    threads = _threads()
    resident = _reset_peak_memory()
    cols = COLS
    with contextlib.suppress(Exception):
        shape = _core.describe(_core.DatasetRef(path, "/x"))["shape"]
        if len(shape) == 2 and 0 < shape[1] <= 4096:
            cols = int(shape[1])
    b = matmul_operand(cols)
    k = min(2, cols)
    out_dir = Path(tempfile.mkdtemp(dir=work, prefix=f"out-{case['index']}-"))
    out_file = out_dir / "product.h5"
    existing = case["index"] % 2 == 1
    if existing:
        # Half the cases write into an existing file (temporary dataset, then moved).
        _core.write_array(np.zeros(1), _core.OutputRef(str(out_file), "/keep"))
    budget = _budget(time.monotonic() + CASE_SECONDS)
    options: dict[str, Any] = {"memory_limit": MEMORY_LIMIT, "progress": budget}
    small: dict[str, Any] = {**options, "block_rows": 16}
    calls: dict[str, Callable[[], Any]] = {
        "moments": lambda: h5linalg.moments(source, **options),
        "gram": lambda: h5linalg.gram(source, **small),
        "covariance": lambda: h5linalg.covariance(source, **options),
        "pca": lambda: h5linalg.pca(source, k, **small),
        "lstsq": lambda: h5linalg.lstsq(source, target, **small),
        "matmul": lambda: h5linalg.matmul(source, b, **small),
        "matmul_out": lambda: h5linalg.matmul(source, b, out=f"{out_file}:/c", **small),
    }
    outcomes: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = {}
    for name, call in calls.items():
        try:
            result = call()
        except Exception as error:  # noqa: BLE001 - any exception is an allowed ending
            outcomes[name] = _exception(error)
            continue
        outcomes[name] = {"status": "result"}
        if name == "moments":
            arrays.update(
                {
                    "moments.count": np.array(result.count),
                    "moments.mean": result.mean,
                    "moments.var": result.var,
                    "moments.min": result.min,
                    "moments.max": result.max,
                }
            )
        elif name == "pca":
            arrays.update(
                {
                    "pca.components": result.components,
                    "pca.explained_variance": result.explained_variance,
                    "pca.mean": result.mean,
                }
            )
        elif name == "matmul_out":
            outcomes[name]["out"] = str(out_file)
        elif np.asarray(result).size <= MAX_COMPARE_ELEMENTS:
            arrays[name] = np.asarray(result)
    stdout, stderr = io.StringIO(), io.StringIO()

    def budgeted_moments(*args: Any, **kwargs: Any) -> Any:
        # The command line has no progress callback; give its one pass the budget.
        return h5linalg.moments(*args, **{**kwargs, "progress": budget})

    try:
        with (
            contextlib.redirect_stdout(stdout),
            contextlib.redirect_stderr(stderr),
            mock.patch.object(cli, "moments", budgeted_moments),
        ):
            code = cli.main(
                [
                    "describe",
                    source,
                    "--no-progress",
                    "--memory-limit",
                    str(MEMORY_LIMIT),
                ]
            )
        outcomes["describe_cli"] = {
            "status": "result" if code == 0 else "error-exit",
            "code": code,
            "stdout": stdout.getvalue()[-2000:],
            "stderr": stderr.getvalue()[-400:],
        }
    except Exception as error:  # noqa: BLE001 - any exception is an allowed ending
        outcomes["describe_cli"] = _exception(error)

    problems = []
    peak = (_memory_kib("VmHWM") - resident) * 1024
    if peak > PEAK_MEMORY:
        problems.append(
            f"resident memory grew by {peak / 2**20:.0f} MiB during the case "
            f"(memory_limit={MEMORY_LIMIT / 2**20:.0f} MiB)"
        )
    open_objects = _testing.open_hdf5_objects()
    if open_objects:
        problems.append(f"{open_objects} HDF5 objects left open")
    after = _settled_threads(threads if POOL[1] else threads + POOL[0])
    grown = after - threads
    if grown == POOL[0] and not POOL[1]:
        POOL[1] = (
            True  # the inflating pool started, once (it lives as long as the process)
        )
    elif grown > 0:  # fewer threads than before is a thread of earlier work ending
        problems.append(f"native threads {threads} -> {after}")
    stat = os.stat(path)
    if (stat.st_mtime_ns, stat.st_size, Path(path).read_bytes()) != before:
        problems.append("the input file changed")
    leftovers = sorted(p.name for p in out_dir.iterdir() if p.name != out_file.name)
    if leftovers:
        problems.append(f"partial outputs left behind: {leftovers}")
    if (
        outcomes["matmul_out"]["status"] != "result"
        and out_file.exists()
        and not existing
    ):
        problems.append("a failed matmul left its output file")
    # What h5linalg's own HDF5 library returns for x and y through one plain
    # H5Dread: tells a bug in h5linalg's read paths from a damaged file that this
    # HDF5 and h5py's (another version) read differently (see libraries_disagree).
    for key in ("x", "y"):
        with contextlib.suppress(Exception):
            arrays[f"plain.{key}"] = _testing.read_with_hdf5(
                _core.DatasetRef(path, f"/{key}"), MAX_COMPARE_ELEMENTS
            )
    result_file = out_dir / "arrays.npz"
    _save(result_file, arrays)
    return {
        "outcomes": outcomes,
        "arrays": str(result_file),
        "cols": cols,
        "existing_out": existing,
        "out_file": str(out_file),
        "index": case["index"],
        "problems": problems,
    }


def _reference_case(case: dict[str, Any], work: Path) -> dict[str, Any]:
    import h5py
    import hdf5plugin  # noqa: F401  (registers zstd, lz4 and blosc with h5py's HDF5)

    arrays: dict[str, np.ndarray] = {}
    report: dict[str, Any] = {}
    try:
        with h5py.File(case["path"], "r") as file:
            for key in ("x", "y"):
                try:
                    dataset = file[key]
                    report[f"{key}.shape"] = list(dataset.shape)
                    report[f"{key}.dtype"] = str(dataset.dtype)
                    if dataset.size > MAX_COMPARE_ELEMENTS:
                        report[f"{key}.error"] = "too large to compare"
                        continue
                    arrays[key] = np.asarray(dataset[()]).astype(np.float64)
                except Exception as error:  # noqa: BLE001 - h5py may fail any way
                    report[f"{key}.error"] = f"{type(error).__name__}: {error}"[:300]
    except Exception as error:  # noqa: BLE001 - h5py may fail any way
        report["error"] = f"{type(error).__name__}: {error}"[:300]
    result_file = (
        Path(tempfile.mkdtemp(dir=work, prefix=f"reference-{case['index']}-")) / "x.npz"
    )
    _save(result_file, arrays)
    return {"report": report, "arrays": str(result_file)}


def child_main(kind: str, job_path: str) -> int:
    """Runs every case of the job, one JSON line per event."""
    import faulthandler

    faulthandler.enable()
    _private_stdout()
    _limit_address_space()
    job = json.loads(Path(job_path).read_text())
    work = Path(job["work"])
    run = _h5linalg_case if kind == "h5linalg" else _reference_case
    if kind == "h5linalg":
        import h5linalg
        from h5linalg import _core

        POOL[0] = int(_core.build_info()["worker_threads"])
        # Start BLAS's and the inflate pool's threads before anything is counted.
        h5linalg.covariance(np.ones((10, 3)))
        time.sleep(
            0.2
        )  # the warm-up's joined threads leave /proc (see _settled_threads)
        before = _threads()
        for path in job.get("warmup", []):
            h5linalg.moments(f"{path}:/x")
        POOL[1] = _threads() > before
    _emit({"event": "ready", "pid": os.getpid()})
    for case in job["cases"]:
        _emit({"event": "start", "id": case["id"]})
        record = run(case, work)
        _emit({"event": "done", "id": case["id"], **record})
    _emit({"event": "finished"})
    return 0


# --------------------------------------------------------------------------- the parent


@dataclass
class ChildRun:
    """What one child process did with a list of cases."""

    records: dict[str, dict[str, Any]]
    #: The case running when the child died or stopped answering, if any.
    culprit: str | None = None
    #: "" for a clean finish, else "signal SIGSEGV", "exit 1", "timeout ...".
    ending: str = ""
    stderr: str = ""


@dataclass
class Crash:
    """A case during which a child died or stopped answering."""

    case: Case
    run: ChildRun
    #: The cases the same child ran before it.
    before: list[str]


def _describe_status(status: int) -> str:
    if status < 0:
        try:
            return f"signal {signal.Signals(-status).name}"
        except ValueError:
            return f"signal {-status}"
    return f"exit {status}"


@dataclass
class Runner:
    """Runs cases in child processes of one kind ("h5linalg" or "reference")."""

    kind: str
    work: Path
    #: Seconds a single case may take before the child counts as hung.
    timeout: float = 30.0
    batch_size: int = 250
    #: Valid files an h5linalg child reads before its first case, so the thread
    #: pools exist before threads are counted.
    warmup: Sequence[str] = ()

    def child(
        self, jobs: Sequence[dict[str, Any]], work: Path | None = None
    ) -> ChildRun:
        """One child over `jobs`, stopped at the first crash or at a case over the time limit."""
        work = work or self.work
        work.mkdir(parents=True, exist_ok=True)
        job = work / f"job-{self.kind}-{time.monotonic_ns()}.json"
        job.write_text(
            json.dumps(
                {"work": str(work), "cases": list(jobs), "warmup": list(self.warmup)}
            )
        )
        stderr_path = job.with_suffix(".stderr")
        env = dict(os.environ)
        env["PYTHONFAULTHANDLER"] = "1"
        env.pop("PYTHONWARNINGS", None)
        run = ChildRun(records={})
        with stderr_path.open("wb") as stderr:
            child = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), self.kind, str(job)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=env,
                start_new_session=True,
            )
            assert child.stdout is not None
            current, finished, timed_out = self._follow(child.stdout, run)
            if timed_out:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
            status = child.wait()
            child.stdout.close()
        run.stderr = stderr_path.read_text(errors="replace")[-6000:]
        if timed_out:
            run.culprit = current
            run.ending = f"timeout: a case took more than {self.timeout:.0f} s"
        elif not finished or status != 0:
            run.culprit = current
            run.ending = _describe_status(status)
        return run

    def _follow(self, stdout: Any, run: ChildRun) -> tuple[str | None, bool, bool]:
        """Reads the child's events until it finishes, dies or overruns a deadline."""
        selector = selectors.DefaultSelector()
        selector.register(stdout, selectors.EVENT_READ)
        buffer = b""
        current: str | None = None
        # The first deadline also covers start-up (imports, BLAS threads).
        deadline = time.monotonic() + self.timeout + 60
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return current, False, True
                if not selector.select(timeout=remaining):
                    continue
                chunk = os.read(stdout.fileno(), 1 << 16)
                if not chunk:
                    return current, False, False
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    message = json.loads(line)
                    event = message.pop("event")
                    if event == "start":
                        current = message["id"]
                        deadline = time.monotonic() + self.timeout
                    elif event == "done":
                        run.records[message.pop("id")] = message
                        current = None
                    elif event == "finished":
                        return current, True, False
        finally:
            selector.close()

    def run(
        self, cases: Sequence[Case]
    ) -> tuple[dict[str, dict[str, Any]], list[Crash]]:
        """Every case, in batches; after a crash, a new child goes on with the next case."""
        by_id = {c.id: c for c in cases}
        jobs: list[dict[str, Any]] = [
            {"id": c.id, "path": c.path, "index": i} for i, c in enumerate(cases)
        ]
        records: dict[str, dict[str, Any]] = {}
        crashes: list[Crash] = []
        for start in range(0, len(jobs), self.batch_size):
            pending = jobs[start : start + self.batch_size]
            while pending:
                run = self.child(pending)
                records.update(run.records)
                if not run.ending:
                    break
                if run.culprit is None:  # died between cases: blame the next one
                    missing = [j for j in pending if j["id"] not in run.records]
                    if not missing:
                        break
                    run.culprit = missing[0]["id"]
                position = next(
                    i for i, j in enumerate(pending) if j["id"] == run.culprit
                )
                before = [j["id"] for j in pending[:position]]
                crashes.append(Crash(by_id[run.culprit], run, before))
                pending = pending[position + 1 :]
        return records, crashes

    def confirm(
        self, crash: Crash, by_id: dict[str, Case]
    ) -> tuple[bool, list[str], ChildRun]:
        """Re-runs a crashing case alone; if it passes alone, after growing runs of the
        cases before it. Returns (reproduced alone, cases needed before it, that run)."""
        work = self.work / "confirm"
        case = crash.case
        alone = self.child([{"id": case.id, "path": case.path, "index": 0}], work)
        if alone.ending:
            return True, [], alone
        last = alone
        size = 1
        while size <= len(crash.before):
            prefix = crash.before[-size:]
            jobs = [
                {"id": cid, "path": by_id[cid].path, "index": i}
                for i, cid in enumerate(prefix)
            ]
            jobs.append({"id": case.id, "path": case.path, "index": len(jobs)})
            last = self.child(jobs, work)
            if last.culprit == case.id:
                return False, prefix, last
            size *= 2
        return False, crash.before, last


@dataclass
class Failure:
    """A case that crashed, hung, leaked, or disagreed with NumPy on h5py's data."""

    case: Case
    kind: str  # "crash", "hang", "leak", "disagreement"
    detail: str
    reproduced_alone: bool | None = None
    after: list[str] = field(
        default_factory=list
    )  # cases needed before it to reproduce
    stderr: str = ""
    corpus_file: str | None = None


# --------------------------------------------------------------------------- comparison


def _load(path: str) -> dict[str, np.ndarray]:
    with np.load(path) as archive:
        return {key: archive[key] for key in archive.files}


def _close(
    name: str, actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float
) -> str | None:
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return f"{name}: shape {actual.shape} != NumPy's {expected.shape}"
    if not np.allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True):
        diff = np.abs(actual - expected)
        worst = int(np.nanargmax(np.where(np.isnan(diff), np.inf, diff)))
        return (
            f"{name}: differs from NumPy on h5py's data (worst at flat index {worst}: "
            f"{actual.flat[worst]!r} vs {expected.flat[worst]!r}; rtol={rtol}, atol={atol:.3g})"
        )
    return None


def libraries_disagree(
    mine: dict[str, np.ndarray], reference: dict[str, np.ndarray]
) -> bool:
    """Whether h5linalg's HDF5 (plain H5Dread) and h5py's HDF5 return different data.

    A damaged chunk index can make HDF5 1.10 read bytes that a newer HDF5 reads
    differently or not at all (HDF5's own heap over-read, seen under valgrind in
    h5dump). The data is then undefined, and h5linalg's results have no reference.
    """
    for key in ("x", "y"):
        plain, theirs = mine.get(f"plain.{key}"), reference.get(key)
        if plain is None or theirs is None:
            continue
        if plain.size != theirs.size or not np.array_equal(
            plain.ravel(), theirs.ravel(), equal_nan=True
        ):
            return True
    return False


def well_behaved(x: np.ndarray) -> bool:
    """Finite and small enough that squares and sums cannot overflow."""
    return bool(np.all(np.isfinite(x))) and (
        x.size == 0 or float(np.max(np.abs(x))) < 1e100
    )


def compare(
    outcomes: dict[str, Any],
    mine: dict[str, np.ndarray],
    x: np.ndarray,
    y: np.ndarray | None,
) -> tuple[list[str], int]:
    """Disagreements between h5linalg's results and NumPy on h5py's data; and how many
    results were compared."""
    problems: list[str] = []
    compared = 0

    def ok(name: str) -> bool:
        return bool(outcomes.get(name, {}).get("status") == "result")

    if x.ndim != 2 or x.size == 0:
        return problems, compared
    rows, cols = x.shape
    behaved = well_behaved(x)
    scale2 = float(np.max(x * x)) if behaved else math.inf

    def check(message: str | None) -> None:
        if message:
            problems.append(message)

    if ok("moments"):
        compared += 1
        if int(mine["moments.count"]) != rows:
            problems.append(
                f"moments: count {int(mine['moments.count'])} != {rows} rows"
            )
        # min and max are exact operations; NaN propagates in both.
        check(_close("moments.min", mine["moments.min"], x.min(axis=0), 0, 0))
        check(_close("moments.max", mine["moments.max"], x.max(axis=0), 0, 0))
        if behaved:
            mean = x.mean(axis=0)
            check(
                _close(
                    "moments.mean",
                    mine["moments.mean"],
                    mean,
                    1e-10,
                    1e-12 * math.sqrt(scale2),
                )
            )
            if rows > 1:
                var = x.var(axis=0, ddof=1)
                check(
                    _close(
                        "moments.var", mine["moments.var"], var, 1e-8, 1e-12 * scale2
                    )
                )
    if not behaved:
        return problems, compared
    if ok("gram") and "gram" in mine:
        compared += 1
        expected = x.T @ x
        check(_close("gram", mine["gram"], expected, 1e-10, 1e-12 * rows * scale2))
    cov = np.cov(x, rowvar=False, ddof=1).reshape(cols, cols) if rows > 1 else None
    if ok("covariance") and "covariance" in mine and cov is not None:
        compared += 1
        check(_close("covariance", mine["covariance"], cov, 1e-8, 1e-12 * scale2))
    if ok("pca") and cov is not None:
        compared += 1
        values = np.linalg.eigvalsh(cov)[::-1]
        k = len(mine["pca.explained_variance"])
        top = float(max(values[0], 0.0))
        atol = 1e-9 * top + 1e-12 * scale2
        check(
            _close(
                "pca.explained_variance",
                mine["pca.explained_variance"],
                values[:k],
                1e-8,
                atol,
            )
        )
        check(
            _close(
                "pca.mean",
                mine["pca.mean"],
                x.mean(axis=0),
                1e-10,
                1e-12 * math.sqrt(scale2),
            )
        )
        components = mine["pca.components"]
        for i in range(k):
            v, lam = components[i], mine["pca.explained_variance"][i]
            residual = float(np.linalg.norm(cov @ v - lam * v))
            if (
                residual > 1e-7 * top + 1e-10 * scale2
                or abs(np.linalg.norm(v) - 1) > 1e-8
            ):
                problems.append(
                    f"pca: component {i} is not a unit eigenvector of NumPy's covariance "
                    f"(|C v - lambda v| = {residual:.3g}, |v| = {np.linalg.norm(v):.12g})"
                )
    if ok("lstsq") and "lstsq" in mine and y is not None and well_behaved(y):
        yy = y.reshape(rows, -1) if y.ndim == 1 and y.shape[0] == rows else None
        if yy is not None and rows >= cols:
            compared += 1
            beta = mine["lstsq"].reshape(cols, -1)
            reference = np.linalg.lstsq(x, yy, rcond=None)[0]
            mine_residual = float(np.linalg.norm(x @ beta - yy))
            best = float(np.linalg.norm(x @ reference - yy))
            size = float(np.linalg.norm(x) * np.linalg.norm(beta) + np.linalg.norm(yy))
            if mine_residual > best * (1 + 1e-6) + 1e-9 * size:
                problems.append(
                    f"lstsq: residual {mine_residual:.17g} > NumPy's {best:.17g}"
                )
            cond = float(np.linalg.cond(x))
            if cond < 1e6:
                check(
                    _close(
                        "lstsq",
                        beta,
                        reference,
                        1e-6,
                        1e-9 * float(np.max(np.abs(reference))),
                    )
                )
    b = matmul_operand(cols)
    expected_product = x @ b
    atol_product = 1e-12 * float(np.max(np.abs(expected_product)))
    if ok("matmul") and "matmul" in mine:
        compared += 1
        check(_close("matmul", mine["matmul"], expected_product, 1e-12, atol_product))
    if ok("matmul_out"):
        import h5py

        compared += 1
        with h5py.File(outcomes["matmul_out"]["out"], "r") as file:
            written = file["c"][()]
            names = sorted(file)
        check(_close("matmul_out", written, expected_product, 1e-12, atol_product))
        if any(".h5linalg" in n or "partial" in n for n in names):
            problems.append(f"matmul_out: stray datasets in the output file: {names}")
    if ok("describe_cli"):
        compared += 1
        match = re.search(r"shape\s+\(([^)]*)\)", outcomes["describe_cli"]["stdout"])
        shown = (
            tuple(int(v) for v in match.group(1).split(",") if v.strip())
            if match
            else None
        )
        if shown != x.shape:
            problems.append(f"describe: shape {shown} != h5py's {x.shape}")
    return problems, compared


# --------------------------------------------------------------------------- a campaign


@dataclass
class Summary:
    cases: int = 0
    seed: int = 0
    seconds: float = 0.0
    by_mutation: dict[str, int] = field(default_factory=dict)
    #: function -> {"result": n, "ValueError": n, ...}
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)
    results_compared: int = 0
    h5py_readable: int = 0
    #: damaged files whose data h5linalg's HDF5 and h5py's HDF5 read differently
    #: (undefined data: nothing to compare h5linalg's results with)
    libraries_disagree: int = 0
    h5py_crashed: int = 0
    h5py_crash_cases: list[str] = field(default_factory=list)
    stopped_by_budget: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    undocumented_errors: dict[str, list[str]] = field(default_factory=dict)


def _h5py_refusal(reference: dict[str, Any] | None) -> str | None:
    """h5py's error opening /x, if it refused (not merely skipped a large dataset)."""
    if reference is None:
        return None
    report = reference["report"]
    error = report.get("error") or report.get("x.error")
    if error is None or error == "too large to compare" or "x.shape" in report:
        return None
    return str(error)


def _output_names(path: str) -> list[str]:
    import h5py

    with h5py.File(path, "r") as file:
        return sorted(file)


def run_campaign(
    cases: Sequence[Case],
    work: Path,
    *,
    warmup: Sequence[str] = (),
    timeout: float = 30.0,
    batch_size: int = 250,
    jobs: int = 2,
    seed: int = 0,
) -> tuple[Summary, list[Failure]]:
    """Every check on every case; the failures and a summary with the numbers."""
    started = time.monotonic()
    by_id = {c.id: c for c in cases}
    summary = Summary(cases=len(cases), seed=seed)
    summary.by_mutation = dict(Counter(c.mutation for c in cases))
    jobs = max(1, jobs)
    runners = [
        Runner("h5linalg", work / f"h5linalg{i}", timeout, batch_size, warmup)
        for i in range(jobs)
    ]
    reference_runner = Runner("reference", work / "reference", timeout, batch_size)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        mine = [pool.submit(r.run, cases[i::jobs]) for i, r in enumerate(runners)]
        reference = pool.submit(reference_runner.run, cases)
        records: dict[str, dict[str, Any]] = {}
        crashes: list[tuple[Runner, Crash]] = []
        for runner, future in zip(runners, mine, strict=True):
            chunk_records, chunk_crashes = future.result()
            records.update(chunk_records)
            crashes.extend((runner, crash) for crash in chunk_crashes)
        reference_records, reference_crashes = reference.result()
    summary.h5py_crashed = len(reference_crashes)
    summary.h5py_crash_cases = [
        f"{c.case.id} ({c.run.ending})" for c in reference_crashes
    ][:20]

    failures: list[Failure] = []
    for runner, crash in crashes:
        alone, after, confirmation = runner.confirm(crash, by_id)
        failures.append(
            Failure(
                case=crash.case,
                kind="hang" if crash.run.ending.startswith("timeout") else "crash",
                detail=f"the h5linalg child ended with {crash.run.ending}",
                reproduced_alone=alone,
                after=after,
                stderr=(confirmation.stderr if alone else crash.run.stderr)[-3000:],
            )
        )
    for case in cases:
        record = records.get(case.id)
        if record is None:
            continue
        outcomes = record["outcomes"]
        unbounded: list[str] = []
        for name in FUNCTIONS:
            outcome = outcomes[name]
            label = (
                outcome["status"]
                if outcome["status"] != "exception"
                else outcome["type"]
            )
            counts = summary.outcomes.setdefault(name, {})
            counts[label] = counts.get(label, 0) + 1
            if outcome.get("type") == "MemoryError" and UNBOUNDED.search(
                outcome["message"]
            ):
                unbounded.append(name)
            if (
                outcome["status"] == "exception"
                and outcome["type"] not in DOCUMENTED_ERRORS
            ):
                examples = summary.undocumented_errors.setdefault(outcome["type"], [])
                if len(examples) < 5:
                    examples.append(f"{case.id} {name}: {outcome['message'][:200]}")
        problems = list(record["problems"])
        if unbounded:
            problems.append(
                f"{', '.join(unbounded)}: an allocation not bounded by memory_limit failed "
                "(MemoryError: std::bad_alloc) instead of a clear MemoryError"
            )
        if record["existing_out"] and outcomes["matmul_out"]["status"] != "result":
            names = _output_names(record["out_file"])
            if names != ["keep"]:
                problems.append(f"a failed matmul into an existing file left {names}")
        if problems:
            memory = unbounded or any("resident memory" in p for p in problems)
            kind = "memory" if memory else "leak"
            failures.append(Failure(case=case, kind=kind, detail="; ".join(problems)))
        ref = reference_records.get(case.id)
        budgeted = [
            name
            for name in FUNCTIONS
            if outcomes[name].get("type") == "RowBudgetExceeded"
        ]
        if budgeted:
            summary.stopped_by_budget += 1
            refusal = _h5py_refusal(ref)
            if refusal:
                failures.append(
                    Failure(
                        case=case,
                        kind="runaway",
                        detail=(
                            f"{', '.join(budgeted)} kept streaming a dataset h5py refuses "
                            f"to open ({refusal}); only the fuzzing budget stopped them"
                        ),
                    )
                )
        if ref is None:
            continue
        ref_arrays = _load(ref["arrays"])
        if "x" not in ref_arrays:
            continue
        summary.h5py_readable += 1
        results = _load(record["arrays"])
        if libraries_disagree(results, ref_arrays):
            summary.libraries_disagree += 1
            continue
        disagreements, compared = compare(
            outcomes, results, ref_arrays["x"], ref_arrays.get("y")
        )
        summary.results_compared += compared
        if disagreements:
            failures.append(
                Failure(case=case, kind="disagreement", detail="; ".join(disagreements))
            )
    summary.seconds = round(time.monotonic() - started, 1)
    summary.failures = [
        {
            "case": f.case.id,
            "kind": f.kind,
            "template": f.case.template,
            "mutation": f"{f.case.mutation}: {f.case.detail}",
            "detail": f.detail,
            "reproduced_alone": f.reproduced_alone,
        }
        for f in failures
    ]
    return summary, failures


def signature(failure: Failure) -> str:
    """What kind of failure this is, without the numbers: one corpus file per kind."""
    detail = re.sub(r"0x[0-9a-f]+|\d+", "N", failure.detail)
    detail = re.sub(r"\(HDF5:[^)]*\)|'[^']*'", "", detail)
    return f"{failure.kind}: {detail[:160]}"


def keep_in_corpus(failure: Failure, directory: Path = CORPUS) -> str | None:
    """Copies a failing case's file into the corpus, unless it is too large or a file
    with the same signature is there already; returns the corpus file's name."""
    path = Path(failure.case.path)
    if path.stat().st_size > MAX_CORPUS_BYTES:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    wanted = signature(failure)
    for meta_path in directory.glob("*.json"):
        if json.loads(meta_path.read_text()).get("signature") == wanted:
            failure.corpus_file = meta_path.with_suffix(".h5").name
            return failure.corpus_file
    target = directory / f"{failure.kind}-{failure.case.sha256[:12]}.h5"
    shutil.copyfile(path, target)
    meta = {
        "found_by": failure.case.id,
        "template": failure.case.template,
        "mutation": failure.case.mutation,
        "detail": failure.case.detail,
        "failure": failure.kind,
        "message": failure.detail[:1000],
        "signature": wanted,
    }
    target.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")
    failure.corpus_file = target.name
    return target.name


def format_failure(failure: Failure) -> str:
    lines = [
        (
            f"{failure.kind.upper()} {failure.case.id} ({failure.case.template}, "
            f"{failure.case.mutation}: {failure.case.detail})"
        ),
        f"  {failure.detail}",
    ]
    if failure.reproduced_alone is not None:
        lines.append(
            "  reproduced when run alone"
            if failure.reproduced_alone
            else f"  only after the cases {failure.after}"
        )
    if failure.corpus_file:
        lines.append(f"  kept as tests/reliability/corpus/{failure.corpus_file}")
    if failure.stderr:
        lines.append("  child stderr (end):")
        lines.extend(
            "    " + line for line in failure.stderr.strip().splitlines()[-25:]
        )
    return "\n".join(lines)


def summary_json(summary: Summary) -> str:
    return json.dumps(asdict(summary), indent=2, sort_keys=True) + "\n"


def scratch_directory() -> Path:
    return Path(tempfile.mkdtemp(prefix="h5linalg-fuzz-"))


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1], sys.argv[2]))
