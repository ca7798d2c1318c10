// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// How it works. Stack A = [X | y] (w = n + m columns). Row-major blocks of A
// read as column-major are blocks of A^T, so instead of transposing we keep the
// LQ factor L of A^T, which is R^T for the QR factor R of A. Each slab of rows
// is folded into L with LAPACK's blocked triangular-pentagonal LQ (dtplqt):
// LQ([L | slab]) is the LQ of all rows so far. At the end L = [[Rx^T, 0], [z^T, *]]
// and the coefficients solve Rx b = z.
#include "core/kernels/lstsq.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/base/blas_lapack.hpp"
#include "core/base/blas_threads.hpp"
#include "core/base/errors.hpp"
#include "core/base/memory.hpp"
#include "core/base/thread_pool.hpp"
#include "core/kernels/row_shares.hpp"
#include "core/rows/column_stack.hpp"

namespace h5linalg {

namespace {

// Rows factored per LAPACK call. A slab of w x slab_rows doubles is factored by
// dgelqt, whose recursive kernel (dgelqt3) is level-3 BLAS throughout, then its
// w x w triangle is merged into L with dtplqt (O(w^3), small next to the slab).
// StreamOptions::lstsq_slab_rows (H5LINALG_LSTSQ_SLAB in the Python layer) overrides it.
constexpr std::size_t default_slab_rows = 4096;

std::size_t slab_rows_of(const StreamOptions& options) {
    return options.lstsq_slab_rows > 0 ? options.lstsq_slab_rows : default_slab_rows;
}

std::string shape_of(const RowSource& source) {
    return "(" + std::to_string(source.rows()) + ", " + std::to_string(source.cols()) + ")";
}

void check_info(int info, const char* routine) {
    if (info != 0) {
        fail(ErrorKind::Runtime, std::string("internal error: LAPACK ") + routine +
                                     " failed (info=" + std::to_string(info) + ")");
    }
}

/// The LQ factor of all rows folded in so far (one accumulator per thread).
class StreamingLq {
public:
    StreamingLq(std::size_t width, std::size_t slab_rows, std::vector<double> l = {})
        : w_(width),
          mb_(std::min<std::size_t>(width, 32)),
          slab_(slab_rows),
          l_(l.empty() ? std::vector<double>(width * width, 0.0) : std::move(l)),
          t_(width * std::max(width, slab_)),
          work_(width * width) {}

    /// Folds rows (row-major, leading dimension ld, overwritten) into L.
    void add(double* rows, std::size_t count, std::size_t ld) {
        for (std::size_t start = 0; start < count; start += slab_) {
            const std::size_t n_rows = std::min(slab_, count - start);
            double* slab = rows + start * ld;
            if (n_rows < w_) {
                fold(slab, n_rows, ld, /*triangular=*/false);  // too few rows for a triangle
                continue;
            }
            // LQ of the slab (w x n_rows); its L lands in the slab's first w columns.
            const int m = static_cast<int>(w_), n = static_cast<int>(n_rows);
            const int ldb = static_cast<int>(ld);
            int info = 0;
            // One panel of all w rows: dgelqt runs the recursive dgelqt3 on it.
            H5LINALG_BLAS(dgelqt_)(&m, &n, &m, slab, &ldb, t_.data(), &m, work_.data(), &info);
            check_info(info, "dgelqt");
            fold(slab, w_, ld, /*triangular=*/true);
        }
    }

    /// Folds another accumulator's L into this one.
    void merge(const StreamingLq& other) { merge(other.l_); }
    void merge(std::vector<double> triangle) { fold(triangle.data(), w_, w_, /*triangular=*/true); }

