// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// The netCDF / CF attributes that change what a dataset's stored numbers mean:
// packing (scale_factor, add_offset), fill and missing values, _Unsigned. xarray
// applies them by default (mask_and_scale=True), so the numbers a scientist
// expects are not the stored ones. h5linalg does not decode them yet, and refuses
// such datasets rather than compute from fill values and packed integers.
#pragma once
#include <hdf5.h>

#include <string>
#include <vector>

#include "core/hdf5/dataset.hpp"

namespace h5linalg {

/// The attributes of `dataset` that a CF reader would apply to its numbers, as
/// "name=value" in a fixed order. A NaN fill value of floating-point data is not
/// listed: masking NaN leaves the numbers as they are.
std::vector<std::string> read_cf_encoding(hid_t dataset, const StoredType& type);

/// A Value error naming the attributes, when `info` has any.
void refuse_cf_encoding(const std::string& label, const DatasetInfo& info);

}  // namespace h5linalg
