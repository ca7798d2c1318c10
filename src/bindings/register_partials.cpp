// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// For h5linalg.distributed: the merges of partial states (states.cpp), which
// the tasks of a distributed run apply in a tree, lstsq_state (the other
// kernels' states come from moments, gram and scatter), and the answers from
// the state of all rows (pca_from_scatter, solve_lstsq).
#include "bindings/bindings.hpp"
#include "core/kernels/gram.hpp"
#include "core/kernels/lstsq.hpp"
#include "core/kernels/moments.hpp"
#include "core/kernels/pca.hpp"

namespace h5linalg::bindings {

namespace {

void register_merges(py::module_& m) {
    m.def(
        "merge_moments",
        [](const MomentsResult& a, const MomentsResult& b) { return merge_moments(a, b); }, "a"_a,
        "b"_a, "The moments of two disjoint sets of rows together (Chan et al.).");

    m.def(
        "merge_scatter",
        [](const ScatterResult& a, const ScatterResult& b) { return merge_scatter(a, b); }, "a"_a,
        "b"_a, "The centred scatter of two disjoint sets of rows together (Chan et al.).");

    m.def(
        "merge_gram",
        [](const GramState& a, const GramState& b) {
            GramState sum;
            sum.n = a.n;
            sum.gram = merge_gram(a.gram, b.gram);
            return sum;
        },
        "a"_a, "b"_a, "X.T @ X of two disjoint sets of rows together.");

    m.def(
        "merge_lstsq", [](const LstsqState& a, const LstsqState& b) { return merge_lstsq(a, b); },
        "a"_a, "b"_a, "The QR state of two disjoint sets of rows together (one more QR).");
}

}  // namespace

void register_partials(py::module_& m) {
    register_merges(m);

    m.def(
        "pca_from_scatter",
        [](const ScatterResult& state, std::size_t k, const std::string& label) {
            return pca_arrays(pca_from_scatter(state, k, label), k);
        },
        "state"_a, "k"_a, "label"_a,
        "(mean, components (k, n), explained variance (k,)) from the scatter of all rows.");

    m.def(
        "lstsq_state",
        [](const py::object& x, const py::object& y, std::size_t block_rows,
           std::size_t memory_limit, const py::object& progress, std::size_t slab_rows) {
            const SourceSpec x_spec(x);
            const SourceSpec y_spec(y, /*allow_1d=*/true);
            PythonObserver observer(progress);
            const StreamOptions options =
                stream_options(block_rows, memory_limit, observer, slab_rows);
            return without_gil(x_spec, y_spec, [&](RowSource& x_rows, RowSource& y_rows) {
                return lstsq_state(x_rows, y_rows, options);
            });
        },
        "x"_a, "y"_a, py::kw_only(), "block_rows"_a = 0, "memory_limit"_a = default_memory_limit,
        "progress"_a = py::none(), "slab_rows"_a = 0,
        "The streaming QR state of rows of [X | y]; `slab_rows` as for lstsq.");

    m.def(
        "solve_lstsq",
        [](const LstsqState& state, const std::string& x_label, const std::string& y_label) {
            std::vector<double> coefficients = solve_lstsq(state, x_label, y_label);
            return to_array(std::move(coefficients), {state.n, state.m});
        },
        "state"_a, "x_label"_a, "y_label"_a,
        "Least-squares coefficients (n, m) from the QR state of all rows.");
}

}  // namespace h5linalg::bindings
