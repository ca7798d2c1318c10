// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/hdf5/dataset.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>
#include <utility>

#include "core/base/errors.hpp"
#include "core/hdf5/cf_encoding.hpp"
#include "core/hdf5/layout_check.hpp"
#include "core/hdf5/lzf_filter.hpp"
#include "core/hdf5/plugins.hpp"

namespace h5linalg {

namespace {

std::string in_quotes(const std::string& text) { return "'" + text + "'"; }

bool native_is_little_endian() {
    const std::uint16_t probe = 1;
    unsigned char first;
    std::memcpy(&first, &probe, 1);
    return first == 1;
}

bool swapped(H5T_order_t order) { return (order == H5T_ORDER_BE) == native_is_little_endian(); }

std::string order_suffix(H5T_order_t order) {
    if (order == H5T_ORDER_BE) {
        return native_is_little_endian() ? " (big-endian)" : "";
    }
    if (order == H5T_ORDER_LE) {
        return native_is_little_endian() ? "" : " (little-endian)";
    }
    return "";
}

/// The bit fields of a float type, as H5Tget_fields and H5Tget_ebias give them.
struct FloatFields {
    std::size_t spos, epos, esize, mpos, msize, bias;
    bool operator==(const FloatFields& o) const {
        return spos == o.spos && epos == o.epos && esize == o.esize && mpos == o.mpos &&
               msize == o.msize && bias == o.bias;
    }
};

/// The IEEE 754 fields of a float of `size` bytes (half, single, double), if any.
std::optional<FloatFields> ieee_fields(std::size_t size) {
    switch (size) {
        case 2: return FloatFields{15, 10, 5, 0, 10, 15};
        case 4: return FloatFields{31, 23, 8, 0, 23, 127};
        case 8: return FloatFields{63, 52, 11, 0, 52, 1023};
        default: return std::nullopt;
    }
}

/// True when a float type has the IEEE 754 layout of its size (half, single, double).
bool is_ieee_float(hid_t type, std::size_t size) {
    FloatFields fields{};
    if (H5Tget_fields(type, &fields.spos, &fields.epos, &fields.esize, &fields.mpos,
                      &fields.msize) < 0) {
        return false;
    }
    fields.bias = H5Tget_ebias(type);
    const std::size_t precision = H5Tget_precision(type);
    const int offset = H5Tget_offset(type);
    if (offset != 0 || precision != 8 * size) {
        return false;
    }
    const std::optional<FloatFields> ieee = ieee_fields(size);
    return ieee.has_value() && fields == *ieee;
}

std::string compound_name(hid_t type, std::size_t size) {
    // h5py stores complex numbers as a compound of two floats named "r" and "i".
    if (H5Tget_nmembers(type) == 2 && H5Tget_member_class(type, 0) == H5T_FLOAT &&
        H5Tget_member_class(type, 1) == H5T_FLOAT) {
        return "complex" + std::to_string(size * 8);
    }
    return "compound";
}

std::string enum_name(hid_t type) {
    // h5py stores NumPy bools as an int8 enum {FALSE: 0, TRUE: 1}.
    if (H5Tget_nmembers(type) == 2 && H5Tget_size(type) == 1) {
        char* first = H5Tget_member_name(type, 0);
        char* second = H5Tget_member_name(type, 1);
        const bool is_bool = first != nullptr && second != nullptr &&
                             std::string(first) == "FALSE" && std::string(second) == "TRUE";
        H5free_memory(first);
        H5free_memory(second);
        if (is_bool) {
            return "bool";
        }
    }
    return "enum";
}

bool plain_order(H5T_order_t order) { return order == H5T_ORDER_LE || order == H5T_ORDER_BE; }

StoredType classify_integer(hid_t type, std::size_t size) {
    StoredType stored;
    const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    const H5T_order_t order = H5Tget_order(type);
    stored.name =
        std::string(is_signed ? "int" : "uint") + std::to_string(size * 8) + order_suffix(order);
    const bool plain =
        H5Tget_precision(type) == size * 8 && H5Tget_offset(type) == 0 && plain_order(order);
    if (plain) {
        stored.element = element_type_of(
            is_signed ? NumberKind::SignedInteger : NumberKind::UnsignedInteger, size);
        stored.swap_bytes = stored.element.has_value() && swapped(order);
    }
    stored.raw_readable = stored.element.has_value();
    return stored;
}

StoredType classify_float(hid_t type, std::size_t size) {
    StoredType stored;
    const H5T_order_t order = H5Tget_order(type);
    if (size > 8) {
        stored.name = "longdouble (" + std::to_string(size * 8) + "-bit float)";
        return stored;  // not supported: no element, not numeric
    }
    stored.name = "float" + std::to_string(size * 8) + order_suffix(order);
    if (plain_order(order) && is_ieee_float(type, size)) {
        stored.element = element_type_of(NumberKind::Float, size);
        stored.swap_bytes = swapped(order);
        stored.raw_readable = true;
    } else {
        // An unusual float layout: still numeric, HDF5 converts it for us.
        stored.name += " (non-IEEE layout)";
        stored.element = ElementType::Float64;
        stored.raw_readable = false;
    }
    return stored;
}

std::string string_name(hid_t type, std::size_t size) {
    const htri_t variable = H5Tis_variable_str(type);
    return variable > 0 ? "string (variable-length)"
                        : "string (fixed-length, " + std::to_string(size) + " bytes)";
}

/// The name of a type h5linalg does not read (neither integer nor float).
std::string unreadable_type_name(hid_t type, H5T_class_t cls, std::size_t size) {
    switch (cls) {
        case H5T_ENUM: return enum_name(type);
        case H5T_COMPOUND: return compound_name(type, size);
        case H5T_STRING: return string_name(type, size);
        case H5T_OPAQUE: return "opaque";
        case H5T_BITFIELD: return "bitfield";
        case H5T_REFERENCE: return "reference";
        case H5T_VLEN: return "vlen (variable-length sequence)";
        case H5T_ARRAY: return "array (HDF5 array type)";
        case H5T_TIME: return "time";
        default: return "unknown";
    }
}

StoredType classify_type(hid_t type) {
    const H5T_class_t cls = H5Tget_class(type);
    const std::size_t size = H5Tget_size(type);
    if (cls == H5T_INTEGER) {
        return classify_integer(type, size);
    }
    if (cls == H5T_FLOAT) {
        return classify_float(type, size);
    }
    StoredType stored;
    stored.name = unreadable_type_name(type, cls, size);
    return stored;
}

std::string filter_name(H5Z_filter_t id, const unsigned* values, std::size_t nvalues,
                        const char* hdf5_name) {
    switch (id) {
        case H5Z_FILTER_DEFLATE:
            return "gzip(" + (nvalues > 0 ? std::to_string(values[0]) : std::string("?")) + ")";
        case H5Z_FILTER_SHUFFLE: return "shuffle";
        case H5Z_FILTER_FLETCHER32: return "fletcher32";
        case H5Z_FILTER_SZIP: return "szip";
        case H5Z_FILTER_NBIT: return "nbit";
        case H5Z_FILTER_SCALEOFFSET: return "scaleoffset";
        case 32000: return "lzf";
        case 32001: return "blosc";
        case 32004: return "lz4";
        case 32008: return "bitshuffle";
        case 32015: return "zstd";
        default:
            if (hdf5_name != nullptr && hdf5_name[0] != '\0') {
                return std::string(hdf5_name);
            }
            return "filter " + std::to_string(id);
    }
}

/// Refuses to traverse external links: called by HDF5 before it opens the other file.
/// Records the refusal in `refused` (a bool), so the failing HDF5 call that follows
/// can be reported as a Permission error, wherever the external link was met (also
/// behind a soft link, which walk_links cannot see through).
herr_t refuse_external_link(const char*, const char*, const char*, const char*, unsigned*, hid_t,
                            void* refused) {
    *static_cast<bool*>(refused) = true;
    return -1;
}

[[noreturn]] void fail_external_link(const std::string& what, const std::string& path) {
    fail(ErrorKind::Permission,
         in_quotes(what) + " in " + in_quotes(path) +
             " is or leads through an external link to another file; h5linalg does not follow "
             "links out of the file it was given unless you pass allow_external=True");
}

Hid link_access_plist(const OpenOptions& options, bool* refused) {
    Hid lapl = checked(H5Pcreate(H5P_LINK_ACCESS), "cannot create a link access property list");
    if (options.allow_external) {
        // Files reached through external links are opened read-only too.
        check_status(H5Pset_elink_acc_flags(lapl.get(), H5F_ACC_RDONLY),
                     "cannot configure external links");
    } else {
        check_status(H5Pset_elink_cb(lapl.get(), refuse_external_link, refused),
                     "cannot configure external links");
    }
    return lapl;
}

std::string file_name_of(hid_t object) {
    const ssize_t length = H5Fget_name(object, nullptr, 0);
    if (length <= 0) {
        return {};
    }
    std::string name(static_cast<std::size_t>(length) + 1, '\0');
    H5Fget_name(object, name.data(), name.size());
    name.resize(static_cast<std::size_t>(length));
    return name;
}

/// Checks each link on the way to `name`, so a missing group, a dataset used as a
/// group, or an external link gives a precise error before anything is opened.
void walk_links(hid_t file, const std::string& path, const std::string& name, hid_t lapl,
                const OpenOptions& options, const bool& refused) {
    std::string prefix;
    std::stringstream parts(name);
    std::string part;
    while (std::getline(parts, part, '/')) {
        if (part.empty()) {
            continue;
        }
        const std::string parent = prefix.empty() ? "/" : prefix;
        prefix += "/" + part;
        const htri_t exists = H5Lexists(file, prefix.c_str(), lapl);
        if (exists <= 0) {
            hdf5_error_detail();  // clear the stack; the message below says it all
            if (refused) {
                fail_external_link(prefix, path);
            }
            std::string why;
            if (exists < 0 && parent != "/") {
                why = " (" + in_quotes(parent) + " is not a group)";
            } else if (prefix != name) {
                why = " (no object " + in_quotes(prefix) + ")";
            }
            throw MissingDataset(
                "dataset " + in_quotes(name) + " not found in " + in_quotes(path) + why, path,
                name);
        }
        H5L_info_t link;
        check_status(H5Lget_info(file, prefix.c_str(), &link, lapl),
                     "cannot read link " + in_quotes(prefix) + " in " + in_quotes(path));
        if (link.type != H5L_TYPE_HARD && link.type != H5L_TYPE_SOFT && !options.allow_external) {
            fail_external_link(prefix, path);
        }
    }
}

}  // namespace

std::string shape_text(const std::vector<std::size_t>& shape) {
    std::string text = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        text += (i ? ", " : "") + std::to_string(shape[i]);
    }
    return text + (shape.size() == 1 ? ",)" : ")");
}

