// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/hdf5/source.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/base/errors.hpp"
#include "core/base/memory.hpp"
#include "core/base/thread_pool.hpp"

namespace h5linalg {

namespace {

// HDF5 keeps bookkeeping for every chunk one H5Dread touches (about 10 kB for a
// small chunk in 1.10), so a block over a dataset with tiny chunks could need
// far more memory than the block itself. Reads are split to touch at most this
// many chunks each.
constexpr std::size_t chunks_per_read = 4096;

std::size_t rows_per_read(const DatasetInfo& info, std::size_t cols) {
    if (info.chunk_shape.empty()) {
        return std::numeric_limits<std::size_t>::max();
    }
    const std::size_t chunk_rows = std::max<std::size_t>(1, info.chunk_shape[0]);
    const std::size_t chunk_cols =
        info.chunk_shape.size() == 2 ? std::max<std::size_t>(1, info.chunk_shape[1]) : 1;
    const std::size_t band = (cols + chunk_cols - 1) / chunk_cols;  // chunks across a row
    return saturating_mul(chunk_rows, std::max<std::size_t>(1, chunks_per_read / band));
}

}  // namespace

Hdf5Source::Hdf5Source(OpenDataset dataset, bool parallel_inflate)
    : dataset_(std::move(dataset)),
      rows_(dataset_.info.shape.at(0)),
      cols_(dataset_.info.shape.size() == 2 ? dataset_.info.shape[1] : 1),
      filtered_(!dataset_.info.filters.empty()),
      rows_per_read_(rows_per_read(dataset_.info, cols_)),
      chunk_reader_(parallel_inflate ? ChunkReader::create(dataset_) : nullptr) {}

PlanningHints Hdf5Source::planning_hints() const {
    const DatasetInfo& info = dataset_.info;
    PlanningHints hints;
    hints.alignment = info.chunk_shape.empty() ? 1 : std::max<std::size_t>(1, info.chunk_shape[0]);
    // A compressed chunk is always inflated whole, so a smaller block saves no memory.
    hints.minimum_block_rows = filtered_ ? std::min(rows_, hints.alignment) : 1;
    if (chunk_reader_) {
        // Two chunk rows per inflating thread: every worker stays busy while the
        // reader thread copies the next raw chunks out of the file.
        hints.preferred_block_rows = saturating_mul(2 * worker_thread_count(), hints.alignment);
        // The fast path holds a band of raw chunks; compressed, they are no bigger than the rows.
        hints.scratch_bytes_per_row = cols_ * element_size(*info.type.element);
    }
    // A filtered chunk is inflated whole, by HDF5 or by the ChunkReader (twice over
    // with shuffle), however few of its rows a block needs.
    if (filtered_ && !info.chunk_shape.empty()) {
        std::size_t bytes = 2 * element_size(*info.type.element);
        for (const std::size_t extent : info.chunk_shape) {
            bytes = saturating_mul(bytes, extent);
        }
        hints.fixed_scratch_bytes = bytes;
    }
    return hints;
}

void Hdf5Source::read(std::size_t first, std::size_t count, double* dst, std::size_t ld) {
    if (first + count > rows_) {
        fail(ErrorKind::Runtime, "internal error: read past the end of " + label());
    }
    if (chunk_reader_ && chunk_reader_->read(first, count, dst, ld)) {
        return;
    }
    if (ld == cols_) {
        read_packed(first, count, dst);
        return;
    }
    staging_.resize(count * cols_);
    read_packed(first, count, staging_.data());
    for (std::size_t i = 0; i < count; ++i) {
        std::memcpy(dst + i * ld, staging_.data() + i * cols_, cols_ * sizeof(double));
    }
}

void Hdf5Source::read_packed(std::size_t first, std::size_t count, double* dst) {
    for (std::size_t done = 0; done < count; done += rows_per_read_) {
        const std::size_t part = std::min(rows_per_read_, count - done);
        read_rows(first + done, part, dst + done * cols_);
    }
}

void Hdf5Source::read_rows(std::size_t first, std::size_t count, double* dst) {
    const StoredType& type = dataset_.info.type;
    const hid_t dataset = dataset_.dataset.get();
    const std::string where =
        label() + " rows " + std::to_string(first) + " to " + std::to_string(first + count);
    {
        Hdf5Lock lock;
        Hid file_space = checked(H5Dget_space(dataset), "cannot read the shape of " + label());
        const hsize_t start[2] = {first, 0};
        const hsize_t extent[2] = {count, cols_};
        check_status(
            H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, extent, nullptr),
            "cannot select " + where);
        // The memory space has the selection's own shape: HDF5 then copies whole
        // runs of contiguous bytes instead of iterating element by element.
        Hid memory_space =
            checked(H5Screate_simple(H5Sget_simple_extent_ndims(file_space.get()), extent, nullptr),
                    "cannot create a memory dataspace");
        // Plain numbers are read as stored (no HDF5 conversion, often a single
        // pread) and widened below, outside the lock; anything else HDF5 converts.
        Hid stored_type;
        hid_t memory_type = H5T_NATIVE_DOUBLE;
        if (type.raw_readable) {
            stored_type = checked(H5Dget_type(dataset), "cannot read the datatype of " + label());
            memory_type = stored_type.get();
        }
        check_status(
            H5Dread(dataset, memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, dst),
            "cannot read " + where + ": the file is damaged or unreadable");
    }
    if (type.raw_readable) {
        widen_in_place(dst, *type.element, type.swap_bytes, count * cols_);
    }
}

}  // namespace h5linalg
