// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/hdf5/chunk_codecs.hpp"

#include <zlib.h>

#include <array>
#include <atomic>
#include <climits>
#include <cstring>
#include <memory>

#ifdef H5LINALG_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif
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

namespace h5linalg {

namespace {

// Registered filter ids (HDF5's list of third-party filters).
constexpr int filter_lzf = 32000;
constexpr int filter_blosc = 32001;
constexpr int filter_lz4 = 32004;
constexpr int filter_zstd = 32015;

std::array<std::atomic<std::uint64_t>, codec_count> decoded_chunks{};

[[noreturn]] void damaged(const std::string& where, const std::string& why) {
    fail(ErrorKind::IO, "the compressed chunk at " + where + " is damaged (" + why + ")");
}

std::string size_mismatch(const char* library, std::size_t produced, std::size_t expected) {
    return std::string(library) + " decoded " + std::to_string(produced) +
           " bytes where the chunk has " + std::to_string(expected);
}

/// Holds one decoder state per worker thread: the libraries' states are not
/// thread-safe, and making one per chunk would cost more than a small chunk
/// takes to decode.
template <typename State, void (*Free)(State*)>
State& thread_state(State* (*make)(), const char* what) {
    struct Deleter {
        void operator()(State* state) const { Free(state); }
    };
    thread_local std::unique_ptr<State, Deleter> state(make());
    if (!state) {
        fail(ErrorKind::Memory, std::string("out of memory allocating a ") + what);
    }
    return *state;
}

// --- gzip -------------------------------------------------------------------------

#ifdef H5LINALG_HAVE_LIBDEFLATE
void free_inflater(libdeflate_decompressor* d) { libdeflate_free_decompressor(d); }
#endif

/// HDF5's deflate filter writes one zlib stream. libdeflate, where the build has
/// it, decodes the whole chunk in one call about twice as fast as zlib; both check
/// the stream's Adler-32, so both give the same bytes or the same error.
void decode_gzip(const std::vector<unsigned char>& raw, unsigned char* out, std::size_t expected,
                 const std::string& where) {
#ifdef H5LINALG_HAVE_LIBDEFLATE
    std::size_t produced = 0;
    libdeflate_decompressor& inflater = thread_state<libdeflate_decompressor, free_inflater>(
        libdeflate_alloc_decompressor, "gzip decompressor");
    const libdeflate_result status =
        libdeflate_zlib_decompress(&inflater, raw.data(), raw.size(), out, expected, &produced);
    const bool ok = status == LIBDEFLATE_SUCCESS && produced == expected;
#else
    uLongf produced = static_cast<uLongf>(expected);
    const int status = uncompress(out, &produced, raw.data(), static_cast<uLong>(raw.size()));
    const bool ok = status == Z_OK && produced == expected;
#endif
    if (!ok) {
        damaged(where, gzip_inflater() + " could not inflate it to the chunk size");
    }
}

// --- zstd -------------------------------------------------------------------------

#ifdef H5LINALG_HAVE_ZSTD
void free_zstd(ZSTD_DCtx* context) { ZSTD_freeDCtx(context); }

/// The Zstandard filter writes one frame (ZSTD_compress); ZSTD_decompressDCtx
/// never writes past `expected` and reports a frame that would.
void decode_zstd(const std::vector<unsigned char>& raw, unsigned char* out, std::size_t expected,
                 const std::string& where) {
    ZSTD_DCtx& context =
        thread_state<ZSTD_DCtx, free_zstd>(ZSTD_createDCtx, "Zstandard decompression context");
    const std::size_t produced =
        ZSTD_decompressDCtx(&context, out, expected, raw.data(), raw.size());
    if (ZSTD_isError(produced) != 0U) {
        damaged(where, std::string("libzstd: ") + ZSTD_getErrorName(produced));
    }
    if (produced != expected) {
        damaged(where, size_mismatch("libzstd", produced, expected));
    }
}
#endif

// --- lz4 --------------------------------------------------------------------------

#ifdef H5LINALG_HAVE_LZ4
std::uint64_t big_endian(const unsigned char* bytes, std::size_t width) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i) {
        value = (value << 8) | bytes[i];
    }
    return value;
}

