// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// What every streaming kernel's run shares (declared in bindings.hpp): the
// observer that checks for Ctrl-C and reports progress, and the core's options
// from the Python keywords.
#include <atomic>

#include "bindings/bindings.hpp"

namespace h5linalg::bindings {

namespace {

std::atomic<std::size_t> signal_checks{0};

}  // namespace

std::size_t signal_check_count() { return signal_checks.load(); }

StreamOptions stream_options(std::size_t block_rows, std::size_t memory_limit,
                             PythonObserver& observer, std::size_t lstsq_slab_rows) {
    StreamOptions options;
    options.block_rows = block_rows;
    options.memory_limit = memory_limit;
    options.observer = &observer;
    options.lstsq_slab_rows = lstsq_slab_rows;
    return options;
}

void PythonObserver::progress(std::size_t rows_done, std::size_t rows_total) {
    py::gil_scoped_acquire gil;
    ++signal_checks;
    if (PyErr_CheckSignals() != 0) {
        throw py::error_already_set();  // KeyboardInterrupt, usually
    }
    if (!callback_.is_none()) {
        callback_(rows_done, rows_total);
    }
}

}  // namespace h5linalg::bindings
