// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// The partial states, bound as classes of _core: what the kernels moments,
// scatter, gram and lstsq_state return, what the merges of
// register_partials.cpp take and give, and what h5linalg.distributed's tasks
// pass between Dask's workers as they are. Each pickles as a tuple of scalars
// and NumPy arrays:
//   MomentsState  (count, mean, m2, min, max)
//   ScatterState  (count, mean, scatter)
//   GramState     (gram,)                  X^T X
//   LstsqState    (rows, n, m, factor)     factor: the (n+m) x (n+m) L, L L^T = A^T A
// The arrays a state gives (its fields, its pickled tuple) are views of its own
// memory: no copy, and each keeps the state alive.
#include <string>

#include "bindings/bindings.hpp"
#include "core/base/errors.hpp"
#include "core/kernels/gram.hpp"
#include "core/kernels/lstsq.hpp"
#include "core/kernels/moments.hpp"

namespace h5linalg::bindings {

namespace {

using Shape = std::vector<std::size_t>;

// What each state pickles as (the stubs show their items).
using MomentsTuple = py::typing::Tuple<py::int_, FloatArray, FloatArray, FloatArray, FloatArray>;
using ScatterTuple = py::typing::Tuple<py::int_, FloatArray, FloatArray>;
using GramTuple = py::typing::Tuple<FloatArray>;
using LstsqTuple = py::typing::Tuple<py::int_, py::int_, py::int_, FloatArray>;

/// A read-only field `name` of `State`: `state.*field` as a NumPy view of `shape(state)`.
template <typename State, typename ShapeOf>
void def_array(py::class_<State>& cls, const char* name, std::vector<double> State::* field,
               ShapeOf shape, const char* doc) {
    cls.def_property_readonly(
        name,
        [field, shape](const py::object& self) {
            const State& state = self.cast<const State&>();
            return view_of(self, state.*field, shape(state));
        },
        doc);
}

/// The fields of a pickled state, checked: `size` items.
void check_items(const py::tuple& items, std::size_t size, const std::string& state) {
    if (items.size() != size) {
        fail(ErrorKind::Value, "a pickled " + state + " has " + std::to_string(items.size()) +
                                   " items, not " + std::to_string(size));
    }
}

/// `values` of an unpickled state, checked: `size` numbers.
void check_size(const std::vector<double>& values, std::size_t size, const std::string& what) {
    if (values.size() != size) {
        fail(ErrorKind::Value, "a pickled state's " + what + " has " +
                                   std::to_string(values.size()) + " values, not " +
                                   std::to_string(size));
    }
}

Shape moments_shape(const MomentsResult& s) { return {s.mean.size()}; }

void register_moments_state(py::module_& m) {
    py::class_<MomentsResult> cls(
        m, "MomentsState",
        "count, mean, sum of squared deviations (m2), min and max of each column of some rows.");
    cls.def_readonly("count", &MomentsResult::count);
    def_array(cls, "mean", &MomentsResult::mean, moments_shape, "The mean of each column.");
    def_array(cls, "m2", &MomentsResult::m2, moments_shape, "The sum of squared deviations.");
    def_array(cls, "min", &MomentsResult::min, moments_shape, "The least value (NaN with a NaN).");
    def_array(cls, "max", &MomentsResult::max, moments_shape,
              "The greatest value (NaN with a NaN).");
    cls.def(py::pickle(
        [](const py::object& self) {
            const auto& s = self.cast<const MomentsResult&>();
            return MomentsTuple(py::make_tuple(s.count, view_of(self, s.mean, moments_shape(s)),
                                               view_of(self, s.m2, moments_shape(s)),
                                               view_of(self, s.min, moments_shape(s)),
                                               view_of(self, s.max, moments_shape(s))));
        },
        [](const MomentsTuple& items) {
            check_items(items, 5, "MomentsState");
            MomentsResult s;
            s.count = items[0].cast<std::size_t>();
            s.mean = to_vector(items[1], "mean");
            s.m2 = to_vector(items[2], "m2");
            s.min = to_vector(items[3], "min");
            s.max = to_vector(items[4], "max");
            check_size(s.m2, s.mean.size(), "m2");
            check_size(s.min, s.mean.size(), "min");
            check_size(s.max, s.mean.size(), "max");
            return s;
        }));
}

Shape scatter_mean_shape(const ScatterResult& s) { return {s.mean.size()}; }
Shape scatter_shape(const ScatterResult& s) { return {s.mean.size(), s.mean.size()}; }

void register_scatter_state(py::module_& m) {
    py::class_<ScatterResult> cls(
        m, "ScatterState", "count, mean and centred scatter matrix of the columns of some rows.");
    cls.def_readonly("count", &ScatterResult::count);
    def_array(cls, "mean", &ScatterResult::mean, scatter_mean_shape,
              "The mean of each column (n,).");
    def_array(cls, "scatter", &ScatterResult::scatter, scatter_shape,
              "The centred scatter matrix (n, n): covariance = scatter / (count - ddof).");
    cls.def(py::pickle(
        [](const py::object& self) {
            const auto& s = self.cast<const ScatterResult&>();
            return ScatterTuple(py::make_tuple(s.count,
                                               view_of(self, s.mean, scatter_mean_shape(s)),
                                               view_of(self, s.scatter, scatter_shape(s))));
        },
        [](const ScatterTuple& items) {
            check_items(items, 3, "ScatterState");
            ScatterResult s;
            s.count = items[0].cast<std::size_t>();
            s.mean = to_vector(items[1], "mean");
            s.scatter = to_vector(items[2], "scatter");
            check_size(s.scatter, s.mean.size() * s.mean.size(), "scatter");
            return s;
        }));
}

Shape gram_shape(const GramState& s) { return {s.n, s.n}; }

void register_gram_state(py::module_& m) {
    py::class_<GramState> cls(m, "GramState", "X.T @ X of some rows.");
    def_array(cls, "gram", &GramState::gram, gram_shape, "X.T @ X (n, n).");
    cls.def(py::pickle(
        [](const py::object& self) {
            const auto& s = self.cast<const GramState&>();
            return GramTuple(py::make_tuple(view_of(self, s.gram, gram_shape(s))));
        },
        [](const GramTuple& items) {
            check_items(items, 1, "GramState");
            const FloatArray gram = as_float64(items[0], "gram");
            GramState s;
            s.n = static_cast<std::size_t>(gram.shape(0));
            s.gram = to_vector(gram, "gram");
            check_size(s.gram, s.n * s.n, "gram");
            return s;
        }));
}

Shape factor_of(const LstsqState& s) { return {s.n + s.m, s.n + s.m}; }

void register_lstsq_state(py::module_& m) {
    py::class_<LstsqState> cls(m, "LstsqState", "The streaming QR state of some rows of [X | y].");
    cls.def_readonly("rows", &LstsqState::rows);
    cls.def_readonly("n", &LstsqState::n, "Columns of X.");
    cls.def_readonly("m", &LstsqState::m, "Columns of y.");
    def_array(cls, "factor", &LstsqState::l, factor_of,
              "L, (n + m, n + m): L @ L.T = A.T @ A for A = [X | y].");
    cls.def(py::pickle(
        [](const py::object& self) {
            const auto& s = self.cast<const LstsqState&>();
            return LstsqTuple(py::make_tuple(s.rows, s.n, s.m, view_of(self, s.l, factor_of(s))));
        },
        [](const LstsqTuple& items) {
            check_items(items, 4, "LstsqState");
            LstsqState s;
            s.rows = items[0].cast<std::size_t>();
            s.n = items[1].cast<std::size_t>();
            s.m = items[2].cast<std::size_t>();
            s.l = to_vector(items[3], "factor");
            check_size(s.l, (s.n + s.m) * (s.n + s.m), "factor");
            return s;
        }));
}

}  // namespace

void register_states(py::module_& m) {
    register_moments_state(m);
    register_scatter_state(m);
    register_gram_state(m);
    register_lstsq_state(m);
}

}  // namespace h5linalg::bindings
