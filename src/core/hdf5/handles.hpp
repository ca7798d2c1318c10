// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Owning HDF5 identifiers and the one lock that serialises every HDF5 call.
//
// Why a lock of our own: conda-forge and Debian build HDF5 thread-safe, but a
// user may link a build that is not, and even a thread-safe HDF5 runs one call
// at a time behind its own global lock. Serialising our calls here makes the
// core correct on every build and lets the other threads (BLAS, inflating
// chunks) run while one thread does I/O.
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <mutex>
#include <string>
#include <utility>

namespace h5linalg {

/// The process-wide mutex guarding all HDF5 calls made by h5linalg.
std::recursive_mutex& hdf5_mutex();

/// Holds the HDF5 mutex and silences HDF5's automatic error printing while held,
/// so failures become exceptions with a message instead of stack dumps on stderr.
class Hdf5Lock {
public:
    Hdf5Lock();
    ~Hdf5Lock();
    Hdf5Lock(const Hdf5Lock&) = delete;
    Hdf5Lock& operator=(const Hdf5Lock&) = delete;

private:
    std::unique_lock<std::recursive_mutex> guard_;
    H5E_auto2_t saved_func_ = nullptr;
    void* saved_data_ = nullptr;
};

/// The most specific message on the current thread's HDF5 error stack ("" if empty).
/// Call while holding Hdf5Lock, right after the failing call.
std::string hdf5_error_detail();

/// An owning HDF5 identifier (file, group, dataset, dataspace, datatype or
/// property list). Closing takes the HDF5 lock, so handles may be destroyed anywhere.
class Hid {
public:
    Hid() = default;
    explicit Hid(hid_t id) : id_(id) {}
    ~Hid() { reset(); }
    Hid(Hid&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
    Hid& operator=(Hid&& other) noexcept {
        if (this != &other) {
            reset();
            id_ = std::exchange(other.id_, H5I_INVALID_HID);
        }
        return *this;
    }
    Hid(const Hid&) = delete;
    Hid& operator=(const Hid&) = delete;

    hid_t get() const noexcept { return id_; }
    bool valid() const noexcept { return id_ >= 0; }
    void reset() noexcept;

private:
    hid_t id_ = H5I_INVALID_HID;
};

/// Wraps a freshly returned identifier; throws an IO error naming `what` if it is invalid.
Hid checked(hid_t id, const std::string& what);

/// Throws an IO error naming `what` if an HDF5 status is negative.
void check_status(herr_t status, const std::string& what);

/// Number of HDF5 objects (files, datasets, ...) h5linalg's HDF5 library holds open.
/// Used by tests to prove that interrupted runs leave nothing open.
std::size_t open_hdf5_object_count();

}  // namespace h5linalg
