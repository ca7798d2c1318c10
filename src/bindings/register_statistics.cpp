// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// moments, gram, the centred scatter behind covariance, and pca: each runs
// through stream() (bindings.hpp), which releases the GIL for all HDF5 I/O and
// BLAS work. moments, gram and scatter return partial states (states.cpp); the
// Python layer applies ddof and builds the result objects.
#include "bindings/bindings.hpp"
#include "core/kernels/gram.hpp"
#include "core/kernels/moments.hpp"
#include "core/kernels/pca.hpp"

namespace h5linalg::bindings {

void register_statistics(py::module_& m) {
    def_streaming(
        m, "moments",
        [](RowSource& rows, const StreamOptions& options) {
            return compute_moments(rows, options);
        },
        "count, mean, sum of squared deviations (m2), min and max of each column, in one pass.");

    def_streaming(
        m, "gram",
        [](RowSource& rows, const StreamOptions& options) {
            GramState state;
            state.n = rows.cols();
            state.gram = compute_gram(rows, options);
            return state;
        },
        "X.T @ X, streamed through BLAS dsyrk.");

    def_streaming(
        m, "scatter",
        [](RowSource& rows, const StreamOptions& options) {
            return compute_scatter(rows, options);
        },
        "count, mean and centred scatter matrix; covariance = scatter / (count - ddof).");

    m.def(
        "pca",
        [](const py::object& source, std::size_t k, std::size_t block_rows,
           std::size_t memory_limit, const py::object& progress) {
            PcaResult r = stream(source, block_rows, memory_limit, progress,
                                 [k](RowSource& rows, const StreamOptions& options) {
                                     return compute_pca(rows, k, options);
                                 });
            return pca_arrays(std::move(r), k);
        },
        "source"_a, "k"_a, py::kw_only(), "block_rows"_a = 0,
        "memory_limit"_a = default_memory_limit, "progress"_a = py::none(),
        "(mean, components (k, n), explained variance (k,)) of the covariance, ddof=1.");
}

}  // namespace h5linalg::bindings
