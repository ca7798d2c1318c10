// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// plan_blocks (sizes, chunk alignment, memory errors) and stream_blocks (order,
// the prefetch thread, prepare, progress, and exceptions from the source, the
// consumer and the observer: each propagates and leaves no thread behind).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "core/rows/block_pipeline.hpp"
#include "core/rows/column_stack.hpp"
#include "fake_source.hpp"
#include "test_support.hpp"

namespace h5linalg {
namespace {

using test::FakeSource;

constexpr std::size_t MiB = std::size_t{1} << 20;

StreamOptions with_limit(std::size_t limit, std::size_t block_rows = 0) {
    StreamOptions options;
    options.memory_limit = limit;
    options.block_rows = block_rows;
    return options;
}

// --- plan_blocks -------------------------------------------------------------------

TEST(PlanBlocks, SmallSourceIsOneBlock) {
    FakeSource source(1000, 4);
    const BlockPlan plan = plan_blocks(source, StreamOptions{}, MemoryNeeds{});
    EXPECT_EQ(plan.block_rows, 1000u);
    EXPECT_EQ(plan.blocks, 1u);
}

TEST(PlanBlocks, WideSourceUsesAtLeastEightRowsPerColumn) {
    FakeSource source(1'000'000, 1024);  // 8 KiB rows: 8 MiB would be 1024 rows
    const BlockPlan plan = plan_blocks(source, StreamOptions{}, MemoryNeeds{});
    EXPECT_EQ(plan.block_rows, 8u * 1024u);
    // ... within the memory limit, which wins.
    StreamOptions tight;
    tight.memory_limit = 64 * MiB;
    EXPECT_EQ(plan_blocks(source, tight, MemoryNeeds{}).block_rows, 4096u);
}

TEST(PlanBlocks, LargeSourceUsesBlocksOfAbout8MiB) {
    FakeSource source(10'000'000, 8);  // 640 MB of float64, never read
    const BlockPlan plan = plan_blocks(source, StreamOptions{}, MemoryNeeds{});
    EXPECT_EQ(plan.block_rows, 8 * MiB / (8 * sizeof(double)));
    EXPECT_EQ(plan.blocks, (10'000'000 + plan.block_rows - 1) / plan.block_rows);
    // Two buffers of that size fit the default limit easily.
    EXPECT_LE(2 * plan.block_rows * 8 * sizeof(double), default_memory_limit);
}

TEST(PlanBlocks, BlocksCoverEveryRowExactly) {
    for (const std::size_t rows : {1u, 2u, 7u, 100u, 101u, 1023u}) {
        for (const std::size_t block_rows : {1u, 3u, 10u, 100u, 5000u}) {
            FakeSource source(rows, 3);
            const BlockPlan plan =
                plan_blocks(source, with_limit(default_memory_limit, block_rows), MemoryNeeds{});
            EXPECT_EQ(plan.block_rows, std::min<std::size_t>(block_rows, rows));
            EXPECT_EQ(plan.blocks, (rows + plan.block_rows - 1) / plan.block_rows);
            EXPECT_GE(plan.blocks * plan.block_rows, rows);
            EXPECT_LT((plan.blocks - 1) * plan.block_rows, rows);
        }
    }
}

TEST(PlanBlocks, MemoryLimitBoundsTheBlock) {
    FakeSource source(100'000, 10);  // 80 bytes a row, 160 per row with two buffers
    const BlockPlan plan = plan_blocks(source, with_limit(160 * 350), MemoryNeeds{});
    EXPECT_EQ(plan.block_rows, 350u);
    EXPECT_EQ(plan.blocks, (100'000u + 349) / 350);
}

TEST(PlanBlocks, MemoryCountsScratchExtraAndFixedBytes) {
    FakeSource source(100'000, 10);
    source.hints.scratch_bytes_per_row = 40;
    MemoryNeeds needs;
    needs.buffers = 3;  // 240 bytes a row
    needs.extra_bytes_per_row = 20;
    needs.fixed_bytes = 1000;  // -> 300 bytes a row after 1000 fixed
    const BlockPlan plan = plan_blocks(source, with_limit(1000 + 300 * 77), needs);
    EXPECT_EQ(plan.block_rows, 77u);
}

TEST(PlanBlocks, AlignsBlocksToWholeChunks) {
    FakeSource source(10'000, 10);
    source.hints.alignment = 100;
    const BlockPlan plan = plan_blocks(source, with_limit(160 * 350), MemoryNeeds{});
    EXPECT_EQ(plan.block_rows, 300u);  // 350 affordable, rounded down to 3 chunks
    EXPECT_EQ(plan.blocks, 34u);
}

TEST(PlanBlocks, AlignedDefaultBlockIsAMultipleOfTheChunk) {
    FakeSource source(10'000'000, 8);
    source.hints.alignment = 1000;
    const BlockPlan plan = plan_blocks(source, StreamOptions{}, MemoryNeeds{});
    EXPECT_EQ(plan.block_rows % 1000, 0u);
    EXPECT_GT(plan.block_rows, 0u);
    EXPECT_LE(plan.block_rows, 16 * MiB / 64);
}

TEST(PlanBlocks, ChunkTallerThanAffordableFallsBackToAffordableRows) {
    FakeSource source(10'000, 10);
    source.hints.alignment = 500;  // uncompressed chunks: any block height works
    const BlockPlan plan = plan_blocks(source, with_limit(160 * 350), MemoryNeeds{});
    EXPECT_EQ(plan.block_rows, 350u);
}

TEST(PlanBlocks, AlignedBlockNeverExceedsTheRows) {
    FakeSource source(250, 10);
    source.hints.alignment = 100;
    const BlockPlan plan = plan_blocks(source, StreamOptions{}, MemoryNeeds{});
    EXPECT_EQ(plan.block_rows, 250u);
    EXPECT_EQ(plan.blocks, 1u);
}

TEST(PlanBlocks, ExplicitBlockRowsOverMemoryIsAMemoryError) {
    FakeSource source(10'000, 10);
    const std::string message = EXPECT_H5L_ERROR(
        ErrorKind::Memory, plan_blocks(source, with_limit(160 * 100, 101), MemoryNeeds{}));
    EXPECT_NE(message.find("block_rows=101"), std::string::npos) << message;
    EXPECT_NE(message.find("memory_limit=16000"), std::string::npos) << message;
    // Exactly at the limit is fine.
    EXPECT_EQ(plan_blocks(source, with_limit(160 * 100, 100), MemoryNeeds{}).block_rows, 100u);
}

TEST(PlanBlocks, ExplicitBlockRowsAboveTheRowCountIsClampedBeforeTheMemoryCheck) {
    FakeSource source(10, 10);
    const BlockPlan plan = plan_blocks(source, with_limit(160 * 10, 1'000'000), MemoryNeeds{});
    EXPECT_EQ(plan.block_rows, 10u);
    EXPECT_EQ(plan.blocks, 1u);
}

TEST(PlanBlocks, ASingleRowOverMemoryIsAMemoryError) {
    FakeSource source(10, 1000);  // 16000 bytes a row with two buffers
    const std::string message =
        EXPECT_H5L_ERROR(ErrorKind::Memory, plan_blocks(source, with_limit(15999), MemoryNeeds{}));
    EXPECT_NE(message.find("single row of 1000 columns"), std::string::npos) << message;
    EXPECT_EQ(plan_blocks(source, with_limit(16000), MemoryNeeds{}).block_rows, 1u);
}

TEST(PlanBlocks, AWholeCompressedChunkOverMemoryIsAMemoryError) {
    FakeSource source(10'000, 10);
    source.hints.alignment = 500;
    source.hints.minimum_block_rows = 500;  // compressed: a chunk is inflated whole
    const std::string message = EXPECT_H5L_ERROR(
        ErrorKind::Memory, plan_blocks(source, with_limit(160 * 499), MemoryNeeds{}));
    EXPECT_NE(message.find("compressed chunk"), std::string::npos) << message;
    EXPECT_NE(message.find("smaller chunks"), std::string::npos) << message;
    EXPECT_EQ(plan_blocks(source, with_limit(160 * 500), MemoryNeeds{}).block_rows, 500u);
}

TEST(PlanBlocks, AColumnStackCarriesEveryHintOfBothSources) {
    // [X | y] must be planned as strictly as X alone: the fixed scratch of a whole
    // inflated chunk is held whichever side it belongs to.
    FakeSource x(10'000, 10), y(10'000, 1);
    x.hints.alignment = 60;
    x.hints.minimum_block_rows = 60;
    x.hints.scratch_bytes_per_row = 40;
    x.hints.fixed_scratch_bytes = 5000;
    y.hints.alignment = 40;
    y.hints.preferred_block_rows = 400;
    y.hints.scratch_bytes_per_row = 8;
    y.hints.fixed_scratch_bytes = 700;
    const ColumnStack both(x, y);
    const PlanningHints hints = both.planning_hints();
    EXPECT_EQ(hints.alignment, 120u);  // boundaries on both sides' chunks
    EXPECT_EQ(hints.minimum_block_rows, 60u);
    EXPECT_EQ(hints.preferred_block_rows, 400u);
    EXPECT_EQ(hints.scratch_bytes_per_row, 48u);
    EXPECT_EQ(hints.fixed_scratch_bytes, 5700u);
    // 11 columns: 176 bytes a row with two buffers, plus 48 of scratch.
    const std::size_t per_row = 2 * 11 * sizeof(double) + 48;
    EXPECT_H5L_ERROR(ErrorKind::Memory,
                     plan_blocks(both, with_limit(per_row * 60 + 5699), MemoryNeeds{}));
    EXPECT_EQ(plan_blocks(both, with_limit(per_row * 250 + 5700), MemoryNeeds{}).block_rows, 240u);
}

TEST(PlanBlocks, CombinedAlignmentOfCoprimeChunksSaturatesInsteadOfWrapping) {
    PlanningHints a, b;
    a.alignment = (std::size_t{1} << 62) + 1;
    b.alignment = (std::size_t{1} << 62) - 1;
    EXPECT_EQ(combine_side_by_side(a, b).alignment, std::numeric_limits<std::size_t>::max());
    EXPECT_EQ(combine_side_by_side(PlanningHints{}, PlanningHints{}).alignment, 1u);
}

TEST(PlanBlocks, FixedBytesAboveTheLimitIsAMemoryError) {
    FakeSource source(10, 2);
    MemoryNeeds needs;
    needs.fixed_bytes = 10'000;
    EXPECT_H5L_ERROR(ErrorKind::Memory, plan_blocks(source, with_limit(10'000), needs));
    EXPECT_H5L_ERROR(ErrorKind::Memory, plan_blocks(source, with_limit(10'000, 1), needs));
}

TEST(PlanBlocks, ZeroMemoryLimitIsAMemoryError) {
    FakeSource source(10, 2);
    EXPECT_H5L_ERROR(ErrorKind::Memory, plan_blocks(source, with_limit(0), MemoryNeeds{}));
}

TEST(PlanBlocks, ZeroRowsIsAValueErrorOrAnEmptyPlan) {
    // Sources reject empty datasets and arrays, but the planner must not divide by
    // zero (or plan zero-row blocks) if one gets here.
    FakeSource source(0, 3);
    for (const std::size_t block_rows : {std::size_t{0}, std::size_t{5}}) {
        SCOPED_TRACE("block_rows " + std::to_string(block_rows));
        try {
            const BlockPlan plan =
                plan_blocks(source, with_limit(default_memory_limit, block_rows), MemoryNeeds{});
            EXPECT_EQ(plan.blocks, 0u);
            EXPECT_GE(plan.block_rows, 1u);
        } catch (const Error& error) {
            EXPECT_EQ(error.kind(), ErrorKind::Value) << error.what();
        }
    }
}

// --- stream_blocks -------------------------------------------------------------------

/// Records every progress report; optionally throws at the n-th one.
class RecordingObserver final : public Observer {
public:
    std::vector<std::pair<std::size_t, std::size_t>> reports;
    std::optional<std::size_t> throw_at;
    std::thread::id thread;

    void progress(std::size_t done, std::size_t total) override {
        thread = std::this_thread::get_id();
        reports.emplace_back(done, total);
        if (throw_at && reports.size() == *throw_at + 1) {
            throw std::runtime_error("stop requested by the observer");
        }
    }
};

std::vector<std::pair<std::size_t, std::size_t>> expected_reports(std::size_t rows,
                                                                  std::size_t block_rows) {
    std::vector<std::pair<std::size_t, std::size_t>> out = {{0, rows}};
    for (std::size_t done = 0; done < rows;) {
        done = std::min(rows, done + block_rows);
        out.emplace_back(done, rows);
    }
    return out;
}

TEST(StreamBlocks, PrefetchDeliversEveryRowInOrderFromAnotherThread) {
    FakeSource source(103, 4);
    const BlockPlan plan{10, 11};
    RecordingObserver observer;
    std::vector<std::size_t> firsts;
    std::size_t next_row = 0;
    stream_blocks(source, plan, &observer, [&](const Block& block) {
        firsts.push_back(block.first);
        EXPECT_EQ(block.first, next_row);
        EXPECT_EQ(block.rows, std::min<std::size_t>(10, 103 - block.first));
        EXPECT_EQ(block.ld, 4u);
        EXPECT_TRUE(block.owned);
        for (std::size_t i = 0; i < block.rows; ++i) {
            for (std::size_t j = 0; j < 4; ++j) {
                ASSERT_EQ(block.data[i * block.ld + j], source.value(block.first + i, j));
            }
        }
        next_row += block.rows;
    });
    EXPECT_EQ(next_row, 103u);
    EXPECT_EQ(firsts.size(), 11u);
    ASSERT_EQ(source.calls.size(), 11u);
    for (const auto& call : source.calls) {
        EXPECT_NE(call.thread, std::this_thread::get_id()) << "read() ran on the calling thread";
    }
    EXPECT_EQ(observer.reports, expected_reports(103, 10));
    EXPECT_EQ(observer.thread, std::this_thread::get_id());
}

TEST(StreamBlocks, ZeroCopyPathReportsProgressToo) {
    test::Matrix m = test::random_matrix(25, 3, 1);
    ArraySource source(test::strided_view(m));
    RecordingObserver observer;
    std::size_t rows = 0;
    stream_blocks(source, BlockPlan{7, 4}, &observer, [&](const Block& block) {
        EXPECT_FALSE(block.owned);
        rows += block.rows;
    });
    EXPECT_EQ(rows, 25u);
    EXPECT_EQ(observer.reports, expected_reports(25, 7));
}

TEST(StreamBlocks, PrepareRunsOnTheReaderThreadBeforeConsume) {
    FakeSource source(50, 3);
    std::atomic<int> prepared{0};
    std::vector<std::thread::id> prepare_threads;  // written by the reader thread only
    std::size_t consumed = 0;
    stream_blocks(
        source, BlockPlan{8, 7}, nullptr,
        [&](const Block& block) {
            ASSERT_EQ(block.aux.size(), 1u);
            EXPECT_EQ(block.aux[0], static_cast<double>(block.first));
            for (std::size_t i = 0; i < block.rows; ++i) {
                // prepare negated the block in place
                EXPECT_EQ(block.data[i * block.ld], -source.value(block.first + i, 0));
            }
            consumed += block.rows;
        },
        [&](Block& block) {
            prepare_threads.push_back(std::this_thread::get_id());
            block.aux.assign(1, static_cast<double>(block.first));
            for (std::size_t i = 0; i < block.rows * block.ld; ++i) {
                block.data[i] = -block.data[i];
            }
            ++prepared;
        });
    EXPECT_EQ(consumed, 50u);
    EXPECT_EQ(prepared.load(), 7);
    for (const auto& id : prepare_threads) {
        EXPECT_NE(id, std::this_thread::get_id());
    }
}

TEST(StreamBlocks, PrepareForcesACopyOfInMemoryFloat64) {
    test::Matrix m = test::random_matrix(20, 2, 2);
    const test::Matrix original = m;
    ArraySource source(test::strided_view(m));
    std::size_t consumed = 0;
    stream_blocks(
        source, BlockPlan{6, 4}, nullptr,
        [&](const Block& block) {
            EXPECT_TRUE(block.owned);
            consumed += block.rows;
        },
        [](Block& block) {
            for (std::size_t i = 0; i < block.rows * block.ld; ++i) {
                block.data[i] = 0.0;  // must not reach the caller's array
            }
        });
    EXPECT_EQ(consumed, 20u);
    EXPECT_EQ(m.data, original.data);
}

TEST(StreamBlocks, ReusesOnlyTwoBuffers) {
    FakeSource source(100, 2);
    std::set<const double*> buffers;
    stream_blocks(source, BlockPlan{5, 20}, nullptr,
                  [&](const Block& block) { buffers.insert(block.data); });
    EXPECT_LE(buffers.size(), 2u);
}

TEST(StreamBlocks, EmptySourceOnlyReportsZero) {
    FakeSource source(0, 3);
    RecordingObserver observer;
    int calls = 0;
    stream_blocks(source, BlockPlan{1, 0}, &observer, [&](const Block&) { ++calls; });
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(observer.reports, (std::vector<std::pair<std::size_t, std::size_t>>{{0, 0}}));
}

// --- Failures: each propagates, and no thread outlives the call ---------------------------

class StreamFailures : public ::testing::Test {
protected:
    void SetUp() override {
        // Warm up whatever the process starts lazily, then count threads.
        FakeSource warm(4, 2);
        stream_blocks(warm, BlockPlan{2, 2}, nullptr, [](const Block&) {});
        threads_before_ = test::thread_count();
    }
    void TearDown() override {
        if (threads_before_ >= 0) {
            EXPECT_EQ(test::settled_thread_count(threads_before_), threads_before_)
                << "a thread outlived stream_blocks";
        }
    }
    int threads_before_ = -1;
};

TEST_F(StreamFailures, SourceErrorPropagatesWithItsKind) {
    FakeSource source(100, 3);
    source.fail_at_row = 55;
    std::vector<std::size_t> firsts;
    const std::string message = EXPECT_H5L_ERROR(
        ErrorKind::IO, stream_blocks(source, BlockPlan{10, 10}, nullptr,
                                     [&](const Block& block) { firsts.push_back(block.first); }));
    EXPECT_NE(message.find("row 55"), std::string::npos);
    // Whatever was consumed came in order and stopped before the failing block.
    for (std::size_t i = 0; i < firsts.size(); ++i) {
        EXPECT_EQ(firsts[i], 10 * i);
    }
    EXPECT_LT(firsts.size(), 6u);
}

TEST_F(StreamFailures, SourceErrorInTheFirstBlock) {
    FakeSource source(100, 3);
    source.fail_at_row = 0;
    int calls = 0;
    EXPECT_H5L_ERROR(ErrorKind::IO, stream_blocks(source, BlockPlan{10, 10}, nullptr,
                                                  [&](const Block&) { ++calls; }));
    EXPECT_EQ(calls, 0);
}

TEST_F(StreamFailures, PrepareErrorPropagates) {
    FakeSource source(100, 3);
    EXPECT_H5L_ERROR(ErrorKind::Value, stream_blocks(
                                           source, BlockPlan{10, 10}, nullptr, [](const Block&) {},
                                           [](Block& block) {
                                               if (block.first == 30) {
                                                   fail(ErrorKind::Value, "prepare failed");
                                               }
                                           }));
}

TEST_F(StreamFailures, ConsumerErrorStopsTheReaderWhileItWaitsForABuffer) {
    FakeSource source(1000, 3);
    int calls = 0;
    EXPECT_H5L_ERROR(ErrorKind::LinAlg,
                     stream_blocks(source, BlockPlan{10, 100}, nullptr, [&](const Block&) {
                         ++calls;
                         // Let the reader fill both buffers.
                         std::this_thread::sleep_for(std::chrono::milliseconds(20));
                         fail(ErrorKind::LinAlg, "consumer failed");
                     }));
    EXPECT_EQ(calls, 1);
    EXPECT_LE(source.calls.size(), 3u) << "the reader kept going after the consumer failed";
}

TEST_F(StreamFailures, ConsumerErrorWhileTheReaderIsBusy) {
    FakeSource source(1000, 3);
    source.delay = std::chrono::milliseconds(30);
    EXPECT_THROW(stream_blocks(source, BlockPlan{10, 100}, nullptr,
                               [](const Block& block) {
                                   if (block.first == 10) {
                                       throw std::logic_error("not an h5linalg error");
                                   }
                               }),
                 std::logic_error);
}

TEST_F(StreamFailures, ObserverErrorOnTheFirstReport) {
    FakeSource source(100, 3);
    RecordingObserver observer;
    observer.throw_at = 0;
    int calls = 0;
    EXPECT_THROW(
        stream_blocks(source, BlockPlan{10, 10}, &observer, [&](const Block&) { ++calls; }),
        std::runtime_error);
    EXPECT_EQ(calls, 0);
    EXPECT_TRUE(source.calls.empty()) << "nothing should be read before the first report";
}

TEST_F(StreamFailures, ObserverErrorMidRun) {
    FakeSource source(100, 3);
    RecordingObserver observer;
    observer.throw_at = 3;  // after the third block
    int calls = 0;
    EXPECT_THROW(
        stream_blocks(source, BlockPlan{10, 10}, &observer, [&](const Block&) { ++calls; }),
        std::runtime_error);
    EXPECT_EQ(calls, 3);
    EXPECT_EQ(observer.reports.size(), 4u);
}

TEST_F(StreamFailures, ObserverErrorOnTheZeroCopyPath) {
    test::Matrix m = test::random_matrix(30, 2, 3);
    ArraySource source(test::strided_view(m));
    RecordingObserver observer;
    observer.throw_at = 2;
    int calls = 0;
    EXPECT_THROW(stream_blocks(source, BlockPlan{10, 3}, &observer, [&](const Block&) { ++calls; }),
                 std::runtime_error);
    EXPECT_EQ(calls, 2);
}

TEST_F(StreamFailures, RepeatedFailuresDoNotAccumulateThreads) {
    for (int i = 0; i < 20; ++i) {
        FakeSource source(200, 2);
        source.fail_at_row = static_cast<std::size_t>(i * 10);
        EXPECT_H5L_ERROR(ErrorKind::IO,
                         stream_blocks(source, BlockPlan{10, 20}, nullptr, [](const Block&) {}));
    }
}

}  // namespace
}  // namespace h5linalg
