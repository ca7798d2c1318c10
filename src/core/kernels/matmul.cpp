// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/kernels/matmul.hpp"

#include <cstring>
#include <string>

#include "core/base/blas_lapack.hpp"
#include "core/base/blas_threads.hpp"
#include "core/base/errors.hpp"
#include "core/base/memory.hpp"
#include "core/base/thread_pool.hpp"
#include "core/kernels/row_shares.hpp"

namespace h5linalg {

MemoryNeeds matmul_memory_needs(std::size_t p, bool buffered_output) {
    MemoryNeeds needs;
    if (buffered_output) {
        needs.extra_bytes_per_row = 2 * p * sizeof(double);
    }
    return needs;
}

void check_matmul_shapes(const RowSource& a, std::size_t k, std::size_t p) {
    if (a.cols() != k) {
        fail(ErrorKind::Value,
             "matmul: shapes (" + std::to_string(a.rows()) + ", " + std::to_string(a.cols()) +
                 ") and (" + std::to_string(k) + ", " + std::to_string(p) + ") not aligned: " +
                 std::to_string(a.cols()) + " (dim 1) != " + std::to_string(k) + " (dim 0)");
    }
}

void compute_matmul(RowSource& a, const double* b, std::size_t k, std::size_t p,
                    const BlockPlan& plan, RowSink& sink, Observer* observer) {
    check_matmul_shapes(a, k, p);
    if (p == 0) {
        // A @ (k x 0) is rows x 0, as in NumPy: nothing to compute or write. BLAS
        // must not see it: ldb = p = 0 is an illegal argument, and the reference
        // BLAS answers with xerbla, which ends the whole process (exit status 0).
        sink.finish();
        return;
    }
    const std::size_t workers = worker_thread_count();
    const SingleThreadedBlas one_thread_per_call;  // the row shares run in parallel instead
    stream_blocks(a, plan, observer, [&](const Block& block) {
        double* out = sink.acquire(block.first, block.rows);
        const int lda = static_cast<int>(block.ld);
        const std::size_t shares = share_count(block.rows, workers);
        for_each_share(block.rows, shares, [&](std::size_t, std::size_t first, std::size_t count) {
            const double* rows_in = block.data + first * block.ld;
            double* rows_out = out + first * p;
            const int rows = static_cast<int>(count);
            if (p == 1) {
                H5LINALG_BLAS(cblas_dgemv)(blas::RowMajor, blas::NoTrans, rows, static_cast<int>(k),
                                           1.0, rows_in, lda, b, 1, 0.0, rows_out, 1);
            } else {
                H5LINALG_BLAS(cblas_dgemm)(blas::RowMajor, blas::NoTrans, blas::NoTrans, rows,
                                           static_cast<int>(p), static_cast<int>(k), 1.0, rows_in,
                                           lda, b, static_cast<int>(p), 0.0, rows_out,
                                           static_cast<int>(p));
            }
        });
        sink.release();
    });
    sink.finish();
}

void run_matmul(RowSource& a, const double* b, std::size_t k, std::size_t p,
                const MatmulOutput& out, const StreamOptions& options) {
    if (!out.file) {
        const std::size_t rows = a.rows();
        check_fits_in_memory(saturating_mul(saturating_mul(rows, p), sizeof(double)),
                             "the (" + std::to_string(rows) + ", " + std::to_string(p) +
                                 ") result (write it to a file with out=... instead)");
        MemorySink sink(out.allocate(rows), p);
        const BlockPlan plan = plan_blocks(a, options, matmul_memory_needs(p, false));
        compute_matmul(a, b, k, p, plan, sink, options.observer);
        return;
    }
    check_matmul_shapes(a, k, p);  // before the output file is touched
    const BlockPlan plan = plan_blocks(a, options, matmul_memory_needs(p, true));
    Hdf5OutputDataset output(*out.file, a.rows(), p, plan.block_rows);
    {
        // The writer thread has stored every block once the sink is gone.
        Hdf5Sink sink(output, plan.block_rows, p);
        compute_matmul(a, b, k, p, plan, sink, options.observer);
    }
    output.commit();
}

void copy_rows(RowSource& source, const OutputSpec& out, const StreamOptions& options) {
    const std::size_t cols = source.cols();
    const BlockPlan plan = plan_blocks(source, options, matmul_memory_needs(cols, true));
    Hdf5OutputDataset output(out, source.rows(), cols, plan.block_rows);
    {
        Hdf5Sink sink(output, plan.block_rows, cols);
        stream_blocks(source, plan, options.observer, [&](const Block& block) {
            double* rows = sink.acquire(block.first, block.rows);
            for (std::size_t i = 0; i < block.rows; ++i) {
                std::memcpy(rows + i * cols, block.data + i * block.ld, cols * sizeof(double));
            }
            sink.release();
        });
        sink.finish();
    }
    output.commit();
}

}  // namespace h5linalg
