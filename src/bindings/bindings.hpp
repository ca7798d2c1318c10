// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Shared by every binding file: pybind11, NumPy's C API (one API table for the
// whole extension, imported once in module.cpp), the conversions between Python
// objects and the core (conversions.cpp), the run of a streaming kernel
// (observer.cpp and the templates below), and the partial states (states.cpp).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

// NumPy's C API: every translation unit shares the table imported in module.cpp.
#define PY_ARRAY_UNIQUE_SYMBOL H5LINALG_ARRAY_API
#ifndef H5LINALG_IMPORTS_NUMPY
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

#include <cstddef>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/hdf5/dataset.hpp"
#include "core/kernels/pca.hpp"
#include "core/rows/block_pipeline.hpp"
#include "core/rows/row_source.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace h5linalg::bindings {

/// A dataset named by the Python layer (which has already parsed and checked
/// the path); opened without the GIL when a computation starts.
struct DatasetRef {
    std::string path;
    std::string name;
    OpenOptions options;
    /// Only rows [first, first + count) (a distributed task's share); 0: every row.
    std::size_t first = 0;
    std::size_t count = 0;
    /// Decode compressed chunks on the worker threads where the codec allows
    /// (the Python layer turns it off for H5LINALG_SERIAL_INFLATE).
    bool parallel_inflate = true;
};

/// A source prepared while holding the GIL: a NumPy array (kept alive here and
/// read without the GIL), a DatasetRef, or a list of those (a stack, read as one
/// RowConcatenation). open() needs no GIL.
class SourceSpec {
public:
    /// `obj` is a numpy.ndarray, a DatasetRef or a list of them; anything else
    /// is a TypeError. `allow_1d` accepts 1-D data as one column (lstsq's y).
    SourceSpec(const py::object& obj, bool allow_1d = false);
    std::unique_ptr<RowSource> open() const;
    /// Whether the source is 1-D (every part of a stack): known for arrays, and
    /// for datasets once open() has read their shape.
    bool is_vector() const { return vector_; }

private:
    std::unique_ptr<RowSource> open_part() const;

    py::object keep_alive_;
    std::unique_ptr<DatasetRef> dataset_;
    std::vector<SourceSpec> parts_;  // a stack; empty otherwise
    bool allow_1d_ = false;
    mutable bool vector_ = false;  // for datasets, set by open()
    // For arrays:
    const char* data_ = nullptr;
    std::size_t rows_ = 0, cols_ = 0;
    std::ptrdiff_t row_stride_ = 0, col_stride_ = 0;
    int element_ = 0;
    bool swap_bytes_ = false;
};

/// Checks for Ctrl-C and reports progress once per block, with the GIL held
/// only for that moment. Whatever Python raises stops the run.
class PythonObserver final : public Observer {
public:
    explicit PythonObserver(py::object callback) : callback_(std::move(callback)) {}
    void progress(std::size_t rows_done, std::size_t rows_total) override;

private:
    py::object callback_;
};

/// The core's options from the Python keywords; `observer` must outlive the run.
StreamOptions stream_options(std::size_t block_rows, std::size_t memory_limit,
                             PythonObserver& observer, std::size_t lstsq_slab_rows = 0);

/// Opens `spec` and returns `kernel(rows)` with the GIL released: every HDF5
/// call and all BLAS work then run while other Python threads go on.
template <typename Kernel>
auto without_gil(const SourceSpec& spec, Kernel&& kernel) {
    py::gil_scoped_release release;
    const std::unique_ptr<RowSource> rows = spec.open();
    return kernel(*rows);
}

/// As above for two sources read side by side (lstsq's X and y): `kernel(x, y)`.
template <typename Kernel>
auto without_gil(const SourceSpec& x_spec, const SourceSpec& y_spec, Kernel&& kernel) {
    py::gil_scoped_release release;
    const std::unique_ptr<RowSource> x_rows = x_spec.open();
    const std::unique_ptr<RowSource> y_rows = y_spec.open();
    return kernel(*x_rows, *y_rows);
}

/// The run every one-source streaming kernel shares: an observer for Ctrl-C and
/// `progress`, the core's options, and `kernel(rows, options)` over the opened
/// source with the GIL released. Returns what the kernel returns.
template <typename Kernel>
auto stream(const py::object& source, std::size_t block_rows, std::size_t memory_limit,
            const py::object& progress, Kernel&& kernel) {
    PythonObserver observer(progress);
    const StreamOptions options = stream_options(block_rows, memory_limit, observer);
    return without_gil(SourceSpec(source), [&](RowSource& rows) { return kernel(rows, options); });
}

/// Registers `name(source, *, block_rows=0, memory_limit=..., progress=None)`,
/// which returns `kernel(rows, options)` run by stream(): one template for the
/// streaming kernels whose only argument is their source.
template <typename Kernel>
void def_streaming(py::module_& m, const char* name, Kernel kernel, const char* doc) {
    m.def(
        name,
        [kernel](const py::object& source, std::size_t block_rows, std::size_t memory_limit,
                 const py::object& progress) {
            return stream(source, block_rows, memory_limit, progress, kernel);
        },
        "source"_a, py::kw_only(), "block_rows"_a = 0, "memory_limit"_a = default_memory_limit,
        "progress"_a = py::none(), doc);
}

/// How many times any run has checked for signals (for h5linalg._testing).
std::size_t signal_check_count();

/// A float64 NumPy array (the annotation stubs show as NDArray[float64]).
using FloatArray = py::array_t<double>;

/// A float64 NumPy array of the given shape that takes over `values` (row-major)
/// without copying them: a large result is never held twice.
FloatArray to_array(std::vector<double> values, const std::vector<std::size_t>& shape);

/// A new uninitialised C-contiguous float64 NumPy array of the given shape.
FloatArray new_array(const std::vector<std::size_t>& shape);

/// Pointer to the first element of a C-contiguous float64 array.
double* array_data(const FloatArray& array);

/// `obj` as a C-contiguous, aligned float64 array of 1 or 2 dimensions, converted
/// through NumPy's C API (a copy only when needed). TypeError for dtypes h5linalg
/// cannot use, ValueError for other ranks; `what` names the argument.
FloatArray as_float64(const py::object& obj, const std::string& what);

/// `obj` (as as_float64 takes it) copied into a vector, row-major.
std::vector<double> to_vector(const py::object& obj, const std::string& what);

/// A NumPy array of `shape` over `values`, which belong to `owner` (a partial
/// state): no copy, and the array keeps `owner` alive.
FloatArray view_of(py::handle owner, const std::vector<double>& values,
                   const std::vector<std::size_t>& shape);

/// (mean (n,), components (k, n), explained variance (k,)) as NumPy arrays.
using PcaArrays = std::tuple<FloatArray, FloatArray, FloatArray>;
PcaArrays pca_arrays(PcaResult r, std::size_t k);

/// X^T X of some rows: gram's partial state (the core's gram is the bare matrix).
struct GramState {
    std::size_t n = 0;
    std::vector<double> gram;  // n x n
};

void register_sources(py::module_& m);
void register_states(py::module_& m);
void register_statistics(py::module_& m);
void register_solvers(py::module_& m);
void register_partials(py::module_& m);
void register_info(py::module_& m);
void register_errors(py::module_& m);
void register_testing(py::module_& m);

}  // namespace h5linalg::bindings
