// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// moments, gram, the centred scatter behind covariance, and pca. Each call
// releases the GIL for all HDF5 I/O and BLAS work; the Python layer applies
// ddof and builds the result objects.
#include <tuple>

#include "bindings/bindings.hpp"
#include "core/kernels/gram.hpp"
#include "core/kernels/moments.hpp"
#include "core/kernels/pca.hpp"

namespace h5linalg::bindings {

void register_statistics(py::module_& m) {
    m.def(
        "moments",
        [](const py::object& source, std::size_t block_rows, std::size_t memory_limit,
           const py::object& progress) {
            PythonObserver observer(progress);
            const StreamOptions options = stream_options(block_rows, memory_limit, observer);
            MomentsResult r = without_gil(SourceSpec(source), [&](RowSource& rows) {
                return compute_moments(rows, options);
            });
            const std::vector<std::size_t> shape{r.mean.size()};
            return std::make_tuple(
                r.count, to_array(std::move(r.mean), shape), to_array(std::move(r.m2), shape),
                to_array(std::move(r.min), shape), to_array(std::move(r.max), shape));
        },
        "source"_a, py::kw_only(), "block_rows"_a = 0, "memory_limit"_a = default_memory_limit,
        "progress"_a = py::none(),
        "(count, mean, sum of squared deviations, min, max) of each column, in one pass.");

    m.def(
        "gram",
        [](const py::object& source, std::size_t block_rows, std::size_t memory_limit,
           const py::object& progress) {
            PythonObserver observer(progress);
            const StreamOptions options = stream_options(block_rows, memory_limit, observer);
            std::size_t n = 0;
            std::vector<double> gram = without_gil(SourceSpec(source), [&](RowSource& rows) {
                n = rows.cols();
                return compute_gram(rows, options);
            });
            return to_array(std::move(gram), {n, n});
        },
        "source"_a, py::kw_only(), "block_rows"_a = 0, "memory_limit"_a = default_memory_limit,
        "progress"_a = py::none(), "X.T @ X, streamed through BLAS dsyrk.");

    m.def(
        "scatter",
        [](const py::object& source, std::size_t block_rows, std::size_t memory_limit,
           const py::object& progress) {
            PythonObserver observer(progress);
            const StreamOptions options = stream_options(block_rows, memory_limit, observer);
            ScatterResult r = without_gil(SourceSpec(source), [&](RowSource& rows) {
                return compute_scatter(rows, options);
            });
            const std::size_t n = r.mean.size();
            return std::make_tuple(r.count, to_array(std::move(r.mean), {n}),
                                   to_array(std::move(r.scatter), {n, n}));
        },
        "source"_a, py::kw_only(), "block_rows"_a = 0, "memory_limit"_a = default_memory_limit,
        "progress"_a = py::none(),
        "(count, mean, centred scatter matrix); covariance = scatter / (count - ddof).");

    m.def(
        "pca",
        [](const py::object& source, std::size_t k, std::size_t block_rows,
           std::size_t memory_limit, const py::object& progress) {
            PythonObserver observer(progress);
            const StreamOptions options = stream_options(block_rows, memory_limit, observer);
            PcaResult r = without_gil(
                SourceSpec(source), [&](RowSource& rows) { return compute_pca(rows, k, options); });
            const std::size_t n = r.mean.size();
            return std::make_tuple(to_array(std::move(r.mean), {n}),
                                   to_array(std::move(r.components), {k, n}),
                                   to_array(std::move(r.explained_variance), {k}));
        },
        "source"_a, "k"_a, py::kw_only(), "block_rows"_a = 0,
        "memory_limit"_a = default_memory_limit, "progress"_a = py::none(),
        "(mean, components (k, n), explained variance (k,)) of the covariance, ddof=1.");
}

}  // namespace h5linalg::bindings
