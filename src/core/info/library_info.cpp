// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/info/library_info.hpp"

#include <hdf5.h>
#include <zlib.h>

#include "core/base/thread_pool.hpp"
#include "core/hdf5/chunk_codecs.hpp"
#include "core/hdf5/handles.hpp"

namespace h5linalg {

namespace {

std::string compiler_name() {
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#elif defined(_MSC_VER)
    return "msvc " + std::to_string(_MSC_VER);
#else
    return "unknown";
#endif
}

}  // namespace

LibraryInfo library_info() {
    LibraryInfo info;
    info.hdf5_built = std::to_string(H5_VERS_MAJOR) + "." + std::to_string(H5_VERS_MINOR) + "." +
                      std::to_string(H5_VERS_RELEASE);
    unsigned major = 0, minor = 0, release = 0;
    hbool_t threadsafe = false;
    {
        Hdf5Lock lock;
        H5get_libversion(&major, &minor, &release);
        H5is_library_threadsafe(&threadsafe);
    }
    info.hdf5_running =
        std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
    info.hdf5_threadsafe = threadsafe;
    info.zlib_built = ZLIB_VERSION;
    info.zlib_running = zlibVersion();
    info.gzip_inflate = gzip_inflater();
    info.codecs = parallel_codecs();
    info.compiler = compiler_name();
    info.worker_threads = static_cast<unsigned>(worker_thread_count());
    return info;
}

}  // namespace h5linalg
