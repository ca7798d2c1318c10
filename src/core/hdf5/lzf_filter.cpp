// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/hdf5/lzf_filter.hpp"

#include <hdf5.h>

#include <cerrno>
#include <climits>
#include <cstddef>

#ifdef H5LINALG_HAVE_LZF
#include <lzf.h>
#endif

namespace h5linalg {

#ifdef H5LINALG_HAVE_LZF
namespace {

constexpr H5Z_filter_t filter_lzf = 32000;

/// HDF5's filter callback, decoding only (h5linalg writes no LZF). h5py's filter
/// records the chunk size as parameter 2; older files lack it, and then the
/// output buffer grows until the stream fits, as h5py's own filter does.
/// Returns 0 (HDF5's "filter failed") on damaged data.
std::size_t lzf_filter(unsigned flags, std::size_t nvalues, const unsigned values[],
                       std::size_t nbytes, std::size_t* buf_size, void** buf) {
    if ((flags & H5Z_FLAG_REVERSE) == 0 || nbytes == 0 || nbytes > UINT_MAX) {
        return 0;
    }
    std::size_t size = nvalues >= 3 && values[2] > 0 ? values[2] : *buf_size;
    while (size > 0 && size <= UINT_MAX) {
        void* out = H5allocate_memory(size, false);
        if (out == nullptr) {
            return 0;
        }
        errno = 0;
        const unsigned produced =
            lzf_decompress(*buf, static_cast<unsigned>(nbytes), out, static_cast<unsigned>(size));
        if (produced > 0) {
            H5free_memory(*buf);
            *buf = out;
            *buf_size = size;
            return produced;
        }
        H5free_memory(out);
        if (errno != E2BIG) {
            return 0;  // damaged
        }
        size *= 2;
    }
    return 0;
}

}  // namespace
#endif

bool provide_lzf_filter() {
#ifdef H5LINALG_HAVE_LZF
    if (H5Zfilter_avail(filter_lzf) > 0) {
        return true;
    }
    static const H5Z_class2_t lzf = {
        H5Z_CLASS_T_VERS, filter_lzf, 0,          1, "lzf (h5linalg, decoding only)",
        nullptr,          nullptr,    lzf_filter,
    };
    return H5Zregister(&lzf) >= 0 && H5Zfilter_avail(filter_lzf) > 0;
#else
    return false;
#endif
}

}  // namespace h5linalg
