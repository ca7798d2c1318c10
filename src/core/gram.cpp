// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/gram.hpp"

#include <algorithm>
#include <string>

#include "core/blas_lapack.hpp"
#include "core/centering.hpp"
#include "core/memory.hpp"

namespace h5linalg {

namespace {

/// C += B^T B for a row-major block B (rows x n, leading dimension ld). Read as
/// column-major, B is the n x rows matrix A = B^T, and dsyrk computes A A^T.
void add_block_gram(const Block& block, std::size_t n, double* c) {
    cblas_dsyrk(blas::ColMajor, blas::Upper, blas::NoTrans, static_cast<int>(n),
                static_cast<int>(block.rows), 1.0, block.data, static_cast<int>(block.ld), 1.0,
                c, static_cast<int>(n));
}

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
    const BlockPlan plan = plan_blocks(source, options, MemoryNeeds{});
    std::vector<double> gram = result_vector(saturating_mul(n, n), matrix_name("Gram matrix", n));
    stream_blocks(source, plan, options.observer,
                  [&](const Block& block) { add_block_gram(block, n, gram.data()); });
    symmetrize_from_upper(gram, n);
    return gram;
}

ScatterResult compute_scatter(RowSource& source, const StreamOptions& options) {
    const std::size_t n = source.cols();
    const BlockPlan plan = plan_blocks(source, options, MemoryNeeds{});
    ScatterResult result;
    result.scatter = result_vector(saturating_mul(n, n), matrix_name("covariance matrix", n));
    result.mean.assign(n, 0.0);  // of x - shift until the end
    std::vector<double> shift;  // set by the first block (see centering.hpp)
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
            add_block_gram(block, n, result.scatter.data());
            // Chan et al.: S = S_a + S_b + (n_a n_b / n) d d^T with d = mean_b - mean_a.
            const double na = static_cast<double>(result.count);
            const double nb = static_cast<double>(block.rows);
            const double total = na + nb;
            for (std::size_t j = 0; j < n; ++j) {
                delta[j] = block.aux[j] - result.mean[j];
                result.mean[j] += delta[j] * (nb / total);
            }
            if (result.count > 0) {
                cblas_dsyr(blas::ColMajor, blas::Upper, static_cast<int>(n), na * nb / total,
                           delta.data(), 1, result.scatter.data(), static_cast<int>(n));
            }
            result.count += block.rows;
        },
        centre);
    for (std::size_t j = 0; j < n; ++j) {
        result.mean[j] += shift[j];
    }
    symmetrize_from_upper(result.scatter, n);
    return result;
}

}  // namespace h5linalg
