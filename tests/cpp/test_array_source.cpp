// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// ArraySource: memory in any layout NumPy can describe (C or Fortran order,
// negative strides, padding, unaligned, byte-swapped, narrow types), read as
// float64 rows; contiguous aligned native float64 is lent without a copy.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/rows/array_source.hpp"
#include "core/rows/block_pipeline.hpp"
#include "test_support.hpp"

namespace h5linalg {
namespace {

using test::Matrix;

double value_at(std::size_t i, std::size_t j) {
    return static_cast<double>(i) * 10.0 + static_cast<double>(j) + 0.25;
}

Matrix expected_matrix(std::size_t rows, std::size_t cols) {
    Matrix m(rows, cols);
    for (std::size_t i = 0; i < rows; ++i) {
        for (std::size_t j = 0; j < cols; ++j) {
            m(i, j) = value_at(i, j);
        }
    }
    return m;
}

/// Storage for a rows x cols array of T placed at arbitrary byte strides inside a
/// buffer, the way NumPy describes views: element (i, j) at base + i*rs + j*cs.
template <typename T>
struct Layout {
    std::vector<unsigned char> buffer;
    StridedArray array;

    Layout(std::size_t rows, std::size_t cols, std::ptrdiff_t row_stride, std::ptrdiff_t col_stride,
           std::size_t misalign = 0, bool swap = false) {
        // Find the byte span the elements cover, whatever the stride signs.
        std::ptrdiff_t lo = 0, hi = 0;
        for (std::ptrdiff_t corner_i : {std::ptrdiff_t{0}, static_cast<std::ptrdiff_t>(rows) - 1}) {
            for (std::ptrdiff_t corner_j :
                 {std::ptrdiff_t{0}, static_cast<std::ptrdiff_t>(cols) - 1}) {
                const std::ptrdiff_t at = corner_i * row_stride + corner_j * col_stride;
                lo = std::min(lo, at);
                hi = std::max(hi, at);
            }
        }
        // 8-aligned allocation, then shift by `misalign` bytes.
        buffer.assign(static_cast<std::size_t>(hi - lo) + sizeof(T) + 16, 0xA5);
        auto base = reinterpret_cast<std::uintptr_t>(buffer.data());
        const std::size_t pad = (8 - base % 8) % 8 + misalign;
        unsigned char* origin = buffer.data() + pad - lo;
        for (std::size_t i = 0; i < rows; ++i) {
            for (std::size_t j = 0; j < cols; ++j) {
                const T v = static_cast<T>(value_at(i, j));
                unsigned char* p = origin + static_cast<std::ptrdiff_t>(i) * row_stride +
                                   static_cast<std::ptrdiff_t>(j) * col_stride;
                std::memcpy(p, &v, sizeof(T));
                if (swap) {
                    std::reverse(p, p + sizeof(T));
                }
            }
        }
        array.data = reinterpret_cast<const char*>(origin);
        array.rows = rows;
        array.cols = cols;
        array.row_stride = row_stride;
        array.col_stride = col_stride;
        array.swap_bytes = swap;
    }
};

template <typename T>
Matrix expected_as(std::size_t rows, std::size_t cols) {
    Matrix m(rows, cols);
    for (std::size_t i = 0; i < rows; ++i) {
        for (std::size_t j = 0; j < cols; ++j) {
            m(i, j) = static_cast<double>(static_cast<T>(value_at(i, j)));
        }
    }
    return m;
}

constexpr std::ptrdiff_t d = sizeof(double);

TEST(ArraySource, COrderFloat64IsLentWithoutCopy) {
    Layout<double> l(5, 3, 3 * d, d);
    l.array.type = ElementType::Float64;
    ArraySource source(l.array);
    EXPECT_EQ(source.rows(), 5u);
    EXPECT_EQ(source.cols(), 3u);
    EXPECT_EQ(source.label(), "array");
    const double* all = source.view(0, 5);
    ASSERT_NE(all, nullptr);
    EXPECT_EQ(reinterpret_cast<const char*>(all), l.array.data);
    EXPECT_EQ(source.view(2, 3), all + 2 * 3);
    Matrix m = test::read_all(source);
    EXPECT_EQ(m.data, expected_matrix(5, 3).data);
}

TEST(ArraySource, FortranOrderIsConverted) {
    const std::size_t rows = 6, cols = 4;
    Layout<double> l(rows, cols, d, static_cast<std::ptrdiff_t>(rows) * d);
    l.array.type = ElementType::Float64;
    ArraySource source(l.array);
    EXPECT_EQ(source.view(0, rows), nullptr);
    EXPECT_EQ(test::read_all(source).data, expected_matrix(rows, cols).data);
}

TEST(ArraySource, NegativeRowAndColumnStrides) {
    const std::size_t rows = 7, cols = 5;
    // X[::-1], X[:, ::-1] and X[::-1, ::-1] of a C-ordered float64 array.
    for (const auto& strides : {std::make_pair(-5 * d, d), std::make_pair(5 * d, -d),
                                std::make_pair(-5 * d, -d), std::make_pair(-d, -7 * d)}) {
        SCOPED_TRACE("row stride " + std::to_string(strides.first) + ", column stride " +
                     std::to_string(strides.second));
        Layout<double> l(rows, cols, strides.first, strides.second);
        l.array.type = ElementType::Float64;
        ArraySource source(l.array);
        EXPECT_EQ(source.view(0, rows), nullptr);
        EXPECT_EQ(test::read_all(source).data, expected_matrix(rows, cols).data);
    }
}

TEST(ArraySource, PaddedRowsAndEveryOtherColumn) {
    const std::size_t rows = 4, cols = 3;
    // X[:, ::2] of a wider array, with rows padded: neither is contiguous.
    Layout<double> l(rows, cols, 11 * d, 2 * d);
    l.array.type = ElementType::Float64;
    ArraySource source(l.array);
    EXPECT_EQ(source.view(0, rows), nullptr);
    EXPECT_EQ(test::read_all(source).data, expected_matrix(rows, cols).data);
}

TEST(ArraySource, UnalignedFloat64IsNotLent) {
    for (std::size_t misalign = 1; misalign < 8; ++misalign) {
        Layout<double> l(3, 2, 2 * d, d, misalign);
        l.array.type = ElementType::Float64;
        ArraySource source(l.array);
        EXPECT_EQ(source.view(0, 3), nullptr) << "misaligned by " << misalign;
        EXPECT_EQ(test::read_all(source).data, expected_matrix(3, 2).data);
    }
}

TEST(ArraySource, ByteSwappedFloat64IsNotLent) {
    Layout<double> l(4, 3, 3 * d, d, 0, /*swap=*/true);
    l.array.type = ElementType::Float64;
    ArraySource source(l.array);
    EXPECT_EQ(source.view(0, 4), nullptr);
    EXPECT_EQ(test::read_all(source).data, expected_matrix(4, 3).data);
}

TEST(ArraySource, NarrowTypesInAnyLayout) {
    const std::size_t rows = 5, cols = 3;
    {
        Layout<float> l(rows, cols, -3 * 4, 4, 2, /*swap=*/true);  // unaligned too
        l.array.type = ElementType::Float32;
        ArraySource source(l.array);
        EXPECT_EQ(source.view(0, rows), nullptr);
        EXPECT_EQ(test::read_all(source).data, (expected_as<float>(rows, cols).data));
    }
    {
        Layout<std::int16_t> l(rows, cols, 2, static_cast<std::ptrdiff_t>(rows) * 2);
        l.array.type = ElementType::Int16;
        ArraySource source(l.array);
        EXPECT_EQ(test::read_all(source).data, (expected_as<std::int16_t>(rows, cols).data));
    }
    {
        Layout<std::uint8_t> l(rows, cols, 7, -2, 1);
        l.array.type = ElementType::UInt8;
        ArraySource source(l.array);
        EXPECT_EQ(test::read_all(source).data, (expected_as<std::uint8_t>(rows, cols).data));
    }
    {
        Layout<std::int64_t> l(rows, cols, 3 * 8, 8, 0, /*swap=*/true);
        l.array.type = ElementType::Int64;
        ArraySource source(l.array);
        EXPECT_EQ(source.view(0, rows), nullptr);  // contiguous, but not float64
        EXPECT_EQ(test::read_all(source).data, (expected_as<std::int64_t>(rows, cols).data));
    }
}

TEST(ArraySource, SingleRowOrColumnWithOddStridesIsStillContiguous) {
    // NumPy reports arbitrary strides for length-1 axes; they never matter.
    Layout<double> row(1, 4, 12345 * d, d);
    row.array.type = ElementType::Float64;
    ArraySource one_row(row.array);
    EXPECT_NE(one_row.view(0, 1), nullptr);
    EXPECT_EQ(test::read_all(one_row).data, expected_matrix(1, 4).data);

    Layout<double> column(6, 1, d, -999 * d);
    column.array.type = ElementType::Float64;
    ArraySource one_column(column.array);
    EXPECT_NE(one_column.view(0, 6), nullptr);
    EXPECT_EQ(test::read_all(one_column).data, expected_matrix(6, 1).data);
}

TEST(ArraySource, ReadsIntoAWiderDestinationAndLeavesThePaddingAlone) {
    Layout<double> l(4, 3, 3 * d, d);
    l.array.type = ElementType::Float64;
    ArraySource source(l.array);
    const std::size_t ld = 5;
    std::vector<double> out(2 * ld, -1.0);
    source.read(1, 2, out.data(), ld);
    EXPECT_EQ(out,
              (std::vector<double>{value_at(1, 0), value_at(1, 1), value_at(1, 2), -1.0, -1.0,
                                   value_at(2, 0), value_at(2, 1), value_at(2, 2), -1.0, -1.0}));
}

TEST(ArraySource, ReadPastTheEndIsAnError) {
    Layout<double> l(4, 3, 3 * d, d);
    l.array.type = ElementType::Float64;
    ArraySource source(l.array);
    std::vector<double> out(3 * 3);
    EXPECT_H5L_ERROR(ErrorKind::Runtime, source.read(2, 3, out.data(), 3));
}

TEST(ArraySource, StreamBlocksUsesTheCallersMemoryForContiguousFloat64) {
    const std::size_t rows = 10, cols = 3;
    Layout<double> l(rows, cols, 3 * d, d);
    l.array.type = ElementType::Float64;
    ArraySource source(l.array);
    BlockPlan plan{4, 3};
    std::vector<std::size_t> firsts;
    stream_blocks(source, plan, nullptr, [&](const Block& block) {
        firsts.push_back(block.first);
        EXPECT_FALSE(block.owned);
        EXPECT_EQ(block.ld, cols);
        EXPECT_EQ(reinterpret_cast<const char*>(block.data),
                  l.array.data + block.first * cols * sizeof(double));
    });
    EXPECT_EQ(firsts, (std::vector<std::size_t>{0, 4, 8}));
}

TEST(ArraySource, StreamBlocksCopiesEverythingElse) {
    const std::size_t rows = 10, cols = 3;
    Layout<double> l(rows, cols, -3 * d, d);  // X[::-1]
    l.array.type = ElementType::Float64;
    ArraySource source(l.array);
    BlockPlan plan{4, 3};
    Matrix seen(rows, cols);
    stream_blocks(source, plan, nullptr, [&](const Block& block) {
        EXPECT_TRUE(block.owned);
        for (std::size_t i = 0; i < block.rows; ++i) {
            for (std::size_t j = 0; j < cols; ++j) {
                seen(block.first + i, j) = block.data[i * block.ld + j];
            }
        }
    });
    EXPECT_EQ(seen.data, expected_matrix(rows, cols).data);
}

}  // namespace
}  // namespace h5linalg
