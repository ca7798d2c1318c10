// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// The error type of the C++ core. Each error carries a kind that the Python
// bindings map to the matching built-in exception (FileNotFoundError,
// KeyError, TypeError, ...), so the core stays free of Python while users still
// get the exception they would expect from NumPy or h5py.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace h5linalg {

enum class ErrorKind {
    FileNotFound,  // a path that does not exist
    FileExists,    // an output that exists and may not be overwritten
    IO,            // not HDF5, damaged, unreadable, or a failed write
    Key,           // a dataset name that is not in the file
    Type,          // wrong object kind or unsupported dtype
    Value,         // bad shape, bad option, non-finite input where finite is required
    Permission,    // reading through external storage without allow_external
    Memory,        // a request that cannot fit in the memory limit
    LinAlg,        // rank-deficient least squares and similar
    Runtime,       // anything else (a bug, or a library failing unexpectedly)
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    ErrorKind kind() const noexcept { return kind_; }

private:
    ErrorKind kind_;
};

[[noreturn]] inline void fail(ErrorKind kind, const std::string& message) {
    throw Error(kind, message);
}

/// A Key error for a dataset name that is not in a file, naming both, so that the
/// bindings can suggest the file's closest dataset names ("did you mean ...?").
class MissingDataset : public Error {
public:
    MissingDataset(const std::string& message, std::string path, std::string name)
        : Error(ErrorKind::Key, message), path_(std::move(path)), name_(std::move(name)) {}
    const std::string& path() const noexcept { return path_; }
    const std::string& name() const noexcept { return name_; }

private:
    std::string path_;
    std::string name_;
};

}  // namespace h5linalg
