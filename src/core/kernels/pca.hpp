// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Principal components: the top-k eigenpairs of the covariance (ddof = 1).
#pragma once

#include <cstddef>
#include <vector>

#include "core/kernels/gram.hpp"
#include "core/rows/block_pipeline.hpp"

namespace h5linalg {

struct PcaResult {
    std::vector<double> mean;                // n
    std::vector<double> components;          // k x n, row-major, one component per row
    std::vector<double> explained_variance;  // k, descending
};

/// LAPACK dsyevr computes only the k eigenpairs asked for. Each component is
/// scaled so its largest-magnitude entry is positive, which makes the result
/// independent of the BLAS/LAPACK implementation. Non-finite data is a Value error.
PcaResult compute_pca(RowSource& source, std::size_t k, const StreamOptions& options);

/// The components from the scatter of all rows (covariance with ddof = 1), with
/// compute_pca's checks; `label` names the source in errors. A distributed run
/// merges the scatter of its tasks, then calls this once.
PcaResult pca_from_scatter(ScatterResult scatter, std::size_t k, const std::string& label);

/// The top k eigenpairs of a symmetric n x n matrix (only its upper triangle is read).
PcaResult top_eigenpairs(const std::vector<double>& symmetric, std::size_t n, std::size_t k);

}  // namespace h5linalg
