// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/rows/row_concatenation.hpp"

#include <algorithm>

#include "core/base/errors.hpp"
#include "core/base/memory.hpp"

namespace h5linalg {

namespace {

std::string shape_of(const RowSource& source) {
    return "(" + std::to_string(source.rows()) + ", " + std::to_string(source.cols()) + ")";
}

/// The hints of parts read one after another. Only one part is read at a time,
/// so the scratch is the largest part's, not the sum. Block boundaries keep the
/// chunk alignment only where every part has the same chunk height and starts
/// on a multiple of it; otherwise any boundary is as good as another.
PlanningHints combine_in_sequence(const std::vector<PlanningHints>& parts,
                                  const std::vector<std::size_t>& offsets) {
    PlanningHints all = parts.front();
    for (std::size_t i = 1; i < parts.size(); ++i) {
        const PlanningHints& part = parts[i];
        if (part.alignment != all.alignment ||
            offsets[i] % std::max<std::size_t>(1, all.alignment)) {
            all.alignment = 1;
        }
        all.minimum_block_rows = std::max(all.minimum_block_rows, part.minimum_block_rows);
        all.preferred_block_rows = std::max(all.preferred_block_rows, part.preferred_block_rows);
        all.scratch_bytes_per_row = std::max(all.scratch_bytes_per_row, part.scratch_bytes_per_row);
        all.fixed_scratch_bytes = std::max(all.fixed_scratch_bytes, part.fixed_scratch_bytes);
    }
    return all;
}

}  // namespace

RowConcatenation::RowConcatenation(std::vector<Opener> parts) : openers_(std::move(parts)) {
    if (openers_.empty()) {
        fail(ErrorKind::Value, "a stack of sources needs at least one source");
    }
    std::vector<PlanningHints> hints;
    std::string first_label, first_shape;
    offsets_.push_back(0);
    for (std::size_t i = 0; i < openers_.size(); ++i) {
        const std::unique_ptr<RowSource> source = openers_[i]();
        if (i == 0) {
            cols_ = source->cols();
            first_label = source->label();
            first_shape = shape_of(*source);
        } else if (source->cols() != cols_) {
            fail(ErrorKind::Value, source->label() + " has shape " + shape_of(*source) + " but " +
                                       first_label + ", the first of the stack, has shape " +
                                       first_shape + "; every part of a stack needs the same " +
                                       "number of columns");
        }
        labels_.push_back(source->label());
        hints.push_back(source->planning_hints());
        offsets_.push_back(saturating_add(offsets_.back(), source->rows()));
    }
    hints_ = combine_in_sequence(hints, offsets_);
}

std::string RowConcatenation::label() const {
    if (labels_.size() == 1) {
        return labels_.front();
    }
    return "the stack of " + std::to_string(labels_.size()) + " sources " + labels_.front() +
           " ... " + labels_.back();
}

RowSource& RowConcatenation::part(std::size_t index) {
    if (!current_ || current_index_ != index) {
        current_.reset();  // close the previous part before opening the next
        std::unique_ptr<RowSource> opened = openers_[index]();
        const std::size_t rows = offsets_[index + 1] - offsets_[index];
        if (opened->rows() != rows || opened->cols() != cols_) {
            fail(ErrorKind::IO, opened->label() + " changed while it was being read: it had " +
                                    std::to_string(rows) + " rows and " + std::to_string(cols_) +
                                    " columns, and now has shape " + shape_of(*opened));
        }
        current_ = std::move(opened);
        current_index_ = index;
    }
    return *current_;
}

void RowConcatenation::read(std::size_t first, std::size_t count, double* dst, std::size_t ld) {
    if (first + count > rows()) {
        fail(ErrorKind::Runtime, "internal error: read past the end of " + label());
    }
    while (count > 0) {
        // The part holding row `first`: the last offset not above it.
        const std::size_t index = static_cast<std::size_t>(
            std::upper_bound(offsets_.begin(), offsets_.end(), first) - offsets_.begin() - 1);
        const std::size_t end = offsets_[index + 1];
        const std::size_t here = std::min(count, end - first);
        part(index).read(first - offsets_[index], here, dst, ld);
        first += here;
        count -= here;
        dst += here * ld;
        if (first == end) {
            current_.reset();  // passed: closed now, not when the next part opens
        }
    }
}

}  // namespace h5linalg
