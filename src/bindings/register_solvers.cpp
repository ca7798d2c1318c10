// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// lstsq (streaming QR), matmul (into a NumPy array or an HDF5 dataset), and
// writing to an HDF5 dataset as matmul does (write_array, check_output, and
// copy_rows, which h5linalg.distributed's matmul uses to assemble its parts).
#include <memory>

#include "bindings/bindings.hpp"
#include "core/base/errors.hpp"
#include "core/hdf5/output.hpp"
#include "core/kernels/lstsq.hpp"
#include "core/kernels/matmul.hpp"

namespace h5linalg::bindings {

void register_matmul(py::module_& m);
void register_output(py::module_& m);

void register_solvers(py::module_& m) {
    m.def(
        "lstsq",
        [](const py::object& x, const py::object& y, std::size_t block_rows,
           std::size_t memory_limit, const py::object& progress, std::size_t slab_rows) {
            const SourceSpec x_spec(x);
            const SourceSpec y_spec(y, /*allow_1d=*/true);
            PythonObserver observer(progress);
            const StreamOptions options =
                stream_options(block_rows, memory_limit, observer, slab_rows);
            std::size_t n = 0, m_cols = 0;
            std::vector<double> coefficients =
                without_gil(x_spec, y_spec, [&](RowSource& x_rows, RowSource& y_rows) {
                    n = x_rows.cols();
                    m_cols = y_rows.cols();
                    return compute_lstsq(x_rows, y_rows, options);
                });
            if (y_spec.is_vector()) {
                return to_array(std::move(coefficients), {n});
            }
            return to_array(std::move(coefficients), {n, m_cols});
        },
        "x"_a, "y"_a, py::kw_only(), "block_rows"_a = 0, "memory_limit"_a = default_memory_limit,
        "progress"_a = py::none(), "slab_rows"_a = 0,
        "Least-squares coefficients (n, m) by streaming QR; y may be 1-D (m = 1). "
        "`slab_rows`: rows per LAPACK call (0: the default, 4096).");
    register_matmul(m);
    register_output(m);  // after OutputRef, so signatures name it
}

void register_matmul(py::module_& m) {
    py::class_<OutputSpec>(
        m, "OutputRef",
        "Where matmul writes: a dataset in an HDF5 file (created if it does not exist).")
        .def(py::init([](std::string path, std::string name, bool overwrite, bool vector) {
                 OutputSpec spec;
                 spec.vector = vector;
                 spec.path = std::move(path);
                 spec.name = std::move(name);
                 spec.overwrite = overwrite;
                 return spec;
             }),
             "path"_a, "name"_a, py::kw_only(), "overwrite"_a = false, "vector"_a = false)
        .def_readonly("path", &OutputSpec::path)
        .def_readonly("name", &OutputSpec::name);

    m.def(
        "matmul",
        [](const py::object& a, const py::object& b, const std::optional<OutputSpec>& out,
           std::size_t block_rows, std::size_t memory_limit,
           const py::object& progress) -> std::optional<FloatArray> {
            SourceSpec a_spec(a);
            const FloatArray b_matrix = as_float64(b, "b");
            const std::size_t k = static_cast<std::size_t>(b_matrix.shape(0));
            const std::size_t p =
                b_matrix.ndim() == 2 ? static_cast<std::size_t>(b_matrix.shape(1)) : 1;
            PythonObserver observer(progress);
            std::optional<FloatArray> result;  // outlives the GIL release: freed with the GIL
            MatmulOutput target;
            target.file = out;
            if (!out) {
                // The result is the NumPy array itself, made (with the GIL) once
                // the core knows the row count.
                target.allocate = [&](std::size_t rows) {
                    py::gil_scoped_acquire gil;
                    result = b_matrix.ndim() == 1 ? new_array({rows}) : new_array({rows, p});
                    return array_data(*result);
                };
            }
            {
                py::gil_scoped_release release;
                const std::unique_ptr<RowSource> rows = a_spec.open();
                run_matmul(*rows, array_data(b_matrix), k, p, target,
                           stream_options(block_rows, memory_limit, observer));
            }
            return result;
        },
        "a"_a, "b"_a, py::kw_only(), "out"_a = py::none(), "block_rows"_a = 0,
        "memory_limit"_a = default_memory_limit, "progress"_a = py::none(),
        "A @ B for a streamed A and an in-memory B: returned as an array, or written to `out`.");
}

void register_output(py::module_& m) {
    m.def(
        "write_array",
        [](const py::object& values, const OutputSpec& out) {
            const FloatArray array = as_float64(values, "the array to write");
            const std::size_t rows = static_cast<std::size_t>(array.shape(0));
            const std::size_t cols =
                array.ndim() == 2 ? static_cast<std::size_t>(array.shape(1)) : 1;
            py::gil_scoped_release release;
            write_matrix(out, array_data(array), rows, cols);
        },
        "array"_a, "out"_a, "Writes a float64 array to `out`, atomically like matmul.");

    m.def(
        "check_output",
        [](const OutputSpec& out) {
            py::gil_scoped_release release;
            return check_output(out);
        },
        "out"_a,
        "The checks matmul makes of `out` before writing (FileExistsError, ...); "
        "returns whether the file exists. Writes nothing.");

    m.def(
        "copy_rows",
        [](const py::object& source, const OutputSpec& out, std::size_t block_rows,
           std::size_t memory_limit, const py::object& progress) {
            SourceSpec spec(source, /*allow_1d=*/true);
            PythonObserver observer(progress);
            const StreamOptions options = stream_options(block_rows, memory_limit, observer);
            without_gil(spec, [&](RowSource& rows) { copy_rows(rows, out, options); });
        },
        "source"_a, "out"_a, py::kw_only(), "block_rows"_a = 0,
        "memory_limit"_a = default_memory_limit, "progress"_a = py::none(),
        "Writes every row of a source into `out`, atomically like matmul.");
}

}  // namespace h5linalg::bindings
