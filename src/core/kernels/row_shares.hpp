// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Splitting a block's rows between h5linalg's worker threads. With one BLAS
// thread per call (see blas_threads.hpp) the shares run side by side, each into
// its own accumulator. For the tall-skinny shapes h5linalg streams this beats
// letting the BLAS split each call: OpenBLAS runs dsyrk at 64 columns on one
// core, and its two-thread dgemm on a tall block spends more time waiting than
// multiplying.
#pragma once

#include <cstddef>
#include <functional>

namespace h5linalg {

/// How many shares to cut `rows` into: one per worker thread, but none smaller
/// than `min_rows` (at least one share).
std::size_t share_count(std::size_t rows, std::size_t workers, std::size_t min_rows = 256);

/// Runs work(share, first, count) for each of `shares` contiguous shares of rows
/// [0, rows): share 0 on the calling thread, the rest on the worker pool. Waits
/// for all of them and rethrows the first error.
void for_each_share(std::size_t rows, std::size_t shares,
                    const std::function<void(std::size_t, std::size_t, std::size_t)>& work);

}  // namespace h5linalg
