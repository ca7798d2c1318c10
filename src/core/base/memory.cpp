// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/base/memory.hpp"

#include <cstdio>
#include <limits>
#include <new>
#include <stdexcept>

#include "core/base/errors.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

namespace h5linalg {

namespace {

constexpr std::size_t size_max = std::numeric_limits<std::size_t>::max();

/// Physical memory in bytes, or SIZE_MAX where it cannot be asked.
std::size_t physical_memory() {
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page_size = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page_size > 0) {
        return saturating_mul(static_cast<std::size_t>(pages), static_cast<std::size_t>(page_size));
    }
#endif
    return size_max;
}

}  // namespace

std::size_t saturating_mul(std::size_t a, std::size_t b) {
    return a != 0 && b > size_max / a ? size_max : a * b;
}

std::size_t saturating_add(std::size_t a, std::size_t b) {
    return b > size_max - a ? size_max : a + b;
}

std::string human_bytes(std::size_t bytes) {
    static const char* const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double value = static_cast<double>(bytes);
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < sizeof units / sizeof units[0]) {
        value /= 1024.0;
        ++unit;
    }
    char text[48];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
    return text;
}

void check_fits_in_memory(std::size_t bytes, const std::string& what) {
    const std::size_t available = physical_memory();
    if (bytes > available) {
        fail(ErrorKind::Memory, what + " needs " + human_bytes(bytes) + ", more than this " +
                                    "machine's " + human_bytes(available) + " of memory");
    }
}

std::vector<double> result_vector(std::size_t count, const std::string& what) {
    const std::size_t bytes = saturating_mul(count, sizeof(double));
    check_fits_in_memory(bytes, what);
    try {
        return std::vector<double>(count, 0.0);
    } catch (const std::bad_alloc&) {
        fail(ErrorKind::Memory, what + " needs " + human_bytes(bytes) +
                                    ", which could not be "
                                    "allocated");
    } catch (const std::length_error&) {
        fail(ErrorKind::Memory, what + " needs " + human_bytes(bytes) +
                                    ", which could not be "
                                    "allocated");
    }
}

}  // namespace h5linalg
