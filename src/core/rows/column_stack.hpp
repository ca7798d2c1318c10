// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Two sources with the same rows, read side by side as one wider source:
// [X | y] for least squares, streamed in lockstep.
#pragma once

#include <string>

#include "core/rows/row_source.hpp"

namespace h5linalg {

class ColumnStack final : public RowSource {
public:
    ColumnStack(RowSource& left, RowSource& right) : left_(left), right_(right) {}

    std::size_t rows() const override { return left_.rows(); }
    std::size_t cols() const override { return left_.cols() + right_.cols(); }
    std::string label() const override { return left_.label() + " and " + right_.label(); }
    PlanningHints planning_hints() const override {
        return combine_side_by_side(left_.planning_hints(), right_.planning_hints());
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