    const std::vector<double>& factor() const { return l_; }
    /// Bytes one accumulator holds (L, T and LAPACK's work array), before creating it.
    static std::size_t workspace_bytes(std::size_t width, std::size_t slab_rows) {
        const std::size_t doubles =
            saturating_add(saturating_mul(2, saturating_mul(width, width)),
                           saturating_mul(width, std::max(width, slab_rows)));
        return saturating_mul(doubles, sizeof(double));
    }

private:
    /// L <- the L of [L | B] (dtplqt). B is w x n (column-major, leading
    /// dimension ld); `triangular` when B is a w x w lower triangle, whose
    /// strictly upper part is cleared first (it may hold Householder vectors).
    void fold(double* b, std::size_t n_cols, std::size_t ld, bool triangular) {
        if (triangular) {
            for (std::size_t j = 1; j < w_; ++j) {
                for (std::size_t i = 0; i < j; ++i) {
                    b[i + j * ld] = 0.0;
                }
            }
        }
        const int m = static_cast<int>(w_), n = static_cast<int>(n_cols);
        const int l = triangular ? m : 0, mb = static_cast<int>(mb_), ldt = mb;
        const int lda = m, ldb = static_cast<int>(ld);
        int info = 0;
        H5LINALG_BLAS(dtplqt_)(&m, &n, &l, &mb, l_.data(), &lda, b, &ldb, t_.data(), &ldt,
                               work_.data(), &info);
        check_info(info, "dtplqt");
    }

    std::size_t w_, mb_, slab_;
    std::vector<double> l_;  // w x w, column-major, lower triangular
    std::vector<double> t_, work_;
};

/// Splits every block between the worker threads (row_shares.hpp), each with
/// its own accumulator, and merges the accumulators at the end.
class ParallelLq {
public:
    ParallelLq(std::size_t width, std::size_t threads, std::size_t slab_rows) : slab_(slab_rows) {
        for (std::size_t i = 0; i < threads; ++i) {
            parts_.emplace_back(width, slab_rows);
        }
    }

    void add(double* rows, std::size_t count, std::size_t ld) {
        // Shares no smaller than a slab, so each part factors whole slabs.
        const std::size_t shares = share_count(count, parts_.size(), slab_);
        for_each_share(count, shares, [&](std::size_t part, std::size_t first, std::size_t n) {
            parts_[part].add(rows + first * ld, n, ld);
        });
    }

    const std::vector<double>& finish() {
        for (std::size_t t = 1; t < parts_.size(); ++t) {
            parts_[0].merge(parts_[t]);
        }
        return parts_[0].factor();
    }

