// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Tall-skinny least squares by streaming QR (TSQR): never forms X^T X, so it
// stays accurate where the normal equations lose half the digits.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/rows/block_pipeline.hpp"

namespace h5linalg {

/// Coefficients minimising ||X b - y||, as an n x m row-major matrix (m = the
/// columns of y). Throws Value errors for mismatched rows, fewer rows than
/// columns or non-finite data, and a LinAlg error when X is rank-deficient by
/// NumPy's default rcond (eps * max(rows, n)).
std::vector<double> compute_lstsq(RowSource& x, RowSource& y, const StreamOptions& options);

/// The state of the streaming QR over some of the rows, which is what a
/// distributed run sends between tasks: L (w x w, column-major, lower
/// triangular, w = n + m) with L L^T = A^T A for A = [X | y] of those rows,
/// i.e. L = R^T for the R of A = QR. Two states merge by one more QR.
struct LstsqState {
    std::size_t rows = 0;
    std::size_t n = 0;  // columns of X
    std::size_t m = 0;  // columns of y
    std::vector<double> l;
};

/// The state of rows of X and y (which must have the same number of rows).
LstsqState lstsq_state(RowSource& x, RowSource& y, const StreamOptions& options);

/// The state of two disjoint sets of rows together: L of [L_a | L_b].
LstsqState merge_lstsq(const LstsqState& a, const LstsqState& b);

/// The coefficients from the state of all rows, with compute_lstsq's checks
/// (enough rows, finite data, full rank); the labels name X and y in errors.
std::vector<double> solve_lstsq(const LstsqState& state, const std::string& x_label,
                                const std::string& y_label);

}  // namespace h5linalg
