// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// PCA: the top-k eigenpairs of the covariance, checked through the eigen-equation
// A v = lambda v against a long-double covariance, descending order,
// orthonormality, and the BLAS-independent sign convention.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/kernels/pca.hpp"
#include "fake_source.hpp"
#include "test_support.hpp"

namespace h5linalg {
namespace {

using test::FakeSource;
using test::Matrix;

/// Householder reflector H = I - 2 u u^T / (u^T u): an exactly known orthogonal matrix.
std::vector<long double> householder(const std::vector<long double>& u) {
    const std::size_t n = u.size();
    long double norm2 = 0.0L;
    for (const auto v : u) {
        norm2 += v * v;
    }
    std::vector<long double> h(n * n);
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
            h[i * n + j] = (i == j ? 1.0L : 0.0L) - 2.0L * u[i] * u[j] / norm2;
        }
    }
    return h;
}

/// A = Q diag(lambda) Q^T, so column k of Q is an eigenvector for lambda[k].
std::vector<double> spectral(const std::vector<long double>& q, const std::vector<double>& lambda) {
    const std::size_t n = lambda.size();
    std::vector<double> a(n * n);
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
            long double s = 0.0L;
            for (std::size_t k = 0; k < n; ++k) {
                s += q[i * n + k] * lambda[k] * q[j * n + k];
            }
            a[i * n + j] = static_cast<double>(s);
        }
    }
    // Exactly symmetric.
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            a[i * n + j] = a[j * n + i];
        }
    }
    return a;
}

void expect_sign_convention(const PcaResult& r, std::size_t n) {
    const std::size_t k = r.explained_variance.size();
    for (std::size_t c = 0; c < k; ++c) {
        std::size_t largest = 0;
        for (std::size_t j = 1; j < n; ++j) {
            if (std::fabs(r.components[c * n + j]) > std::fabs(r.components[c * n + largest])) {
                largest = j;
            }
        }
        EXPECT_GT(r.components[c * n + largest], 0.0) << "component " << c;
    }
}

void expect_orthonormal(const PcaResult& r, std::size_t n, double tolerance) {
    const std::size_t k = r.explained_variance.size();
    for (std::size_t a = 0; a < k; ++a) {
        for (std::size_t b = 0; b < k; ++b) {
            double dot = 0.0;
            for (std::size_t j = 0; j < n; ++j) {
                dot += r.components[a * n + j] * r.components[b * n + j];
            }
            EXPECT_NEAR(dot, a == b ? 1.0 : 0.0, tolerance) << "components " << a << ", " << b;
        }
    }
}

/// max_c ||A v_c - lambda_c v_c|| / ||A||_max-ish.
double eigen_residual(const std::vector<long double>& a, const PcaResult& r, std::size_t n) {
    long double scale = 0.0L;
    for (const auto v : a) {
        scale = std::max(scale, std::fabs(v));
    }
    long double worst = 0.0L;
    for (std::size_t c = 0; c < r.explained_variance.size(); ++c) {
        for (std::size_t i = 0; i < n; ++i) {
            long double av = 0.0L;
            for (std::size_t j = 0; j < n; ++j) {
                av += a[i * n + j] * r.components[c * n + j];
            }
            worst =
                std::max(worst, std::fabs(av - static_cast<long double>(r.explained_variance[c]) *
                                                   r.components[c * n + i]));
        }
    }
    return static_cast<double>(worst / scale);
}