/// The LZ4 filter's format: the chunk size (8 bytes) and the block size (4 bytes),
/// big-endian, then the blocks in order, each a 4-byte big-endian compressed size
/// and that many bytes; the last block may be shorter. The filter stores a block
/// that LZ4 could not shrink as is, and marks it by a compressed size equal to the
/// block's size. Every size is checked against what is left of the chunk, so a
/// damaged header or block size ends the decoding instead of a read out of bounds.
void decode_lz4(const std::vector<unsigned char>& raw, unsigned char* out, std::size_t expected,
                const std::string& where) {
    constexpr std::size_t header = 12;
    const std::size_t size = raw.size();
    if (size < header) {
        damaged(where, "the LZ4 header is cut short");
    }
    const std::uint64_t original = big_endian(raw.data(), 8);
    if (original != expected) {
        damaged(where, "its LZ4 header says " + std::to_string(original) +
                           " bytes where the chunk has " + std::to_string(expected));
    }
    // The filter writes min(block size, chunk size) blocks; it reads a larger one so.
    std::size_t block = static_cast<std::size_t>(std::min(big_endian(raw.data() + 8, 4), original));
    if (block == 0) {
        damaged(where, "its LZ4 block size is 0");
    }
    std::size_t at = header;
    for (std::size_t done = 0; done < expected; done += block) {
        block = std::min(block, expected - done);
        if (size - at < 4) {
            damaged(where, "an LZ4 block header is cut short");
        }
        const std::size_t stored = static_cast<std::size_t>(big_endian(raw.data() + at, 4));
        at += 4;
        if (stored > size - at) {
            damaged(where, "an LZ4 block runs past the end of the chunk");
        }
        if (stored == block) {
            std::memcpy(out + done, raw.data() + at, block);
        } else {
            if (block > static_cast<std::size_t>(INT_MAX)) {
                damaged(where, "an LZ4 block is larger than LZ4 allows");
            }
            const int produced = LZ4_decompress_safe(
                reinterpret_cast<const char*>(raw.data() + at), reinterpret_cast<char*>(out + done),
                static_cast<int>(stored), static_cast<int>(block));
            if (produced < 0 || static_cast<std::size_t>(produced) != block) {
                damaged(where, "liblz4 could not decode an LZ4 block to its size");
            }
        }
        at += stored;
    }
}
#endif

// --- blosc ------------------------------------------------------------------------

#ifdef H5LINALG_HAVE_BLOSC
constexpr std::size_t blosc_header = 16;  // BLOSC_MIN_HEADER_LENGTH
constexpr unsigned char blosc_memcpyed = 0x2;

/// The compressor formats (a Blosc frame's flags >> 5) this libblosc decodes:
/// a distribution may build it without some (Snappy, most often).
unsigned supported_blosc_formats() {
    static const unsigned formats = [] {
        const std::pair<int, int> codes[] = {
            {BLOSC_BLOSCLZ, BLOSC_BLOSCLZ_FORMAT}, {BLOSC_LZ4, BLOSC_LZ4_FORMAT},
            {BLOSC_SNAPPY, BLOSC_SNAPPY_FORMAT},   {BLOSC_ZLIB, BLOSC_ZLIB_FORMAT},
            {BLOSC_ZSTD, BLOSC_ZSTD_FORMAT},
        };
        unsigned mask = 0;
        for (const auto& [code, format] : codes) {
            const char* name = nullptr;
            if (blosc_compcode_to_compname(code, &name) >= 0) {
                mask |= 1U << format;
            }
        }
        return mask;
    }();
    return formats;
}

bool blosc_decodable(const std::vector<unsigned char>& raw) {
    if (raw.size() < blosc_header) {
        return true;  // damaged: decode_blosc says so
    }
    const unsigned char version = raw[0];
    const unsigned char flags = raw[2];
    if (version > BLOSC_VERSION_FORMAT) {
        return false;  // a newer Blosc 1 wrote it; HDF5's plugin may know the format
    }
    return (flags & blosc_memcpyed) != 0 || (supported_blosc_formats() >> (flags >> 5) & 1U) != 0;
}

