// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Rows [first, first + count) of another source, as a source of their own: the
// share of a dataset one task of a distributed run reads.
#pragma once

#include <memory>
#include <string>

#include "core/base/errors.hpp"
#include "core/rows/row_source.hpp"

namespace h5linalg {

class RowRange final : public RowSource {
public:
    /// Value error when the range does not lie inside `inner`.
    RowRange(std::unique_ptr<RowSource> inner, std::size_t first, std::size_t count)
        : inner_(std::move(inner)), first_(first), count_(count) {
        if (count == 0 || first > inner_->rows() || count > inner_->rows() - first) {
            fail(ErrorKind::Value, "rows " + std::to_string(first) + " to " +
                                       std::to_string(first + count) + " are not all in " +
                                       inner_->label() + ", which has " +
                                       std::to_string(inner_->rows()) + " rows");
        }
    }

    std::size_t rows() const override { return count_; }
    std::size_t cols() const override { return inner_->cols(); }
    std::string label() const override {
        return inner_->label() + " rows " + std::to_string(first_) + " to " +
               std::to_string(first_ + count_);
    }
    PlanningHints planning_hints() const override {
        PlanningHints hints = inner_->planning_hints();
        if (first_ % std::max<std::size_t>(1, hints.alignment) != 0) {
            hints.alignment = 1;  // block boundaries no longer fall on chunk boundaries
        }
        return hints;
    }
    void read(std::size_t first, std::size_t count, double* dst, std::size_t ld) override {
        inner_->read(first_ + first, count, dst, ld);
    }
    const double* view(std::size_t first, std::size_t count) override {
        return inner_->view(first_ + first, count);
    }

private:
    std::unique_ptr<RowSource> inner_;
    std::size_t first_, count_;
};

}  // namespace h5linalg