TEST(TopEigenpairs, KnownSpectrumInDescendingOrderWithTheSignConvention) {
    const std::size_t n = 5;
    const auto q = householder({1.0L, -2.0L, 0.5L, 3.0L, -1.0L});
    const std::vector<double> lambda = {0.5, 4.0, 1.0, 10.0, 2.5};
    const std::vector<double> a = spectral(q, lambda);
    const std::vector<long double> a_ld(a.begin(), a.end());
    for (std::size_t k = 1; k <= n; ++k) {
        SCOPED_TRACE("k = " + std::to_string(k));
        const PcaResult r = top_eigenpairs(a, n, k);
        ASSERT_EQ(r.explained_variance.size(), k);
        ASSERT_EQ(r.components.size(), k * n);
        const std::vector<double> descending = {10.0, 4.0, 2.5, 1.0, 0.5};
        const std::vector<std::size_t> which = {3, 1, 4, 2, 0};  // column of Q for each
        for (std::size_t c = 0; c < k; ++c) {
            EXPECT_NEAR(r.explained_variance[c], descending[c], 1e-13);
            // The component is column which[c] of Q, up to sign; the sign makes the
            // largest-magnitude entry positive.
            std::size_t largest = 0;
            for (std::size_t j = 1; j < n; ++j) {
                if (std::fabs(q[j * n + which[c]]) > std::fabs(q[largest * n + which[c]])) {
                    largest = j;
                }
            }
            const long double sign = q[largest * n + which[c]] < 0 ? -1.0L : 1.0L;
            for (std::size_t j = 0; j < n; ++j) {
                EXPECT_NEAR(r.components[c * n + j],
                            static_cast<double>(sign * q[j * n + which[c]]), 1e-13)
                    << "component " << c << " entry " << j;
            }
        }
        expect_sign_convention(r, n);
        expect_orthonormal(r, n, 1e-13);
        EXPECT_LT(eigen_residual(a_ld, r, n), 1e-14);
    }
}

TEST(TopEigenpairs, DiagonalMatrix) {
    const std::vector<double> a = {2, 0, 0, 0, -1, 0, 0, 0, 7};
    const PcaResult r = top_eigenpairs(a, 3, 3);
    EXPECT_EQ(r.explained_variance, (std::vector<double>{7, 2, -1}));
    EXPECT_EQ(r.components, (std::vector<double>{0, 0, 1, 1, 0, 0, 0, 1, 0}));
}

TEST(TopEigenpairs, ReadsOnlyTheUpperTriangle) {
    const std::size_t n = 4;
    const auto q = householder({0.3L, 1.0L, -0.7L, 0.2L});
    std::vector<double> a = spectral(q, {1.0, 2.0, 3.0, 4.0});
    const PcaResult clean = top_eigenpairs(a, n, 2);
    // Column-major upper triangle: a[i + j n] with i <= j. Spoil everything else.
    for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t i = j + 1; i < n; ++i) {
            a[i + j * n] = 1e6;
        }
    }
    const PcaResult spoiled = top_eigenpairs(a, n, 2);
    EXPECT_EQ(spoiled.explained_variance, clean.explained_variance);
    EXPECT_EQ(spoiled.components, clean.components);
}

TEST(TopEigenpairs, OneByOne) {
    const PcaResult r = top_eigenpairs({3.5}, 1, 1);
    EXPECT_EQ(r.explained_variance, std::vector<double>{3.5});
    EXPECT_EQ(r.components, std::vector<double>{1.0});
}

TEST(TopEigenpairs, KOutOfRangeIsAValueError) {
    const std::vector<double> a = {1, 0, 0, 1};
    EXPECT_H5L_ERROR(ErrorKind::Value, top_eigenpairs(a, 2, 0));
    EXPECT_H5L_ERROR(ErrorKind::Value, top_eigenpairs(a, 2, 3));
}

// --- compute_pca on data ----------------------------------------------------------------

/// Data whose covariance has well separated eigenvalues, rotated away from the axes.
Matrix correlated_data(std::size_t rows, std::size_t n, std::uint64_t seed, double offset) {
    test::Rng rng(seed);
    std::vector<long double> u(n);
    for (auto& v : u) {
        v = rng.uniform(-1.0, 1.0);
    }
    const auto q = householder(u);
    Matrix m(rows, n);
    std::vector<double> z(n);
    for (std::size_t i = 0; i < rows; ++i) {
        for (std::size_t k = 0; k < n; ++k) {
            z[k] = rng.normal() * static_cast<double>(n - k);  // sd n, n-1, ..., 1
        }
        for (std::size_t j = 0; j < n; ++j) {
            long double s = 0.0L;
            for (std::size_t k = 0; k < n; ++k) {
                s += q[j * n + k] * z[k];
            }
            m(i, j) = offset + static_cast<double>(j) + static_cast<double>(s);
        }
    }
    return m;
}