void refuse_directory(const std::string& path) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
        fail(ErrorKind::IO, in_quotes(path) + " is a directory, not an HDF5 file");
    }
}

namespace {

/// `path` opened read-only, with the errors every way it can be wrong deserves.
Hid open_file(const std::string& path, const OpenOptions& options) {
    std::error_code error;
    if (!std::filesystem::exists(path, error)) {
        fail(ErrorKind::FileNotFound, "No such file: " + in_quotes(path));
    }
    refuse_directory(path);
    Hid fapl = checked(H5Pcreate(H5P_FILE_ACCESS), "cannot create a file access property list");
#if H5_VERSION_GE(1, 10, 7)
    if (options.ignore_file_locks) {
        check_status(H5Pset_file_locking(fapl.get(), false, true), "cannot disable file locking");
    }
#endif
    hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get());
    const std::string detail = file < 0 ? hdf5_error_detail() : std::string();
    if (file < 0 && options.ignore_file_locks) {
        // Where the caller's h5py shares this HDF5 library (as on conda-forge), the
        // file is already open in it, and HDF5 reuses that open only with the same
        // locking flags: h5py's default ones.
        file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
        H5Eclear2(H5E_DEFAULT);
    }
    if (file < 0) {
        std::string message = "cannot open " + in_quotes(path) +
                              " as an HDF5 file: it is not HDF5, or it is truncated or damaged";
        if (detail.find("lock") != std::string::npos) {
            message = "cannot open " + in_quotes(path) +
                      ": another program holds it open for writing (HDF5 file lock). Close it "
                      "there first, or pass the open h5py.Dataset itself";
        }
        fail(ErrorKind::IO, message + (detail.empty() ? "" : " (HDF5: " + detail + ")"));
    }
    return Hid(file);
}