    static std::size_t workspace_bytes(std::size_t width, std::size_t threads,
                                       std::size_t slab_rows) {
        return saturating_mul(threads, StreamingLq::workspace_bytes(width, slab_rows));
    }

private:
    std::size_t slab_;
    std::vector<StreamingLq> parts_;
};

std::vector<double> singular_values(std::vector<double> matrix, std::size_t n) {
    const int order = static_cast<int>(n);
    const int one = 1;
    int info = 0, lwork = -1;
    double dummy = 0.0, work_size = 0.0;
    std::vector<double> s(n);
    std::vector<int> iwork(8 * n);
    H5LINALG_BLAS(dgesdd_)("N", &order, &order, matrix.data(), &order, s.data(), &dummy, &one,
                           &dummy, &one, &work_size, &lwork, iwork.data(), &info, 1);
    lwork = static_cast<int>(work_size);
    std::vector<double> work(static_cast<std::size_t>(std::max(lwork, 1)));
    H5LINALG_BLAS(dgesdd_)("N", &order, &order, matrix.data(), &order, s.data(), &dummy, &one,
                           &dummy, &one, work.data(), &lwork, iwork.data(), &info, 1);
    if (info != 0) {
        fail(ErrorKind::LinAlg,
             "the SVD (LAPACK dgesdd) did not converge (info=" + std::to_string(info) + ")");
    }
    return s;  // descending
}

}  // namespace

LstsqState lstsq_state(RowSource& x, RowSource& y, const StreamOptions& options) {
    const std::size_t rows = x.rows(), n = x.cols(), m = y.cols();
    if (y.rows() != rows) {
        fail(ErrorKind::Value, "X and y must have the same number of rows: X " + x.label() +
                                   " has shape " + shape_of(x) + ", y " + y.label() +
                                   " has shape " + shape_of(y));
    }
    const std::size_t w = n + m;
    ColumnStack stacked(x, y);
    const std::size_t threads = worker_thread_count();
    MemoryNeeds needs;
    const std::size_t slab_rows = slab_rows_of(options);
    needs.fixed_bytes = ParallelLq::workspace_bytes(w, threads, slab_rows);
    // Plan before allocating: an absurd width fails here with a clear Memory error.
    const BlockPlan plan = plan_blocks(stacked, options, needs);
    ParallelLq lq(w, threads, slab_rows);
    {
        const SingleThreadedBlas one_thread_per_call;
        stream_blocks(stacked, plan, options.observer, [&](const Block& block) {
            // ColumnStack never lends memory, so the block is ours to overwrite.
            lq.add(block.data, block.rows, block.ld);
        });
    }
    LstsqState state;
    state.rows = rows;
    state.n = n;
    state.m = m;
    state.l = lq.finish();
    return state;
}

LstsqState merge_lstsq(const LstsqState& a, const LstsqState& b) {
    const std::size_t w = a.n + a.m;
    if (a.n != b.n || a.m != b.m || a.l.size() != w * w || b.l.size() != w * w) {
        fail(ErrorKind::Value, "cannot merge least-squares states of X with " +
                                   std::to_string(a.n) + " and " + std::to_string(b.n) +
                                   " columns (y with " + std::to_string(a.m) + " and " +
                                   std::to_string(b.m) + ")");
    }
    StreamingLq lq(w, default_slab_rows, a.l);
    lq.merge(b.l);
    LstsqState both = a;
    both.rows = a.rows + b.rows;
    both.l = lq.factor();
    return both;
}

std::vector<double> compute_lstsq(RowSource& x, RowSource& y, const StreamOptions& options) {
    if (x.rows() < x.cols()) {  // before reading anything
        fail(ErrorKind::Value, "lstsq needs at least as many rows as columns; X " + x.label() +
                                   " has shape " + shape_of(x));
    }
    return solve_lstsq(lstsq_state(x, y, options), x.label(), y.label());
}

std::vector<double> solve_lstsq(const LstsqState& state, const std::string& x_label,
                                const std::string& y_label) {
    const std::size_t rows = state.rows, n = state.n, m = state.m, w = n + m;
    if (rows < n) {
        fail(ErrorKind::Value, "lstsq needs at least as many rows as columns; X " + x_label +
                                   " has shape (" + std::to_string(rows) + ", " +
                                   std::to_string(n) + ")");
    }
    const std::vector<double>& l = state.l;
    for (const double value : l) {
        if (!std::isfinite(value)) {
            fail(ErrorKind::Value, "lstsq needs finite data, but " + x_label + " and " + y_label +
                                       " contain NaN or Inf");
        }
    }
    // Rx^T is the leading n x n block of L.
    std::vector<double> rx(n * n);
    for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t i = 0; i < n; ++i) {
            rx[i + j * n] = l[i + j * w];
        }
    }
    // Rank as numpy.linalg.lstsq decides it: singular values above eps * max(M, N) * s_max.
    const std::vector<double> s = singular_values(rx, n);
    const double rcond =
        std::numeric_limits<double>::epsilon() * static_cast<double>(std::max(rows, n));
    const std::size_t rank = static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [&](double v) { return v > rcond * s[0]; }));
    if (rank < n) {
        fail(ErrorKind::LinAlg, "X (" + x_label + ") is rank-deficient: rank " +
                                    std::to_string(rank) + " < " + std::to_string(n) +
                                    " columns (by NumPy's default rcond); remove or combine "
                                    "linearly dependent columns");
    }
    // z (n x m): row n + j of L holds column j of z in its first n entries.
    std::vector<double> z(n * m);
    for (std::size_t j = 0; j < m; ++j) {
        for (std::size_t i = 0; i < n; ++i) {
            z[i + j * n] = l[(n + j) + i * w];
        }
    }
    const int order = static_cast<int>(n), nrhs = static_cast<int>(m);
    int info = 0;
    // Rx b = z  <=>  (Rx^T)^T b = z.
    H5LINALG_BLAS(dtrtrs_)("L", "T", "N", &order, &nrhs, rx.data(), &order, z.data(), &order, &info,
                           1, 1, 1);
    if (info != 0) {
        fail(ErrorKind::LinAlg,
             "X (" + x_label + ") is singular (LAPACK dtrtrs info=" + std::to_string(info) + ")");
    }
    std::vector<double> coefficients(n * m);
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < m; ++j) {
            coefficients[i * m + j] = z[i + j * n];
        }
    }
    return coefficients;
}

}  // namespace h5linalg
