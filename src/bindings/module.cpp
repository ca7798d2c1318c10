// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// The compiled module h5linalg._core: imports NumPy's C API and registers each
// area's bindings (and h5linalg._testing beside it). The public API is the
// Python package around it.
#define H5LINALG_IMPORTS_NUMPY
#include "bindings/bindings.hpp"

namespace {

// import_array() is a macro that returns from the calling function on failure.
void* import_numpy_c_api() {
    import_array();
    return nullptr;
}

/// Where Python keeps h5linalg._testing's definition (filled in by pybind11).
PyModuleDef testing_module_def;

/// h5linalg._testing: test hooks in a module of their own, so that _core holds
/// only the production API. It is made here, in the same shared object, because
/// the hooks read this copy's state (its signal counter, its HDF5 library), and
/// registered in sys.modules, so `from h5linalg import _testing` finds it in an
/// installed wheel as in a build tree.
void add_testing_module() {
    py::module_ testing = py::module_::create_extension_module(
        "h5linalg._testing", "Hooks for h5linalg's own tests; not part of the API.",
        &testing_module_def, py::mod_gil_not_used());
    h5linalg::bindings::register_testing(testing);
    py::module_::import("sys").attr("modules")["h5linalg._testing"] = testing;
}

}  // namespace

PYBIND11_MODULE(_core, m, py::mod_gil_not_used()) {
    import_numpy_c_api();
    if (PyErr_Occurred()) {
        throw py::error_already_set();
    }
    m.doc() =
        "h5linalg's compiled core: streaming BLAS/LAPACK kernels over HDF5 datasets. "
        "Private; use the functions of the h5linalg package.";
    h5linalg::bindings::register_errors(m);
    h5linalg::bindings::register_sources(m);
    h5linalg::bindings::register_states(m);  // before the kernels, so signatures name them
    h5linalg::bindings::register_statistics(m);
    h5linalg::bindings::register_solvers(m);
    h5linalg::bindings::register_partials(m);
    h5linalg::bindings::register_info(m);
    add_testing_module();
}
