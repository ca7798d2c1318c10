// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// The chunk decoders of chunk_codecs.hpp on chunks made by each codec's own
// library (in the formats the HDF5 filters write): they round-trip, and every
// truncation, wrong chunk size and random corruption ends in an ErrorKind::IO
// error or in the right bytes, never in a read or write out of bounds (the
// sanitizer build runs these with exact-size heap buffers).
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#ifdef H5LINALG_HAVE_ZSTD
#include <zstd.h>
#endif
#ifdef H5LINALG_HAVE_LZ4
#include <lz4.h>
#endif
#ifdef H5LINALG_HAVE_BLOSC
#include <blosc.h>
#endif
#ifdef H5LINALG_HAVE_LZF
#include <lzf.h>
#endif

#include "core/base/errors.hpp"
#include "core/hdf5/chunk_codecs.hpp"

namespace h5linalg {
namespace {

using Bytes = std::vector<unsigned char>;

/// Compressible chunk contents: small integers as little-endian doubles.
Bytes chunk_data(std::size_t bytes) {
    std::mt19937 rng(7);
    Bytes out(bytes);
    for (std::size_t i = 0; i < bytes / 8; ++i) {
        const double value = static_cast<double>(rng() % 5);
        std::memcpy(out.data() + 8 * i, &value, 8);
    }
    return out;
}

void put_big_endian(Bytes& out, std::uint64_t value, int width) {
    for (int i = width - 1; i >= 0; --i) {
        out.push_back(static_cast<unsigned char>(value >> (8 * i)));
    }
}

Bytes gzip_chunk(const Bytes& data) {
    uLongf size = compressBound(static_cast<uLong>(data.size()));
    Bytes out(size);
    EXPECT_EQ(compress(out.data(), &size, data.data(), static_cast<uLong>(data.size())), Z_OK);
    out.resize(size);
    return out;
}

#ifdef H5LINALG_HAVE_LZ4
/// The LZ4 filter's format with `block`-byte blocks; the last block is stored as is
/// (as the filter stores a block LZ4 cannot shrink).
Bytes lz4_chunk(const Bytes& data, std::size_t block) {
    Bytes out;
    put_big_endian(out, data.size(), 8);
    put_big_endian(out, block, 4);
    for (std::size_t done = 0; done < data.size(); done += block) {
        const std::size_t size = std::min(block, data.size() - done);
        const bool last = done + size == data.size();
        Bytes packed(static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(size))));
        int stored = LZ4_compress_default(reinterpret_cast<const char*>(data.data() + done),
                                          reinterpret_cast<char*>(packed.data()),
                                          static_cast<int>(size), static_cast<int>(packed.size()));
        if (last || stored <= 0 || static_cast<std::size_t>(stored) >= size) {
            packed.assign(data.begin() + static_cast<std::ptrdiff_t>(done),
                          data.begin() + static_cast<std::ptrdiff_t>(done + size));
            stored = static_cast<int>(size);
        }
        put_big_endian(out, static_cast<std::uint64_t>(stored), 4);
        out.insert(out.end(), packed.begin(), packed.begin() + stored);
    }
    return out;
}
#endif

/// Each codec this build decodes, with a chunk of `data` in its filter's format.
std::vector<std::pair<Codec, Bytes>> chunks_of(const Bytes& data) {
    std::vector<std::pair<Codec, Bytes>> chunks;
    chunks.emplace_back(Codec::Gzip, gzip_chunk(data));
#ifdef H5LINALG_HAVE_ZSTD
    Bytes zstd(ZSTD_compressBound(data.size()));
    zstd.resize(ZSTD_compress(zstd.data(), zstd.size(), data.data(), data.size(), 3));
    chunks.emplace_back(Codec::Zstd, zstd);
#endif
#ifdef H5LINALG_HAVE_LZ4
    chunks.emplace_back(Codec::Lz4, lz4_chunk(data, 1500));
#endif
#ifdef H5LINALG_HAVE_BLOSC
    Bytes blosc(data.size() + BLOSC_MAX_OVERHEAD);
    const int packed = blosc_compress_ctx(5, BLOSC_SHUFFLE, 8, data.size(), data.data(),
                                          blosc.data(), blosc.size(), "lz4", 0, 1);
    EXPECT_GT(packed, 0);
    blosc.resize(static_cast<std::size_t>(packed));
    chunks.emplace_back(Codec::Blosc, blosc);
#endif
#ifdef H5LINALG_HAVE_LZF
    Bytes lzf(data.size());
    lzf.resize(lzf_compress(data.data(), static_cast<unsigned>(data.size()), lzf.data(),
                            static_cast<unsigned>(lzf.size())));
    EXPECT_GT(lzf.size(), 0U);
    chunks.emplace_back(Codec::Lzf, lzf);
#endif
    return chunks;
}

