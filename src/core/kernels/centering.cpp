// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/kernels/centering.hpp"

#include <cmath>

namespace h5linalg {

std::vector<double> choose_shift(const Block& block, std::size_t n) {
    std::vector<double> shift(n, 0.0);
    std::vector<bool> found(n, false);
    std::size_t remaining = n;
    for (std::size_t i = 0; i < block.rows && remaining > 0; ++i) {
        const double* row = block.data + i * block.ld;
        for (std::size_t j = 0; j < n; ++j) {
            if (!found[j] && std::isfinite(row[j])) {
                shift[j] = row[j];
                found[j] = true;
                --remaining;
            }
        }
    }
    return shift;
}

void shifted_column_sums(const Block& block, std::size_t n, const double* shift, double* out) {
    for (std::size_t j = 0; j < n; ++j) {
        out[j] = 0.0;
    }
    for (std::size_t i = 0; i < block.rows; ++i) {
        const double* row = block.data + i * block.ld;
        for (std::size_t j = 0; j < n; ++j) {
            out[j] += row[j] - shift[j];
        }
    }
}

}  // namespace h5linalg
