// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/hdf5/chunk_reader.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "core/base/errors.hpp"
#include "core/base/thread_pool.hpp"

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

}  // namespace

std::unique_ptr<ChunkReader> ChunkReader::create(const OpenDataset& dataset) {
#if H5_VERSION_GE(1, 10, 5)
    const DatasetInfo& info = dataset.info;
    if (info.layout != "chunked" || !info.type.raw_readable || info.external_storage ||
        info.chunk_shape.empty()) {
        return nullptr;
    }
    const std::optional<ChunkPipeline> pipeline =
        parallel_pipeline(info.filters, element_size(*info.type.element));
    if (!pipeline) {
        return nullptr;
    }
    return std::unique_ptr<ChunkReader>(new ChunkReader(dataset.dataset.get(), info, *pipeline));
#else
    static_cast<void>(dataset);
    return nullptr;  // H5Dget_chunk_info_by_coord arrived in HDF5 1.10.5
#endif
}

ChunkReader::ChunkReader(hid_t dataset, const DatasetInfo& info, ChunkPipeline pipeline)
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
      codec_(pipeline.codec),
      shuffled_(pipeline.shuffled) {}

#if H5_VERSION_GE(1, 10, 5)
bool ChunkReader::fetch_chunk(const hsize_t* offset, const std::string& where,
                              std::size_t size_limit, std::vector<unsigned char>& raw) {
    Hdf5Lock lock;
    hsize_t stored = 0;
    // Before HDF5 2.0, H5Dread_chunk takes no buffer size: it reads as many
    // bytes as its index lookup finds. H5Dget_chunk_storage_size uses that
    // same lookup; H5Dget_chunk_info_by_coord walks the index instead, and on
    // a damaged index the two disagree (a heap overflow). The lookup is also
    // O(log n) per chunk where the walk is O(n).
    if (H5Dget_chunk_storage_size(dataset_, offset, &stored) < 0 || stored == 0) {
        // Never written (fill value; HDF5 1.10 reports an error) or a damaged
        // index: let H5Dread handle, or report, this range.
        hdf5_error_detail();
        return false;
    }
    if (stored > size_limit) {
        fail(ErrorKind::IO, "the chunk at " + where + " has an impossible size (" +
                                std::to_string(stored) + " bytes): the file is damaged");
    }
    raw.resize(static_cast<std::size_t>(stored));
    std::uint32_t mask = 0;
#if H5_VERSION_GE(2, 0, 0)
    std::size_t buffer_size = raw.size();
    const herr_t status =
        H5Dread_chunk2(dataset_, H5P_DEFAULT, offset, &mask, raw.data(), &buffer_size);
#else
    const herr_t status = H5Dread_chunk(dataset_, H5P_DEFAULT, offset, &mask, raw.data());
#endif
    check_status(status, "cannot read the chunk at " + where);
    // Stored with a filter skipped, or in a form only HDF5's filter knows: let
    // HDF5 handle this range.
    return mask == 0 && decodable(codec_, raw);
}

void ChunkReader::decode_chunk(const std::vector<unsigned char>& raw, std::size_t row0,
                               std::size_t col0, std::size_t first, std::size_t end, double* dst,
                               std::size_t ld, const std::string& where) const {
    const std::size_t row_begin = std::max(first, row0);
    const std::size_t row_end = std::min({end, row0 + chunk_rows_, rows_});
    const std::size_t width = std::min(chunk_cols_, cols_ - col0);
    const bool whole = !shuffled_ && chunk_cols_ == cols_ && ld == cols_ && row0 >= first &&
                       row0 + chunk_rows_ <= end;
    if (whole) {
        // Decode straight into the block, then widen in place.
        double* target = dst + (row0 - first) * ld;
        decode(codec_, raw, reinterpret_cast<unsigned char*>(target), chunk_bytes_, where);
        widen_in_place(target, element_, swap_bytes_, chunk_rows_ * chunk_cols_);
        return;
    }
    thread_local std::vector<unsigned char> decoded;
    thread_local std::vector<unsigned char> ordered;
    decoded.resize(chunk_bytes_);
    decode(codec_, raw, decoded.data(), chunk_bytes_, where);
    const unsigned char* bytes = decoded.data();
    if (shuffled_) {
        ordered.resize(chunk_bytes_);
        unshuffle(decoded.data(), item_size_, chunk_bytes_, ordered.data());
        bytes = ordered.data();
    }
    for (std::size_t r = row_begin; r < row_end; ++r) {
        convert_to_double(bytes + (r - row0) * chunk_cols_ * item_size_, element_, swap_bytes_,
                          width, dst + (r - first) * ld + col0);
    }
}
#endif

bool ChunkReader::read(std::size_t first, std::size_t count, double* dst, std::size_t ld) {
#if H5_VERSION_GE(1, 10, 5)
    const std::size_t end = first + count;
    const std::size_t column_chunks = (cols_ + chunk_cols_ - 1) / chunk_cols_;
    // A damaged chunk index could claim any size; a genuine compressed chunk is at
    // most slightly larger than the data it holds (every codec's worst case is a few
    // bytes per kilobyte; HDF5 stores a chunk unfiltered when its filter gives up).
    const std::size_t size_limit = chunk_bytes_ + chunk_bytes_ / 8 + 4096;

    TaskGroup tasks;
    for (std::size_t row0 = first / chunk_rows_ * chunk_rows_; row0 < end; row0 += chunk_rows_) {
        for (std::size_t cj = 0; cj < column_chunks; ++cj) {
            const std::size_t col0 = cj * chunk_cols_;
            const hsize_t offset[2] = {row0, col0};
            const std::string where =
                label_ + " rows " + std::to_string(row0) + ", column " + std::to_string(col0);
            std::vector<unsigned char> raw;
            if (!fetch_chunk(offset, where, size_limit, raw)) {
                tasks.wait();
                return false;
            }
            tasks.run([this, raw = std::move(raw), row0, col0, first, end, dst, ld, where] {
                decode_chunk(raw, row0, col0, first, end, dst, ld, where);
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