/// Decodes into a buffer of exactly `expected` bytes (so ASan sees any overflow);
/// "ok", or "damaged" for an ErrorKind::IO error naming the chunk.
std::string try_decode(Codec codec, const Bytes& raw, std::size_t expected, Bytes* out) {
    out->assign(expected, 0);
    try {
        decode(codec, raw, out->data(), expected, "f.h5:/x rows 0, column 0");
    } catch (const Error& error) {
        const std::string message = error.what();
        if (error.kind() == ErrorKind::IO &&
            message.find("the compressed chunk at f.h5:/x rows 0, column 0 is damaged (") == 0) {
            return "damaged";
        }
        return "unexpected error: " + message;
    }
    return "ok";
}

TEST(ChunkCodecs, RoundTripThroughEachCodec) {
    const Bytes data = chunk_data(4096);
    const auto chunks = chunks_of(data);
    EXPECT_EQ(chunks.size(), parallel_codecs().size());
    for (const auto& [codec, raw] : chunks) {
        Bytes out;
        EXPECT_EQ(try_decode(codec, raw, data.size(), &out), "ok") << codec_name(codec);
        EXPECT_EQ(out, data) << codec_name(codec);
        EXPECT_TRUE(decodable(codec, raw)) << codec_name(codec);
    }
}

TEST(ChunkCodecs, AnotherChunkSizeIsDamage) {
    const Bytes data = chunk_data(4096);
    for (const auto& [codec, raw] : chunks_of(data)) {
        Bytes out;
        for (const std::size_t expected : {std::size_t{1}, data.size() - 8, data.size() - 1,
                                           data.size() + 1, data.size() + 4096}) {
            EXPECT_EQ(try_decode(codec, raw, expected, &out), "damaged")
                << codec_name(codec) << " into " << expected << " bytes";
        }
    }
}

TEST(ChunkCodecs, EveryTruncationIsDamage) {
    const Bytes data = chunk_data(4096);
    for (const auto& [codec, raw] : chunks_of(data)) {
        Bytes out;
        for (std::size_t keep = 0; keep < raw.size(); ++keep) {
            const Bytes cut(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(keep));
            EXPECT_EQ(try_decode(codec, cut, data.size(), &out), "damaged")
                << codec_name(codec) << " cut to " << keep << " of " << raw.size() << " bytes";
        }
    }
}

TEST(ChunkCodecs, CorruptedBytesGiveDamageOrBytesNeverACrash) {
    const Bytes data = chunk_data(4096);
    std::mt19937 rng(11);
    for (const auto& [codec, raw] : chunks_of(data)) {
        Bytes out;
        for (int trial = 0; trial < 400; ++trial) {
            Bytes bad = raw;
            const int changes = 1 + static_cast<int>(rng() % 6);
            for (int i = 0; i < changes; ++i) {
                bad[rng() % bad.size()] = static_cast<unsigned char>(rng());
            }
            const std::string outcome = try_decode(codec, bad, data.size(), &out);
            EXPECT_TRUE(outcome == "ok" || outcome == "damaged") << codec_name(codec) << outcome;
        }
        for (int trial = 0; trial < 100; ++trial) {  // garbage of any length
            Bytes junk(1 + rng() % 300);
            for (unsigned char& byte : junk) {
                byte = static_cast<unsigned char>(rng());
            }
            const std::string outcome = try_decode(codec, junk, 256, &out);
            EXPECT_TRUE(outcome == "ok" || outcome == "damaged") << codec_name(codec) << outcome;
        }
    }
}

