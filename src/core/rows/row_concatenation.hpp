// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Several sources with the same columns, read one after another as one taller
// source: a stack of files (one per run, day or detector) streamed as a single
// dataset, with the same prefetching and block planning as one file, so that no
// kernel knows about files.
//
// Parts are opened lazily and closed as soon as the reading has passed them, so
// a stack of thousands of files holds one of them open at a time (the reader
// thread reads blocks in order). Each part is opened once beforehand to learn
// its shape and layout, and closed again.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/rows/row_source.hpp"

namespace h5linalg {

class RowConcatenation final : public RowSource {
public:
    /// Opens one part; called again each time the reading reaches that part.
    using Opener = std::function<std::unique_ptr<RowSource>()>;

    /// Throws a Value error naming the first part whose column count differs
    /// from the first part's, with both shapes.
    explicit RowConcatenation(std::vector<Opener> parts);

    std::size_t rows() const override { return offsets_.back(); }
    std::size_t cols() const override { return cols_; }
    std::string label() const override;
    PlanningHints planning_hints() const override { return hints_; }
    void read(std::size_t first, std::size_t count, double* dst, std::size_t ld) override;

    std::size_t parts() const { return openers_.size(); }
    std::size_t part_rows(std::size_t index) const {
        return offsets_.at(index + 1) - offsets_.at(index);
    }
    /// How many parts are open now (0 or 1); for tests of the lazy opening.
    std::size_t open_parts() const { return current_ ? 1 : 0; }

private:
    RowSource& part(std::size_t index);

    std::vector<Opener> openers_;
    std::vector<std::size_t> offsets_;  // offsets_[i]: first row of part i; back(): total
    std::vector<std::string> labels_;
    std::size_t cols_ = 0;
    PlanningHints hints_;
    std::size_t current_index_ = 0;
    std::unique_ptr<RowSource> current_;
};

}  // namespace h5linalg
