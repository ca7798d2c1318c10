// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Element types and their conversion to float64: every type, both byte orders,
// float16 special values, strided / negative-stride / unaligned input, and
// widening in place.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "core/base/element_type.hpp"
#include "test_support.hpp"

namespace h5linalg {
namespace {

const ElementType all_types[] = {
    ElementType::Float16, ElementType::Float32, ElementType::Float64, ElementType::Int8,
    ElementType::Int16,   ElementType::Int32,   ElementType::Int64,   ElementType::UInt8,
    ElementType::UInt16,  ElementType::UInt32,  ElementType::UInt64,
};

// Bytes of a value, optionally reversed (the "other" byte order).
template <typename T>
std::vector<unsigned char> bytes_of(const std::vector<T>& values, bool swap) {
    std::vector<unsigned char> out(values.size() * sizeof(T));
    for (std::size_t i = 0; i < values.size(); ++i) {
        unsigned char* p = out.data() + i * sizeof(T);
        std::memcpy(p, &values[i], sizeof(T));
        if (swap) {
            std::reverse(p, p + sizeof(T));
        }
    }
    return out;
}

// Sample values per type, and the doubles NumPy's astype(float64) gives for them.
struct Samples {
    std::vector<unsigned char> native, swapped;
    std::vector<double> expected;
};

template <typename T>
Samples samples_for(std::vector<T> values) {
    Samples s;
    s.native = bytes_of(values, false);
    s.swapped = bytes_of(values, true);
    for (T v : values) {
        s.expected.push_back(static_cast<double>(v));
    }
    return s;
}

template <typename T>
std::vector<T> integer_samples() {
    using L = std::numeric_limits<T>;
    std::vector<T> v = {L::min(), L::max(), T(0), T(1), T(L::max() / 3), T(L::min() / 5), T(42)};
    if (L::is_signed) {
        v.push_back(T(-1));
        v.push_back(T(L::min() + 1));
    }
    return v;
}

Samples samples(ElementType type) {
    switch (type) {
        case ElementType::Float16: {
            // 1, -2, 0.5, 65504 (max), 2^-14 (min normal), 2^-24 (min subnormal), 0.333251953125.
            std::vector<std::uint16_t> bits = {0x3c00, 0xc000, 0x3800, 0x7bff,
                                               0x0400, 0x0001, 0x3555};
            Samples s;
            s.native = bytes_of(bits, false);
            s.swapped = bytes_of(bits, true);
            s.expected = {
                1.0,           -2.0, 0.5, 65504.0, std::ldexp(1.0, -14), std::ldexp(1.0, -24),
                0.333251953125};
            return s;
        }
        case ElementType::Float32:
            return samples_for<float>({1.5f, -0.1f, std::numeric_limits<float>::max(),
                                       std::numeric_limits<float>::denorm_min(), -0.0f, 3e-30f});
        case ElementType::Float64:
            return samples_for<double>({1.5, -0.1, std::numeric_limits<double>::max(),
                                        std::numeric_limits<double>::denorm_min(), -0.0, 1e300});
        case ElementType::Int8: return samples_for(integer_samples<std::int8_t>());
        case ElementType::Int16: return samples_for(integer_samples<std::int16_t>());
        case ElementType::Int32: return samples_for(integer_samples<std::int32_t>());
        case ElementType::Int64: return samples_for(integer_samples<std::int64_t>());
        case ElementType::UInt8: return samples_for(integer_samples<std::uint8_t>());
        case ElementType::UInt16: return samples_for(integer_samples<std::uint16_t>());
        case ElementType::UInt32: return samples_for(integer_samples<std::uint32_t>());
        case ElementType::UInt64: return samples_for(integer_samples<std::uint64_t>());
    }
    return {};
}

// Bitwise equality, so -0.0 and NaN payload-free comparisons are exact.
void expect_same_doubles(const std::vector<double>& actual, const std::vector<double>& expected,
                         const std::string& what) {
    ASSERT_EQ(actual.size(), expected.size()) << what;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        if (std::isnan(expected[i])) {
            EXPECT_TRUE(std::isnan(actual[i])) << what << " element " << i;
            continue;
        }
        EXPECT_EQ(actual[i], expected[i]) << what << " element " << i;
        EXPECT_EQ(std::signbit(actual[i]), std::signbit(expected[i])) << what << " element " << i;
    }
}

class EachType : public ::testing::TestWithParam<ElementType> {};

TEST(ElementType, SizesAndNames) {
    EXPECT_EQ(element_size(ElementType::Float16), 2u);
    EXPECT_EQ(element_size(ElementType::Float32), 4u);
    EXPECT_EQ(element_size(ElementType::Float64), 8u);
    EXPECT_EQ(element_size(ElementType::Int8), 1u);
    EXPECT_EQ(element_size(ElementType::Int16), 2u);
    EXPECT_EQ(element_size(ElementType::Int32), 4u);
    EXPECT_EQ(element_size(ElementType::Int64), 8u);
    EXPECT_EQ(element_size(ElementType::UInt8), 1u);
    EXPECT_EQ(element_size(ElementType::UInt16), 2u);
    EXPECT_EQ(element_size(ElementType::UInt32), 4u);
    EXPECT_EQ(element_size(ElementType::UInt64), 8u);
    EXPECT_EQ(element_name(ElementType::Float16), "float16");
    EXPECT_EQ(element_name(ElementType::Float32), "float32");
    EXPECT_EQ(element_name(ElementType::Float64), "float64");
    EXPECT_EQ(element_name(ElementType::Int8), "int8");
    EXPECT_EQ(element_name(ElementType::Int16), "int16");
    EXPECT_EQ(element_name(ElementType::Int32), "int32");
    EXPECT_EQ(element_name(ElementType::Int64), "int64");
    EXPECT_EQ(element_name(ElementType::UInt8), "uint8");
    EXPECT_EQ(element_name(ElementType::UInt16), "uint16");
    EXPECT_EQ(element_name(ElementType::UInt32), "uint32");
    EXPECT_EQ(element_name(ElementType::UInt64), "uint64");
}

TEST(ElementType, IntegerExtremesMatchNumPyAstype) {
    // numpy.array([...]).astype(np.float64): rounding to nearest for the 64-bit ones.
    const std::int64_t i64[] = {std::numeric_limits<std::int64_t>::min(),
                                std::numeric_limits<std::int64_t>::max()};
    double out[2];
    convert_to_double(i64, ElementType::Int64, false, 2, out);
    EXPECT_EQ(out[0], -9223372036854775808.0);
    EXPECT_EQ(out[1], 9223372036854775808.0);
    const std::uint64_t u64 = std::numeric_limits<std::uint64_t>::max();
    convert_to_double(&u64, ElementType::UInt64, false, 1, out);
    EXPECT_EQ(out[0], 18446744073709551616.0);
    const std::uint8_t u8 = 255;
    convert_to_double(&u8, ElementType::UInt8, false, 1, out);
    EXPECT_EQ(out[0], 255.0);
    const std::int8_t i8 = -128;
    convert_to_double(&i8, ElementType::Int8, false, 1, out);
    EXPECT_EQ(out[0], -128.0);
}

TEST_P(EachType, ContiguousNativeOrder) {
    const Samples s = samples(GetParam());
    std::vector<double> out(s.expected.size(), -7.0);
    convert_to_double(s.native.data(), GetParam(), false, s.expected.size(), out.data());
    expect_same_doubles(out, s.expected, element_name(GetParam()));
}

TEST_P(EachType, ContiguousSwappedOrder) {
    const Samples s = samples(GetParam());
    std::vector<double> out(s.expected.size(), -7.0);
    convert_to_double(s.swapped.data(), GetParam(), true, s.expected.size(), out.data());
    expect_same_doubles(out, s.expected, element_name(GetParam()) + " byte-swapped");
}

TEST_P(EachType, ZeroCountWritesNothing) {
    const Samples s = samples(GetParam());
    double out = -7.0;
    convert_to_double(s.native.data(), GetParam(), false, 0, &out);
    EXPECT_EQ(out, -7.0);
}

TEST_P(EachType, UnalignedSource) {
    const Samples s = samples(GetParam());
    for (const bool swap : {false, true}) {
        for (std::size_t shift = 1; shift < 8; ++shift) {
            const auto& src = swap ? s.swapped : s.native;
            std::vector<unsigned char> buffer(src.size() + 16, 0xAB);
            std::memcpy(buffer.data() + shift, src.data(), src.size());
            std::vector<double> out(s.expected.size());
            convert_to_double(buffer.data() + shift, GetParam(), swap, s.expected.size(),
                              out.data());
            expect_same_doubles(out, s.expected,
                                element_name(GetParam()) + " shifted by " + std::to_string(shift) +
                                    (swap ? " swapped" : ""));
        }
    }
}

TEST_P(EachType, StridedPositiveNegativeAndUnaligned) {
    const Samples s = samples(GetParam());
    const std::size_t item = element_size(GetParam());
    const std::size_t n = s.expected.size();
    for (const bool swap : {false, true}) {
        const auto& src = swap ? s.swapped : s.native;
        for (const std::size_t gap : {std::size_t{1}, std::size_t{3}, item, std::size_t{13}}) {
            const std::size_t stride = item + gap;
            // Forward: element i at 1 + i * stride (odd offset: never aligned).
            std::vector<unsigned char> buffer(1 + n * stride, 0xCD);
            for (std::size_t i = 0; i < n; ++i) {
                std::memcpy(buffer.data() + 1 + i * stride, src.data() + i * item, item);
            }
            std::vector<double> out(n);
            convert_strided_to_double(reinterpret_cast<const char*>(buffer.data()) + 1,
                                      static_cast<std::ptrdiff_t>(stride), GetParam(), swap, n,
                                      out.data());
            expect_same_doubles(out, s.expected,
                                element_name(GetParam()) + " stride " + std::to_string(stride));

            // Backward: element i at (n - 1 - i) * stride, walked with a negative stride.
            std::vector<unsigned char> reversed(n * stride, 0xEF);
            for (std::size_t i = 0; i < n; ++i) {
                std::memcpy(reversed.data() + (n - 1 - i) * stride, src.data() + i * item, item);
            }
            std::vector<double> back(n);
            convert_strided_to_double(
                reinterpret_cast<const char*>(reversed.data()) + (n - 1) * stride,
                -static_cast<std::ptrdiff_t>(stride), GetParam(), swap, n, back.data());
            expect_same_doubles(back, s.expected,
                                element_name(GetParam()) + " stride -" + std::to_string(stride));
        }
    }
}

TEST_P(EachType, ZeroStrideRepeatsOneElement) {
    const Samples s = samples(GetParam());
    std::vector<double> out(5);
    convert_strided_to_double(reinterpret_cast<const char*>(s.native.data()), 0, GetParam(), false,
                              out.size(), out.data());
    expect_same_doubles(out, std::vector<double>(5, s.expected[0]), element_name(GetParam()));
}

TEST_P(EachType, WidenInPlace) {
    const Samples base = samples(GetParam());
    const std::size_t item = element_size(GetParam());
    // Several lengths, so every overlap pattern between packed and widened slots occurs.
    for (const std::size_t count :
         {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{64}, std::size_t{1001}}) {
        for (const bool swap : {false, true}) {
            const auto& src = swap ? base.swapped : base.native;
            const std::size_t n = base.expected.size();
            std::vector<double> buffer(count, std::nan(""));
            std::vector<double> expected(count);
            auto* packed = reinterpret_cast<unsigned char*>(buffer.data());
            for (std::size_t i = 0; i < count; ++i) {
                std::memcpy(packed + i * item, src.data() + (i % n) * item, item);
                expected[i] = base.expected[i % n];
            }
            widen_in_place(buffer.data(), GetParam(), swap, count);
            expect_same_doubles(buffer, expected,
                                element_name(GetParam()) + " widened, count " +
                                    std::to_string(count) + (swap ? " swapped" : ""));
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, EachType, ::testing::ValuesIn(all_types),
                         [](const ::testing::TestParamInfo<ElementType>& info) {
                             return element_name(info.param);
                         });

// --- float16 -----------------------------------------------------------------------

double half(std::uint16_t bits, bool swap = false) {
    unsigned char bytes[2];
    std::memcpy(bytes, &bits, 2);
    if (swap) {
        std::swap(bytes[0], bytes[1]);
    }
    double out = 0.0;
    convert_to_double(bytes, ElementType::Float16, swap, 1, &out);
    return out;
}

/// An independent binary16 encoder for exactly representable values (frexp based).
std::uint16_t encode_half(double value) {
    const std::uint16_t sign = std::signbit(value) ? 0x8000 : 0;
    const double magnitude = std::fabs(value);
    if (magnitude == 0.0) {
        return sign;
    }
    if (magnitude < std::ldexp(1.0, -14)) {
        return static_cast<std::uint16_t>(sign | static_cast<std::uint16_t>(magnitude * 0x1.0p24));
    }
    int exponent = 0;
    const double fraction = std::frexp(magnitude, &exponent);  // [0.5, 1)
    const auto biased = static_cast<std::uint16_t>(exponent - 1 + 15);
    const auto mantissa = static_cast<std::uint16_t>((fraction * 2.0 - 1.0) * 1024.0);
    return static_cast<std::uint16_t>(sign | (biased << 10) | mantissa);
}

TEST(Float16, SpecialValues) {
    for (const bool swap : {false, true}) {
        SCOPED_TRACE(swap ? "byte-swapped" : "native");
        EXPECT_EQ(half(0x0000, swap), 0.0);
        EXPECT_FALSE(std::signbit(half(0x0000, swap)));
        EXPECT_EQ(half(0x8000, swap), 0.0);
        EXPECT_TRUE(std::signbit(half(0x8000, swap)));
        EXPECT_EQ(half(0x3c00, swap), 1.0);
        EXPECT_EQ(half(0xbc00, swap), -1.0);
        EXPECT_EQ(half(0x7bff, swap), 65504.0);
        EXPECT_EQ(half(0xfbff, swap), -65504.0);
        EXPECT_EQ(half(0x0400, swap), std::ldexp(1.0, -14));  // smallest normal
        EXPECT_EQ(half(0x0001, swap), std::ldexp(1.0, -24));  // smallest subnormal
        EXPECT_EQ(half(0x8001, swap), -std::ldexp(1.0, -24));
        EXPECT_EQ(half(0x03ff, swap), 1023 * std::ldexp(1.0, -24));  // largest subnormal
        EXPECT_EQ(half(0x0200, swap), std::ldexp(1.0, -15));
        EXPECT_EQ(half(0x3555, swap), 0.333251953125);
        EXPECT_EQ(half(0x3bff, swap), 1.0 - std::ldexp(1.0, -11));  // largest below 1
        EXPECT_EQ(half(0x3c01, swap), 1.0 + std::ldexp(1.0, -10));  // smallest above 1
        EXPECT_EQ(half(0x7c00, swap), std::numeric_limits<double>::infinity());
        EXPECT_EQ(half(0xfc00, swap), -std::numeric_limits<double>::infinity());
        EXPECT_TRUE(std::isnan(half(0x7e00, swap)));  // quiet NaN
        EXPECT_TRUE(std::isnan(half(0x7c01, swap)));  // signalling NaN
        EXPECT_TRUE(std::isnan(half(0xfe00, swap)));  // negative NaN
        EXPECT_TRUE(std::isnan(half(0x7fff, swap)));
    }
}

TEST(Float16, EveryBitPatternRoundTrips) {
    std::vector<std::uint16_t> bits(65536);
    for (std::size_t i = 0; i < bits.size(); ++i) {
        bits[i] = static_cast<std::uint16_t>(i);
    }
    std::vector<double> values(bits.size());
    convert_to_double(bits.data(), ElementType::Float16, false, bits.size(), values.data());
    int failures = 0;
    for (std::size_t i = 0; i < bits.size() && failures < 10; ++i) {
        const int exponent = (static_cast<int>(i) >> 10) & 0x1f;
        const int mantissa = static_cast<int>(i) & 0x3ff;
        const double v = values[i];
        bool ok;
        if (exponent == 0x1f) {
            ok = mantissa == 0 ? std::isinf(v) && std::signbit(v) == ((i & 0x8000) != 0)
                               : std::isnan(v);
        } else {
            ok = std::isfinite(v) && encode_half(v) == bits[i];
        }
        if (!ok) {
            ++failures;
            ADD_FAILURE() << "float16 bits 0x" << std::hex << i << " converted to " << v;
        }
    }
    // Positive finite patterns increase strictly with their bits.
    for (std::size_t i = 1; i < 0x7c00; ++i) {
        ASSERT_LT(values[i - 1], values[i]) << "at 0x" << std::hex << i;
    }
}

TEST(Float16, WidenInPlaceSpecialValues) {
    const std::vector<std::uint16_t> bits = {0x0001, 0x7c00, 0xfc00, 0x7e00,
                                             0x8000, 0x3c00, 0x03ff};
    for (const bool swap : {false, true}) {
        std::vector<double> buffer(bits.size(), 99.0);
        auto* packed = reinterpret_cast<unsigned char*>(buffer.data());
        for (std::size_t i = 0; i < bits.size(); ++i) {
            unsigned char b[2];
            std::memcpy(b, &bits[i], 2);
            if (swap) {
                std::swap(b[0], b[1]);
            }
            std::memcpy(packed + 2 * i, b, 2);
        }
        widen_in_place(buffer.data(), ElementType::Float16, swap, bits.size());
        EXPECT_EQ(buffer[0], std::ldexp(1.0, -24));
        EXPECT_EQ(buffer[1], std::numeric_limits<double>::infinity());
        EXPECT_EQ(buffer[2], -std::numeric_limits<double>::infinity());
        EXPECT_TRUE(std::isnan(buffer[3]));
        EXPECT_EQ(buffer[4], 0.0);
        EXPECT_TRUE(std::signbit(buffer[4]));
        EXPECT_EQ(buffer[5], 1.0);
        EXPECT_EQ(buffer[6], 1023 * std::ldexp(1.0, -24));
    }
}

TEST(Float32, InfNanAndSubnormalsWiden) {
    const std::vector<float> values = {
        std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
        std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::denorm_min(), -0.0f};
    std::vector<double> out(values.size());
    convert_to_double(values.data(), ElementType::Float32, false, values.size(), out.data());
    EXPECT_EQ(out[0], std::numeric_limits<double>::infinity());
    EXPECT_EQ(out[1], -std::numeric_limits<double>::infinity());
    EXPECT_TRUE(std::isnan(out[2]));
    EXPECT_EQ(out[3], static_cast<double>(std::numeric_limits<float>::denorm_min()));
    EXPECT_TRUE(std::signbit(out[4]));
}

TEST(Float64, WidenInPlaceWithoutSwapIsANoOp) {
    std::vector<double> buffer = {1.0, -2.5, std::numeric_limits<double>::infinity()};
    const std::vector<double> before = buffer;
    widen_in_place(buffer.data(), ElementType::Float64, false, buffer.size());
    EXPECT_EQ(buffer, before);
}

}  // namespace
}  // namespace h5linalg