#ifdef H5LINALG_HAVE_LZ4
TEST(ChunkCodecs, Lz4HeaderDamage) {
    const Bytes data = chunk_data(4096);
    const Bytes good = lz4_chunk(data, 1500);
    Bytes out;
    Bytes zero_block = good;  // block size 0 would loop forever in a naive reader
    std::fill(zero_block.begin() + 8, zero_block.begin() + 12, 0);
    EXPECT_EQ(try_decode(Codec::Lz4, zero_block, data.size(), &out), "damaged");
    Bytes huge_block = good;  // a block size above the chunk size reads as the chunk size
    std::fill(huge_block.begin() + 8, huge_block.begin() + 12, 0xff);
    EXPECT_EQ(try_decode(Codec::Lz4, huge_block, data.size(), &out), "damaged");
    Bytes past_end = good;  // the first block's stored size runs past the chunk
    std::fill(past_end.begin() + 12, past_end.begin() + 16, 0x7f);
    EXPECT_EQ(try_decode(Codec::Lz4, past_end, data.size(), &out), "damaged");
    // One block as large as the chunk, stored as is.
    Bytes stored;
    put_big_endian(stored, 64, 8);
    put_big_endian(stored, 1U << 30, 4);
    put_big_endian(stored, 64, 4);
    stored.insert(stored.end(), data.begin(), data.begin() + 64);
    EXPECT_EQ(try_decode(Codec::Lz4, stored, 64, &out), "ok");
    EXPECT_EQ(out, Bytes(data.begin(), data.begin() + 64));
}
#endif

#ifdef H5LINALG_HAVE_BLOSC
TEST(ChunkCodecs, BloscFramesOfAnUnknownFormatGoToHdf5) {
    const Bytes data = chunk_data(4096);
    for (const auto& [codec, raw] : chunks_of(data)) {
        if (codec != Codec::Blosc) {
            continue;
        }
        Bytes newer = raw;
        newer[0] = BLOSC_VERSION_FORMAT + 1;
        EXPECT_FALSE(decodable(codec, newer));
        Bytes unknown = raw;
        unknown[2] = static_cast<unsigned char>((unknown[2] & 0x1f) | (7 << 5));
        EXPECT_FALSE(decodable(codec, unknown));
        EXPECT_TRUE(decodable(codec, Bytes(raw.begin(), raw.begin() + 5)));  // decode() says
    }
}
#endif

TEST(ChunkCodecs, PipelinesWorkerThreadsDecode) {
    const auto filter = [](int id, std::vector<unsigned> values) {
        Filter f;
        f.id = id;
        f.values = std::move(values);
        return f;
    };
    const Filter shuffle = filter(H5Z_FILTER_SHUFFLE, {8});
    auto gzip = parallel_pipeline({shuffle, filter(H5Z_FILTER_DEFLATE, {4})}, 8);
    ASSERT_TRUE(gzip.has_value());
    EXPECT_EQ(gzip->codec, Codec::Gzip);
    EXPECT_TRUE(gzip->shuffled);
    EXPECT_FALSE(parallel_pipeline({filter(H5Z_FILTER_DEFLATE, {10})}, 8));
    EXPECT_FALSE(parallel_pipeline({filter(H5Z_FILTER_SHUFFLE, {4}), filter(1, {4})}, 8));
    EXPECT_FALSE(parallel_pipeline({filter(H5Z_FILTER_FLETCHER32, {}), filter(1, {4})}, 8));
    EXPECT_FALSE(parallel_pipeline({filter(32008, {})}, 8));  // bitshuffle: HDF5's
    EXPECT_FALSE(parallel_pipeline({filter(32026, {})}, 8));  // blosc2: HDF5's
    for (const auto& [name, library] : parallel_codecs()) {
        static_cast<void>(library);
        if (name == "zstd") {
            EXPECT_EQ(parallel_pipeline({shuffle, filter(32015, {3})}, 8)->codec, Codec::Zstd);
        } else if (name == "lz4") {
            EXPECT_EQ(parallel_pipeline({filter(32004, {0})}, 8)->codec, Codec::Lz4);
        } else if (name == "blosc") {
            EXPECT_EQ(parallel_pipeline({filter(32001, {2, 2, 8, 4096, 5, 1, 1})}, 8)->codec,
                      Codec::Blosc);
            EXPECT_FALSE(parallel_pipeline({filter(32001, {2, 2, 8})}, 8));
            EXPECT_FALSE(parallel_pipeline({filter(32001, {2, 2, 8, 4096, 5, 1, 99})}, 8));
        } else if (name == "lzf") {
            EXPECT_EQ(parallel_pipeline({filter(32000, {4, 261, 4096})}, 8)->codec, Codec::Lzf);
        }
    }
}

}  // namespace
}  // namespace h5linalg
