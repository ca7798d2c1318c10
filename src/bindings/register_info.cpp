// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Versions and build facts.
#include "bindings/bindings.hpp"
#include "core/base/blas_lapack.hpp"
#include "core/base/blas_threads.hpp"
#include "core/base/thread_pool.hpp"
#include "core/hdf5/plugins.hpp"
#include "core/info/library_info.hpp"

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
            py::dict codecs;  // codec -> the library that decodes it on worker threads
            for (const auto& [codec, library] : info.codecs) {
                codecs[py::str(codec)] = library;
            }
            out["codecs"] = codecs;
            out["numpy_built"] = H5LINALG_NUMPY_FEATURE_VERSION;  // oldest NumPy the ABI targets
            out["compiler"] = info.compiler;
            out["worker_threads"] = info.worker_threads;
            out["blas_threads_control"] = std::string(controllable_blas_name());
            // "" for the generic names; "scipy_" in the wheels (scipy-openblas32).
            out["blas_symbol_prefix"] = std::string(H5LINALG_BLAS_PREFIX_STRING);
            return out;
        },
        "Versions of the libraries h5linalg was built against and runs with.");

    m.def("set_worker_threads", &set_worker_thread_count, py::arg("count"),
          "Sets the threads that decode compressed chunks (0: the CPUs), before the pool "
          "starts: h5linalg calls it at import with $H5LINALG_NUM_THREADS.");

    m.def("use_plugin_folder", &use_plugin_folder, py::arg("folder"),
          "Binds a private copy of the plugin in `folder` for each filter a dataset needs "
          "that this HDF5 cannot decode (HDF5_PLUGIN_PATH keeps precedence).");
    m.def(
        "plugin_folder_report",
        [] {
            const PluginFolder folder = plugin_folder_report();
            py::list filters;
            for (const PluginFilter& filter : folder.filters) {
                py::dict entry;
                entry["id"] = filter.id;
                entry["name"] = filter.name;
                entry["file"] = filter.file;
                entry["bound"] = filter.bound;
                filters.append(entry);
            }
            py::typing::Dict<py::str, py::object> out;
            out["folder"] = folder.folder;
            out["hdf5_library"] = folder.hdf5_library;
            out["filters"] = filters;
            out["skipped"] = py::cast(folder.skipped);
            return out;
        },
        "The plugins of the use_plugin_folder() folder, and which are bound.");
    m.def("plugin_search_path", &plugin_search_path, "HDF5's plugin search path, in search order.");
    m.def("filter_available", &filter_available, py::arg("id"),
          "Whether h5linalg's HDF5 library can decode filter `id` (loading a plugin if needed).");
}

}  // namespace h5linalg::bindings
