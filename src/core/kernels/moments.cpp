// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/kernels/moments.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/base/errors.hpp"
#include "core/base/memory.hpp"
#include "core/kernels/centering.hpp"

namespace h5linalg {

MomentsResult compute_moments(RowSource& source, const StreamOptions& options) {
    const std::size_t n = source.cols();
    // Plan first: an absurd width fails here with a clear Memory error.
    const BlockPlan plan = plan_blocks(source, options, MemoryNeeds{});
    const std::string what = "the statistics of " + std::to_string(n) + " columns";
    MomentsResult result;
    result.mean = result_vector(n, what);
    result.m2 = result_vector(n, what);
    result.min = result_vector(n, what);
    result.max = result_vector(n, what);
    std::fill(result.min.begin(), result.min.end(), std::numeric_limits<double>::infinity());
    std::fill(result.max.begin(), result.max.end(), -std::numeric_limits<double>::infinity());

    // Everything is accumulated for x - shift (see centering.hpp). The shifted
    // sums are added with Neumaier's compensation, so the mean is as accurate as
    // NumPy's pairwise sum; the m2 of blocks are merged with Chan et al.'s update.
    std::vector<double> shift;
    std::vector<double> sum = result_vector(n, what), compensation = result_vector(n, what);
    std::vector<double> running_mean = result_vector(n, what);  // of x - shift, for merging m2
    std::vector<double> block_sum = result_vector(n, what), block_m2 = result_vector(n, what);

    stream_blocks(source, plan, options.observer, [&](const Block& block) {
        if (shift.empty()) {
            shift = choose_shift(block, n);
        }
        const std::size_t r = block.rows;
        double* lo = result.min.data();
        double* hi = result.max.data();
        for (std::size_t i = 0; i < r; ++i) {
            const double* row = block.data + i * block.ld;
            for (std::size_t j = 0; j < n; ++j) {
                const double x = row[j];
                // NaN is sticky, as in numpy.min / numpy.max.
                lo[j] = (x < lo[j] || std::isnan(x)) && !std::isnan(lo[j]) ? x : lo[j];
                hi[j] = (x > hi[j] || std::isnan(x)) && !std::isnan(hi[j]) ? x : hi[j];
            }
        }
        shifted_column_sums(block, n, shift.data(), block_sum.data());
        std::fill(block_m2.begin(), block_m2.end(), 0.0);
        const double nb = static_cast<double>(r);
        for (std::size_t i = 0; i < r; ++i) {
            const double* row = block.data + i * block.ld;
            for (std::size_t j = 0; j < n; ++j) {
                const double d = (row[j] - shift[j]) - block_sum[j] / nb;
                block_m2[j] += d * d;
            }
        }
        const double na = static_cast<double>(result.count);
        const double total = na + nb;
        for (std::size_t j = 0; j < n; ++j) {
            const double t = sum[j] + block_sum[j];
            if (std::isfinite(t)) {  // Inf - Inf would turn an infinite mean into NaN
                compensation[j] += std::abs(sum[j]) >= std::abs(block_sum[j])
                                       ? (sum[j] - t) + block_sum[j]
                                       : (block_sum[j] - t) + sum[j];
            }
            sum[j] = t;
            const double delta = block_sum[j] / nb - running_mean[j];
            running_mean[j] += delta * (nb / total);
            result.m2[j] += block_m2[j] + delta * delta * (na * nb / total);
        }
        result.count += r;
    });
    for (std::size_t j = 0; j < n; ++j) {
        result.mean[j] = shift[j] + (sum[j] + compensation[j]) / static_cast<double>(result.count);
    }
    return result;
}

namespace {

void check_same_columns(std::size_t a, std::size_t b, const char* what) {
    if (a != b) {
        fail(ErrorKind::Value, std::string("cannot merge the ") + what + " of " +
                                   std::to_string(a) + " and of " + std::to_string(b) + " columns");
    }
}

}  // namespace

MomentsResult merge_moments(const MomentsResult& a, const MomentsResult& b) {
    check_same_columns(a.mean.size(), b.mean.size(), "moments");
    if (a.count == 0) {
        return b;
    }
    if (b.count == 0) {
        return a;
    }
    const std::size_t n = a.mean.size();
    const double na = static_cast<double>(a.count), nb = static_cast<double>(b.count);
    const double total = na + nb;
    MomentsResult both = a;
    both.count = a.count + b.count;
    for (std::size_t j = 0; j < n; ++j) {
        const double delta = b.mean[j] - a.mean[j];
        // An infinite mean stays infinite (Inf - Inf would make it NaN).
        both.mean[j] = std::isfinite(delta) ? a.mean[j] + delta * (nb / total)
                                            : (a.mean[j] * na + b.mean[j] * nb) / total;
        both.m2[j] = a.m2[j] + b.m2[j] + delta * delta * (na * nb / total);
        const double lo = b.min[j], hi = b.max[j];
        both.min[j] =
            (lo < both.min[j] || std::isnan(lo)) && !std::isnan(both.min[j]) ? lo : both.min[j];
        both.max[j] =
            (hi > both.max[j] || std::isnan(hi)) && !std::isnan(both.max[j]) ? hi : both.max[j];
    }
    return both;
}

}  // namespace h5linalg
