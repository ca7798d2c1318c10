// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Core errors become the built-in Python exceptions a NumPy or h5py user
// expects; rank-deficient least squares becomes numpy.linalg.LinAlgError.
#include "bindings/bindings.hpp"
#include "core/errors.hpp"

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

}  // namespace

void register_errors(py::module_& /*m*/) {
    py::register_exception_translator([](std::exception_ptr pointer) {
        try {
            if (pointer) {
                std::rethrow_exception(pointer);
            }
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
