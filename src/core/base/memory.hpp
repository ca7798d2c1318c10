// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Sizes and allocations that a damaged or huge dataset cannot turn into a
// crash. Shapes come from files, so a product of dimensions may overflow
// (2**61 columns) or exceed the machine; both become clear Memory errors.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace h5linalg {

/// a * b, or SIZE_MAX when it does not fit (then every memory check fails).
std::size_t saturating_mul(std::size_t a, std::size_t b);

/// a + b, or SIZE_MAX when it does not fit.
std::size_t saturating_add(std::size_t a, std::size_t b);

/// "12.3 MiB"-style rendering of a byte count.
std::string human_bytes(std::size_t bytes);

/// Throws a Memory error naming `what` when `bytes` is more than this machine's
/// physical memory: such a result could only end in an out-of-memory kill.
void check_fits_in_memory(std::size_t bytes, const std::string& what);

/// A zero-filled result of `count` doubles; a Memory error naming `what` (not a
/// bare std::bad_alloc) when it is too large to allocate.
std::vector<double> result_vector(std::size_t count, const std::string& what);

}  // namespace h5linalg
