// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/hdf5/handles.hpp"

#include "core/base/errors.hpp"

namespace h5linalg {

std::recursive_mutex& hdf5_mutex() {
    static std::recursive_mutex mutex;
    return mutex;
}

Hdf5Lock::Hdf5Lock() : guard_(hdf5_mutex()) {
    // Error printing is per thread in thread-safe builds, so save and restore it
    // around our calls instead of switching it off for the whole process (h5py
    // may share this library inside a conda environment).
    H5Eget_auto2(H5E_DEFAULT, &saved_func_, &saved_data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

Hdf5Lock::~Hdf5Lock() { H5Eset_auto2(H5E_DEFAULT, saved_func_, saved_data_); }

namespace {
herr_t innermost_message(unsigned n, const H5E_error2_t* err, void* client) {
    // The walk goes from the innermost (the root cause) outward; keep the first.
    auto* out = static_cast<std::string*>(client);
    if (n == 0 && err != nullptr && err->desc != nullptr) {
        *out = err->desc;
    }
    return 0;
}
}  // namespace

std::string hdf5_error_detail() {
    std::string message;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_message, &message);
    H5Eclear2(H5E_DEFAULT);
    return message;
}

void Hid::reset() noexcept {
    if (id_ < 0) {
        return;
    }
    Hdf5Lock lock;
    switch (H5Iget_type(id_)) {
        case H5I_FILE: H5Fclose(id_); break;
        case H5I_GROUP: H5Gclose(id_); break;
        case H5I_DATASET: H5Dclose(id_); break;
        case H5I_DATASPACE: H5Sclose(id_); break;
        case H5I_DATATYPE: H5Tclose(id_); break;
        case H5I_GENPROP_LST: H5Pclose(id_); break;
        default: H5Idec_ref(id_); break;
    }
    id_ = H5I_INVALID_HID;
}

Hid checked(hid_t id, const std::string& what) {
    if (id < 0) {
        const std::string detail = hdf5_error_detail();
        fail(ErrorKind::IO, what + (detail.empty() ? "" : " (HDF5: " + detail + ")"));
    }
    return Hid(id);
}

void check_status(herr_t status, const std::string& what) {
    if (status < 0) {
        const std::string detail = hdf5_error_detail();
        fail(ErrorKind::IO, what + (detail.empty() ? "" : " (HDF5: " + detail + ")"));
    }
}

std::size_t open_hdf5_object_count() {
    Hdf5Lock lock;
    const ssize_t count = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
    return count < 0 ? 0 : static_cast<std::size_t>(count);
}

}  // namespace h5linalg
