// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Per-column count, mean, sum of squared deviations, min and max in one pass.
#pragma once

#include <cstddef>
#include <vector>

#include "core/rows/block_pipeline.hpp"

namespace h5linalg {

struct MomentsResult {
    std::size_t count = 0;
    std::vector<double> mean;  // sum / count, the sum compensated across blocks
    std::vector<double> m2;    // sum of squared deviations from the mean
    std::vector<double> min;   // NaN if the column has a NaN, as numpy.min
    std::vector<double> max;
};

/// Within a block: two passes around the block mean. Across blocks: Chan et al.'s
/// pairwise update, which stays accurate for data with a large common offset.
MomentsResult compute_moments(RowSource& source, const StreamOptions& options);

/// The moments of two disjoint sets of rows together (Chan et al.'s pairwise
/// update; min and max keep NaN as numpy.min does): a MomentsResult is the
/// partial state a distributed run sends between tasks.
MomentsResult merge_moments(const MomentsResult& a, const MomentsResult& b);

}  // namespace h5linalg
