// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/rows/array_source.hpp"

#include <cstdint>
#include <cstring>

#include "core/base/errors.hpp"

namespace h5linalg {

ArraySource::ArraySource(const StridedArray& array) : array_(array) {
    const auto item = static_cast<std::ptrdiff_t>(element_size(array.type));
    const bool aligned = reinterpret_cast<std::uintptr_t>(array.data) % alignof(double) == 0;
    contiguous_float64_ =
        array.type == ElementType::Float64 && !array.swap_bytes && aligned &&
        (array.cols <= 1 || array.col_stride == item) &&
        (array.rows <= 1 || array.row_stride == item * static_cast<std::ptrdiff_t>(array.cols));
}

void ArraySource::read(std::size_t first, std::size_t count, double* dst, std::size_t ld) {
    if (first + count > array_.rows) {
        fail(ErrorKind::Runtime, "internal error: read past the end of an array");
    }
    for (std::size_t i = 0; i < count; ++i) {
        const char* row = array_.data + static_cast<std::ptrdiff_t>(first + i) * array_.row_stride;
        convert_strided_to_double(row, array_.col_stride, array_.type, array_.swap_bytes,
                                  array_.cols, dst + i * ld);
    }
}

const double* ArraySource::view(std::size_t first, std::size_t /*count*/) {
    if (!contiguous_float64_) {
        return nullptr;
    }
    return reinterpret_cast<const double*>(array_.data) + first * array_.cols;
}

}  // namespace h5linalg
