// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/chunk_reader.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#ifdef H5LINALG_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

#include "core/errors.hpp"
#include "core/library_info.hpp"
#include "core/thread_pool.hpp"

namespace h5linalg {

namespace {

/// Undoes HDF5's shuffle filter: byte j of element i was stored at j * count + i.
void unshuffle(const unsigned char* in, std::size_t item, std::size_t bytes, unsigned char* out) {
    const std::size_t count = bytes / item;
    for (std::size_t j = 0; j < item; ++j) {
        const unsigned char* plane = in + j * count;
        for (std::size_t i = 0; i < count; ++i) {
            out[i * item + j] = plane[i];
        }
    }
}

#ifdef H5LINALG_HAVE_LIBDEFLATE
/// One libdeflate decompressor per worker thread (it is not thread-safe, and
/// allocating one per chunk would cost more than small chunks take to inflate).
libdeflate_decompressor& thread_decompressor() {
    struct Free {
        void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
    };
    thread_local std::unique_ptr<libdeflate_decompressor, Free> decompressor(
        libdeflate_alloc_decompressor());
    if (!decompressor) {
        fail(ErrorKind::Memory, "out of memory allocating a gzip decompressor");
    }
    return *decompressor;
}
#endif

/// Inflates one chunk of HDF5's deflate filter (a zlib stream) to exactly
/// `expected` bytes. libdeflate, where the build has it, decodes the whole chunk
/// in one call about twice as fast as zlib; both check the stream's Adler-32,
/// so both give the same bytes or the same error.
void inflate_chunk(const std::vector<unsigned char>& raw, unsigned char* out, std::size_t expected,
                   const std::string& where) {
#ifdef H5LINALG_HAVE_LIBDEFLATE
    std::size_t produced = 0;
    const libdeflate_result status = libdeflate_zlib_decompress(
        &thread_decompressor(), raw.data(), raw.size(), out, expected, &produced);
    const bool ok = status == LIBDEFLATE_SUCCESS && produced == expected;
#else
    uLongf produced = static_cast<uLongf>(expected);
    const int status = uncompress(out, &produced, raw.data(), static_cast<uLong>(raw.size()));
    const bool ok = status == Z_OK && produced == expected;
#endif
    if (!ok) {
        fail(ErrorKind::IO, "the compressed chunk at " + where + " is damaged (" + gzip_inflater() +
                                " could not inflate it to the chunk size)");
    }
}

}  // namespace

std::unique_ptr<ChunkReader> ChunkReader::create(const OpenDataset& dataset) {
#if H5_VERSION_GE(1, 10, 5)
    const DatasetInfo& info = dataset.info;
    if (info.layout != "chunked" || !info.type.raw_readable || info.external_storage ||
        info.chunk_shape.empty() || std::getenv("H5LINALG_SERIAL_INFLATE") != nullptr) {
        return nullptr;
    }
    const std::vector<Filter>& filters = info.filters;
    const bool gzip_only = filters.size() == 1 && filters[0].id == H5Z_FILTER_DEFLATE;
    const bool shuffle_gzip = filters.size() == 2 && filters[0].id == H5Z_FILTER_SHUFFLE &&
                              filters[1].id == H5Z_FILTER_DEFLATE;
    if (!gzip_only && !shuffle_gzip) {
        return nullptr;
    }
    // Decode here only what HDF5's own filters would decode the same way: deflate
    // with its one parameter (a level up to 9), shuffle with its one parameter equal
    // to the element size. HDF5 unshuffles with the *stored* parameter (and fails
    // deflate on a bad level), so anything else goes through H5Dread.
    const std::vector<unsigned>& deflate = filters.back().values;
    if (deflate.size() != 1 || deflate[0] > 9) {
        return nullptr;
    }
    const std::vector<unsigned>& shuffle = filters.front().values;
    if (shuffle_gzip && (shuffle.size() != 1 || shuffle[0] != element_size(*info.type.element))) {
        return nullptr;
    }
    return std::unique_ptr<ChunkReader>(new ChunkReader(dataset.dataset.get(), info));
#else
    static_cast<void>(dataset);
    return nullptr;  // H5Dget_chunk_info_by_coord arrived in HDF5 1.10.5
#endif
}

ChunkReader::ChunkReader(hid_t dataset, const DatasetInfo& info)
    : dataset_(dataset),
      label_(info.file + ":" + info.name),
      rows_(info.shape[0]),
      cols_(info.shape.size() == 2 ? info.shape[1] : 1),
      chunk_rows_(info.chunk_shape[0]),
      chunk_cols_(info.chunk_shape.size() == 2 ? info.chunk_shape[1] : 1),
      item_size_(element_size(*info.type.element)),
      chunk_bytes_(chunk_rows_ * chunk_cols_ * item_size_),
      element_(*info.type.element),
      swap_bytes_(info.type.swap_bytes),
      shuffled_(info.filters.size() == 2) {}

bool ChunkReader::read(std::size_t first, std::size_t count, double* dst, std::size_t ld) {
#if H5_VERSION_GE(1, 10, 5)
    const std::size_t end = first + count;
    const std::size_t column_chunks = (cols_ + chunk_cols_ - 1) / chunk_cols_;
    // A damaged chunk index could claim any size; a genuine gzip chunk is at most
    // slightly larger than the data it holds (HDF5 stores it unfiltered otherwise).
    const std::size_t size_limit = chunk_bytes_ + chunk_bytes_ / 8 + 4096;

    TaskGroup tasks;
    for (std::size_t row0 = first / chunk_rows_ * chunk_rows_; row0 < end; row0 += chunk_rows_) {
        for (std::size_t cj = 0; cj < column_chunks; ++cj) {
            const std::size_t col0 = cj * chunk_cols_;
            const hsize_t offset[2] = {row0, col0};
            const std::string where =
                label_ + " rows " + std::to_string(row0) + ", column " + std::to_string(col0);
            hsize_t stored = 0;
            std::vector<unsigned char> raw;
            {
                Hdf5Lock lock;
                // Before HDF5 2.0, H5Dread_chunk takes no buffer size: it reads as many
                // bytes as its index lookup finds. H5Dget_chunk_storage_size uses that
                // same lookup; H5Dget_chunk_info_by_coord walks the index instead, and on
                // a damaged index the two disagree (a heap overflow). The lookup is also
                // O(log n) per chunk where the walk is O(n).
                if (H5Dget_chunk_storage_size(dataset_, offset, &stored) < 0 || stored == 0) {
                    // Never written (fill value; HDF5 1.10 reports an error) or a damaged
                    // index: let H5Dread handle, or report, this range.
                    hdf5_error_detail();
                    tasks.wait();
                    return false;
                }
                if (stored > size_limit) {
                    fail(ErrorKind::IO, "the chunk at " + where + " has an impossible size (" +
                                            std::to_string(stored) +
                                            " bytes): the file is damaged");
                }
                raw.resize(static_cast<std::size_t>(stored));
                std::uint32_t mask = 0;
#if H5_VERSION_GE(2, 0, 0)
                std::size_t buffer_size = raw.size();
                const herr_t status =
                    H5Dread_chunk2(dataset_, H5P_DEFAULT, offset, &mask, raw.data(), &buffer_size);
#else
                const herr_t status =
                    H5Dread_chunk(dataset_, H5P_DEFAULT, offset, &mask, raw.data());
#endif
                check_status(status, "cannot read the chunk at " + where);
                if (mask != 0) {
                    // Stored with a filter skipped: let HDF5 handle this range.
                    tasks.wait();
                    return false;
                }
            }
            tasks.run([this, raw = std::move(raw), row0, col0, first, end, dst, ld, where] {
                const std::size_t row_begin = std::max(first, row0);
                const std::size_t row_end = std::min({end, row0 + chunk_rows_, rows_});
                const std::size_t width = std::min(chunk_cols_, cols_ - col0);
                const bool whole = !shuffled_ && chunk_cols_ == cols_ && ld == cols_ &&
                                   row0 >= first && row0 + chunk_rows_ <= end;
                if (whole) {
                    // Inflate straight into the block, then widen in place.
                    double* target = dst + (row0 - first) * ld;
                    inflate_chunk(raw, reinterpret_cast<unsigned char*>(target), chunk_bytes_,
                                  where);
                    widen_in_place(target, element_, swap_bytes_, chunk_rows_ * chunk_cols_);
                    return;
                }
                thread_local std::vector<unsigned char> inflated;
                thread_local std::vector<unsigned char> ordered;
                inflated.resize(chunk_bytes_);
                inflate_chunk(raw, inflated.data(), chunk_bytes_, where);
                const unsigned char* bytes = inflated.data();
                if (shuffled_) {
                    ordered.resize(chunk_bytes_);
                    unshuffle(inflated.data(), item_size_, chunk_bytes_, ordered.data());
                    bytes = ordered.data();
                }
                for (std::size_t r = row_begin; r < row_end; ++r) {
                    convert_to_double(bytes + (r - row0) * chunk_cols_ * item_size_, element_,
                                      swap_bytes_, width, dst + (r - first) * ld + col0);
                }
            });
        }
    }
    tasks.wait();
    return true;
#else
    static_cast<void>(first), static_cast<void>(count), static_cast<void>(dst),
        static_cast<void>(ld);
    return false;
#endif
}

}  // namespace h5linalg
