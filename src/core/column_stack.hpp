// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Two sources with the same rows, read side by side as one wider source:
// [X | y] for least squares, streamed in lockstep.
#pragma once

#include <algorithm>
#include <string>

#include "core/row_source.hpp"

namespace h5linalg {

class ColumnStack final : public RowSource {
public:
    ColumnStack(RowSource& left, RowSource& right) : left_(left), right_(right) {}

    std::size_t rows() const override { return left_.rows(); }
    std::size_t cols() const override { return left_.cols() + right_.cols(); }
    std::string label() const override { return left_.label() + " and " + right_.label(); }
    std::size_t preferred_alignment() const override { return left_.preferred_alignment(); }
    std::size_t minimum_block_rows() const override {
        return std::max(left_.minimum_block_rows(), right_.minimum_block_rows());
    }
    std::size_t preferred_block_rows() const override {
        return std::max(left_.preferred_block_rows(), right_.preferred_block_rows());
    }
    std::size_t scratch_bytes_per_row() const override {
        return left_.scratch_bytes_per_row() + right_.scratch_bytes_per_row();
    }
    void read(std::size_t first, std::size_t count, double* dst, std::size_t ld) override {
        left_.read(first, count, dst, ld);
        right_.read(first, count, dst + left_.cols(), ld);
    }

private:
    RowSource& left_;
    RowSource& right_;
};

}  // namespace h5linalg
