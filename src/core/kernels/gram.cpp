// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/kernels/gram.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "core/base/blas_lapack.hpp"
#include "core/base/blas_threads.hpp"
#include "core/base/errors.hpp"
#include "core/base/memory.hpp"
#include "core/base/thread_pool.hpp"
#include "core/kernels/centering.hpp"
#include "core/kernels/row_shares.hpp"

namespace h5linalg {

namespace {

/// X^T X accumulated by row shares in parallel (row_shares.hpp): share 0 into
/// the result, the others into their own n x n matrices, added at the end.
/// Extra accumulators are only used when they fit comfortably in memory_limit.
class ParallelSyrk {
public:
    ParallelSyrk(std::size_t n, const StreamOptions& options) : n_(n) {
        const std::size_t workers = worker_thread_count();
        const std::size_t extra = saturating_mul(workers - 1, matrix_bytes(n));
        shares_ = extra <= options.memory_limit / 4 ? workers : 1;
    }

    /// Memory the extra accumulators take (for planning).
    std::size_t extra_bytes() const { return saturating_mul(shares_ - 1, matrix_bytes(n_)); }

    /// Allocates the extra accumulators; `result` (n x n, zeroed) is share 0's.
    void start(double* result, const std::string& what) {
        result_ = result;
        for (std::size_t i = 1; i < shares_; ++i) {
            extras_.push_back(result_vector(n_ * n_, what));
        }
        if (shares_ > 1) {
            one_thread_per_call_.emplace();
        }
    }

    /// C += B^T B for a row-major block B (rows x n, leading dimension ld). Read as
    /// column-major, B is the n x rows matrix A = B^T, and dsyrk computes A A^T.
    void add(const Block& block) {
        const std::size_t shares = share_count(block.rows, shares_);
        for_each_share(block.rows, shares,
                       [&](std::size_t share, std::size_t first, std::size_t count) {
                           double* c = share == 0 ? result_ : extras_[share - 1].data();
                           H5LINALG_BLAS(cblas_dsyrk)(
                               blas::ColMajor, blas::Upper, blas::NoTrans, static_cast<int>(n_),
                               static_cast<int>(count), 1.0, block.data + first * block.ld,
                               static_cast<int>(block.ld), 1.0, c, static_cast<int>(n_));
                       });
    }

    /// Adds the extra accumulators' upper triangles into the result.
    void finish() {
        one_thread_per_call_.reset();
        for (const std::vector<double>& extra : extras_) {
            for (std::size_t j = 0; j < n_; ++j) {
                for (std::size_t i = 0; i <= j; ++i) {
                    result_[i + j * n_] += extra[i + j * n_];
                }
            }
        }
    }

private:
    static std::size_t matrix_bytes(std::size_t n) {
        return saturating_mul(saturating_mul(n, n), sizeof(double));
    }

    std::size_t n_;
    std::size_t shares_ = 1;
    double* result_ = nullptr;
    std::vector<std::vector<double>> extras_;
    std::optional<SingleThreadedBlas> one_thread_per_call_;
};

std::string matrix_name(const char* what, std::size_t n) {
    return std::string("the (") + std::to_string(n) + ", " + std::to_string(n) + ") " + what;
}

}  // namespace

void symmetrize_from_upper(std::vector<double>& matrix, std::size_t n) {
    for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t i = j + 1; i < n; ++i) {
            matrix[i + j * n] = matrix[j + i * n];
        }
    }
}

std::vector<double> compute_gram(RowSource& source, const StreamOptions& options) {
    const std::size_t n = source.cols();
    ParallelSyrk syrk(n, options);
    MemoryNeeds needs;
    needs.fixed_bytes = syrk.extra_bytes();
    const BlockPlan plan = plan_blocks(source, options, needs);
    const std::string what = matrix_name("Gram matrix", n);
    std::vector<double> gram = result_vector(saturating_mul(n, n), what);
    syrk.start(gram.data(), what);
    stream_blocks(source, plan, options.observer, [&](const Block& block) { syrk.add(block); });
    syrk.finish();
    symmetrize_from_upper(gram, n);
    return gram;
}

