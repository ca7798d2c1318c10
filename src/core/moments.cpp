// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/moments.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace h5linalg {

MomentsResult compute_moments(RowSource& source, const StreamOptions& options) {
    const std::size_t n = source.cols();
    MomentsResult result;
    result.mean.assign(n, 0.0);
    result.m2.assign(n, 0.0);
    result.min.assign(n, std::numeric_limits<double>::infinity());
    result.max.assign(n, -std::numeric_limits<double>::infinity());

    // The mean NumPy reports is sum / count; summing block sums with Neumaier's
    // compensation keeps it as accurate as NumPy's pairwise summation.
    std::vector<double> sum(n, 0.0), compensation(n, 0.0);
    std::vector<double> running_mean(n, 0.0);  // Chan's running mean, for merging m2
    std::vector<double> block_sum(n), block_m2(n);

    const BlockPlan plan = plan_blocks(source, options, MemoryNeeds{});
    stream_blocks(source, plan, options.observer, [&](const Block& block) {
        const std::size_t r = block.rows;
        std::fill(block_sum.begin(), block_sum.end(), 0.0);
        std::fill(block_m2.begin(), block_m2.end(), 0.0);
        double* lo = result.min.data();
        double* hi = result.max.data();
        for (std::size_t i = 0; i < r; ++i) {
            const double* row = block.data + i * block.ld;
            for (std::size_t j = 0; j < n; ++j) {
                const double x = row[j];
                block_sum[j] += x;
                // NaN is sticky, as in numpy.min / numpy.max.
                lo[j] = (x < lo[j] || std::isnan(x)) && !std::isnan(lo[j]) ? x : lo[j];
                hi[j] = (x > hi[j] || std::isnan(x)) && !std::isnan(hi[j]) ? x : hi[j];
            }
        }
        for (std::size_t i = 0; i < r; ++i) {
            const double* row = block.data + i * block.ld;
            for (std::size_t j = 0; j < n; ++j) {
                const double d = row[j] - block_sum[j] / static_cast<double>(r);
                block_m2[j] += d * d;
            }
        }
        const double na = static_cast<double>(result.count);
        const double nb = static_cast<double>(r);
        const double total = na + nb;
        for (std::size_t j = 0; j < n; ++j) {
            const double t = sum[j] + block_sum[j];
            compensation[j] += std::abs(sum[j]) >= std::abs(block_sum[j])
                                   ? (sum[j] - t) + block_sum[j]
                                   : (block_sum[j] - t) + sum[j];
            sum[j] = t;
            const double block_mean = block_sum[j] / nb;
            const double delta = block_mean - running_mean[j];
            running_mean[j] += delta * (nb / total);
            result.m2[j] += block_m2[j] + delta * delta * (na * nb / total);
        }
        result.count += r;
    });
    for (std::size_t j = 0; j < n; ++j) {
        result.mean[j] = (sum[j] + compensation[j]) / static_cast<double>(result.count);
    }
    return result;
}

}  // namespace h5linalg