/// Whether this HDF5 can decode filter `id` (binding a plugin or LZF if need be).
bool filter_decodable(H5Z_filter_t id) {
    return H5Zfilter_avail(id) > 0 || (id == 32000 && provide_lzf_filter()) ||
           (provide_filter(static_cast<int>(id)) && H5Zfilter_avail(id) > 0);
}

/// The storage layout's name: compact, contiguous, chunked, virtual or unknown.
std::string layout_name(hid_t dcpl) {
    switch (H5Pget_layout(dcpl)) {
        case H5D_COMPACT: return "compact";
        case H5D_CONTIGUOUS: return "contiguous";
        case H5D_CHUNKED: return "chunked";
        case H5D_VIRTUAL: return "virtual";
        default: return "unknown";
    }
}

/// Refuses virtual datasets and external storage without allow_external. Returns
/// false when reading the description must stop here (a virtual dataset listed).
bool refuse_outside_storage(const std::string& label, const DatasetInfo& info,
                            const OpenOptions& options, bool listing) {
    if (!options.allow_external && info.layout == "virtual") {
        if (listing) {
            return false;
        }
        fail(ErrorKind::Permission,
             label +
                 " is a virtual dataset, which reads from other datasets and files; "
                 "pass allow_external=True if you trust this file");
    }
    if (!options.allow_external && info.external_storage && !listing) {
        fail(ErrorKind::Permission,
             label +
                 " keeps its raw data in external files (HDF5 external storage); "
                 "pass allow_external=True if you trust this file");
    }
    return true;
}