/// The Blosc filter writes one Blosc 1 frame, which says how long it is and what
/// it decodes to; blosc_cbuffer_validate checks both against the raw chunk first,
/// as Blosc asks before decompressing untrusted data. The _ctx call with one
/// internal thread is Blosc 1's thread-safe one (no global state).
void decode_blosc(const std::vector<unsigned char>& raw, unsigned char* out, std::size_t expected,
                  const std::string& where) {
    std::size_t claimed = 0;
    if (blosc_cbuffer_validate(raw.data(), raw.size(), &claimed) != 0) {
        damaged(where, "its Blosc header does not match its size");
    }
    if (claimed != expected) {
        damaged(where, "its Blosc header says " + std::to_string(claimed) +
                           " bytes where the chunk has " + std::to_string(expected));
    }
    const int produced = blosc_decompress_ctx(raw.data(), out, expected, 1);
    if (produced <= 0 || static_cast<std::size_t>(produced) != expected) {
        damaged(where, "libblosc could not decode it to the chunk size");
    }
}
#endif

// --- lzf --------------------------------------------------------------------------

#ifdef H5LINALG_HAVE_LZF
/// h5py's LZF filter writes one raw LZF stream (no header); lzf_decompress checks
/// every literal run and back reference against both buffers (liblzf's
/// CHECK_INPUT) and fails on output that would not fit.
void decode_lzf(const std::vector<unsigned char>& raw, unsigned char* out, std::size_t expected,
                const std::string& where) {
    if (raw.empty() || raw.size() > UINT_MAX || expected > UINT_MAX) {
        damaged(where, "its size is impossible for LZF");
    }
    const unsigned produced = lzf_decompress(raw.data(), static_cast<unsigned>(raw.size()), out,
                                             static_cast<unsigned>(expected));
    if (produced != expected) {
        damaged(where, produced == 0 ? std::string("liblzf could not decode it to the chunk size")
                                     : size_mismatch("liblzf", produced, expected));
    }
}
#endif

/// Whether this build decodes `codec` on worker threads.
bool built_with(Codec codec) {
    switch (codec) {
        case Codec::Gzip: return true;
#ifdef H5LINALG_HAVE_ZSTD
        case Codec::Zstd: return true;
#endif
#ifdef H5LINALG_HAVE_LZ4
        case Codec::Lz4: return true;
#endif
#ifdef H5LINALG_HAVE_BLOSC
        case Codec::Blosc: return true;
#endif
#ifdef H5LINALG_HAVE_LZF
        case Codec::Lzf: return true;
#endif
        default: return false;
    }
}

}  // namespace

const char* codec_name(Codec codec) {
    switch (codec) {
        case Codec::Gzip: return "gzip";
        case Codec::Zstd: return "zstd";
        case Codec::Lz4: return "lz4";
        case Codec::Blosc: return "blosc";
        case Codec::Lzf: return "lzf";
    }
    return "unknown";
}

namespace {

/// HDF5 unshuffles with the *stored* parameter, so only one equal to the element
/// size means what ChunkReader's unshuffle does.
bool shuffle_matches(const Filter& shuffle, std::size_t item_size) {
    return shuffle.id == H5Z_FILTER_SHUFFLE && shuffle.values.size() == 1 &&
           shuffle.values[0] == item_size;
}

/// Whether libblosc accepts the Blosc filter's parameters: the filter reads
/// parameters 2 and 3 (set by its set_local, always present) and refuses a
/// compressor code it does not know in parameter 6.
bool blosc_parameters_usable(const Filter& filter) {
    if (filter.values.size() < 4) {
        return false;
    }
#ifdef H5LINALG_HAVE_BLOSC
    if (filter.values.size() >= 7) {
        const char* name = nullptr;
        if (filter.values[6] > INT_MAX ||
            blosc_compcode_to_compname(static_cast<int>(filter.values[6]), &name) < 0) {
            return false;
        }
    }
#endif
    return true;
}

/// The codec that decodes `filter` as HDF5's filter would, if h5linalg knows one.
std::optional<Codec> codec_of(const Filter& filter) {
    switch (filter.id) {
        case H5Z_FILTER_DEFLATE:
            // HDF5's deflate takes one parameter and fails on a level above 9.
            if (filter.values.size() != 1 || filter.values[0] > 9) {
                return std::nullopt;
            }
            return Codec::Gzip;
        case filter_zstd: return Codec::Zstd;  // its decoder reads no parameter
        case filter_lz4: return Codec::Lz4;    // nor does this one
        case filter_lzf: return Codec::Lzf;    // nor this one
        case filter_blosc:
            if (!blosc_parameters_usable(filter)) {
                return std::nullopt;
            }
            return Codec::Blosc;
        default: return std::nullopt;
    }
}

}  // namespace

