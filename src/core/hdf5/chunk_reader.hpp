// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// The parallel path for compressed data. HDF5 decodes chunks on one thread
// under its global lock; here the HDF5 thread only copies the raw, still
// compressed chunks out of the file (H5Dread_chunk) and worker threads decode,
// unshuffle and widen them to float64 in parallel.
//
// Applies to chunked datasets with a plain numeric type whose filters are one
// codec of chunk_codecs.hpp (gzip, zstd, lz4, blosc, lzf, as far as the build
// has them), optionally preceded by shuffle. Anything else (other filters, a
// chunk stored with a filter skipped, an unallocated chunk) falls back to H5Dread.
// Hdf5Source's parallel_inflate=false turns the path off (the Python layer's
// H5LINALG_SERIAL_INFLATE).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/hdf5/chunk_codecs.hpp"
#include "core/hdf5/dataset.hpp"

namespace h5linalg {

class ChunkReader {
public:
    /// The reader for `dataset`, or nullptr when the fast path does not apply.
    static std::unique_ptr<ChunkReader> create(const OpenDataset& dataset);

    /// Reads rows [first, first + count) into dst (row-major, leading dimension ld).
    /// Returns false, having written nothing useful, when a chunk in range needs
    /// the general path; the caller then uses H5Dread.
    bool read(std::size_t first, std::size_t count, double* dst, std::size_t ld);

    /// Bytes of one uncompressed chunk (for memory planning).
    std::size_t chunk_bytes() const { return chunk_bytes_; }

private:
    ChunkReader(hid_t dataset, const DatasetInfo& info, ChunkPipeline pipeline);

    /// Reads the raw (still encoded) chunk at `offset` into `raw`, under the HDF5
    /// lock. Returns false when the chunk needs the general path (never written,
    /// a damaged index, a filter skipped, or a form only HDF5's filter decodes).
    bool fetch_chunk(const hsize_t* offset, const std::string& where, std::size_t size_limit,
                     std::vector<unsigned char>& raw);
    /// Decodes one fetched chunk and converts its rows in [first, end) into dst.
    void decode_chunk(const std::vector<unsigned char>& raw, std::size_t row0, std::size_t col0,
                      std::size_t first, std::size_t end, double* dst, std::size_t ld,
                      const std::string& where) const;

    hid_t dataset_;  // borrowed from the owning Hdf5Source
    std::string label_;
    std::size_t rows_, cols_;
    std::size_t chunk_rows_, chunk_cols_;
    std::size_t item_size_;
    std::size_t chunk_bytes_;
    ElementType element_;
    bool swap_bytes_;
    Codec codec_;
    bool shuffled_;  // HDF5's shuffle ran before the codec
};

}  // namespace h5linalg