/// A dataspace's dimensions and maximum dimensions, as HDF5 gives them.
struct Extent {
    std::vector<hsize_t> dims;
    std::vector<hsize_t> maxdims;
};

/// The dataset's extent; its shape also into info.shape.
Extent read_shape(hid_t object, const std::string& label, DatasetInfo& info) {
    Hid space = checked(H5Dget_space(object), "cannot read the shape of " + label);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0) {
        check_status(rank, "cannot read the shape of " + label);
    }
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    std::vector<hsize_t> maxdims(static_cast<std::size_t>(rank));
    if (rank > 0) {
        check_status(H5Sget_simple_extent_dims(space.get(), dims.data(), maxdims.data()),
                     "cannot read the shape of " + label);
    }
    info.shape.assign(dims.begin(), dims.end());
    return {std::move(dims), std::move(maxdims)};
}

/// HDF5 never writes a shape beyond its fixed maximum; 1.14 refuses such a
/// dataspace when opening, 1.10 does not (and h5linalg would stream, say, 2**62
/// rows of fill values).
void check_shape_within_maximum(const std::string& label, const DatasetInfo& info,
                                const Extent& extent) {
    for (std::size_t i = 0; i < extent.dims.size(); ++i) {
        if (extent.maxdims[i] != H5S_UNLIMITED && extent.dims[i] > extent.maxdims[i]) {
            fail(ErrorKind::IO, label + " is damaged: its shape " + shape_text(info.shape) +
                                    " exceeds its maximum shape");
        }
    }
}

/// Contiguous and compact data is allocated whole or not at all, so storage that
/// holds some but not all of the shape's elements is damage; HDF5 reads the
/// missing tail as whatever follows in the file or as fill values, depending on
/// how the rows are requested.
void check_storage_holds_shape(hid_t type, const std::string& label, const DatasetInfo& info) {
    if ((info.layout != "contiguous" && info.layout != "compact") || info.external_storage ||
        info.storage_bytes == 0) {
        return;
    }
    std::size_t needed = H5Tget_size(type);
    for (const std::size_t extent : info.shape) {
        needed *= extent;
    }
    if (info.storage_bytes < needed) {
        fail(ErrorKind::IO, label + " is damaged: its shape " + shape_text(info.shape) + " needs " +
                                std::to_string(needed) + " bytes, but its " + info.layout +
                                " storage holds " + std::to_string(info.storage_bytes));
    }
}

/// The chunk shape of a chunked dataset (into info.chunk_shape), checked against
/// the maximum shape.
void read_chunk_shape(hid_t dcpl, const std::string& label, DatasetInfo& info,
                      const std::vector<hsize_t>& maxdims) {
    const int rank = static_cast<int>(maxdims.size());
    if (info.layout != "chunked" || rank == 0) {
        return;
    }
    std::vector<hsize_t> chunk(static_cast<std::size_t>(rank));
    check_status(H5Pget_chunk(dcpl, rank, chunk.data()), "cannot read the chunk shape of " + label);
    info.chunk_shape.assign(chunk.begin(), chunk.end());
    // HDF5 refuses to create chunks larger than a fixed maximum dimension: a file
    // that has them is damaged, and HDF5 1.10 can crash reading it (memcpy in
    // H5D__select_read).
    for (std::size_t i = 0; i < chunk.size(); ++i) {
        if (maxdims[i] != H5S_UNLIMITED && chunk[i] > maxdims[i]) {
            fail(ErrorKind::IO, label + " is damaged: its chunk shape " +
                                    shape_text(info.chunk_shape) +
                                    " is larger than its maximum shape");
        }
    }
}

