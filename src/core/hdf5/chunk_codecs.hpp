// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// The compression codecs ChunkReader decodes on worker threads, one function
// per chunk: which filter pipelines they cover, and how each codec's chunk
// format (as its HDF5 filter writes it) is turned back into the chunk's bytes.
//
//   gzip  (filter 1)      one zlib stream (libdeflate, else zlib)
//   zstd  (filter 32015)  one Zstandard frame (libzstd)
//   lz4   (filter 32004)  8-byte big-endian chunk size, 4-byte big-endian block
//                         size, then per block a 4-byte big-endian compressed
//                         size and the LZ4 block; a block whose compressed size
//                         equals its size is stored as is (liblz4)
//   blosc (filter 32001)  one Blosc 1 frame, with its own shuffle inside (libblosc)
//   lzf   (filter 32000)  one raw LZF stream (liblzf)
//
// Each may come after HDF5's shuffle filter, which ChunkReader undoes. A codec
// the build lacks (see CMake's H5LINALG_ZSTD, ...) stays on HDF5's pipeline.
// Every decoder is bounded by the raw chunk and the chunk size: a damaged chunk
// is an ErrorKind::IO error, never a read or a write out of bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/hdf5/dataset.hpp"

namespace h5linalg {

enum class Codec { Gzip, Zstd, Lz4, Blosc, Lzf };
constexpr std::size_t codec_count = 5;

/// The filter pipeline of a dataset, when worker threads can decode it.
struct ChunkPipeline {
    Codec codec;
    bool shuffled;  // HDF5's shuffle ran before the codec
};

/// The pipeline for `filters` over elements of `item_size` bytes, or nullopt when
/// HDF5 must decode it: other filters, parameters HDF5's own filter would read
/// differently, or a codec this build does not have.
std::optional<ChunkPipeline> parallel_pipeline(const std::vector<Filter>& filters,
                                               std::size_t item_size);

/// Whether this build decodes the raw chunk itself (false: HDF5's pipeline must,
/// e.g. a Blosc frame made with a compressor this libblosc lacks). Cheap: looks at
/// the chunk's header only; decode() still checks everything.
bool decodable(Codec codec, const std::vector<unsigned char>& raw);

/// Decodes one raw chunk into exactly `expected` bytes at `out`. Fails with
/// ErrorKind::IO ("the compressed chunk at <where> is damaged (...)") when the
/// decoder reports an error or the result is not `expected` bytes long.
void decode(Codec codec, const std::vector<unsigned char>& raw, unsigned char* out,
            std::size_t expected, const std::string& where);

/// "gzip", "zstd", "lz4", "blosc", "lzf".
const char* codec_name(Codec codec);

/// Each codec this build decodes on worker threads, with the library that does it
/// and its version, e.g. {"zstd", "libzstd 1.5.4"}; gzip is always there.
std::vector<std::pair<std::string, std::string>> parallel_codecs();

/// The library that inflates gzip chunks on the worker threads, with its
/// version: "libdeflate 1.14" where the build found libdeflate, else zlib's.
std::string gzip_inflater();

/// Chunks decoded by decode() since the module was loaded, per codec (for tests
/// that must tell the parallel path from HDF5's).
std::vector<std::pair<std::string, std::uint64_t>> decoded_chunk_counts();

}  // namespace h5linalg
