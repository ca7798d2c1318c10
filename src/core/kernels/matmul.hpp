// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// A @ B for a streamed A (rows x k) and an in-memory B (k x p): the kernel, and
// the whole run behind h5linalg.matmul (plan, check memory, choose the sink, commit).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>

#include "core/hdf5/output.hpp"
#include "core/rows/block_pipeline.hpp"
#include "core/rows/row_sink.hpp"

namespace h5linalg {

/// Where a matmul run puts A @ B.
struct MatmulOutput {
    /// Written into this dataset, which appears whole under its name or not at all ...
    std::optional<OutputSpec> file;
    /// ... or, without `file`, into the memory this returns when asked once with the
    /// row count: room for rows x p doubles, row-major (the bindings' NumPy array,
    /// so a large result is written where the caller gets it, never copied).
    std::function<double*(std::size_t rows)> allocate;
};

/// A @ B for a streamed A and a row-major k x p B, into `out`: checks the shapes
/// and the memory first (before any output is allocated or any file touched),
/// plans the blocks, streams and, for a file, commits.
void run_matmul(RowSource& a, const double* b, std::size_t k, std::size_t p,
                const MatmulOutput& out, const StreamOptions& options);

/// Streams A through BLAS dgemm (dgemv when p == 1) into `sink`.
/// `b` is row-major k x p. The caller plans with matmul_memory_needs().
void compute_matmul(RowSource& a, const double* b, std::size_t k, std::size_t p,
                    const BlockPlan& plan, RowSink& sink, Observer* observer);

/// Value error naming both shapes unless A's columns match B's rows.
void check_matmul_shapes(const RowSource& a, std::size_t k, std::size_t p);

/// Writes every row of `source` into `out` (atomically like matmul): how a
/// distributed matmul assembles the parts its tasks wrote into one dataset.
void copy_rows(RowSource& source, const OutputSpec& out, const StreamOptions& options);

/// Memory a matmul run holds besides A's blocks: with `buffered_output`, two
/// output blocks of p columns (the HDF5 writer's double buffer).
MemoryNeeds matmul_memory_needs(std::size_t p, bool buffered_output);

}  // namespace h5linalg