/// Filter `index` of the pipeline, with whether this HDF5 can decode it.
Filter read_filter(hid_t dcpl, int index, const std::string& label) {
    unsigned flags = 0;
    unsigned values[8] = {};
    std::size_t nvalues = 8;
    char hdf5_name[64] = {};
    unsigned config = 0;
    const H5Z_filter_t id = H5Pget_filter2(dcpl, static_cast<unsigned>(index), &flags, &nvalues,
                                           values, sizeof hdf5_name, hdf5_name, &config);
    if (id < 0) {
        check_status(-1, "cannot read the filters of " + label);
    }
    Filter filter;
    filter.id = static_cast<int>(id);
    filter.name = filter_name(id, values, nvalues, hdf5_name);
    filter.values.assign(nvalues, 0);  // nvalues is now the stored count
    std::copy_n(values, std::min<std::size_t>(nvalues, 8), filter.values.begin());
    // A filter this HDF5 lacks may come with hdf5plugin, bound on first need;
    // LZF (h5py's own, not in hdf5plugin) with h5linalg where the build has liblzf.
    filter.decodable = filter_decodable(id);
    if (!filter.decodable) {
        hdf5_error_detail();
    }
    return filter;
}

[[noreturn]] void fail_undecodable(const std::string& label, const Filter& filter) {
    fail(ErrorKind::IO,
         label + " is compressed with the '" + filter.name + "' filter (id " +
             std::to_string(filter.id) +
             "), which this HDF5 library cannot decode; install the package of HDF5 "
             "plugins that provides it (hdf5plugin has zstd, blosc, lz4, bitshuffle, "
             "zfp and more: pip or conda install hdf5plugin), point HDF5_PLUGIN_PATH "
             "at a plugin folder, or rewrite the dataset with gzip");
}

/// The filter pipeline (into info.filters), refusing a filter this HDF5 cannot
/// decode unless `listing`.
void read_filters(hid_t dcpl, const std::string& label, DatasetInfo& info, bool listing) {
    const int nfilters = H5Pget_nfilters(dcpl);
    for (int i = 0; i < nfilters; ++i) {
        info.filters.push_back(read_filter(dcpl, i, label));
        if (!info.filters.back().decodable && !listing) {
            fail_undecodable(label, info.filters.back());
        }
    }
}

/// Fills `info` (but file and name) from an open dataset, reading no data. When
/// `listing`, the refusals (virtual or external storage without allow_external, a
/// filter this HDF5 lacks) are left to the caller: the shape of a virtual dataset is
/// then not even asked for. Damage is an IO error either way.
void read_info(hid_t object, const std::string& label, DatasetInfo& info,
               const OpenOptions& options, bool listing) {
    Hid dcpl =
        checked(H5Dget_create_plist(object), "cannot read the storage properties of " + label);
    info.layout = layout_name(dcpl.get());
    info.external_storage = H5Pget_external_count(dcpl.get()) > 0;
    if (!refuse_outside_storage(label, info, options, listing)) {
        return;
    }
    Hid type = checked(H5Dget_type(object), "cannot read the datatype of " + label);
    info.type = classify_type(type.get());
    info.cf_encoding = read_cf_encoding(object, info.type);
    const Extent extent = read_shape(object, label, info);
    check_shape_within_maximum(label, info, extent);
    read_chunk_shape(dcpl.get(), label, info, extent.maxdims);
    read_filters(dcpl.get(), label, info, listing);
    info.storage_bytes = static_cast<std::size_t>(H5Dget_storage_size(object));
    check_storage_holds_shape(type.get(), label, info);
}

[[noreturn]] void fail_missing(const std::string& name, const std::string& path,
                               const std::string& why) {
    throw MissingDataset("dataset " + in_quotes(name) + " not found in " + in_quotes(path) + why,
                         path, name);
}

}  // namespace