TEST(ComputePca, EigenEquationOnTheLongDoubleCovariance) {
    const std::size_t n = 6;
    for (const double offset : {0.0, 1e6}) {
        SCOPED_TRACE("offset " + std::to_string(offset));
        const Matrix m = correlated_data(3000, n, 41, offset);
        const auto scatter = test::reference_scatter(m);
        std::vector<long double> covariance(scatter.size());
        for (std::size_t i = 0; i < scatter.size(); ++i) {
            covariance[i] = scatter[i] / static_cast<long double>(m.rows - 1);
        }
        const auto mean = test::reference_mean(m);
        for (const std::size_t block : {0u, 1u, 250u}) {
            FakeSource source(m);
            StreamOptions options;
            options.block_rows = block;
            const PcaResult r = compute_pca(source, 3, options);
            ASSERT_EQ(r.components.size(), 3 * n);
            ASSERT_EQ(r.mean.size(), n);
            for (std::size_t j = 0; j < n; ++j) {
                EXPECT_NEAR(r.mean[j], static_cast<double>(mean[j]),
                            1e-13 * (std::fabs(static_cast<double>(mean[j])) + 1.0));
            }
            EXPECT_GT(r.explained_variance[0], r.explained_variance[1]);
            EXPECT_GT(r.explained_variance[1], r.explained_variance[2]);
            // Roughly the variances the data were drawn with: 36, 25, 16.
            EXPECT_NEAR(r.explained_variance[0], 36.0, 4.0);
            EXPECT_NEAR(r.explained_variance[1], 25.0, 3.0);
            EXPECT_NEAR(r.explained_variance[2], 16.0, 2.0);
            EXPECT_LT(eigen_residual(covariance, r, n), offset == 0.0 ? 1e-12 : 1e-9);
            expect_orthonormal(r, n, 1e-12);
            expect_sign_convention(r, n);
        }
    }
}

TEST(ComputePca, NonFiniteDataIsAValueError) {
    Matrix m = correlated_data(50, 3, 42, 0.0);
    m(20, 1) = std::numeric_limits<double>::quiet_NaN();
    FakeSource with_nan(m);
    const std::string message =
        EXPECT_H5L_ERROR(ErrorKind::Value, compute_pca(with_nan, 1, StreamOptions{}));
    EXPECT_NE(message.find("fake"), std::string::npos) << message;
    m(20, 1) = std::numeric_limits<double>::infinity();
    FakeSource with_inf(m);
    EXPECT_H5L_ERROR(ErrorKind::Value, compute_pca(with_inf, 1, StreamOptions{}));
}

TEST(ComputePca, OverflowingCovarianceIsAValueError) {
    Matrix m(4, 2);
    m.data = {1e300, 1.0, -1e300, 2.0, 1e300, 3.0, -1e300, 4.0};
    FakeSource source(m);
    EXPECT_H5L_ERROR(ErrorKind::Value, compute_pca(source, 1, StreamOptions{}));
}

TEST(ComputePca, OneRowIsAValueError) {
    Matrix m(1, 3, 1.0);
    FakeSource source(m);
    EXPECT_H5L_ERROR(ErrorKind::Value, compute_pca(source, 1, StreamOptions{}));
}

TEST(ComputePca, KIsCheckedBeforeReadingAnything) {
    Matrix m = correlated_data(10, 3, 43, 0.0);
    FakeSource source(m);
    EXPECT_H5L_ERROR(ErrorKind::Value, compute_pca(source, 0, StreamOptions{}));
    EXPECT_H5L_ERROR(ErrorKind::Value, compute_pca(source, 4, StreamOptions{}));
    EXPECT_TRUE(source.calls.empty());
}

TEST(ComputePca, ConstantDataHasZeroVariance) {
    Matrix m(10, 2, 5.0);
    FakeSource source(m);
    const PcaResult r = compute_pca(source, 2, StreamOptions{});
    EXPECT_EQ(r.explained_variance, (std::vector<double>{0.0, 0.0}));
    EXPECT_EQ(r.mean, (std::vector<double>{5.0, 5.0}));
    expect_orthonormal(r, 2, 1e-15);
    expect_sign_convention(r, 2);
}

}  // namespace
}  // namespace h5linalg
