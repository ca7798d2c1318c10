// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Moments, Gram matrix and centred scatter against long-double two-pass
// references, over every block size, with NumPy's NaN / Inf semantics and data
// with a large common offset.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "core/kernels/gram.hpp"
#include "core/kernels/moments.hpp"
#include "core/rows/array_source.hpp"
#include "fake_source.hpp"
#include "test_support.hpp"

namespace h5linalg {
namespace {

using test::FakeSource;
using test::Matrix;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

StreamOptions blocks_of(std::size_t rows) {
    StreamOptions options;
    options.block_rows = rows;
    return options;
}

const std::size_t block_sizes[] = {0, 1, 2, 7, 64, 1000};

/// Both source kinds: the zero-copy ArraySource path and the prefetching path.
std::vector<std::unique_ptr<RowSource>> sources_for(const Matrix& m) {
    std::vector<std::unique_ptr<RowSource>> out;
    out.push_back(std::make_unique<ArraySource>(test::strided_view(m)));
    out.push_back(std::make_unique<FakeSource>(m));
    return out;
}

// --- Moments -------------------------------------------------------------------------

void expect_moments_match_reference(const Matrix& m, double tolerance) {
    const auto mean = test::reference_mean(m);
    for (const std::size_t block : block_sizes) {
        for (auto& source : sources_for(m)) {
            SCOPED_TRACE("block_rows " + std::to_string(block) + ", source " +
                         (dynamic_cast<ArraySource*>(source.get()) ? "array" : "fake"));
            const MomentsResult r = compute_moments(*source, blocks_of(block));
            EXPECT_EQ(r.count, m.rows);
            ASSERT_EQ(r.mean.size(), m.cols);
            for (std::size_t j = 0; j < m.cols; ++j) {
                long double m2 = 0.0L;
                double lo = kInf, hi = -kInf;
                for (std::size_t i = 0; i < m.rows; ++i) {
                    const long double dev = m(i, j) - mean[j];
                    m2 += dev * dev;
                    lo = std::min(lo, m(i, j));
                    hi = std::max(hi, m(i, j));
                }
                EXPECT_NEAR(r.mean[j], static_cast<double>(mean[j]),
                            1e-14 * std::fabs(static_cast<double>(mean[j])) + 1e-300)
                    << "column " << j;
                EXPECT_NEAR(r.m2[j], static_cast<double>(m2),
                            tolerance * static_cast<double>(m2) + 1e-300)
                    << "column " << j;
                EXPECT_EQ(r.min[j], lo) << "column " << j;
                EXPECT_EQ(r.max[j], hi) << "column " << j;
            }
        }
    }
}

TEST(Moments, MatchLongDoubleReference) {
    expect_moments_match_reference(test::random_matrix(1000, 5, 11, 3.0, 2.0), 1e-13);
}

TEST(Moments, LargeCommonOffsetKeepsItsPrecision) {
    // 1e8 + N(0, 1): a naive sum-of-squares variance loses every digit here.
    expect_moments_match_reference(test::random_matrix(1000, 3, 12, 1e8, 1.0), 1e-12);
}

TEST(Moments, OneRow) {
    Matrix m(1, 3);
    m.data = {1.5, -2.0, 7.0};
    for (auto& source : sources_for(m)) {
        const MomentsResult r = compute_moments(*source, StreamOptions{});
        EXPECT_EQ(r.count, 1u);
        EXPECT_EQ(r.mean, m.data);
        EXPECT_EQ(r.m2, std::vector<double>(3, 0.0));
        EXPECT_EQ(r.min, m.data);
        EXPECT_EQ(r.max, m.data);
    }
}

TEST(Moments, ConstantColumnHasZeroVarianceExactly) {
    Matrix m(777, 1, 0.1);
    for (const std::size_t block : block_sizes) {
        FakeSource source(m);
        const MomentsResult r = compute_moments(source, blocks_of(block));
        EXPECT_EQ(r.m2[0], 0.0) << "block_rows " << block;
        EXPECT_NEAR(r.mean[0], 0.1, 1e-16);
    }
}

/// Columns: [NaN somewhere], [+inf somewhere], [-inf somewhere], [+inf and -inf], finite.
Matrix special_values(std::size_t rows, std::size_t where) {
    Matrix m(rows, 5);
    for (std::size_t i = 0; i < rows; ++i) {
        for (std::size_t j = 0; j < 5; ++j) {
            m(i, j) = static_cast<double>(i % 7) - 3.0;
        }
    }
    m(where, 0) = kNaN;
    m(where, 1) = kInf;
    m(where, 2) = -kInf;
    m(where, 3) = kInf;
    m((where + rows / 2) % rows, 3) = -kInf;
    return m;
}

TEST(Moments, NanAndInfFollowNumPy) {
    // numpy.mean / var / min / max (the non-nan reductions) on these columns:
    //   NaN:        mean nan, var nan, min nan, max nan
    //   +inf:       mean inf, var nan, max inf
    //   -inf:       mean -inf, var nan, min -inf
    //   +inf, -inf: mean nan, var nan, min -inf, max inf
    const std::size_t rows = 50;
    for (const std::size_t where : {std::size_t{0}, std::size_t{17}, rows - 1}) {
        const Matrix m = special_values(rows, where);
        for (const std::size_t block : block_sizes) {
            for (auto& source : sources_for(m)) {
                SCOPED_TRACE("special value in row " + std::to_string(where) + ", block_rows " +
                             std::to_string(block));
                const MomentsResult r = compute_moments(*source, blocks_of(block));
                EXPECT_TRUE(std::isnan(r.mean[0]));
                EXPECT_TRUE(std::isnan(r.m2[0]));
                EXPECT_TRUE(std::isnan(r.min[0]));
                EXPECT_TRUE(std::isnan(r.max[0]));

                EXPECT_EQ(r.mean[1], kInf);
                EXPECT_TRUE(std::isnan(r.m2[1]));
                EXPECT_EQ(r.min[1], -3.0);
                EXPECT_EQ(r.max[1], kInf);

                EXPECT_EQ(r.mean[2], -kInf);
                EXPECT_TRUE(std::isnan(r.m2[2]));
                EXPECT_EQ(r.min[2], -kInf);
                EXPECT_EQ(r.max[2], 3.0);

                EXPECT_TRUE(std::isnan(r.mean[3]));
                EXPECT_TRUE(std::isnan(r.m2[3]));
                EXPECT_EQ(r.min[3], -kInf);
                EXPECT_EQ(r.max[3], kInf);

                EXPECT_TRUE(std::isfinite(r.mean[4]));
                EXPECT_TRUE(std::isfinite(r.m2[4]));
                EXPECT_EQ(r.min[4], -3.0);
                EXPECT_EQ(r.max[4], 3.0);
            }
        }
    }
}

TEST(Moments, NanIsStickyInMinAndMaxWhateverComesAfter) {
    Matrix m(6, 1);
    m.data = {5.0, kNaN, -100.0, 100.0, -kInf, kInf};
    for (const std::size_t block : block_sizes) {
        FakeSource source(m);
        const MomentsResult r = compute_moments(source, blocks_of(block));
        EXPECT_TRUE(std::isnan(r.min[0])) << "block_rows " << block;
        EXPECT_TRUE(std::isnan(r.max[0])) << "block_rows " << block;
    }
}

TEST(Moments, ObserverSeesEveryBlock) {
    struct Counter final : Observer {
        std::size_t calls = 0, last = 0;
        void progress(std::size_t done, std::size_t) override {
            ++calls;
            last = done;
        }
    } counter;
    Matrix m = test::random_matrix(95, 2, 13);
    FakeSource source(m);
    StreamOptions options = blocks_of(10);
    options.observer = &counter;
    compute_moments(source, options);
    EXPECT_EQ(counter.calls, 11u);  // once before the first block, then after each of 10
    EXPECT_EQ(counter.last, 95u);
}

/// Runs a kernel on a source with no rows: sources reject empty data, but a kernel
/// handed one anyway must fail with a Value error or return an empty result, never
/// read out of bounds.
template <typename Kernel>
void expect_clean_on_zero_rows(Kernel&& kernel) {
    FakeSource source(0, 3);
    try {
        kernel(source);
    } catch (const Error& error) {
        EXPECT_EQ(error.kind(), ErrorKind::Value) << error.what();
    }
}

TEST(Moments, ZeroRowsAreAValueErrorOrAnEmptyResult) {
    expect_clean_on_zero_rows([](RowSource& source) {
        const MomentsResult r = compute_moments(source, StreamOptions{});
        EXPECT_EQ(r.count, 0u);
        EXPECT_TRUE(std::isnan(r.mean[0]));
    });
}

// --- Gram ------------------------------------------------------------------------------

TEST(Gram, MatchesLongDoubleReferenceAndIsSymmetric) {
    const Matrix m = test::random_matrix(500, 6, 21, 1.0, 3.0);
    const auto reference = test::reference_gram(m);
    for (const std::size_t block : block_sizes) {
        for (auto& source : sources_for(m)) {
            SCOPED_TRACE("block_rows " + std::to_string(block));
            const std::vector<double> g = compute_gram(*source, blocks_of(block));
            ASSERT_EQ(g.size(), 36u);
            EXPECT_LT(test::relative_error(g, reference), 1e-13);
            for (std::size_t a = 0; a < 6; ++a) {
                for (std::size_t b = 0; b < 6; ++b) {
                    EXPECT_EQ(g[a * 6 + b], g[b * 6 + a]);
                }
            }
        }
    }
}

TEST(Gram, SmallIntegersAreExact) {
    Matrix m(40, 3);
    for (std::size_t i = 0; i < 40; ++i) {
        m(i, 0) = 1.0;
        m(i, 1) = static_cast<double>(i);
        m(i, 2) = static_cast<double>(i % 3) - 1.0;
    }
    const auto reference = test::reference_gram(m);
    FakeSource source(m);
    const std::vector<double> g = compute_gram(source, blocks_of(7));
    for (std::size_t k = 0; k < 9; ++k) {
        EXPECT_EQ(g[k], static_cast<double>(reference[k])) << "entry " << k;
    }
}

TEST(Gram, OneColumn) {
    Matrix m(3, 1);
    m.data = {1.0, 2.0, 3.0};
    FakeSource source(m);
    EXPECT_EQ(compute_gram(source, StreamOptions{}), std::vector<double>{14.0});
}

TEST(Gram, NanPropagates) {
    Matrix m = test::random_matrix(20, 3, 22);
    m(5, 1) = kNaN;
    FakeSource source(m);
    const std::vector<double> g = compute_gram(source, blocks_of(4));
    EXPECT_TRUE(std::isnan(g[1 * 3 + 1]));
    EXPECT_TRUE(std::isnan(g[0 * 3 + 1]));
    EXPECT_TRUE(std::isnan(g[1 * 3 + 2]));
    EXPECT_FALSE(std::isnan(g[0 * 3 + 2]));
}

TEST(Gram, SymmetrizeFromUpper) {
    std::vector<double> a = {1, -1, -1, 2, 3, -1, 4, 5, 6};  // column-major, upper filled
    symmetrize_from_upper(a, 3);
    EXPECT_EQ(a, (std::vector<double>{1, 2, 4, 2, 3, 5, 4, 5, 6}));
}

// --- Scatter (covariance * (count - 1)) -------------------------------------------------

void expect_scatter_matches(const Matrix& m, double tolerance) {
    const auto mean = test::reference_mean(m);
    const auto reference = test::reference_scatter(m);
    for (const std::size_t block : block_sizes) {
        for (auto& source : sources_for(m)) {
            SCOPED_TRACE("block_rows " + std::to_string(block));
            const ScatterResult r = compute_scatter(*source, blocks_of(block));
            EXPECT_EQ(r.count, m.rows);
            ASSERT_EQ(r.scatter.size(), m.cols * m.cols);
            for (std::size_t j = 0; j < m.cols; ++j) {
                EXPECT_NEAR(r.mean[j], static_cast<double>(mean[j]),
                            1e-14 * std::fabs(static_cast<double>(mean[j])) + 1e-15);
            }
            EXPECT_LT(test::relative_error(r.scatter, reference), tolerance);
            for (std::size_t a = 0; a < m.cols; ++a) {
                for (std::size_t b = 0; b < m.cols; ++b) {
                    EXPECT_EQ(r.scatter[a * m.cols + b], r.scatter[b * m.cols + a]);
                }
            }
        }
    }
}

TEST(Scatter, MatchesTwoPassReference) {
    expect_scatter_matches(test::random_matrix(1000, 4, 31, -2.0, 5.0), 1e-13);
}

TEST(Scatter, LargeCommonOffset) {
    // numpy.cov on 1e8 + N(0, 1) is accurate to ~1e-15; a one-pass X^T X - n m m^T
    // gives noise, and block means of unshifted sums lose ~1e-8. The shifted,
    // block-centred Chan update must stay at NumPy's level.
    Matrix m = test::random_matrix(2000, 3, 32, 1e8, 1.0);
    // Correlate the columns so the off-diagonal entries are not tiny.
    for (std::size_t i = 0; i < m.rows; ++i) {
        m(i, 1) = m(i, 1) + 0.5 * (m(i, 0) - 1e8);
        m(i, 2) = 2.0e8 + 3.0 * (m(i, 2) - 1e8);
    }
    expect_scatter_matches(m, 1e-12);
}

TEST(Scatter, OneRowIsZero) {
    Matrix m(1, 2);
    m.data = {3.0, 4.0};
    FakeSource source(m);
    const ScatterResult r = compute_scatter(source, StreamOptions{});
    EXPECT_EQ(r.count, 1u);
    EXPECT_EQ(r.mean, m.data);
    EXPECT_EQ(r.scatter, std::vector<double>(4, 0.0));
}

TEST(Scatter, ZeroRowsAreAValueErrorOrAnEmptyResult) {
    expect_clean_on_zero_rows([](RowSource& source) {
        const ScatterResult r = compute_scatter(source, StreamOptions{});
        EXPECT_EQ(r.count, 0u);
    });
}

TEST(Gram, ZeroRowsAreAValueErrorOrAnEmptyResult) {
    expect_clean_on_zero_rows([](RowSource& source) {
        EXPECT_EQ(compute_gram(source, StreamOptions{}), std::vector<double>(9, 0.0));
    });
}

TEST(Scatter, DoesNotModifyTheCallersArray) {
    Matrix m = test::random_matrix(30, 3, 33, 5.0);
    const Matrix original = m;
    ArraySource source(test::strided_view(m));
    compute_scatter(source, blocks_of(7));
    EXPECT_EQ(m.data, original.data);
}

}  // namespace
}  // namespace h5linalg
