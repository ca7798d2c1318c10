// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// A RowSource over an HDF5 dataset. Narrow types are read raw (no HDF5
// conversion) and widened to float64 in the block buffer; compressed chunks
// (gzip, zstd, lz4, blosc, lzf) are read raw and decoded on worker threads
// (see chunk_reader.hpp).
#pragma once

#include <memory>
#include <vector>

#include "core/hdf5/chunk_reader.hpp"
#include "core/hdf5/dataset.hpp"
#include "core/rows/row_source.hpp"

namespace h5linalg {

class Hdf5Source final : public RowSource {
public:
    /// `dataset` must come from open_matrix(); a 1-D dataset reads as one column.
    /// Without `parallel_inflate`, every read is a plain H5Dread (for comparisons).
    explicit Hdf5Source(OpenDataset dataset, bool parallel_inflate = true);

    std::size_t rows() const override { return rows_; }
    std::size_t cols() const override { return cols_; }
    std::string label() const override { return dataset_.label(); }
    PlanningHints planning_hints() const override;
    void read(std::size_t first, std::size_t count, double* dst, std::size_t ld) override;

    const DatasetInfo& info() const { return dataset_.info; }

private:
    void read_packed(std::size_t first, std::size_t count, double* dst);
    void read_rows(std::size_t first, std::size_t count, double* dst);

    OpenDataset dataset_;
    std::size_t rows_;
    std::size_t cols_;
    bool filtered_;
    std::size_t rows_per_read_;                  // bounds the chunks one H5Dread touches
    std::unique_ptr<ChunkReader> chunk_reader_;  // null when the fast path does not apply
    std::vector<double> staging_;                // for reads into a strided destination
};

}  // namespace h5linalg
