// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/hdf5/cf_encoding.hpp"

#include <cmath>
#include <cstddef>
#include <optional>
#include <sstream>

#include "core/base/errors.hpp"
#include "core/hdf5/handles.hpp"

namespace h5linalg {

namespace {

// Long enough for any real fill, missing or scale value; longer ones are listed
// by name only.
constexpr hssize_t max_values = 16;

struct Attribute {
    bool numeric = false;
    std::vector<double> values;  // numeric: as float64
    std::string text;            // what a message shows
};

std::string read_string(hid_t attribute, hid_t type) {
    Hid memory(H5Tget_native_type(type, H5T_DIR_ASCEND));
    if (H5Tis_variable_str(type) > 0) {
        char* value = nullptr;
        if (H5Aread(attribute, memory.get(), &value) < 0 || value == nullptr) {
            hdf5_error_detail();
            return "?";
        }
        std::string out(value);
        H5free_memory(value);
        return out;
    }
    std::string out(H5Tget_size(type), '\0');
    if (H5Aread(attribute, memory.get(), out.data()) < 0) {
        hdf5_error_detail();
        return "?";
    }
    return out.substr(0, out.find('\0'));
}

/// The attribute's value, or nothing when it is absent. Damage reads as "?":
/// the attribute is then still named, and the dataset refused.
std::optional<Attribute> read_attribute(hid_t dataset, const char* name) {
    if (H5Aexists(dataset, name) <= 0) {
        hdf5_error_detail();
        return std::nullopt;
    }
    Attribute out;
    out.text = "?";
    Hid attribute(H5Aopen(dataset, name, H5P_DEFAULT));
    if (!attribute.valid()) {
        hdf5_error_detail();
        return out;
    }
    Hid type(H5Aget_type(attribute.get()));
    Hid space(H5Aget_space(attribute.get()));
    const hssize_t count = H5Sget_simple_extent_npoints(space.get());
    const H5T_class_t kind = H5Tget_class(type.get());
    if (kind == H5T_STRING) {
        out.text = "'" + read_string(attribute.get(), type.get()) + "'";
        return out;
    }
    if ((kind != H5T_INTEGER && kind != H5T_FLOAT) || count < 1 || count > max_values) {
        return out;
    }
    out.values.resize(static_cast<std::size_t>(count));
    if (H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, out.values.data()) < 0) {
        hdf5_error_detail();
        out.values.clear();
        return out;
    }
    out.numeric = true;
    std::ostringstream text;
    for (std::size_t i = 0; i < out.values.size(); ++i) {
        text << (i ? ", " : "") << out.values[i];
    }
    out.text = out.values.size() == 1 ? text.str() : "[" + text.str() + "]";
    return out;
}

bool all_nan(const Attribute& attribute) {
    if (!attribute.numeric) {
        return false;
    }
    for (double value : attribute.values) {
        if (!std::isnan(value)) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::vector<std::string> read_cf_encoding(hid_t dataset, const StoredType& type) {
    struct Rule {
        const char* name;
        bool masks;  // marks missing points: a NaN there changes nothing
    };
    std::vector<std::string> found;
    for (const Rule rule : {Rule{"scale_factor", false}, Rule{"add_offset", false},
                            Rule{"_FillValue", true}, Rule{"missing_value", true}}) {
        const std::optional<Attribute> attribute = read_attribute(dataset, rule.name);
        if (attribute && !(rule.masks && all_nan(*attribute))) {
            found.push_back(std::string(rule.name) + "=" + attribute->text);
        }
    }
    // xarray reinterprets integers whose _Unsigned contradicts their stored sign.
    if (const std::optional<Attribute> unsigned_flag = read_attribute(dataset, "_Unsigned")) {
        const std::optional<NumberKind> kind =
            type.element ? std::optional(number_kind(*type.element)) : std::nullopt;
        const NumberKind contradicted = unsigned_flag->text == "'true'"
                                            ? NumberKind::SignedInteger
                                            : NumberKind::UnsignedInteger;
        if (kind == contradicted) {
            found.push_back("_Unsigned=" + unsigned_flag->text);
        }
    }
    return found;
}

void refuse_cf_encoding(const std::string& label, const DatasetInfo& info) {
    if (info.cf_encoding.empty()) {
        return;
    }
    std::string listed;
    for (const std::string& attribute : info.cf_encoding) {
        listed += (listed.empty() ? "" : ", ") + attribute;
    }
    fail(ErrorKind::Value,
         label + " has CF encoding attributes (" + listed +
             "), which change what its stored numbers mean; h5linalg does not decode them "
             "yet, and a result from the stored numbers would be wrong. Read it decoded "
             "with xarray (which applies them by default) or netCDF4-python, and pass the "
             "decoded array");
}

}  // namespace h5linalg
