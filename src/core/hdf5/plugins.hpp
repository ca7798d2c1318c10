// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// HDF5 filter plugins from a folder (the hdf5plugin package's), bound to the
// HDF5 library h5linalg itself links.
//
// Why not HDF5_PLUGIN_PATH: hdf5plugin's plugins resolve the HDF5 functions
// they call (error reporting, filter parameters) at run time, from the library
// named to their `init_filter` entry point, and hold that binding in their
// own static state. A process can hold two HDF5 libraries (h5py bundles its
// own, and hdf5plugin binds the plugins to it), and one loaded plugin can be
// bound to one of them only. So h5linalg loads a private copy of each plugin
// it needs, binds it to its own HDF5 and registers its filter there: h5py's
// copy stays bound to h5py's HDF5.
#pragma once

#include <string>
#include <vector>

namespace h5linalg {

struct PluginFilter {
    int id = 0;
    std::string name;
    std::string file;    // the plugin library in the folder
    bool bound = false;  // a private copy is registered with h5linalg's HDF5
};

struct PluginFolder {
    std::string folder;
    std::string hdf5_library;  // the HDF5 library plugins are bound to
    std::vector<PluginFilter> filters;
    std::vector<std::string> skipped;  // "file: why" for files that are no usable plugin
};

/// Makes the plugins of `folder` available to open_dataset(): the first time a
/// dataset needs a filter this HDF5 cannot decode (built in, registered, or
/// found on HDF5_PLUGIN_PATH, which so keeps precedence), provide_filter()
/// binds the folder's plugin for it.
void use_plugin_folder(const std::string& folder);

/// Binds and registers the plugin for filter `id` from the folder of
/// use_plugin_folder(); true if the filter is now registered.
bool provide_filter(int id);

/// What the folder of use_plugin_folder() holds and which filters are bound
/// (empty folder if none was given).
PluginFolder plugin_folder_report();

/// HDF5's plugin search path, in search order.
std::vector<std::string> plugin_search_path();

/// Whether h5linalg's HDF5 library can decode filter `id` now (loading a
/// plugin from the search path if it needs one).
bool filter_available(int id);

}  // namespace h5linalg
