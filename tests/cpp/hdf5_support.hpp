// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Writing small HDF5 test files with the HDF5 C API, and reading them back with
// HDF5's own conversion (the reference the core must match).
#pragma once

#include <hdf5.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/hdf5/handles.hpp"

namespace h5linalg::test {

inline void h5check(herr_t status, const char* what) {
    if (status < 0) {
        throw std::runtime_error(std::string("HDF5 call failed in test setup: ") + what);
    }
}

inline hid_t h5check_id(hid_t id, const char* what) {
    if (id < 0) {
        throw std::runtime_error(std::string("HDF5 call failed in test setup: ") + what);
    }
    return id;
}

/// Test code's owning hid_t: the core's Hid (which closes by type under the HDF5
/// lock), plus a constructor that checks the id and an implicit conversion so a
/// handle can be passed straight to HDF5 calls.
class H5Id : public Hid {
public:
    H5Id() = default;
    explicit H5Id(hid_t id) : Hid(id) {}
    H5Id(hid_t id, const char* what) : Hid(h5check_id(id, what)) {}
    operator hid_t() const { return get(); }  // NOLINT: test convenience
    void close() { reset(); }
};

inline H5Id create_file(const std::string& path) {
    return H5Id(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), "H5Fcreate");
}

inline H5Id open_file(const std::string& path, bool writable = false) {
    return H5Id(H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT),
                "H5Fopen");
}

struct DatasetSpec {
    std::vector<hsize_t> dims;
    std::vector<hsize_t> chunk;    // empty: contiguous (unless maxdims needs chunks)
    std::vector<hsize_t> maxdims;  // empty: fixed size
    bool shuffle = false;
    int gzip = -1;  // level, or -1 for none
    bool fletcher32 = false;
    hid_t file_type = H5T_IEEE_F64LE;
    bool write = true;  // false: create only (nothing written, chunks unallocated)
};

/// Link creation properties that create missing parent groups.
inline H5Id intermediate_groups() {
    H5Id lcpl(H5Pcreate(H5P_LINK_CREATE), "H5Pcreate(lcpl)");
    h5check(H5Pset_create_intermediate_group(lcpl, 1), "H5Pset_create_intermediate_group");
    return lcpl;
}

/// Creates `name` in `file` and writes `data` (in memory type `mem_type`) to it.
inline void write_dataset(hid_t file, const std::string& name, const DatasetSpec& spec,
                          hid_t mem_type, const void* data) {
    const int rank = static_cast<int>(spec.dims.size());
    H5Id space(H5Screate_simple(rank, spec.dims.data(),
                                spec.maxdims.empty() ? nullptr : spec.maxdims.data()),
               "H5Screate_simple");
    H5Id dcpl(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate(dcpl)");
    if (!spec.chunk.empty()) {
        h5check(H5Pset_chunk(dcpl, rank, spec.chunk.data()), "H5Pset_chunk");
    }
    if (spec.fletcher32) {
        h5check(H5Pset_fletcher32(dcpl), "H5Pset_fletcher32");
    }
    if (spec.shuffle) {
        h5check(H5Pset_shuffle(dcpl), "H5Pset_shuffle");
    }
    if (spec.gzip >= 0) {
        h5check(H5Pset_deflate(dcpl, static_cast<unsigned>(spec.gzip)), "H5Pset_deflate");
    }
    H5Id dataset(H5Dcreate2(file, name.c_str(), spec.file_type, space, intermediate_groups(), dcpl,
                            H5P_DEFAULT),
                 "H5Dcreate2");
    if (spec.write && data != nullptr) {
        h5check(H5Dwrite(dataset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "H5Dwrite");
    }
}

template <typename T>
void write_dataset(hid_t file, const std::string& name, const DatasetSpec& spec, hid_t mem_type,
                   const std::vector<T>& data) {
    write_dataset(file, name, spec, mem_type, static_cast<const void*>(data.data()));
}

/// A 2-D float64 dataset in a new file of its own.
inline void write_matrix_file(const std::string& path, const std::string& name,
                              const std::vector<double>& data, hsize_t rows, hsize_t cols,
                              DatasetSpec spec = {}) {
    H5Id file = create_file(path);
    spec.dims = {rows, cols};
    write_dataset(file, name, spec, H5T_NATIVE_DOUBLE, data);
}

/// The whole dataset as float64, converted by HDF5 itself.
inline std::vector<double> h5dread_all(const std::string& path, const std::string& name) {
    H5Id file = open_file(path);
    H5Id dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT), "H5Dopen2");
    H5Id space(H5Dget_space(dataset), "H5Dget_space");
    const hssize_t count = H5Sget_simple_extent_npoints(space);
    std::vector<double> out(static_cast<std::size_t>(std::max<hssize_t>(count, 0)));
    if (!out.empty()) {
        h5check(H5Dread(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()),
                "H5Dread");
    }
    return out;
}

inline std::vector<hsize_t> dataset_dims(const std::string& path, const std::string& name) {
    H5Id file = open_file(path);
    H5Id dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT), "H5Dopen2");
    H5Id space(H5Dget_space(dataset), "H5Dget_space");
    const int rank = H5Sget_simple_extent_ndims(space);
    std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    return dims;
}

/// IEEE binary16 in the given byte order, as h5py defines float16.
inline H5Id float16_type(bool big_endian) {
    H5Id type(H5Tcopy(H5T_IEEE_F32LE), "H5Tcopy");
    h5check(H5Tset_fields(type, 15, 10, 5, 0, 10), "H5Tset_fields");
    h5check(H5Tset_size(type, 2), "H5Tset_size");
    h5check(H5Tset_precision(type, 16), "H5Tset_precision");
    h5check(H5Tset_ebias(type, 15), "H5Tset_ebias");
    h5check(H5Tset_order(type, big_endian ? H5T_ORDER_BE : H5T_ORDER_LE), "H5Tset_order");
    return type;
}

inline herr_t collect_link(hid_t, const char* name, const H5L_info_t* info, void* out) {
    auto* names = static_cast<std::vector<std::string>*>(out);
    std::string entry = name;
    if (info->type == H5L_TYPE_SOFT) {
        entry += " (soft)";
    } else if (info->type == H5L_TYPE_EXTERNAL) {
        entry += " (external)";
    }
    names->push_back(entry);
    return 0;
}

/// Every link in the file (recursively), sorted.
inline std::vector<std::string> all_links(const std::string& path) {
    H5Id file = open_file(path);
    std::vector<std::string> names;
    h5check(H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, collect_link, &names), "H5Lvisit");
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace h5linalg::test
