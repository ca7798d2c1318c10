// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Partial states and their merges (what h5linalg.distributed sends between
// tasks): the state of two halves of the rows, merged, equals the state of all
// rows, for moments, scatter, Gram and the least-squares QR; a RowRange reads
// exactly its rows.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "core/kernels/gram.hpp"
#include "core/kernels/lstsq.hpp"
#include "core/kernels/moments.hpp"
#include "core/kernels/pca.hpp"
#include "core/rows/array_source.hpp"
#include "core/rows/row_range.hpp"
#include "test_support.hpp"

namespace h5linalg {
namespace {

using test::Matrix;

/// Rows [first, first + count) of `m` as a RowRange over an ArraySource.
std::unique_ptr<RowSource> rows_of(const Matrix& m, std::size_t first, std::size_t count) {
    return std::make_unique<RowRange>(std::make_unique<ArraySource>(test::strided_view(m)), first,
                                      count);
}

void expect_close(const std::vector<double>& a, const std::vector<double>& b, double rtol) {
    ASSERT_EQ(a.size(), b.size());
    double scale = 1.0;
    for (const double v : b) {
        scale = std::max(scale, std::abs(v));
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_NEAR(a[i], b[i], rtol * scale) << "at " << i;
    }
}

TEST(Partials, RowRangeReadsItsRowsAndRefusesOthers) {
    const Matrix m = test::random_matrix(50, 3, 1);
    auto range = rows_of(m, 10, 7);
    EXPECT_EQ(range->rows(), 7u);
    const Matrix read = test::read_all(*range);
    for (std::size_t i = 0; i < 7; ++i) {
        for (std::size_t j = 0; j < 3; ++j) {
            EXPECT_EQ(read(i, j), m(10 + i, j));
        }
    }
    EXPECT_H5L_ERROR(ErrorKind::Value, rows_of(m, 45, 6));
    EXPECT_H5L_ERROR(ErrorKind::Value, rows_of(m, 0, 0));
}

TEST(Partials, MomentsOfTwoHalvesMergeIntoTheMomentsOfAll) {
    const Matrix m = test::random_matrix(1000, 4, 2, 1e8, 1.0);  // a large common offset
    const StreamOptions options;
    auto all = std::make_unique<ArraySource>(test::strided_view(m));
    const MomentsResult whole = compute_moments(*all, options);
    const MomentsResult merged = merge_moments(compute_moments(*rows_of(m, 0, 377), options),
                                               compute_moments(*rows_of(m, 377, 623), options));
    EXPECT_EQ(merged.count, 1000u);
    expect_close(merged.mean, whole.mean, 1e-15);
    expect_close(merged.m2, whole.m2, 1e-9);
    EXPECT_EQ(merged.min, whole.min);
    EXPECT_EQ(merged.max, whole.max);
}

TEST(Partials, ScatterGramAndPcaOfTwoHalvesMerge) {
    const Matrix m = test::random_matrix(800, 5, 3, 50.0, 2.0);
    const StreamOptions options;
    ArraySource all(test::strided_view(m));
    const ScatterResult whole = compute_scatter(all, options);
    const ScatterResult merged = merge_scatter(compute_scatter(*rows_of(m, 0, 1), options),
                                               compute_scatter(*rows_of(m, 1, 799), options));
    EXPECT_EQ(merged.count, 800u);
    expect_close(merged.mean, whole.mean, 1e-14);
    expect_close(merged.scatter, whole.scatter, 1e-11);
    expect_close(merge_gram(compute_gram(*rows_of(m, 0, 400), options),
                            compute_gram(*rows_of(m, 400, 400), options)),
                 compute_gram(all, options), 1e-13);
    const PcaResult pca = pca_from_scatter(merged, 2, "test");
    expect_close(pca.explained_variance, compute_pca(all, 2, options).explained_variance, 1e-11);
    EXPECT_H5L_ERROR(
        ErrorKind::Value,
        merge_scatter(whole,
                      compute_scatter(*rows_of(test::random_matrix(5, 2, 9), 0, 5), options)));
}

TEST(Partials, LstsqStatesMergeByQr) {
    const Matrix x = test::random_matrix(600, 4, 4);
    Matrix y(600, 1);
    for (std::size_t i = 0; i < 600; ++i) {
        y(i, 0) = x(i, 0) - 2.0 * x(i, 1) + 0.5 * x(i, 3) + 3.0;
    }
    const StreamOptions options;
    ArraySource all_x(test::strided_view(x)), all_y(test::strided_view(y));
    const std::vector<double> whole = compute_lstsq(all_x, all_y, options);
    // Three states, one with fewer rows than columns, merged in either grouping.
    const LstsqState a = lstsq_state(*rows_of(x, 0, 2), *rows_of(y, 0, 2), options);
    const LstsqState b = lstsq_state(*rows_of(x, 2, 298), *rows_of(y, 2, 298), options);
    const LstsqState c = lstsq_state(*rows_of(x, 300, 300), *rows_of(y, 300, 300), options);
    const LstsqState left = merge_lstsq(merge_lstsq(a, b), c);
    const LstsqState right = merge_lstsq(a, merge_lstsq(b, c));
    EXPECT_EQ(left.rows, 600u);
    expect_close(solve_lstsq(left, "x", "y"), whole, 1e-12);
    expect_close(solve_lstsq(right, "x", "y"), whole, 1e-12);
    EXPECT_H5L_ERROR(ErrorKind::Value, solve_lstsq(a, "x", "y"));  // 2 rows, 4 columns
}

}  // namespace
}  // namespace h5linalg
