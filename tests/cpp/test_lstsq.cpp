// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Streaming least squares (TSQR): exact solutions, ill-conditioned problems
// against a long-double Householder QR, block sizes around LAPACK's slab size,
// and the errors: rows mismatch, too few rows, non-finite data (Value) and
// rank deficiency (LinAlg).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/kernels/lstsq.hpp"
#include "core/rows/array_source.hpp"
#include "fake_source.hpp"
#include "test_support.hpp"

namespace h5linalg {
namespace {

using test::FakeSource;
using test::Matrix;

/// min ||X b - Y|| by Householder QR in long double (64-bit mantissa): accurate to
/// ~cond * 1e-19, far beyond what a float64 solver can reach at cond 1e8.
std::vector<long double> reference_lstsq(const Matrix& x, const Matrix& y) {
    const std::size_t rows = x.rows, n = x.cols, m = y.cols;
    std::vector<long double> a(rows * n), b(rows * m);
    for (std::size_t i = 0; i < rows * n; ++i) a[i] = x.data[i];
    for (std::size_t i = 0; i < rows * m; ++i) b[i] = y.data[i];
    auto A = [&](std::size_t i, std::size_t j) -> long double& { return a[i * n + j]; };
    auto B = [&](std::size_t i, std::size_t j) -> long double& { return b[i * m + j]; };
    std::vector<long double> v(rows);
    for (std::size_t k = 0; k < n; ++k) {
        long double norm = 0.0L;
        for (std::size_t i = k; i < rows; ++i) norm += A(i, k) * A(i, k);
        norm = std::sqrt(norm);
        const long double alpha = A(k, k) > 0 ? -norm : norm;
        long double vnorm2 = 0.0L;
        for (std::size_t i = k; i < rows; ++i) {
            v[i] = A(i, k) - (i == k ? alpha : 0.0L);
            vnorm2 += v[i] * v[i];
        }
        if (vnorm2 == 0.0L) continue;
        auto reflect = [&](auto&& column, std::size_t count) {
            for (std::size_t j = 0; j < count; ++j) {
                long double dot = 0.0L;
                for (std::size_t i = k; i < rows; ++i) dot += v[i] * column(i, j);
                const long double f = 2.0L * dot / vnorm2;
                for (std::size_t i = k; i < rows; ++i) column(i, j) -= f * v[i];
            }
        };
        reflect(A, n);
        reflect(B, m);
    }
    std::vector<long double> coef(n * m);
    for (std::size_t j = 0; j < m; ++j) {
        for (std::size_t i = n; i-- > 0;) {
            long double s = B(i, j);
            for (std::size_t k = i + 1; k < n; ++k) s -= A(i, k) * coef[k * m + j];
            coef[i * m + j] = s / A(i, i);
        }
    }
    return coef;
}

Matrix multiply(const Matrix& x, const Matrix& b) {
    Matrix y(x.rows, b.cols);
    for (std::size_t i = 0; i < x.rows; ++i) {
        for (std::size_t j = 0; j < b.cols; ++j) {
            long double s = 0.0L;
            for (std::size_t k = 0; k < x.cols; ++k)
                s += static_cast<long double>(x(i, k)) * b(k, j);
            y(i, j) = static_cast<double>(s);
        }
    }
    return y;
}

std::vector<double> solve(const Matrix& x, const Matrix& y, std::size_t block_rows = 0,
                          std::size_t slab_rows = 0) {
    FakeSource xs(x), ys(y);
    StreamOptions options;
    options.block_rows = block_rows;
    options.lstsq_slab_rows = slab_rows;
    return compute_lstsq(xs, ys, options);
}

TEST(Lstsq, ExactSolutionOfAConsistentSystem) {
    test::Rng rng(51);
    Matrix x(200, 5), b(5, 1);
    for (double& v : x.data) v = static_cast<double>(rng.integer(-9, 9));
    b.data = {1.0, -2.0, 0.5, 3.0, 0.0};
    const Matrix y = multiply(x, b);  // exact: small integers and halves
    for (const std::size_t block : {0u, 1u, 3u, 64u}) {
        const std::vector<double> coef = solve(x, y, block);
        ASSERT_EQ(coef.size(), 5u);
        for (std::size_t i = 0; i < 5; ++i) {
            EXPECT_NEAR(coef[i], b.data[i], 1e-13) << "block_rows " << block << ", entry " << i;
        }
    }
}

TEST(Lstsq, SeveralRightHandSidesAreRowMajorNByM) {
    const Matrix x = test::random_matrix(100, 3, 52);
    Matrix b(3, 4);
    for (std::size_t i = 0; i < 12; ++i) b.data[i] = static_cast<double>(i) - 5.5;
    const Matrix y = multiply(x, b);
    const std::vector<double> coef = solve(x, y, 16);
    ASSERT_EQ(coef.size(), 12u);
    for (std::size_t i = 0; i < 12; ++i) {
        EXPECT_NEAR(coef[i], b.data[i], 1e-12) << "entry " << i;
    }
}

TEST(Lstsq, InconsistentSystemMatchesReference) {
    const Matrix x = test::random_matrix(700, 4, 53, 0.0, 2.0);
    const Matrix y = test::random_matrix(700, 2, 54, 1.0, 1.0);
    const auto reference = reference_lstsq(x, y);
    for (const std::size_t block : {0u, 1u, 100u, 511u, 513u}) {
        EXPECT_LT(test::relative_error(solve(x, y, block), reference), 1e-13)
            << "block_rows " << block;
    }
}

TEST(Lstsq, SquareSystem) {
    Matrix x(3, 3);
    x.data = {2, 1, 0, 1, 3, 1, 0, 1, 4};
    Matrix y(3, 1);
    y.data = {3, 5, 5};  // b = (1, 1, 1)
    const std::vector<double> coef = solve(x, y);
    for (const double c : coef) EXPECT_NEAR(c, 1.0, 1e-15);
}

TEST(Lstsq, OneColumn) {
    Matrix x(4, 1), y(4, 1);
    x.data = {1, 2, 3, 4};
    y.data = {2, 4, 6, 9};
    // b = x.y / x.x = 64 / 30
    EXPECT_NEAR(solve(x, y)[0], 64.0 / 30.0, 1e-15);
}

TEST(Lstsq, MoreThan32ColumnsAndSlabs) {
    // w > 32 exercises LAPACK's inner blocking (mb = 32); 1300 rows span three slabs.
    const Matrix x = test::random_matrix(1300, 40, 55);
    const Matrix y = test::random_matrix(1300, 1, 56);
    const auto reference = reference_lstsq(x, y);
    for (const std::size_t block : {0u, 97u}) {
        EXPECT_LT(test::relative_error(solve(x, y, block), reference), 1e-12)
            << "block_rows " << block;
    }
}

TEST(Lstsq, IllConditionedNearlyCollinearColumns) {
    // cond(X) ~ 1e8: the normal equations would square it to 1e16 and lose every digit.
    const std::size_t rows = 400;
    test::Rng rng(57);
    Matrix x(rows, 4), y(rows, 1);
    for (std::size_t i = 0; i < rows; ++i) {
        const double t = rng.normal();
        x(i, 0) = t;
        x(i, 1) = t + 1e-8 * rng.normal();
        x(i, 2) = rng.normal();
        x(i, 3) = 1.0;
        y(i, 0) = 2.0 * x(i, 0) - 1.0 * x(i, 1) + 0.5 * x(i, 2) + 3.0 + 1e-3 * rng.normal();
    }
    const auto reference = reference_lstsq(x, y);
    // TSQR lands within ~2e-7 of the reference (cond * eps); the normal equations ~1.
    for (const std::size_t block : {0u, 7u}) {
        const std::vector<double> coef = solve(x, y, block);
        EXPECT_LT(test::relative_error(coef, reference), 1e-6) << "block_rows " << block;
    }
}

TEST(Lstsq, IllConditionedPolynomialFit) {
    // Vandermonde columns 1, t, ..., t^9 on [0, 1]: cond ~ 1e7-1e8.
    const std::size_t rows = 600, n = 10;
    test::Rng rng(58);
    Matrix x(rows, n), y(rows, 1);
    for (std::size_t i = 0; i < rows; ++i) {
        const double t = static_cast<double>(i) / static_cast<double>(rows - 1);
        double p = 1.0;
        for (std::size_t j = 0; j < n; ++j) {
            x(i, j) = p;
            p *= t;
        }
        y(i, 0) = std::sin(4.0 * t) + 1e-6 * rng.normal();
    }
    const auto reference = reference_lstsq(x, y);
    // TSQR lands within ~1e-11 of the reference; the normal equations only ~1e-4.
    for (const std::size_t block : {0u, 50u}) {
        const std::vector<double> coef = solve(x, y, block);
        EXPECT_LT(test::relative_error(coef, reference), 1e-8) << "block_rows " << block;
    }
}

TEST(Lstsq, EverySlabSizeAgrees) {
    // lstsq_slab_rows (H5LINALG_LSTSQ_SLAB: rows per LAPACK call) below, at and above the width
    // n + m = 6, with blocks that do not divide into slabs.
    const Matrix x = test::random_matrix(157, 5, 76);
    const Matrix y = test::random_matrix(157, 1, 77);
    const auto reference = reference_lstsq(x, y);
    for (const std::size_t slab : {1u, 2u, 5u, 6u, 7u, 64u, 4096u}) {
        for (const std::size_t block : {0u, 6u, 13u}) {
            EXPECT_LT(test::relative_error(solve(x, y, block, slab), reference), 1e-13)
                << "slab " << slab << ", block_rows " << block;
        }
    }
}

TEST(Lstsq, ArrayAndFakeSourcesMix) {
    const Matrix x = test::random_matrix(50, 2, 59);
    const Matrix y = test::random_matrix(50, 1, 60);
    ArraySource xs(test::strided_view(x));
    FakeSource ys(y);
    StreamOptions options;
    options.block_rows = 9;
    EXPECT_LT(test::relative_error(compute_lstsq(xs, ys, options), reference_lstsq(x, y)), 1e-13);
}

TEST(Lstsq, DoesNotModifyTheCallersArrays) {
    Matrix x = test::random_matrix(30, 2, 61);
    Matrix y = test::random_matrix(30, 1, 62);
    const Matrix x0 = x, y0 = y;
    ArraySource xs(test::strided_view(x)), ys(test::strided_view(y));
    compute_lstsq(xs, ys, StreamOptions{});
    EXPECT_EQ(x.data, x0.data);
    EXPECT_EQ(y.data, y0.data);
}

// --- Errors -----------------------------------------------------------------------------

TEST(LstsqErrors, RowsMismatchIsAValueErrorWithBothShapes) {
    const Matrix x = test::random_matrix(10, 3, 63);
    const Matrix y = test::random_matrix(9, 1, 64);
    FakeSource xs(x), ys(y);
    const std::string message =
        EXPECT_H5L_ERROR(ErrorKind::Value, compute_lstsq(xs, ys, StreamOptions{}));
    EXPECT_NE(message.find("(10, 3)"), std::string::npos) << message;
    EXPECT_NE(message.find("(9, 1)"), std::string::npos) << message;
    EXPECT_TRUE(xs.calls.empty());
}

TEST(LstsqErrors, FewerRowsThanColumnsIsAValueError) {
    const Matrix x = test::random_matrix(2, 3, 65);
    const Matrix y = test::random_matrix(2, 1, 66);
    FakeSource xs(x), ys(y);
    const std::string message =
        EXPECT_H5L_ERROR(ErrorKind::Value, compute_lstsq(xs, ys, StreamOptions{}));
    EXPECT_NE(message.find("(2, 3)"), std::string::npos) << message;
}

TEST(LstsqErrors, DuplicateColumnIsRankDeficient) {
    Matrix x = test::random_matrix(50, 3, 67);
    for (std::size_t i = 0; i < 50; ++i) x(i, 2) = x(i, 0);
    const Matrix y = test::random_matrix(50, 1, 68);
    EXPECT_H5L_ERROR(ErrorKind::LinAlg, solve(x, y));
    EXPECT_H5L_ERROR(ErrorKind::LinAlg, solve(x, y, 4));
}

TEST(LstsqErrors, LinearCombinationIsRankDeficient) {
    Matrix x = test::random_matrix(80, 4, 69);
    for (std::size_t i = 0; i < 80; ++i) x(i, 3) = 2.0 * x(i, 0) - 0.3 * x(i, 1) + x(i, 2);
    const Matrix y = test::random_matrix(80, 2, 70);
    EXPECT_H5L_ERROR(ErrorKind::LinAlg, solve(x, y, 16));
}

TEST(LstsqErrors, ZeroColumnAndAllZeroXAreRankDeficient) {
    Matrix x = test::random_matrix(20, 2, 71);
    for (std::size_t i = 0; i < 20; ++i) x(i, 1) = 0.0;
    const Matrix y = test::random_matrix(20, 1, 72);
    EXPECT_H5L_ERROR(ErrorKind::LinAlg, solve(x, y));
    EXPECT_H5L_ERROR(ErrorKind::LinAlg, solve(Matrix(20, 2, 0.0), y));
}

TEST(LstsqErrors, NonFiniteDataIsAValueError) {
    const Matrix y = test::random_matrix(20, 1, 73);
    Matrix x = test::random_matrix(20, 2, 74);
    x(7, 1) = std::numeric_limits<double>::quiet_NaN();
    EXPECT_H5L_ERROR(ErrorKind::Value, solve(x, y));
    x(7, 1) = std::numeric_limits<double>::infinity();
    EXPECT_H5L_ERROR(ErrorKind::Value, solve(x, y, 3));
    Matrix y_inf = y;
    y_inf(19, 0) = -std::numeric_limits<double>::infinity();
    EXPECT_H5L_ERROR(ErrorKind::Value, solve(test::random_matrix(20, 2, 75), y_inf));
}

}  // namespace
}  // namespace h5linalg
