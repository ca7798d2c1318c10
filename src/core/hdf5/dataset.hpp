// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Opening an HDF5 dataset safely: read-only, with clear errors for every way a
// path can be wrong, and refusing by default to follow anything that makes the
// file read bytes from another file (external links, external raw storage,
// virtual datasets). Also the description `h5linalg describe` prints.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/base/element_type.hpp"
#include "core/hdf5/handles.hpp"

namespace h5linalg {

struct OpenOptions {
    /// Follow external links and read external or virtual storage.
    bool allow_external = false;
    /// Open without HDF5's file lock: for a file the caller itself holds open for
    /// writing (an h5py.Dataset passed in), after it has been flushed.
    bool ignore_file_locks = false;
};

/// How the stored numbers reach float64.
struct StoredType {
    std::string name;                    // NumPy-style, e.g. "float32", ">i4", "bool"
    std::optional<ElementType> element;  // set when the type is numeric and supported
    bool swap_bytes = false;             // stored in non-native byte order
    bool raw_readable = false;           // standard layout: read raw bytes, widen ourselves
};

/// One stage of a dataset's filter pipeline, in the order HDF5 applies them on writing.
struct Filter {
    int id = 0;                    // H5Z_filter_t, e.g. H5Z_FILTER_DEFLATE
    std::string name;              // for messages and `describe`, e.g. "shuffle", "gzip(4)"
    std::vector<unsigned> values;  // the client data as stored (gzip: its level)
    bool decodable = true;         // this HDF5 can decode it (a plugin bound if need be)
};

struct DatasetInfo {
    std::string file;
    std::string name;
    std::vector<std::size_t> shape;
    StoredType type;
    std::string layout;                    // "contiguous", "chunked", "compact", "virtual"
    std::vector<std::size_t> chunk_shape;  // empty unless chunked
    std::vector<Filter> filters;           // empty when the data is stored as is
    bool external_storage = false;         // raw data in other files
    std::size_t storage_bytes = 0;         // bytes the data occupies in the file
    std::vector<std::string>
        cf_encoding;  // CF attributes a netCDF reader applies (cf_encoding.hpp)
};

/// An open, validated dataset. Movable, closes itself.
class OpenDataset {
public:
    Hid file;
    Hid dataset;
    DatasetInfo info;
    std::string label() const { return info.file + ":" + info.name; }
};

/// Opens `name` in `path` read-only and describes it. Errors: FileNotFound,
/// IO (not HDF5 / damaged), Key (no such object), Type (a group or named type),
/// Permission (external storage without allow_external). Does not check rank or dtype.
OpenDataset open_dataset(const std::string& path, const std::string& name,
                         const OpenOptions& options);

/// Like open_dataset, then requires a numeric dtype h5linalg can read and a
/// 2-D shape with rows and columns (or 1-D, as one column, when `allow_1d`).
OpenDataset open_matrix(const std::string& path, const std::string& name,
                        const OpenOptions& options, bool allow_1d = false);

/// The description only (for `h5linalg describe`); the file is closed again.
DatasetInfo describe_dataset(const std::string& path, const std::string& name,
                             const OpenOptions& options);

/// An IO error if `path` is a folder, in the same words for inputs and outputs.
void refuse_directory(const std::string& path);

/// One dataset (or a link out of the file) in a file's listing, `h5linalg describe FILE`.
struct ListedDataset {
    std::string name;                   // absolute name in the file
    std::string kind;                   // "dataset", "external link", "user-defined link"
    std::string target;                 // an external link's "file:/object" (never opened)
    bool described = false;             // info and problem are filled in
    DatasetInfo info;                   // empty for links, and a virtual dataset's shape
    std::string problem;                // why h5linalg cannot read it ("" when it can)
    bool needs_allow_external = false;  // it reads another file: never opened here
};

/// The datasets of `path` and its links to other files, by name, without reading any
/// data and without following or opening anything outside the file (soft links are
/// skipped: their targets are listed under their own names). Only the first `limit`
/// entries are described; the rest have a name and a kind only.
std::vector<ListedDataset> list_datasets(const std::string& path, std::size_t limit);

/// "(3, 4)"-style rendering of a shape, as NumPy prints it.
std::string shape_text(const std::vector<std::size_t>& shape);

}  // namespace h5linalg