OpenDataset open_dataset(const std::string& path, const std::string& name_in,
                         const OpenOptions& options) {
    const std::string name = name_in.empty() || name_in[0] != '/' ? "/" + name_in : name_in;

    Hdf5Lock lock;
    OpenDataset opened;
    opened.file = open_file(path, options);
    const hid_t file = opened.file.get();
    opened.info.file = path;
    opened.info.name = name;

    bool refused = false;  // set by refuse_external_link
    Hid lapl = link_access_plist(options, &refused);
    walk_links(file, path, name, lapl.get(), options, refused);

    check_chunk_layout(file, path, name, lapl.get());  // HDF5 1.10 would divide by zero
    const hid_t object = H5Oopen(file, name.c_str(), lapl.get());
    if (object < 0) {
        const std::string detail = hdf5_error_detail();
        if (refused) {
            fail_external_link(name, path);
        }
        if (H5Oexists_by_name(file, name.c_str(), lapl.get()) == 0) {
            hdf5_error_detail();
            fail_missing(name, path, " (" + in_quotes(name) + " is a soft link to nothing)");
        }
        fail(ErrorKind::IO, "cannot open " + in_quotes(name) + " in " + in_quotes(path) +
                                ": the file is damaged" +
                                (detail.empty() ? "" : " (HDF5: " + detail + ")"));
    }
    Hid handle(object);
    const H5I_type_t kind = H5Iget_type(object);
    if (kind == H5I_GROUP) {
        fail(ErrorKind::Type, in_quotes(name) + " in " + in_quotes(path) +
                                  " is a group, not a dataset; name one of its datasets");
    }
    if (kind != H5I_DATASET) {
        fail(ErrorKind::Type,
             in_quotes(name) + " in " + in_quotes(path) + " is a named datatype, not a dataset");
    }
    if (!options.allow_external && file_name_of(object) != file_name_of(file)) {
        fail(ErrorKind::Permission, in_quotes(name) + " in " + in_quotes(path) +
                                        " resolves into another file; pass allow_external=True "
                                        "to read it");
    }
    opened.dataset = std::move(handle);
    read_info(object, opened.label(), opened.info, options, false);
    if (opened.info.layout == "chunked") {
        check_chunk_index(object, opened.label());
    }
    return opened;
}

namespace {

/// Why h5linalg's functions cannot read a dataset described by read_info in
/// listing mode ("" if they can), and whether allow_external would change that.
void judge(ListedDataset& entry) {
    const DatasetInfo& info = entry.info;
    if (info.layout == "virtual") {
        entry.needs_allow_external = true;
        entry.problem = "a virtual dataset (reads from other datasets and files)";
        return;
    }
    if (info.external_storage) {
        entry.needs_allow_external = true;
        entry.problem = "raw data in external files (HDF5 external storage)";
        return;
    }
    for (const Filter& filter : info.filters) {
        if (!filter.decodable) {
            entry.problem = "compressed with the '" + filter.name +
                            "' filter, which this HDF5 library cannot decode";
            return;
        }
    }
    if (!info.type.element) {
        entry.problem = "not numeric (dtype " + info.type.name + ")";
    } else if (!info.cf_encoding.empty()) {
        entry.problem = "CF-encoded (" + info.cf_encoding.front() +
                        (info.cf_encoding.size() > 1 ? ", ..." : "") + "), not decoded yet";
    } else if (info.shape.size() != 2) {
        entry.problem = info.shape.empty() ? std::string("a scalar, not 2-D")
                        : info.shape.size() == 1
                            ? std::string(
                                  "1-D, read only as the y of lstsq or "
                                  "the b of matmul")
                            : std::to_string(info.shape.size()) + "-D, not 2-D";
    } else if (info.shape[0] == 0) {
        entry.problem = "empty (no rows)";
    } else if (info.shape[1] == 0) {
        entry.problem = "empty (no columns)";
    }
}

struct LinkSeen {
    std::string name;
    H5L_type_t type;
};

herr_t note_link(hid_t, const char* name, const H5L_info_t* link, void* seen) {
    static_cast<std::vector<LinkSeen>*>(seen)->push_back({std::string("/") + name, link->type});
    return 0;
}

std::string external_target(hid_t file, const std::string& name) {
    H5L_info_t link{};
    if (H5Lget_info(file, name.c_str(), &link, H5P_DEFAULT) < 0) {
        hdf5_error_detail();
        return {};
    }
    std::vector<char> value(link.u.val_size + 1, '\0');
    const char* target_file = nullptr;
    const char* target_object = nullptr;
    unsigned flags = 0;
    if (H5Lget_val(file, name.c_str(), value.data(), link.u.val_size, H5P_DEFAULT) < 0 ||
        H5Lunpack_elink_val(value.data(), link.u.val_size, &flags, &target_file, &target_object) <
            0) {
        hdf5_error_detail();
        return {};
    }
    return std::string(target_file ? target_file : "") + ":" +
           std::string(target_object ? target_object : "");
}

}  // namespace

