// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// A RowSource over memory someone else owns (a NumPy array, in the bindings):
// any element type, byte order, strides or alignment, converted a block at a
// time, so a large float32 array never needs a full float64 copy.
#pragma once

#include <cstddef>

#include "core/base/element_type.hpp"
#include "core/rows/row_source.hpp"

namespace h5linalg {

struct StridedArray {
    const char* data = nullptr;  // address of element (0, 0)
    std::size_t rows = 0;
    std::size_t cols = 0;
    std::ptrdiff_t row_stride = 0;  // bytes between rows (any sign)
    std::ptrdiff_t col_stride = 0;  // bytes between columns (any sign)
    ElementType type = ElementType::Float64;
    bool swap_bytes = false;  // stored in the opposite byte order
};

class ArraySource final : public RowSource {
public:
    explicit ArraySource(const StridedArray& array);

    std::size_t rows() const override { return array_.rows; }
    std::size_t cols() const override { return array_.cols; }
    std::string label() const override { return "array"; }
    void read(std::size_t first, std::size_t count, double* dst, std::size_t ld) override;
    const double* view(std::size_t first, std::size_t count) override;

private:
    StridedArray array_;
    bool contiguous_float64_;
};

}  // namespace h5linalg
