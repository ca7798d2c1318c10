// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// A @ B streamed into a RowSink: dgemm and dgemv paths, every block size, and the
// shape check; run_matmul, the whole run behind h5linalg.matmul.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/kernels/matmul.hpp"
#include "core/rows/array_source.hpp"
#include "fake_source.hpp"
#include "test_support.hpp"

namespace h5linalg {
namespace {

using test::FakeSource;
using test::Matrix;

std::vector<long double> reference_product(const Matrix& a, const Matrix& b) {
    std::vector<long double> c(a.rows * b.cols, 0.0L);
    for (std::size_t i = 0; i < a.rows; ++i)
        for (std::size_t k = 0; k < a.cols; ++k)
            for (std::size_t j = 0; j < b.cols; ++j)
                c[i * b.cols + j] += static_cast<long double>(a(i, k)) * b(k, j);
    return c;
}

TEST(Matmul, MatchesReferenceForEveryWidthAndBlockSize) {
    const Matrix a = test::random_matrix(203, 7, 81);
    for (const std::size_t p : {1u, 2u, 9u}) {
        const Matrix b = test::random_matrix(7, p, 82 + p);
        const auto reference = reference_product(a, b);
        for (const std::size_t block : {0u, 1u, 10u, 500u}) {
            for (const bool array : {false, true}) {
                SCOPED_TRACE("p " + std::to_string(p) + ", block_rows " + std::to_string(block) +
                             (array ? ", array" : ", fake"));
                ArraySource array_source(test::strided_view(a));
                FakeSource fake_source(a);
                RowSource& source = array ? static_cast<RowSource&>(array_source) : fake_source;
                StreamOptions options;
                options.block_rows = block;
                const BlockPlan plan = plan_blocks(source, options, matmul_memory_needs(p, false));
                std::vector<double> c(a.rows * p, -1.0);
                MemorySink sink(c.data(), p);
                compute_matmul(source, b.data.data(), 7, p, plan, sink, nullptr);
                EXPECT_LT(test::relative_error(c, reference), 1e-14);
            }
        }
    }
}

TEST(Matmul, InnerDimensionMismatchIsAValueErrorWithBothShapes) {
    const Matrix a = test::random_matrix(5, 3, 90);
    FakeSource source(a);
    const std::string message =
        EXPECT_H5L_ERROR(ErrorKind::Value, check_matmul_shapes(source, 4, 2));
    EXPECT_NE(message.find("(5, 3)"), std::string::npos) << message;
    EXPECT_NE(message.find("(4, 2)"), std::string::npos) << message;
    std::vector<double> b(8), c(10);
    MemorySink sink(c.data(), 2);
    EXPECT_H5L_ERROR(ErrorKind::Value,
                     compute_matmul(source, b.data(), 4, 2, BlockPlan{5, 1}, sink, nullptr));
    EXPECT_TRUE(source.calls.empty());
}

TEST(Matmul, ZeroColumnBGivesAnEmptyResultWithoutInvalidBlasCalls) {
    // numpy: A (m, k) @ B (k, 0) is an (m, 0) array, and the Python API passes such
    // a B through. BLAS requires ldb, ldc >= 1: the reference CBLAS's error handler
    // calls exit(), OpenBLAS prints "** On entry to DGEMM parameter number ...".
    const Matrix a = test::random_matrix(6, 3, 91);
    ArraySource source(test::strided_view(a));
    const BlockPlan plan = plan_blocks(source, StreamOptions{}, matmul_memory_needs(0, false));
    std::vector<double> b(1), c(1, -1.0);  // no elements; valid pointers anyway
    MemorySink sink(c.data(), 0);
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    compute_matmul(source, b.data(), 3, 0, plan, sink, nullptr);
    const std::string out = ::testing::internal::GetCapturedStdout();
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(out.find("illegal value"), std::string::npos) << out;
    EXPECT_EQ(err.find("illegal value"), std::string::npos) << err;
    EXPECT_EQ(err.find("was incorrect"), std::string::npos) << err;
    EXPECT_EQ(c[0], -1.0);
}

TEST(Matmul, RunIntoMemoryAsksForTheResultOnceItKnowsTheRows) {
    const Matrix a = test::random_matrix(57, 4, 92);
    const Matrix b = test::random_matrix(4, 3, 93);
    FakeSource source(a);
    std::vector<double> c;
    std::vector<std::size_t> asked;
    MatmulOutput out;
    out.allocate = [&](std::size_t rows) {
        asked.push_back(rows);
        c.assign(rows * 3, -1.0);
        return c.data();
    };
    StreamOptions options;
    options.block_rows = 10;
    run_matmul(source, b.data.data(), 4, 3, out, options);
    EXPECT_EQ(asked, (std::vector<std::size_t>{57}));
    EXPECT_LT(test::relative_error(c, reference_product(a, b)), 1e-14);
}

TEST(Matmul, RunChecksShapesAndMemoryBeforeAnyOutputExists) {
    const Matrix a = test::random_matrix(5, 3, 94);
    FakeSource source(a);
    std::vector<double> b(8);
    test::TempDir dir;
    MatmulOutput to_file;
    to_file.file = OutputSpec{};
    to_file.file->path = dir.file("never.h5");
    to_file.file->name = "/C";
    EXPECT_H5L_ERROR(ErrorKind::Value,
                     run_matmul(source, b.data(), 4, 2, to_file, StreamOptions{}));
    EXPECT_FALSE(std::filesystem::exists(to_file.file->path));
    StreamOptions tiny;
    tiny.memory_limit = 10;
    std::vector<double> a_b(6);
    EXPECT_H5L_ERROR(ErrorKind::Memory, run_matmul(source, a_b.data(), 3, 2, to_file, tiny));
    EXPECT_FALSE(std::filesystem::exists(to_file.file->path));
    EXPECT_TRUE(source.calls.empty());
}

TEST(Matmul, MemoryNeedsCountTheOutputDoubleBuffer) {
    EXPECT_EQ(matmul_memory_needs(3, false).extra_bytes_per_row, 0u);
    EXPECT_EQ(matmul_memory_needs(3, true).extra_bytes_per_row, 2 * 3 * sizeof(double));
}

}  // namespace
}  // namespace h5linalg
