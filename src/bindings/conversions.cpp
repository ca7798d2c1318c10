// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// The conversions every binding file shares (declared in bindings.hpp), between
// Python objects and the core: sources (NumPy arrays through NumPy's C API, any
// dtype we can read, either byte order, any strides, read in place; HDF5
// datasets by file and name; stacks of both) and float64 NumPy arrays, in
// (as_float64) and out (to_array, new_array, views of partial states).
#include <algorithm>
#include <optional>

#include "bindings/bindings.hpp"
#include "core/base/errors.hpp"
#include "core/base/memory.hpp"
#include "core/hdf5/source.hpp"
#include "core/rows/array_source.hpp"
#include "core/rows/row_concatenation.hpp"
#include "core/rows/row_range.hpp"

namespace h5linalg::bindings {

namespace {

std::string dtype_text(PyArrayObject* array) {
    return py::str(py::handle(reinterpret_cast<PyObject*>(PyArray_DESCR(array))));
}

std::string shape_text_of(PyArrayObject* array) {
    std::vector<std::size_t> shape;
    for (int i = 0; i < PyArray_NDIM(array); ++i) {
        shape.push_back(static_cast<std::size_t>(PyArray_DIM(array, i)));
    }
    return shape_text(shape);
}

/// The element type of a NumPy dtype we can read, or throws a TypeError naming it.
ElementType element_of(PyArrayObject* array) {
    PyArray_Descr* descr = PyArray_DESCR(array);
    const std::size_t size = static_cast<std::size_t>(PyArray_ITEMSIZE(array));
    const char kind = descr->kind;
    const int type_num = descr->type_num;
    std::optional<ElementType> element;
    // long double is refused whatever its size (8 bytes with MSVC): NumPy keeps it
    // apart from float64, and so does h5linalg, on every platform alike.
    if (kind == 'f' && type_num != NPY_LONGDOUBLE) {
        element = element_type_of(NumberKind::Float, size);
    } else if (kind == 'i' || kind == 'u') {
        element = element_type_of(
            kind == 'i' ? NumberKind::SignedInteger : NumberKind::UnsignedInteger, size);
    }
    if (element) {
        return *element;
    }
    fail(ErrorKind::Type, "the array has dtype " + dtype_text(array) +
                              (type_num == NPY_LONGDOUBLE ? " (long double)" : "") +
                              ", which h5linalg cannot use; it needs integer or floating-point "
                              "data (computed in float64)");
}

}  // namespace

SourceSpec::SourceSpec(const py::object& obj, bool allow_1d) : allow_1d_(allow_1d) {
    if (py::isinstance<py::list>(obj)) {
        for (const py::handle item : obj.cast<py::list>()) {
            if (py::isinstance<py::list>(item)) {
                fail(ErrorKind::Type, "internal error: a stack of sources cannot hold a stack");
            }
            parts_.emplace_back(py::reinterpret_borrow<py::object>(item), allow_1d);
        }
        if (parts_.empty()) {
            fail(ErrorKind::Value, "internal error: an empty stack of sources reached _core");
        }
        return;
    }
    if (py::isinstance<DatasetRef>(obj)) {
        dataset_ = std::make_unique<DatasetRef>(obj.cast<DatasetRef>());
        return;
    }
    if (!PyArray_Check(obj.ptr())) {
        fail(ErrorKind::Type,
             "internal error: a source must reach _core as a NumPy array, a "
             "DatasetRef or a list of them");
    }
    auto* array = reinterpret_cast<PyArrayObject*>(obj.ptr());
    const int ndim = PyArray_NDIM(array);
    if (!(ndim == 2 || (allow_1d && ndim == 1))) {
        fail(ErrorKind::Value, "the array has shape " + shape_text_of(array) +
                                   "; h5linalg needs a 2-D array (rows, columns)" +
                                   (allow_1d ? " or a 1-D one" : ""));
    }
    element_ = static_cast<int>(element_of(array));
    vector_ = ndim == 1;
    rows_ = static_cast<std::size_t>(PyArray_DIM(array, 0));
    cols_ = ndim == 2 ? static_cast<std::size_t>(PyArray_DIM(array, 1)) : 1;
    if (rows_ == 0) {
        fail(ErrorKind::Value, "the array has shape " + shape_text_of(array) + ": it has no rows");
    }
    if (cols_ == 0) {
        fail(ErrorKind::Value,
             "the array has shape " + shape_text_of(array) + ": it has no columns");
    }
    row_stride_ = PyArray_STRIDE(array, 0);
    col_stride_ = ndim == 2 ? PyArray_STRIDE(array, 1) : 0;
    data_ = static_cast<const char*>(PyArray_DATA(array));
    swap_bytes_ = !PyArray_ISNOTSWAPPED(array);
    keep_alive_ = obj;
}

std::unique_ptr<RowSource> SourceSpec::open() const {
    if (parts_.empty()) {
        return open_part();
    }
    std::vector<RowConcatenation::Opener> openers;
    for (const SourceSpec& part : parts_) {
        openers.emplace_back([&part] { return part.open_part(); });
    }
    auto stack = std::make_unique<RowConcatenation>(std::move(openers));
    // Every part has been opened once by now, so each knows its rank.
    vector_ = std::all_of(parts_.begin(), parts_.end(),
                          [](const SourceSpec& part) { return part.vector_; });
    return stack;
}

std::unique_ptr<RowSource> SourceSpec::open_part() const {
    if (dataset_) {
        auto source = std::make_unique<Hdf5Source>(
            open_matrix(dataset_->path, dataset_->name, dataset_->options, allow_1d_),
            dataset_->parallel_inflate);
        vector_ = source->info().shape.size() == 1;
        if (dataset_->count > 0) {
            return std::make_unique<RowRange>(std::move(source), dataset_->first, dataset_->count);
        }
        return source;
    }
    StridedArray array;
    array.data = data_;
    array.rows = rows_;
    array.cols = cols_;
    array.row_stride = row_stride_;
    array.col_stride = col_stride_;
    array.type = static_cast<ElementType>(element_);
    array.swap_bytes = swap_bytes_;
    return std::make_unique<ArraySource>(array);
}

FloatArray new_array(const std::vector<std::size_t>& shape) {
    std::vector<npy_intp> dims(shape.begin(), shape.end());
    PyObject* array = PyArray_SimpleNew(static_cast<int>(dims.size()), dims.data(), NPY_DOUBLE);
    if (array == nullptr) {
        throw py::error_already_set();
    }
    return py::reinterpret_steal<FloatArray>(array);
}

double* array_data(const FloatArray& array) {
    return static_cast<double*>(PyArray_DATA(reinterpret_cast<PyArrayObject*>(array.ptr())));
}

FloatArray to_array(std::vector<double> values, const std::vector<std::size_t>& shape) {
    if (values.empty()) {
        return new_array(shape);
    }
    auto owner = std::make_unique<std::vector<double>>(std::move(values));
    std::vector<npy_intp> dims(shape.begin(), shape.end());
    PyObject* array = PyArray_SimpleNewFromData(static_cast<int>(dims.size()), dims.data(),
                                                NPY_DOUBLE, owner->data());
    if (array == nullptr) {
        throw py::error_already_set();
    }
    // The array keeps the vector alive through a capsule as its base object.
    py::capsule base(owner.get(),
                     [](void* vector) { delete static_cast<std::vector<double>*>(vector); });
    static_cast<void>(owner.release());
    if (PyArray_SetBaseObject(reinterpret_cast<PyArrayObject*>(array), base.release().ptr()) < 0) {
        Py_DECREF(array);
        throw py::error_already_set();
    }
    return py::reinterpret_steal<FloatArray>(array);
}

FloatArray as_float64(const py::object& obj, const std::string& what) {
    py::object array = py::reinterpret_steal<py::object>(PyArray_FROM_O(obj.ptr()));
    if (!array) {
        throw py::error_already_set();
    }
    auto* view = reinterpret_cast<PyArrayObject*>(array.ptr());
    const int ndim = PyArray_NDIM(view);
    if (ndim != 1 && ndim != 2) {
        fail(ErrorKind::Value,
             what + " has shape " + shape_text_of(view) + "; it must be 1-D or 2-D");
    }
    static_cast<void>(element_of(view));  // TypeError for bool, complex, strings, ...
    PyObject* converted =
        PyArray_FROMANY(array.ptr(), NPY_DOUBLE, 1, 2, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED);
    if (converted == nullptr) {
        throw py::error_already_set();
    }
    return py::reinterpret_steal<FloatArray>(converted);
}

std::vector<double> to_vector(const py::object& obj, const std::string& what) {
    const FloatArray array = as_float64(obj, what);
    const double* data = array.data();
    return std::vector<double>(data, data + array.size());
}

FloatArray view_of(py::handle owner, const std::vector<double>& values,
                   const std::vector<std::size_t>& shape) {
    std::vector<py::ssize_t> dims(shape.begin(), shape.end());
    if (values.empty()) {
        return new_array(shape);
    }
    return FloatArray(dims, values.data(), owner);
}

PcaArrays pca_arrays(PcaResult r, std::size_t k) {
    const std::size_t n = r.mean.size();
    return std::make_tuple(to_array(std::move(r.mean), {n}),
                           to_array(std::move(r.components), {k, n}),
                           to_array(std::move(r.explained_variance), {k}));
}

}  // namespace h5linalg::bindings
