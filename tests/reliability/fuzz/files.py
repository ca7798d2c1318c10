"""Valid HDF5 files written by h5py (templates) and Hypothesis strategies that damage them.

Hypothesis knows nothing of HDF5: where a template's superblock, object headers,
chunk index, shape and chunk shape lie comes from h5py, and the mutations aim there.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

from fuzz.worker import COLS

#: Rows of every template's /x and /y (its columns: COLS).
ROWS = 60

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
CHUNK_INDEX_SIGNATURES = b"TREE FAHD FADB EAHD EAIB EASB EADB BTHD BTIN BTLF".split()
OTHER_SIGNATURES = b"HEAP SNOD OHDR OCHK FRHP FSHD GCOL".split()

#: What a mutation overwrites, each kind listed as often as it should be drawn.
MUTATION_WEIGHTS = {
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
WEIGHTED_MUTATIONS = [kind for kind, n in MUTATION_WEIGHTS.items() for _ in range(n)]
#: Shapes that overflow sizes: n * 8, n * n, rows * cols, 32-bit ints.
OVERFLOWING_DIMS = (
    *(2**31 - 1, 2**31 + 4, 2**32, 2**32 + 4),
    *(2**60 + 1, 2**61, 2**61 + 1, 2**62, 2**63 - 1, 2**64 - 1),
    *(0, ROWS + 1, ROWS * 1000),
)
INTERESTING_INTEGERS = (
    *(0, 1, 2, 0x7F, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF),
    *(2**32, 2**40, 2**61, 2**62, 2**63 - 1, 2**64 - 1),
)
OVERWRITE_STYLES = ("random", "zeros", "ones", "flip", "increment")

Regions = list[tuple[int, int]]


@dataclass(frozen=True)
class Template:
    """A valid file with /x (ROWS x COLS) and /y (ROWS,), and where its parts are."""

    name: str
    path: str
    layout: str
    data: bytes
    superblock: Regions
    object_headers: Regions  # (address, length) of /x and /y
    chunk_index: Regions  # (address, length) of each index structure
    raw_data: Regions  # (address, length) of /x's chunks or data
    metadata: Regions  # every structure above, for integer writes
    #: Offsets of /x's dims and maxdims (8 bytes each) in its dataspace message.
    dims: list[int]
    #: Offsets and widths of /x's chunk dimensions in its layout message.
    chunk_dims: Regions


@dataclass(frozen=True)
class Case:
    """One file to check: where it is, where it came from, and how it was damaged."""

    id: str
    path: str
    template: str = "?"
    mutation: str = "none"
    detail: str = ""
    #: Whether matmul writes into an existing output file (else a new one).
    existing_out: bool = False


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


def _structures(data: bytes, signatures: list[bytes], span: int) -> Regions:
    return sorted(
        (match.start(), min(span, len(data) - match.start()))
        for signature in signatures
        for match in re.finditer(re.escape(signature), data)
    )


def _locate(path: Path) -> tuple[Regions, Regions]:
    """The object headers of /x and /y, and /x's chunks (or contiguous data)."""
    import h5py

    with h5py.File(path, "r") as file:
        headers = []
        for key in ("x", "y"):
            info = h5py.h5o.get_info(file[key].id)
            headers.append((int(info.addr), int(info.hdr.space.total)))
        dataset = file["x"].id
        if file["x"].chunks is None:
            return headers, [
                (int(dataset.get_offset()), int(dataset.get_storage_size()))
            ]
        chunks = map(dataset.get_chunk_info, range(dataset.get_num_chunks()))
        return headers, [(int(c.byte_offset), int(c.size)) for c in chunks]


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
    headers, raw = _locate(path)
    start, stop = headers[0][0], headers[0][0] + headers[0][1]
    dims_at = data.find(struct.pack("<4Q", ROWS, COLS, ROWS, COLS), start, stop)
    dims = [dims_at + 8 * i for i in range(4)] if dims_at >= 0 else []
    chunk_dims: Regions = []
    chunks = LAYOUTS[layout].get("chunks")
    if chunks is not None:
        item = np.dtype(dtype).itemsize
        for width in (4, 1):  # layout message v3 (u32 each), v4 (one byte each here)
            code = "<3I" if width == 4 else "<3B"
            at = data.find(struct.pack(code, *chunks, item), start, stop)
            if at >= 0:
                chunk_dims = [(at, width), (at + width, width)]
                break
    index = _structures(data, CHUNK_INDEX_SIGNATURES, 256)
    superblock = [(0, 96 if format_name == "earliest" else 48)]
    others = _structures(data, OTHER_SIGNATURES, 128)
    return Template(
        name=name,
        path=str(path),
        layout=layout,
        data=data,
        superblock=superblock,
        object_headers=headers,
        chunk_index=index,
        raw_data=raw,
        metadata=sorted({*superblock, *headers, *index, *others}),
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
# Each takes the Hypothesis `draw`, the template and a copy of its bytes to damage,
# and returns a description of the damage.


def _offset(draw: Any, regions: Regions, size: int) -> int:
    """An offset inside one of the regions (or anywhere, if there are none)."""
    usable = [(start, n) for start, n in regions if n > 0 and start < size]
    if not usable:
        return int(draw(st.integers(0, size - 1)))
    start, length = draw(st.sampled_from(usable))
    return int(draw(st.integers(start, min(size - 1, start + length - 1))))


def _overwrite(draw: Any, out: bytearray, regions: Regions) -> str:
    """1-8 bytes at an offset in the regions: random, zeros, ones, a bit flipped, +1."""
    offset = _offset(draw, regions, len(out))
    end = min(len(out), offset + draw(st.integers(1, 8)))
    style = draw(st.sampled_from(OVERWRITE_STYLES))
    span = range(offset, end)
    if style == "random":
        out[offset:end] = draw(st.binary(min_size=len(span), max_size=len(span)))
    for i in span:
        if style == "zeros":
            out[i] = 0
        elif style == "ones":
            out[i] = 0xFF
        elif style == "flip":
            out[i] ^= 1 << draw(st.integers(0, 7))
        elif style == "increment":
            out[i] = (out[i] + 1) % 256
    return f"{style} x{len(span)} at {offset}"


def _overwrites(regions: Regions) -> Any:
    def mutation(draw: Any, _template: Template, out: bytearray) -> str:
        count = draw(st.integers(1, 2))
        return "; ".join(_overwrite(draw, out, regions) for _ in range(count))

    return mutation


def _bitflip(draw: Any, _template: Template, out: bytearray) -> str:
    flips = draw(st.lists(st.integers(0, len(out) * 8 - 1), min_size=1, max_size=4))
    for bit in flips:
        out[bit // 8] ^= 1 << (bit % 8)
    return "bits " + ",".join(map(str, flips))


def _truncate(draw: Any, _template: Template, out: bytearray) -> str:
    size = len(out)
    keep = draw(st.integers(0, size - 1))
    del out[keep:]
    return f"keep {keep} of {size}"


def _integer(draw: Any, template: Template, out: bytearray) -> str:
    """A boundary value, or one near the file's size, written over metadata."""
    size = len(out)
    offset = _offset(draw, template.metadata, size)
    width = draw(st.sampled_from((1, 2, 4, 8)))
    value = draw(
        st.sampled_from(INTERESTING_INTEGERS) | st.integers(size - 8, size + 8)
    )
    value %= 1 << (8 * width)
    encoded = value.to_bytes(width, "little")[: size - offset]
    out[offset : offset + len(encoded)] = encoded
    return f"u{8 * width}={value:#x} at {offset}"


def _shape(draw: Any, template: Template, out: bytearray) -> str:
    if not template.dims:
        return _integer(draw, template, out)
    axis = draw(st.integers(0, 1))
    value = draw(st.sampled_from(OVERFLOWING_DIMS))
    also_max = draw(st.booleans())  # a consistent maximum shape, as a real one has
    for at in [template.dims[axis]] + ([template.dims[axis + 2]] if also_max else []):
        out[at : at + 8] = value.to_bytes(8, "little")
    return f"dims[{axis}]={value:#x}" + (" and maxdims" if also_max else "")


def _chunk_shape(draw: Any, template: Template, out: bytearray) -> str:
    if not template.chunk_dims:
        return _integer(draw, template, out)
    axis = draw(st.integers(0, 1))
    at, width = template.chunk_dims[axis]
    limit = 1 << (8 * width)
    values = (limit - 1, limit // 2, limit // 2 + 1, ROWS + 1, 2**20, 2**26, 1)
    value = draw(st.sampled_from(values)) % limit
    out[at : at + width] = value.to_bytes(width, "little")
    return f"chunk dim {axis}={value:#x}"


def _mutation(kind: str, template: Template) -> Any:
    regions = {
        "superblock": template.superblock,
        "object-header": template.object_headers,
        "chunk-index": template.chunk_index or template.object_headers,
        "raw-data": template.raw_data,
    }
    if kind in regions:
        return _overwrites(regions[kind])
    return {
        "bitflip": _bitflip,
        "truncate": _truncate,
        "integer": _integer,
        "shape": _shape,
        "chunk-shape": _chunk_shape,
    }[kind]


@st.composite
def damaged_files(draw: Any, templates: list[Template], directory: Path) -> Case:
    """A template damaged by one kind of mutation, written to `directory`."""
    template = draw(st.sampled_from(templates))
    kind = draw(st.sampled_from(WEIGHTED_MUTATIONS))
    out = bytearray(template.data)
    detail = _mutation(kind, template)(draw, template, out)
    digest = hashlib.sha256(out).hexdigest()
    path = directory / f"{digest[:16]}.h5"
    path.write_bytes(out)
    return Case(
        id=digest[:12],
        path=str(path),
        template=template.name,
        mutation=kind,
        detail=detail,
        existing_out=draw(st.booleans()),
    )
