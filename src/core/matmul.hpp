// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// A @ B for a streamed A (rows x k) and an in-memory B (k x p).
#pragma once

#include <cstddef>

#include "core/block_pipeline.hpp"
#include "core/row_sink.hpp"

namespace h5linalg {

/// Streams A through BLAS dgemm (dgemv when p == 1) into `sink`.
/// `b` is row-major k x p. The caller plans with matmul_memory_needs().
void compute_matmul(RowSource& a, const double* b, std::size_t k, std::size_t p,
                    const BlockPlan& plan, RowSink& sink, Observer* observer);

/// Value error naming both shapes unless A's columns match B's rows.
void check_matmul_shapes(const RowSource& a, std::size_t k, std::size_t p);

/// Memory a matmul run holds besides A's blocks: with `buffered_output`, two
/// output blocks of p columns (the HDF5 writer's double buffer).
MemoryNeeds matmul_memory_needs(std::size_t p, bool buffered_output);

}  // namespace h5linalg