std::optional<ChunkPipeline> parallel_pipeline(const std::vector<Filter>& filters,
                                               std::size_t item_size) {
    if (filters.empty() || filters.size() > 2) {
        return std::nullopt;
    }
    const bool shuffled = filters.size() == 2;
    if (shuffled && !shuffle_matches(filters[0], item_size)) {
        return std::nullopt;
    }
    const std::optional<Codec> codec = codec_of(filters.back());
    if (!codec || !built_with(*codec)) {
        return std::nullopt;
    }
    return ChunkPipeline{*codec, shuffled};
}

bool decodable(Codec codec, const std::vector<unsigned char>& raw) {
#ifdef H5LINALG_HAVE_BLOSC
    if (codec == Codec::Blosc) {
        return blosc_decodable(raw);
    }
#endif
    static_cast<void>(raw);
    return built_with(codec);
}

void decode(Codec codec, const std::vector<unsigned char>& raw, unsigned char* out,
            std::size_t expected, const std::string& where) {
    if (raw.empty()) {
        damaged(where, "it is empty");
    }
    switch (codec) {
        case Codec::Gzip: decode_gzip(raw, out, expected, where); break;
#ifdef H5LINALG_HAVE_ZSTD
        case Codec::Zstd: decode_zstd(raw, out, expected, where); break;
#endif
#ifdef H5LINALG_HAVE_LZ4
        case Codec::Lz4: decode_lz4(raw, out, expected, where); break;
#endif
#ifdef H5LINALG_HAVE_BLOSC
        case Codec::Blosc: decode_blosc(raw, out, expected, where); break;
#endif
#ifdef H5LINALG_HAVE_LZF
        case Codec::Lzf: decode_lzf(raw, out, expected, where); break;
#endif
        default:
            fail(ErrorKind::Runtime, std::string("internal error: this build cannot decode ") +
                                         codec_name(codec) + " chunks");
    }
    decoded_chunks[static_cast<std::size_t>(codec)].fetch_add(1, std::memory_order_relaxed);
}

std::string gzip_inflater() {
#ifdef H5LINALG_HAVE_LIBDEFLATE
    return "libdeflate " LIBDEFLATE_VERSION_STRING;
#else
    return std::string("zlib ") + zlibVersion();
#endif
}

std::vector<std::pair<std::string, std::string>> parallel_codecs() {
    std::vector<std::pair<std::string, std::string>> codecs;
    codecs.emplace_back("gzip", gzip_inflater());
#ifdef H5LINALG_HAVE_ZSTD
    codecs.emplace_back("zstd", std::string("libzstd ") + ZSTD_versionString());
#endif
#ifdef H5LINALG_HAVE_LZ4
    codecs.emplace_back("lz4", std::string("liblz4 ") + LZ4_versionString());
#endif
#ifdef H5LINALG_HAVE_BLOSC
    codecs.emplace_back("blosc", std::string("libblosc ") + blosc_get_version_string());
#endif
#ifdef H5LINALG_HAVE_LZF
    // liblzf's header has only its API version; CMake reads the package's.
    codecs.emplace_back("lzf", "liblzf " H5LINALG_LZF_VERSION);
#endif
    return codecs;
}

std::vector<std::pair<std::string, std::uint64_t>> decoded_chunk_counts() {
    std::vector<std::pair<std::string, std::uint64_t>> counts;
    for (std::size_t i = 0; i < codec_count; ++i) {
        counts.emplace_back(codec_name(static_cast<Codec>(i)),
                            decoded_chunks[i].load(std::memory_order_relaxed));
    }
    return counts;
}

}  // namespace h5linalg
