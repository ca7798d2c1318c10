// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// X^T X and the centred scatter matrix sum_i (x_i - mean)(x_i - mean)^T, one
// pass each, through BLAS dsyrk on row blocks.
#pragma once

#include <cstddef>
#include <vector>

#include "core/rows/block_pipeline.hpp"

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

/// The scatter of two disjoint sets of rows together (Chan et al.: S = S_a + S_b
/// + (n_a n_b / n) d d^T, d = mean_b - mean_a): a distributed run's partial state.
ScatterResult merge_scatter(const ScatterResult& a, const ScatterResult& b);

/// X^T X of two disjoint sets of rows together: the sum of their Gram matrices.
std::vector<double> merge_gram(const std::vector<double>& a, const std::vector<double>& b);

/// Copies the upper triangle of a column-major n x n matrix to its lower triangle.
void symmetrize_from_upper(std::vector<double>& matrix, std::size_t n);

}  // namespace h5linalg
