// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// The numeric element types h5linalg reads, and their conversion to float64.
// Every computation runs in float64, as NumPy does on X.astype(np.float64).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace h5linalg {

enum class ElementType {
    Float16,
    Float32,
    Float64,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
};

/// How a plain number is stored, in the terms HDF5 and NumPy both describe it by.
enum class NumberKind { SignedInteger, UnsignedInteger, Float };

/// The element type of a `size`-byte number of `kind` (a float must be IEEE 754),
/// or nothing for a size h5linalg does not read. The one mapping that both HDF5
/// datatypes (hdf5/dataset.cpp) and NumPy dtypes (the bindings) go through.
std::optional<ElementType> element_type_of(NumberKind kind, std::size_t size);

/// The kind of number an element type holds (the inverse of element_type_of).
NumberKind number_kind(ElementType type);

/// Size of one element in bytes.
std::size_t element_size(ElementType type);

/// NumPy-style name, e.g. "float32" or "uint16".
std::string element_name(ElementType type);

/// Converts `count` contiguous elements at `src` (byte-swapped first when
/// `swap_bytes`) to float64 at `dst`. `src` need not be aligned.
void convert_to_double(const void* src, ElementType type, bool swap_bytes, std::size_t count,
                       double* dst);

/// Converts `count` elements spaced `stride_bytes` apart (any sign, any alignment).
void convert_strided_to_double(const char* src, std::ptrdiff_t stride_bytes, ElementType type,
                               bool swap_bytes, std::size_t count, double* dst);

/// Widens `count` elements stored packed at the start of `buffer` to float64 in
/// place (the buffer holds `count` doubles). Lets HDF5 read narrow data straight
/// into the block buffer and widen it there, without a second buffer.
void widen_in_place(double* buffer, ElementType type, bool swap_bytes, std::size_t count);

}  // namespace h5linalg
