// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// What the core was built against and what it runs with, for `show_config()`
// and for bug reports (as h5py's version.info does).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace h5linalg {

struct LibraryInfo {
    std::string hdf5_built;    // from the headers at compile time
    std::string hdf5_running;  // from the loaded library
    bool hdf5_threadsafe = false;
    std::string zlib_built;
    std::string zlib_running;
    std::string gzip_inflate;  // what inflates gzip chunks: gzip_inflater() in chunk_codecs.hpp
    // Each codec decoded on worker threads and the library that does it, with its
    // version, e.g. {"zstd", "libzstd 1.5.4"} (parallel_codecs() in chunk_codecs.hpp).
    std::vector<std::pair<std::string, std::string>> codecs;
    std::string compiler;
    unsigned worker_threads = 0;
};

LibraryInfo library_info();

}  // namespace h5linalg
