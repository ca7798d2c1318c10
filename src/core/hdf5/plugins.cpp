// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/hdf5/plugins.hpp"

#include <H5PLextern.h>
#include <hdf5.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <system_error>

#include "core/base/errors.hpp"
#include "core/hdf5/handles.hpp"

#if !defined(_WIN32)
#include <dlfcn.h>
#include <unistd.h>
#endif

namespace h5linalg {

namespace {

struct State {
    std::mutex mutex;
    PluginFolder folder;
    bool indexed = false;
};

State& state() {
    static State instance;
    return instance;
}

#if !defined(_WIN32)
using PluginType = H5PL_type_t (*)();
using PluginInfo = const void* (*)();
using InitFilter = int (*)(const char*);

/// The file of the HDF5 library this module's HDF5 calls go to.
std::string own_hdf5_library() {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&H5open), &info) == 0 || info.dli_fname == nullptr) {
        return {};
    }
    // A wheel's copy is found through RUNPATH $ORIGIN/../h5linalg.libs: report the
    // file itself, as /proc/self/maps and ldd name it.
    std::error_code error;
    const std::filesystem::path file = std::filesystem::weakly_canonical(info.dli_fname, error);
    return error ? std::string(info.dli_fname) : file.string();
}

bool is_shared_library(const std::filesystem::path& path) {
    const std::string name = path.filename().string();
    return name.find(".so") != std::string::npos || path.extension() == ".dylib";
}

/// The filter class a loaded plugin describes, or nullptr (with `why`).
const H5Z_class2_t* filter_class_of(void* handle, std::string& why) {
    auto type = reinterpret_cast<PluginType>(dlsym(handle, "H5PLget_plugin_type"));
    auto info = reinterpret_cast<PluginInfo>(dlsym(handle, "H5PLget_plugin_info"));
    if (type == nullptr || info == nullptr || type() != H5PL_TYPE_FILTER) {
        why = "not an HDF5 filter plugin";
        return nullptr;
    }
    const auto* filter_class = static_cast<const H5Z_class2_t*>(info());
    if (filter_class == nullptr) {
        why = "H5PLget_plugin_info() returned nothing";
    }
    return filter_class;
}

/// Which filter each plugin of the folder provides. Reading the description
/// runs no code of the plugin's that depends on its binding, and the library is
/// closed again: only the plugins a dataset needs stay loaded (as copies).
void index_folder(PluginFolder& folder) {
    folder.hdf5_library = own_hdf5_library();
    std::vector<std::filesystem::path> files;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(folder.folder, error)) {
        if (entry.is_regular_file() && is_shared_library(entry.path())) {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        std::string why;
        void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
        const H5Z_class2_t* filter_class = nullptr;
        if (handle == nullptr) {
            const char* message = dlerror();
            why = message != nullptr ? message : "cannot be loaded";
        } else {
            filter_class = filter_class_of(handle, why);
        }
        if (filter_class == nullptr) {
            folder.skipped.push_back(file.filename().string() + ": " + why);
        } else {
            PluginFilter filter;
            filter.id = static_cast<int>(filter_class->id);
            filter.name = filter_class->name != nullptr ? filter_class->name : "";
            filter.file = file.string();
            folder.filters.push_back(filter);
        }
        if (handle != nullptr) {
            dlclose(handle);
        }
    }
}

/// Loads a private copy of `filter`'s plugin (a copy has static state of its
/// own), binds it to `hdf5` and registers its filter with that library.
void bind_copy(PluginFilter& filter, const std::string& hdf5) {
    std::string copy = (std::filesystem::temp_directory_path() / "h5linalg-plugin-XXXXXX").string();
    const int descriptor = mkstemp(copy.data());
    if (descriptor < 0) {
        fail(ErrorKind::IO, "cannot create a temporary copy of the plugin " + filter.file);
    }
    close(descriptor);
    std::error_code error;
    std::filesystem::copy_file(filter.file, copy, std::filesystem::copy_options::overwrite_existing,
                               error);
    // Kept loaded for the life of the process; the file itself is not needed
    // once it is mapped, so nothing is left behind.
    void* handle = error ? nullptr : dlopen(copy.c_str(), RTLD_NOW | RTLD_LOCAL);
    const char* message = handle == nullptr ? dlerror() : nullptr;
    std::filesystem::remove(copy, error);
    if (handle == nullptr) {
        fail(ErrorKind::IO, "cannot load a copy of the plugin " + filter.file + ": " +
                                (message != nullptr ? message : "copy failed"));
    }
    if (auto init = reinterpret_cast<InitFilter>(dlsym(handle, "init_filter"))) {
        if (init(hdf5.c_str()) < 0) {
            fail(ErrorKind::IO, "the plugin " + filter.file + " refused to bind to " + hdf5);
        }
    }
    std::string why;
    const H5Z_class2_t* filter_class = filter_class_of(handle, why);
    if (filter_class == nullptr) {
        fail(ErrorKind::IO, "the copy of the plugin " + filter.file + " is " + why);
    }
    Hdf5Lock lock;
    check_status(H5Zregister(filter_class), "cannot register the filter of " + filter.file);
    filter.bound = true;
}
#endif

}  // namespace

void use_plugin_folder(const std::string& folder) {
    State& s = state();
    const std::lock_guard<std::mutex> guard(s.mutex);
    s.folder = PluginFolder{};
    s.folder.folder = folder;
    s.indexed = false;
}

bool provide_filter(int id) {
#if defined(_WIN32)
    // Binding needs LoadLibrary/GetProcAddress counterparts of the code above,
    // not written yet: on Windows, HDF5_PLUGIN_PATH is the way.
    (void)id;
    return false;
#else
    State& s = state();
    const std::lock_guard<std::mutex> guard(s.mutex);
    if (s.folder.folder.empty()) {
        return false;
    }
    if (!s.indexed) {
        index_folder(s.folder);
        s.indexed = true;
    }
    for (PluginFilter& filter : s.folder.filters) {
        if (filter.id == id) {
            if (!filter.bound) {
                bind_copy(filter, s.folder.hdf5_library);
            }
            return true;
        }
    }
    return false;
#endif
}

PluginFolder plugin_folder_report() {
    State& s = state();
    const std::lock_guard<std::mutex> guard(s.mutex);
#if !defined(_WIN32)
    if (!s.folder.folder.empty() && !s.indexed) {
        index_folder(s.folder);
        s.indexed = true;
    }
#else
    if (!s.folder.folder.empty() && s.folder.skipped.empty()) {
        s.folder.skipped.push_back("binding plugins is not implemented on Windows");
    }
#endif
    return s.folder;
}

std::vector<std::string> plugin_search_path() {
    Hdf5Lock lock;
    unsigned count = 0;
    check_status(H5PLsize(&count), "cannot read HDF5's plugin path");
    std::vector<std::string> path;
    for (unsigned i = 0; i < count; ++i) {
        const ssize_t length = H5PLget(i, nullptr, 0);
        if (length < 0) {
            check_status(-1, "cannot read HDF5's plugin path");
        }
        std::string entry(static_cast<std::size_t>(length) + 1, '\0');
        H5PLget(i, entry.data(), entry.size());
        entry.resize(static_cast<std::size_t>(length));
        path.push_back(entry);
    }
    return path;
}

bool filter_available(int id) {
    Hdf5Lock lock;
    return H5Zfilter_avail(static_cast<H5Z_filter_t>(id)) > 0;
}

}  // namespace h5linalg
