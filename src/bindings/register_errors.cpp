// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Core errors become the built-in Python exceptions a NumPy or h5py user
// expects; rank-deficient least squares becomes numpy.linalg.LinAlgError.
#include "bindings/bindings.hpp"
#include "core/base/errors.hpp"
#include "core/hdf5/dataset.hpp"

namespace h5linalg::bindings {

namespace {

PyObject* exception_type(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::FileNotFound: return PyExc_FileNotFoundError;
        case ErrorKind::FileExists: return PyExc_FileExistsError;
        case ErrorKind::IO: return PyExc_OSError;
        case ErrorKind::Key: return PyExc_KeyError;
        case ErrorKind::Type: return PyExc_TypeError;
        case ErrorKind::Value: return PyExc_ValueError;
        case ErrorKind::Permission: return PyExc_PermissionError;
        case ErrorKind::Memory: return PyExc_MemoryError;
        case ErrorKind::LinAlg: return nullptr;  // numpy.linalg.LinAlgError, looked up below
        case ErrorKind::Runtime: return PyExc_RuntimeError;
    }
    return PyExc_RuntimeError;
}

/// The message of a MissingDataset, with the file's closest dataset names
/// (difflib.get_close_matches, as Python itself suggests names) when it has any.
std::string with_suggestions(const MissingDataset& error) {
    std::string message = error.what();
    try {
        py::list names;
        for (const ListedDataset& entry : list_datasets(error.path(), 0)) {
            names.append(entry.name);
        }
        const py::list close =
            py::module_::import("difflib").attr("get_close_matches")(error.name(), names, 3);
        if (close.empty()) {
            return message;
        }
        message += "; did you mean ";
        for (std::size_t i = 0; i < close.size(); ++i) {
            if (i > 0) {
                message += i + 1 == close.size() ? " or " : ", ";
            }
            message += "'" + close[i].cast<std::string>() + "'";
        }
        return message + "?";
    } catch (const std::exception&) {  // py::error_already_set too
        return message;  // a file that cannot be listed: the plain message says enough
    }
}

}  // namespace

void register_errors(py::module_& /*m*/) {
    py::register_exception_translator([](std::exception_ptr pointer) {
        try {
            if (pointer) {
                std::rethrow_exception(pointer);
            }
        } catch (const MissingDataset& error) {
            PyErr_SetString(PyExc_KeyError, with_suggestions(error).c_str());
        } catch (const Error& error) {
            PyObject* type = exception_type(error.kind());
            if (type == nullptr) {
                const py::object linalg_error =
                    py::module_::import("numpy.linalg").attr("LinAlgError");
                PyErr_SetString(linalg_error.ptr(), error.what());
                return;
            }
            PyErr_SetString(type, error.what());
        }
    });
}

}  // namespace h5linalg::bindings
