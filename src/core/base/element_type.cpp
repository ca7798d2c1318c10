// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/base/element_type.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/base/errors.hpp"

namespace h5linalg {

namespace {

/// IEEE 754 binary16 to double (handles subnormals, infinities and NaN).
double half_to_double(std::uint16_t bits) {
    const int sign = (bits >> 15) & 0x1;
    const int exponent = (bits >> 10) & 0x1f;
    const int mantissa = bits & 0x3ff;
    double value;
    if (exponent == 0) {
        value = std::ldexp(static_cast<double>(mantissa), -24);
    } else if (exponent == 0x1f) {
        value = mantissa == 0 ? INFINITY : NAN;
    } else {
        value = std::ldexp(static_cast<double>(mantissa | 0x400), exponent - 25);
    }
    return sign ? -value : value;
}

template <typename T>
T load(const char* p, bool swap_bytes) {
    unsigned char bytes[sizeof(T)];
    std::memcpy(bytes, p, sizeof(T));
    if (swap_bytes) {
        for (std::size_t i = 0; i < sizeof(T) / 2; ++i) {
            const unsigned char tmp = bytes[i];
            bytes[i] = bytes[sizeof(T) - 1 - i];
            bytes[sizeof(T) - 1 - i] = tmp;
        }
    }
    T value;
    std::memcpy(&value, bytes, sizeof(T));
    return value;
}

template <typename T>
double to_double(const char* p, bool swap_bytes) {
    return static_cast<double>(load<T>(p, swap_bytes));
}

double half_at(const char* p, bool swap_bytes) {
    return half_to_double(load<std::uint16_t>(p, swap_bytes));
}

template <typename T>
void convert_run(const char* src, std::ptrdiff_t stride, bool swap_bytes, std::size_t count,
                 double* dst) {
    if (!swap_bytes && stride == static_cast<std::ptrdiff_t>(sizeof(T))) {
        // The hot case: a plain loop the compiler vectorises.
        for (std::size_t i = 0; i < count; ++i) {
            T value;
            std::memcpy(&value, src + i * sizeof(T), sizeof(T));
            dst[i] = static_cast<double>(value);
        }
        return;
    }
    for (std::size_t i = 0; i < count; ++i) {
        dst[i] = to_double<T>(src + static_cast<std::ptrdiff_t>(i) * stride, swap_bytes);
    }
}

void convert_halves(const char* src, std::ptrdiff_t stride, bool swap_bytes, std::size_t count,
                    double* dst) {
    for (std::size_t i = 0; i < count; ++i) {
        dst[i] = half_at(src + static_cast<std::ptrdiff_t>(i) * stride, swap_bytes);
    }
}

template <typename T>
void widen_run(double* buffer, bool swap_bytes, std::size_t count) {
    // Walk backwards a piece at a time: the doubles of elements [i, i + n) only
    // overlap packed elements >= i, and those of this piece are copied aside
    // first, so each piece converts forwards in a loop the compiler vectorises.
    constexpr std::size_t piece = 1024;
    T aside[piece];
    char* packed = reinterpret_cast<char*>(buffer);
    for (std::size_t end = count; end > 0;) {
        const std::size_t begin = end > piece ? end - piece : 0;
        const std::size_t n = end - begin;
        std::memcpy(aside, packed + begin * sizeof(T), n * sizeof(T));
        if (swap_bytes) {
            for (std::size_t i = 0; i < n; ++i) {
                buffer[begin + i] = to_double<T>(reinterpret_cast<const char*>(aside + i), true);
            }
        } else {
            for (std::size_t i = 0; i < n; ++i) {
                buffer[begin + i] = static_cast<double>(aside[i]);
            }
        }
        end = begin;
    }
}

}  // namespace

std::optional<ElementType> element_type_of(NumberKind kind, std::size_t size) {
    switch (kind) {
        case NumberKind::Float:
            switch (size) {
                case 2: return ElementType::Float16;
                case 4: return ElementType::Float32;
                case 8: return ElementType::Float64;
                default: return std::nullopt;
            }
        case NumberKind::SignedInteger:
        case NumberKind::UnsignedInteger: {
            const bool is_signed = kind == NumberKind::SignedInteger;
            switch (size) {
                case 1: return is_signed ? ElementType::Int8 : ElementType::UInt8;
                case 2: return is_signed ? ElementType::Int16 : ElementType::UInt16;
                case 4: return is_signed ? ElementType::Int32 : ElementType::UInt32;
                case 8: return is_signed ? ElementType::Int64 : ElementType::UInt64;
                default: return std::nullopt;
            }
        }
    }
    return std::nullopt;
}

NumberKind number_kind(ElementType type) {
    switch (type) {
        case ElementType::Float16:
        case ElementType::Float32:
        case ElementType::Float64: return NumberKind::Float;
        case ElementType::Int8:
        case ElementType::Int16:
        case ElementType::Int32:
        case ElementType::Int64: return NumberKind::SignedInteger;
        case ElementType::UInt8:
        case ElementType::UInt16:
        case ElementType::UInt32:
        case ElementType::UInt64: return NumberKind::UnsignedInteger;
    }
    return NumberKind::Float;
}

std::size_t element_size(ElementType type) {
    switch (type) {
        case ElementType::Int8:
        case ElementType::UInt8: return 1;
        case ElementType::Float16:
        case ElementType::Int16:
        case ElementType::UInt16: return 2;
        case ElementType::Float32:
        case ElementType::Int32:
        case ElementType::UInt32: return 4;
        case ElementType::Float64:
        case ElementType::Int64:
        case ElementType::UInt64: return 8;
    }
    return 0;
}

std::string element_name(ElementType type) {
    switch (type) {
        case ElementType::Float16: return "float16";
        case ElementType::Float32: return "float32";
        case ElementType::Float64: return "float64";
        case ElementType::Int8: return "int8";
        case ElementType::Int16: return "int16";
        case ElementType::Int32: return "int32";
        case ElementType::Int64: return "int64";
        case ElementType::UInt8: return "uint8";
        case ElementType::UInt16: return "uint16";
        case ElementType::UInt32: return "uint32";
        case ElementType::UInt64: return "uint64";
    }
    return "unknown";
}

void convert_strided_to_double(const char* src, std::ptrdiff_t stride, ElementType type,
                               bool swap_bytes, std::size_t count, double* dst) {
    switch (type) {
        case ElementType::Float16: convert_halves(src, stride, swap_bytes, count, dst); return;
        case ElementType::Float32: convert_run<float>(src, stride, swap_bytes, count, dst); return;
        case ElementType::Float64: convert_run<double>(src, stride, swap_bytes, count, dst); return;
        case ElementType::Int8:
            convert_run<std::int8_t>(src, stride, swap_bytes, count, dst);
            return;
        case ElementType::Int16:
            convert_run<std::int16_t>(src, stride, swap_bytes, count, dst);
            return;
        case ElementType::Int32:
            convert_run<std::int32_t>(src, stride, swap_bytes, count, dst);
            return;
        case ElementType::Int64:
            convert_run<std::int64_t>(src, stride, swap_bytes, count, dst);
            return;
        case ElementType::UInt8:
            convert_run<std::uint8_t>(src, stride, swap_bytes, count, dst);
            return;
        case ElementType::UInt16:
            convert_run<std::uint16_t>(src, stride, swap_bytes, count, dst);
            return;
        case ElementType::UInt32:
            convert_run<std::uint32_t>(src, stride, swap_bytes, count, dst);
            return;
        case ElementType::UInt64:
            convert_run<std::uint64_t>(src, stride, swap_bytes, count, dst);
            return;
    }
    fail(ErrorKind::Runtime, "internal error: unknown element type");
}

void convert_to_double(const void* src, ElementType type, bool swap_bytes, std::size_t count,
                       double* dst) {
    convert_strided_to_double(static_cast<const char*>(src),
                              static_cast<std::ptrdiff_t>(element_size(type)), type, swap_bytes,
                              count, dst);
}

void widen_in_place(double* buffer, ElementType type, bool swap_bytes, std::size_t count) {
    switch (type) {
        case ElementType::Float64:
            if (swap_bytes) {
                widen_run<double>(buffer, true, count);
            }
            return;
        case ElementType::Float16: {
            const char* packed = reinterpret_cast<const char*>(buffer);
            for (std::size_t i = count; i-- > 0;) {
                const double value = half_at(packed + i * 2, swap_bytes);
                buffer[i] = value;
            }
            return;
        }
        case ElementType::Float32: widen_run<float>(buffer, swap_bytes, count); return;
        case ElementType::Int8: widen_run<std::int8_t>(buffer, swap_bytes, count); return;
        case ElementType::Int16: widen_run<std::int16_t>(buffer, swap_bytes, count); return;
        case ElementType::Int32: widen_run<std::int32_t>(buffer, swap_bytes, count); return;
        case ElementType::Int64: widen_run<std::int64_t>(buffer, swap_bytes, count); return;
        case ElementType::UInt8: widen_run<std::uint8_t>(buffer, swap_bytes, count); return;
        case ElementType::UInt16: widen_run<std::uint16_t>(buffer, swap_bytes, count); return;
        case ElementType::UInt32: widen_run<std::uint32_t>(buffer, swap_bytes, count); return;
        case ElementType::UInt64: widen_run<std::uint64_t>(buffer, swap_bytes, count); return;
    }
    fail(ErrorKind::Runtime, "internal error: unknown element type");
}

}  // namespace h5linalg