std::vector<ListedDataset> list_datasets(const std::string& path, std::size_t limit) {
    Hdf5Lock lock;
    const OpenOptions options;  // never follows anything out of the file
    Hid file_handle = open_file(path, options);
    const hid_t file = file_handle.get();

    // Links by name, recursing into groups through hard links only: HDF5 does not
    // traverse soft or external links here, so nothing outside the file is touched.
    std::vector<LinkSeen> links;
    if (H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, note_link, &links) < 0) {
        const std::string detail = hdf5_error_detail();
        fail(ErrorKind::IO, "cannot list the contents of " + in_quotes(path) +
                                ": the file is damaged" +
                                (detail.empty() ? "" : " (HDF5: " + detail + ")"));
    }
    std::vector<ListedDataset> listed;
    for (const LinkSeen& link : links) {
        ListedDataset entry;
        entry.name = link.name;
        entry.info.file = path;
        entry.info.name = link.name;
        if (link.type == H5L_TYPE_SOFT) {
            continue;  // another name for an object listed under its own (or nothing)
        }
        if (link.type != H5L_TYPE_HARD) {
            entry.kind = link.type == H5L_TYPE_EXTERNAL ? "external link" : "user-defined link";
            if (link.type == H5L_TYPE_EXTERNAL) {
                entry.target = external_target(file, link.name);
            }
            entry.needs_allow_external = true;
            entry.problem = "an " + entry.kind + " to another file";
            entry.described = listed.size() < limit;
            listed.push_back(entry);
            continue;
        }
        const hid_t object = H5Oopen(file, link.name.c_str(), H5P_DEFAULT);
        if (object < 0) {
            hdf5_error_detail();
            continue;  // damaged: not something to list (opening it says why)
        }
        Hid handle(object);
        if (H5Iget_type(object) != H5I_DATASET) {
            continue;
        }
        entry.kind = "dataset";
        if (listed.size() < limit) {
            entry.described = true;
            try {
                check_chunk_layout(file, path, link.name, H5P_DEFAULT);
                read_info(object, path + ":" + link.name, entry.info, options, true);
                judge(entry);
            } catch (const Error& error) {
                entry.problem = error.what();
            }
        }
        listed.push_back(std::move(entry));
    }
    return listed;
}

OpenDataset open_matrix(const std::string& path, const std::string& name,
                        const OpenOptions& options, bool allow_1d) {
    OpenDataset opened = open_dataset(path, name, options);
    const DatasetInfo& info = opened.info;
    if (!info.type.element.has_value()) {
        fail(ErrorKind::Type, opened.label() + " has dtype " + info.type.name +
                                  ", which h5linalg cannot use; it needs integer or "
                                  "floating-point data (computed in float64)");
    }
    const bool rank_ok = info.shape.size() == 2 || (allow_1d && info.shape.size() == 1);
    if (!rank_ok) {
        fail(ErrorKind::Value, opened.label() + " has shape " + shape_text(info.shape) +
                                   "; h5linalg needs a 2-D dataset (rows, columns)" +
                                   (allow_1d ? " or a 1-D one" : ""));
    }
    if (info.shape[0] == 0) {
        fail(ErrorKind::Value,
             opened.label() + " has shape " + shape_text(info.shape) + ": it has no rows");
    }
    if (info.shape.size() == 2 && info.shape[1] == 0) {
        fail(ErrorKind::Value,
             opened.label() + " has shape " + shape_text(info.shape) + ": it has no columns");
    }
    refuse_cf_encoding(opened.label(), info);
    return opened;
}

DatasetInfo describe_dataset(const std::string& path, const std::string& name,
                             const OpenOptions& options) {
    return open_dataset(path, name, options).info;
}

}  // namespace h5linalg
