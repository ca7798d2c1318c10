"""Compressed chunks decoded on worker threads: every codec h5linalg decodes itself
(gzip, zstd, lz4, blosc, lzf, alone or after HDF5's shuffle) reads bit for bit
what h5py reads, through the parallel path (proved by the per-codec counters of
chunks decoded on workers), and damaged chunks give OSError."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import h5py
import hdf5plugin
import numpy as np
import pytest
from conftest import assert_close

import h5linalg
from h5linalg import _core, _testing
from h5linalg._sources import resolve

#: The codecs this build decodes on worker threads (CI requires all of them:
#: H5LINALG_EXPECT_CODECS in test_version.py).
BUILT = set(_core.build_info()["codecs"])

BLOSC_SHUFFLES = {
    "noshuffle": hdf5plugin.Blosc.NOSHUFFLE,
    "byteshuffle": hdf5plugin.Blosc.SHUFFLE,
    "bitshuffle": hdf5plugin.Blosc.BITSHUFFLE,
}


def _filters() -> dict[str, tuple[str, dict[str, Any]]]:
    """Filter pipeline name -> (codec, h5py create_dataset options)."""
    filters: dict[str, tuple[str, dict[str, Any]]] = {
        "gzip": ("gzip", {"compression": "gzip"}),
        "shuffle-gzip": ("gzip", {"compression": "gzip", "shuffle": True}),
        "zstd": ("zstd", dict(hdf5plugin.Zstd())),
        "shuffle-zstd": ("zstd", {"shuffle": True, **hdf5plugin.Zstd()}),
        "lz4": ("lz4", dict(hdf5plugin.LZ4())),
        "shuffle-lz4": ("lz4", {"shuffle": True, **hdf5plugin.LZ4()}),
        "lzf": ("lzf", {"compression": "lzf"}),
        "shuffle-lzf": ("lzf", {"compression": "lzf", "shuffle": True}),
    }
    for cname in ("lz4", "lz4hc", "blosclz", "zlib", "zstd"):
        for mode, value in BLOSC_SHUFFLES.items():
            options = dict(hdf5plugin.Blosc(cname=cname, clevel=5, shuffle=value))
            filters[f"blosc-{cname}-{mode}"] = ("blosc", options)
    return filters


FILTERS = _filters()
DTYPES = ("<f8", ">f8", ">i2", "<f4")
#: (shape, chunks, maxshape): partial edge chunks in both directions; one chunk
#: taller than the dataset (allowed by an unlimited first dimension).
SHAPES = {
    "edges": ((103, 7), (10, 3), None),
    "tall": ((103, 7), (128, 7), (None, 7)),
}


def compressible(shape: tuple[int, ...], dtype: str, seed: int = 0) -> np.ndarray:
    """Data every codec shrinks (HDF5 stores a chunk its filter cannot shrink with
    the filter skipped, which h5linalg leaves to HDF5)."""
    rng = np.random.default_rng(seed)
    values = np.round(rng.normal(loc=2.0, scale=3.0, size=shape) * 4) / 4
    if np.dtype(dtype).kind == "i":
        values = np.round(values * 40)
    return values.astype(dtype)


def write(
    path: Path,
    data: np.ndarray,
    options: dict[str, Any],
    chunks: tuple[int, ...],
    maxshape: tuple[int | None, ...] | None = None,
) -> Path:
    with h5py.File(path, "w") as file:
        file.create_dataset("x", data=data, chunks=chunks, maxshape=maxshape, **options)
    return path


def chunk_infos(path: Path) -> list[Any]:
    with h5py.File(path, "r") as file:
        dataset = file["x"]
        return [
            dataset.id.get_chunk_info(i) for i in range(dataset.id.get_num_chunks())
        ]


def decoded(codec: str) -> int:
    return int(_testing.decoded_chunks()[codec])


def needs(codec: str) -> None:
    if codec not in BUILT:
        pytest.skip(f"this build decodes {codec} with HDF5's filter only")


@pytest.mark.parametrize("shape_name", list(SHAPES))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pipeline", list(FILTERS))
def test_reads_what_h5py_reads(tmp_path, pipeline, dtype, shape_name):
    codec, options = FILTERS[pipeline]
    needs(codec)
    shape, chunks, maxshape = SHAPES[shape_name]
    data = compressible(shape, dtype, seed=len(pipeline))
    path = write(tmp_path / "f.h5", data, options, chunks, maxshape)
    with h5py.File(path, "r") as file:
        expected = file["x"][()].astype(np.float64)
    assert np.array_equal(expected, data.astype(np.float64))
    ref = _core.DatasetRef(str(path), "/x")
    infos = chunk_infos(path)
    all_compressed = all(info.filter_mask == 0 for info in infos)
    if shape_name == "tall":
        # Chunks this large always shrink: the parallel path must take them all.
        assert all_compressed, [info.filter_mask for info in infos]

    before = decoded(codec)
    assert np.array_equal(_testing.read_rows(ref, 0, shape[0]), expected)
    if all_compressed:
        assert decoded(codec) - before == len(infos)

    # Row ranges that start and end inside chunks.
    for first, count in ((13, 50), (0, 1), (shape[0] - 5, 5), (9, 2)):
        before = decoded(codec)
        rows = _testing.read_rows(ref, first, count)
        assert np.array_equal(rows, expected[first : first + count])
        if all_compressed:
            chunk_rows = math.ceil((first + count) / chunks[0]) - first // chunks[0]
            bands = math.ceil(shape[1] / chunks[1])
            assert decoded(codec) - before == chunk_rows * bands


@pytest.mark.memcheck
@pytest.mark.parametrize(
    "pipeline", ["shuffle-zstd", "lz4", "blosc-lz4-byteshuffle", "lzf", "shuffle-gzip"]
)
def test_statistics_agree_with_numpy(tmp_path, pipeline):
    codec, options = FILTERS[pipeline]
    needs(codec)
    data = compressible((2000, 6), "<f8", seed=3)
    path = write(tmp_path / "f.h5", data, options, (64, 6))
    before = decoded(codec)
    assert_close(h5linalg.gram(f"{path}:/x"), data.T @ data)
    moments = h5linalg.moments(f"{path}:/x", block_rows=100)
    assert_close(moments.mean, data.mean(axis=0))
    assert_close(moments.var, data.var(axis=0, ddof=1))
    assert decoded(codec) - before >= 2 * math.ceil(2000 / 64)


def test_incompressible_chunks_fall_back_to_hdf5(tmp_path):
    """A chunk LZF could not shrink is stored with the filter skipped: HDF5 reads it."""
    needs("lzf")
    rng = np.random.default_rng(5)
    data = rng.normal(size=(300, 4))
    data[:150] = 1.0  # compressible first half, incompressible second half
    path = write(tmp_path / "f.h5", data, {"compression": "lzf"}, (50, 4))
    masks = [info.filter_mask for info in chunk_infos(path)]
    assert 0 in masks, masks
    assert any(masks), masks
    ref = _core.DatasetRef(str(path), "/x")
    assert np.array_equal(_testing.read_rows(ref, 0, 300), data)
    before = decoded("lzf")
    assert np.array_equal(_testing.read_rows(ref, 0, 150), data[:150])
    assert decoded("lzf") - before == 3
    assert_close(h5linalg.gram(f"{path}:/x"), data.T @ data)


def test_serial_switch_forces_hdf5s_pipeline(tmp_path, monkeypatch):
    data = compressible((200, 5), "<f8")
    paths = {}
    for pipeline in ("gzip", "zstd", "lz4", "blosc-zstd-bitshuffle", "shuffle-lzf"):
        codec, options = FILTERS[pipeline]
        if codec in BUILT:
            paths[codec] = write(tmp_path / f"{pipeline}.h5", data, options, (32, 5))
    monkeypatch.setenv("H5LINALG_SERIAL_INFLATE", "1")
    before = _testing.decoded_chunks()
    for path in paths.values():
        # The Python layer reads the variable when it resolves a source (the
        # core reads no environment), so the reference is made as a run makes it.
        ref = resolve(f"{path}:/x", allow_external=False, role="source")
        assert isinstance(ref, _core.DatasetRef)
        rows = _testing.read_rows(ref, 0, 200)
        assert np.array_equal(rows, data)
        assert_close(h5linalg.gram(f"{path}:/x"), data.T @ data)
    assert _testing.decoded_chunks() == before
    monkeypatch.delenv("H5LINALG_SERIAL_INFLATE")
    for codec, path in paths.items():
        start = decoded(codec)
        assert_close(h5linalg.gram(f"{path}:/x"), data.T @ data)
        assert decoded(codec) > start


def damage(path: Path, chunk: int = 0) -> None:
    """Overwrites the second half of one chunk's compressed bytes."""
    info = chunk_infos(path)[chunk]
    assert info.filter_mask == 0
    start = info.byte_offset + info.size // 2
    with path.open("r+b") as file:
        file.seek(start)
        file.write(b"\xff" * (info.byte_offset + info.size - start))


