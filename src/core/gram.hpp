// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// X^T X and the centred scatter matrix sum_i (x_i - mean)(x_i - mean)^T, one
// pass each, through BLAS dsyrk on row blocks.
#pragma once

#include <cstddef>
#include <vector>

#include "core/block_pipeline.hpp"

namespace h5linalg {

/// X^T X as a full symmetric n x n matrix (row-major, which for a symmetric
/// matrix is the same as column-major).
std::vector<double> compute_gram(RowSource& source, const StreamOptions& options);

struct ScatterResult {
    std::size_t count = 0;
    std::vector<double> mean;     // n
    std::vector<double> scatter;  // n x n, full, symmetric
};

/// Each block is centred on its own mean (on the reader thread, overlapping the
/// BLAS work) and merged with Chan et al.'s update, so data with a large common
/// offset (1e8 + noise) keeps its precision; covariance = scatter / (count - ddof).
ScatterResult compute_scatter(RowSource& source, const StreamOptions& options);

/// Copies the upper triangle of a column-major n x n matrix to its lower triangle.
void symmetrize_from_upper(std::vector<double>& matrix, std::size_t n);

}  // namespace h5linalg