ScatterResult compute_scatter(RowSource& source, const StreamOptions& options) {
    const std::size_t n = source.cols();
    ParallelSyrk syrk(n, options);
    MemoryNeeds needs;
    needs.fixed_bytes = syrk.extra_bytes();
    const BlockPlan plan = plan_blocks(source, options, needs);
    const std::string what = matrix_name("covariance matrix", n);
    ScatterResult result;
    result.scatter = result_vector(saturating_mul(n, n), what);
    syrk.start(result.scatter.data(), what);
    result.mean.assign(n, 0.0);  // of x - shift until the end
    std::vector<double> shift;   // set by the first block (see centering.hpp)
    std::vector<double> delta(n);

    // Runs on the reader thread, overlapping the BLAS work of the previous
    // block: centre the block on its own (shifted) column means and keep them.
    const PrepareBlock centre = [n, &shift](Block& block) {
        if (block.first == 0) {
            shift = choose_shift(block, n);
        }
        block.aux.resize(n);
        double* mean = block.aux.data();
        shifted_column_sums(block, n, shift.data(), mean);
        const double inverse = 1.0 / static_cast<double>(block.rows);
        for (std::size_t j = 0; j < n; ++j) {
            mean[j] *= inverse;
        }
        for (std::size_t i = 0; i < block.rows; ++i) {
            double* row = block.data + i * block.ld;
            for (std::size_t j = 0; j < n; ++j) {
                row[j] = (row[j] - shift[j]) - mean[j];
            }
        }
    };
    stream_blocks(
        source, plan, options.observer,
        [&](const Block& block) {
            syrk.add(block);
            // Chan et al.: S = S_a + S_b + (n_a n_b / n) d d^T with d = mean_b - mean_a.
            const double na = static_cast<double>(result.count);
            const double nb = static_cast<double>(block.rows);
            const double total = na + nb;
            for (std::size_t j = 0; j < n; ++j) {
                delta[j] = block.aux[j] - result.mean[j];
                result.mean[j] += delta[j] * (nb / total);
            }
            if (result.count > 0) {
                H5LINALG_BLAS(cblas_dsyr)(blas::ColMajor, blas::Upper, static_cast<int>(n),
                                          na * nb / total, delta.data(), 1, result.scatter.data(),
                                          static_cast<int>(n));
            }
            result.count += block.rows;
        },
        centre);
    syrk.finish();
    for (std::size_t j = 0; j < n; ++j) {
        result.mean[j] += shift[j];
    }
    symmetrize_from_upper(result.scatter, n);
    return result;
}

ScatterResult merge_scatter(const ScatterResult& a, const ScatterResult& b) {
    const std::size_t n = a.mean.size();
    if (b.mean.size() != n || a.scatter.size() != n * n || b.scatter.size() != n * n) {
        fail(ErrorKind::Value, "cannot merge the scatter matrices of " + std::to_string(n) +
                                   " and of " + std::to_string(b.mean.size()) + " columns");
    }
    if (a.count == 0) {
        return b;
    }
    if (b.count == 0) {
        return a;
    }
    const double na = static_cast<double>(a.count), nb = static_cast<double>(b.count);
    const double total = na + nb;
    ScatterResult both = a;
    both.count = a.count + b.count;
    std::vector<double> delta(n);
    for (std::size_t j = 0; j < n; ++j) {
        delta[j] = b.mean[j] - a.mean[j];
        both.mean[j] = a.mean[j] + delta[j] * (nb / total);
    }
    const double weight = na * nb / total;
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
            both.scatter[i * n + j] += b.scatter[i * n + j] + weight * delta[i] * delta[j];
        }
    }
    return both;
}

std::vector<double> merge_gram(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) {
        fail(ErrorKind::Value, "cannot merge Gram matrices of " + std::to_string(a.size()) +
                                   " and of " + std::to_string(b.size()) + " elements");
    }
    std::vector<double> sum = a;
    for (std::size_t i = 0; i < sum.size(); ++i) {
        sum[i] += b[i];
    }
    return sum;
}

}  // namespace h5linalg