@pytest.mark.memcheck
@pytest.mark.parametrize(
    "pipeline",
    ["gzip", "zstd", "shuffle-zstd", "lz4", "blosc-lz4-byteshuffle", "blosc-zstd-bitshuffle",
     "blosc-blosclz-noshuffle", "lzf", "shuffle-lzf"],
)  # fmt: skip
def test_a_damaged_chunk_is_an_oserror(tmp_path, pipeline):
    codec, options = FILTERS[pipeline]
    needs(codec)
    data = compressible((400, 4), "<f8", seed=7)
    path = write(tmp_path / "f.h5", data, options, (100, 4))
    damage(path, chunk=1)
    with pytest.raises(OSError, match=r"compressed chunk at .*rows 100.* is damaged"):
        h5linalg.gram(f"{path}:/x")
    with pytest.raises(OSError, match="damaged"):
        _testing.read_rows(_core.DatasetRef(str(path), "/x"), 150, 10)
    # Rows in undamaged chunks still read.
    rows = _testing.read_rows(_core.DatasetRef(str(path), "/x"), 200, 200)
    assert np.array_equal(rows, data[200:])


def test_a_blosc_header_claiming_another_size_is_an_oserror(tmp_path):
    needs("blosc")
    data = compressible((400, 4), "<f8", seed=8)
    path = write(tmp_path / "f.h5", data, dict(hdf5plugin.Blosc(cname="lz4")), (100, 4))
    info = chunk_infos(path)[0]
    with path.open("r+b") as file:
        file.seek(info.byte_offset + 4)  # the frame's uncompressed size
        file.write((100 * 4 * 8 // 2).to_bytes(4, "little"))
    with pytest.raises(OSError, match="Blosc header says 1600 bytes"):
        h5linalg.gram(f"{path}:/x")


def test_an_lz4_header_claiming_another_size_is_an_oserror(tmp_path):
    needs("lz4")
    data = compressible((400, 4), "<f8", seed=9)
    path = write(tmp_path / "f.h5", data, dict(hdf5plugin.LZ4()), (100, 4))
    info = chunk_infos(path)[2]
    with path.open("r+b") as file:
        file.seek(info.byte_offset + 8)  # the block size: 0
        file.write(b"\0\0\0\0")
    with pytest.raises(OSError, match="LZ4 block size is 0"):
        h5linalg.gram(f"{path}:/x")


def test_build_reports_the_parallel_codecs():
    codecs = _core.build_info()["codecs"]
    assert codecs["gzip"] == _core.build_info()["gzip_inflate"]
    libraries = {
        "zstd": "libzstd",
        "lz4": "liblz4",
        "blosc": "libblosc",
        "lzf": "liblzf",
    }
    for codec, library in codecs.items():
        name, version = library.split(" ", 1)
        assert name == libraries.get(codec, name)
        assert version[0].isdigit(), library
    assert set(_testing.decoded_chunks()) == {"gzip", "zstd", "lz4", "blosc", "lzf"}


@pytest.mark.parametrize(
    "options",
    [dict(hdf5plugin.Bitshuffle()), dict(hdf5plugin.Blosc2()), {"fletcher32": True}],
    ids=["bitshuffle", "blosc2", "fletcher32"],
)
def test_other_filters_stay_on_hdf5s_pipeline(tmp_path, options):
    data = compressible((300, 5), "<f8")
    path = write(tmp_path / "f.h5", data, options, (64, 5))
    before = _testing.decoded_chunks()
    rows = _testing.read_rows(_core.DatasetRef(str(path), "/x"), 0, 300)
    assert np.array_equal(rows, data)
    assert _testing.decoded_chunks() == before
