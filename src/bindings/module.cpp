// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// The compiled module h5linalg._core: imports NumPy's C API and registers each
// area's bindings. The public API is the Python package around it.
#define H5LINALG_IMPORTS_NUMPY
#include "bindings/bindings.hpp"

namespace {

// import_array() is a macro that returns from the calling function on failure.
void* import_numpy_c_api() {
    import_array();
    return nullptr;
}

}  // namespace

PYBIND11_MODULE(_core, m, py::mod_gil_not_used()) {
    import_numpy_c_api();
    if (PyErr_Occurred()) {
        throw py::error_already_set();
    }
    m.doc() = "h5linalg's compiled core: streaming BLAS/LAPACK kernels over HDF5 datasets. "
              "Private; use the functions of the h5linalg package.";
    h5linalg::bindings::register_errors(m);
    h5linalg::bindings::register_sources(m);
    h5linalg::bindings::register_statistics(m);
    h5linalg::bindings::register_solvers(m);
    h5linalg::bindings::register_info(m);
}
