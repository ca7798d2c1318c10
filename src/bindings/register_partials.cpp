// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Partial states and their merges, for h5linalg.distributed: each task of a
// distributed run computes the state of its rows with the ordinary kernels
// (moments, gram, scatter above; lstsq_state here), and the states merge in
// a tree. They cross the network as plain tuples of ints and NumPy arrays:
//   moments  (count, mean, m2, min, max)      the tuple _core.moments returns
//   scatter  (count, mean, scatter)           the tuple _core.scatter returns
//   gram     X^T X                            the array _core.gram returns
//   lstsq    (rows, n, m, L)                  L: the (n+m) x (n+m) factor, L L^T = A^T A
#include <cstring>
#include <tuple>

#include "bindings/bindings.hpp"
#include "core/base/errors.hpp"
#include "core/hdf5/output.hpp"
#include "core/kernels/gram.hpp"
#include "core/kernels/lstsq.hpp"
#include "core/kernels/matmul.hpp"
#include "core/kernels/moments.hpp"
#include "core/kernels/pca.hpp"

namespace h5linalg::bindings {

namespace {

std::vector<double> to_vector(const py::object& obj, const std::string& what) {
    const FloatArray array = as_float64(obj, what);
    const double* data = array.data();
    return std::vector<double>(data, data + array.size());
}

using MomentsTuple = std::tuple<std::size_t, py::object, py::object, py::object, py::object>;
using ScatterTuple = std::tuple<std::size_t, py::object, py::object>;
using LstsqTuple = std::tuple<std::size_t, std::size_t, std::size_t, py::object>;

MomentsResult moments_of(const MomentsTuple& t) {
    MomentsResult r;
    r.count = std::get<0>(t);
    r.mean = to_vector(std::get<1>(t), "mean");
    r.m2 = to_vector(std::get<2>(t), "m2");
    r.min = to_vector(std::get<3>(t), "min");
    r.max = to_vector(std::get<4>(t), "max");
    return r;
}

ScatterResult scatter_of(const ScatterTuple& t) {
    ScatterResult r;
    r.count = std::get<0>(t);
    r.mean = to_vector(std::get<1>(t), "mean");
    r.scatter = to_vector(std::get<2>(t), "scatter");
    return r;
}

LstsqState lstsq_of(const LstsqTuple& t) {
    LstsqState s;
    s.rows = std::get<0>(t);
    s.n = std::get<1>(t);
    s.m = std::get<2>(t);
    s.l = to_vector(std::get<3>(t), "L");
    return s;
}

std::tuple<std::size_t, std::size_t, std::size_t, FloatArray> lstsq_tuple(LstsqState s) {
    const std::size_t w = s.n + s.m;
    return std::make_tuple(s.rows, s.n, s.m, to_array(std::move(s.l), {w, w}));
}

}  // namespace

void register_partials(py::module_& m) {
    m.def(
        "merge_moments",
        [](const MomentsTuple& a, const MomentsTuple& b) {
            MomentsResult r = merge_moments(moments_of(a), moments_of(b));
            const std::vector<std::size_t> shape{r.mean.size()};
            return std::make_tuple(
                r.count, to_array(std::move(r.mean), shape), to_array(std::move(r.m2), shape),
                to_array(std::move(r.min), shape), to_array(std::move(r.max), shape));
        },
        "a"_a, "b"_a, "The moments of two disjoint sets of rows together (Chan et al.).");

    m.def(
        "merge_scatter",
        [](const ScatterTuple& a, const ScatterTuple& b) {
            ScatterResult r = merge_scatter(scatter_of(a), scatter_of(b));
            const std::size_t n = r.mean.size();
            return std::make_tuple(r.count, to_array(std::move(r.mean), {n}),
                                   to_array(std::move(r.scatter), {n, n}));
        },
        "a"_a, "b"_a, "The centred scatter of two disjoint sets of rows together (Chan et al.).");

    m.def(
        "merge_gram",
        [](const py::object& a, const py::object& b) {
            const FloatArray left = as_float64(a, "a");
            std::vector<double> sum = merge_gram(to_vector(a, "a"), to_vector(b, "b"));
            const std::size_t n = static_cast<std::size_t>(left.shape(0));
            return to_array(std::move(sum), {n, sum.size() / std::max<std::size_t>(1, n)});
        },
        "a"_a, "b"_a, "X.T @ X of two disjoint sets of rows together.");

    m.def(
        "pca_from_scatter",
        [](const ScatterTuple& state, std::size_t k, const std::string& label) {
            PcaResult r = pca_from_scatter(scatter_of(state), k, label);
            const std::size_t n = r.mean.size();
            return std::make_tuple(to_array(std::move(r.mean), {n}),
                                   to_array(std::move(r.components), {k, n}),
                                   to_array(std::move(r.explained_variance), {k}));
        },
        "state"_a, "k"_a, "label"_a,
        "(mean, components (k, n), explained variance (k,)) from the scatter of all rows.");

    m.def(
        "lstsq_state",
        [](const py::object& x, const py::object& y, std::size_t block_rows,
           std::size_t memory_limit, const py::object& progress, std::size_t slab_rows) {
            SourceSpec x_spec(x);
            SourceSpec y_spec(y, /*allow_1d=*/true);
            PythonObserver observer(progress);
            LstsqState state;
            {
                py::gil_scoped_release release;
                auto x_rows = x_spec.open();
                auto y_rows = y_spec.open();
                StreamOptions options = stream_options(block_rows, memory_limit, observer);
                options.lstsq_slab_rows = slab_rows;
                state = lstsq_state(*x_rows, *y_rows, options);
            }
            return lstsq_tuple(std::move(state));
        },
        "x"_a, "y"_a, py::kw_only(), "block_rows"_a = 0, "memory_limit"_a = default_memory_limit,
        "progress"_a = py::none(), "slab_rows"_a = 0,
        "(rows, n, m, L): the streaming QR state of rows of [X | y]; `slab_rows` as for lstsq.");

    m.def(
        "merge_lstsq",
        [](const LstsqTuple& a, const LstsqTuple& b) {
            return lstsq_tuple(merge_lstsq(lstsq_of(a), lstsq_of(b)));
        },
        "a"_a, "b"_a, "The QR state of two disjoint sets of rows together (one more QR).");

    m.def(
        "solve_lstsq",
        [](const LstsqTuple& state, const std::string& x_label, const std::string& y_label) {
            const LstsqState s = lstsq_of(state);
            std::vector<double> coefficients = solve_lstsq(s, x_label, y_label);
            return to_array(std::move(coefficients), {s.n, s.m});
        },
        "state"_a, "x_label"_a, "y_label"_a,
        "Least-squares coefficients (n, m) from the QR state of all rows.");

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
            py::gil_scoped_release release;
            const std::unique_ptr<RowSource> rows = spec.open();
            copy_rows(*rows, out, options);
        },
        "source"_a, "out"_a, py::kw_only(), "block_rows"_a = 0,
        "memory_limit"_a = default_memory_limit, "progress"_a = py::none(),
        "Writes every row of a source into `out`, atomically like matmul.");
}

}  // namespace h5linalg::bindings
