// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Shifted sums for numerically stable one-pass statistics. Data such as
// 1e8 + noise loses its low digits in any sum of raw values, and with them the
// block means that the variance and covariance updates are built on. Summing
// x - K instead, for a K close to the data (each column's first finite value),
// keeps those digits: x - K is computed exactly when x and K are close.
#pragma once

#include <cstddef>
#include <vector>

#include "core/rows/block_pipeline.hpp"

namespace h5linalg {

/// Each column's first finite value in `block` (0 where a column has none).
std::vector<double> choose_shift(const Block& block, std::size_t n);

/// out[j] = sum over the block's rows of (x[i][j] - shift[j]).
void shifted_column_sums(const Block& block, std::size_t n, const double* shift, double* out);

}  // namespace h5linalg
