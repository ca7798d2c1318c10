// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// RowConcatenation: rows of several sources in order, reads that cross part
// boundaries, parts opened only while read and closed once passed, the column
// check, and the planning hints of parts read one after another.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/base/errors.hpp"
#include "core/rows/block_pipeline.hpp"
#include "core/rows/row_concatenation.hpp"
#include "fake_source.hpp"
#include "test_support.hpp"

namespace h5linalg {
namespace {

using test::FakeSource;

/// Part p holds rows whose values encode (p, row within p, column).
struct Parts {
    std::vector<std::size_t> rows;
    std::size_t cols = 3;
    std::vector<PlanningHints> hints;
    std::vector<int> opened;  // times each part was opened
    int live = 0;             // parts open now
    int most_live = 0;

    std::vector<RowConcatenation::Opener> openers() {
        opened.assign(rows.size(), 0);
        hints.resize(rows.size());
        std::vector<RowConcatenation::Opener> out;
        for (std::size_t p = 0; p < rows.size(); ++p) {
            out.emplace_back([this, p] {
                ++opened[p];
                // Counts itself in and out, to check how many parts are open at once.
                struct Counted final : RowSource {
                    FakeSource fake;
                    int& live;
                    Counted(std::size_t r, std::size_t c, int& l) : fake(r, c), live(l) { ++live; }
                    ~Counted() override { --live; }
                    std::size_t rows() const override { return fake.rows(); }
                    std::size_t cols() const override { return fake.cols(); }
                    std::string label() const override { return "part"; }
                    PlanningHints planning_hints() const override { return fake.hints; }
                    void read(std::size_t f, std::size_t c, double* d, std::size_t ld) override {
                        fake.read(f, c, d, ld);
                    }
                };
                auto part = std::make_unique<Counted>(rows[p], cols, live);
                most_live = std::max(most_live, live);
                part->fake.hints = hints[p];
                part->fake.value = [p](std::size_t i, std::size_t j) {
                    return static_cast<double>(p * 1000000 + i * 10 + j);
                };
                return std::unique_ptr<RowSource>(std::move(part));
            });
        }
        return out;
    }

    double expected(std::size_t row, std::size_t j) const {
        std::size_t p = 0;
        while (row >= rows[p]) {
            row -= rows[p++];
        }
        return static_cast<double>(p * 1000000 + row * 10 + j);
    }
};

TEST(RowConcatenation, StreamsEveryRowInOrderAcrossParts) {
    Parts parts;
    parts.rows = {5, 1, 17, 3, 9};
    RowConcatenation stack(parts.openers());
    EXPECT_EQ(stack.rows(), 35u);
    EXPECT_EQ(stack.cols(), 3u);
    EXPECT_EQ(stack.open_parts(), 0u);  // the first look closed every part again
    for (const std::size_t block_rows : {1u, 2u, 4u, 7u, 35u}) {
        StreamOptions options;
        options.block_rows = block_rows;
        const BlockPlan plan = plan_blocks(stack, options, MemoryNeeds{});
        std::size_t next = 0;
        stream_blocks(stack, plan, nullptr, [&](const Block& block) {
            ASSERT_EQ(block.first, next);
            for (std::size_t i = 0; i < block.rows; ++i) {
                for (std::size_t j = 0; j < 3; ++j) {
                    ASSERT_EQ(block.data[i * block.ld + j], parts.expected(next + i, j));
                }
            }
            next += block.rows;
        });
        EXPECT_EQ(next, 35u);
        EXPECT_EQ(stack.open_parts(), 0u);  // the last part closed once passed
    }
    EXPECT_EQ(parts.live, 0);
    // Each run opens each part once more, and never holds two at a time.
    EXPECT_LE(parts.most_live, 1);
    for (const int times : parts.opened) {
        EXPECT_EQ(times, 1 + 5);
    }
}

TEST(RowConcatenation, ColumnCountsMustAgree) {
    Parts parts;
    parts.rows = {4, 4};
    auto openers = parts.openers();
    openers.emplace_back([] { return std::unique_ptr<RowSource>(new FakeSource(2, 4)); });
    try {
        RowConcatenation stack(std::move(openers));
        FAIL() << "expected an error";
    } catch (const Error& error) {
        EXPECT_EQ(error.kind(), ErrorKind::Value);
        EXPECT_NE(std::string(error.what()).find("fake has shape (2, 4) but part"),
                  std::string::npos)
            << error.what();
        EXPECT_NE(std::string(error.what()).find("has shape (4, 3)"), std::string::npos);
    }
}

TEST(RowConcatenation, PlanningHintsOfPartsReadInSequence) {
    Parts parts;
    parts.rows = {20, 30};
    parts.hints.resize(2);
    parts.hints[0].alignment = 10;
    parts.hints[0].minimum_block_rows = 10;
    parts.hints[0].fixed_scratch_bytes = 100;
    parts.hints[0].scratch_bytes_per_row = 8;
    parts.hints[1] = parts.hints[0];
    parts.hints[1].fixed_scratch_bytes = 300;
    {
        RowConcatenation aligned(parts.openers());
        const PlanningHints hints = aligned.planning_hints();
        EXPECT_EQ(hints.alignment, 10u);  // part 1 starts at row 20, a multiple of 10
        EXPECT_EQ(hints.minimum_block_rows, 10u);
        EXPECT_EQ(hints.fixed_scratch_bytes, 300u);  // the largest part's, not the sum
        EXPECT_EQ(hints.scratch_bytes_per_row, 8u);
    }
    parts.rows = {25, 30};  // part 1 starts at row 25: chunk boundaries no longer line up
    RowConcatenation unaligned(parts.openers());
    EXPECT_EQ(unaligned.planning_hints().alignment, 1u);
    EXPECT_EQ(unaligned.planning_hints().minimum_block_rows, 10u);
}

TEST(RowConcatenation, APartThatChangesWhileReadIsAnError) {
    std::size_t rows = 6;
    std::vector<RowConcatenation::Opener> openers;
    openers.emplace_back([&rows] { return std::unique_ptr<RowSource>(new FakeSource(rows, 2)); });
    RowConcatenation stack(std::move(openers));
    rows = 4;  // the file was rewritten between the first look and the read
    std::vector<double> out(12);
    try {
        stack.read(0, 6, out.data(), 2);
        FAIL() << "expected an error";
    } catch (const Error& error) {
        EXPECT_EQ(error.kind(), ErrorKind::IO);
        EXPECT_NE(std::string(error.what()).find("changed while it was being read"),
                  std::string::npos);
    }
}

}  // namespace
}  // namespace h5linalg
