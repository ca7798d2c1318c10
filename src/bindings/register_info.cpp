// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Versions and build facts.
#include "bindings/bindings.hpp"
#include "core/blas_threads.hpp"
#include "core/library_info.hpp"

// Set by CMake from the package version (setuptools-scm), in this file only, so
// a new version recompiles one small file.
#ifndef H5LINALG_VERSION
#define H5LINALG_VERSION "0.0.0+unknown"
#endif

// The oldest NumPy whose ABI the module targets. NumPy 2's headers spell it
// out; NumPy 1.25/1.26's do not (the conda NumPy 1.26 cells build with them),
// so name the target CMake sets (NPY_TARGET_VERSION in src/bindings/CMakeLists.txt).
#ifdef NPY_FEATURE_VERSION_STRING
#define H5LINALG_NUMPY_FEATURE_VERSION NPY_FEATURE_VERSION_STRING
#else
static_assert(NPY_FEATURE_VERSION == NPY_1_25_API_VERSION,
              "keep the NumPy ABI target here in step with NPY_TARGET_VERSION");
#define H5LINALG_NUMPY_FEATURE_VERSION "1.25"
#endif

namespace h5linalg::bindings {

void register_info(py::module_& m) {
    m.attr("__version__") = H5LINALG_VERSION;
    // The Python layer's default too (memory_limit=None), so it is written once.
    m.attr("default_memory_limit") = default_memory_limit;

    m.def(
        "build_info",
        [] {
            const LibraryInfo info = library_info();
            py::typing::Dict<py::str, py::object> out;
            out["version"] = H5LINALG_VERSION;
            out["hdf5_built"] = info.hdf5_built;
            out["hdf5_running"] = info.hdf5_running;
            out["hdf5_threadsafe"] = info.hdf5_threadsafe;
            out["zlib_built"] = info.zlib_built;
            out["zlib_running"] = info.zlib_running;
            out["gzip_inflate"] = info.gzip_inflate;
            out["numpy_built"] = H5LINALG_NUMPY_FEATURE_VERSION;  // oldest NumPy the ABI targets
            out["compiler"] = info.compiler;
            out["worker_threads"] = info.worker_threads;
            out["blas_threads_control"] = std::string(controllable_blas_name());
            return out;
        },
        "Versions of the libraries h5linalg was built against and runs with.");
}

}  // namespace h5linalg::bindings
