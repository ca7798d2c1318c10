// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Tall-skinny least squares by streaming QR (TSQR): never forms X^T X, so it
// stays accurate where the normal equations lose half the digits.
#pragma once

#include <cstddef>
#include <vector>

#include "core/block_pipeline.hpp"

namespace h5linalg {

/// Coefficients minimising ||X b - y||, as an n x m row-major matrix (m = the
/// columns of y). Throws Value errors for mismatched rows, fewer rows than
/// columns or non-finite data, and a LinAlg error when X is rank-deficient by
/// NumPy's default rcond (eps * max(rows, n)).
std::vector<double> compute_lstsq(RowSource& x, RowSource& y, const StreamOptions& options);

}  // namespace h5linalg
