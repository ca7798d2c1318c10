// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/rows/block_pipeline.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "core/base/errors.hpp"
#include "core/base/memory.hpp"

namespace h5linalg {

namespace {

// Blocks of about this many bytes stay in the last-level cache between the
// reader thread writing them and BLAS reading them, while two of them stay far
// below any sensible memory limit (measured: 8 MiB beat 16 and 64 MiB for
// 8M x 64 float64).
constexpr std::size_t target_block_bytes = std::size_t{8} << 20;
// ... but never fewer rows than this many times the width: a BLAS update of an
// n x n result from k rows is efficient only when k is several times n.
constexpr std::size_t min_rows_per_column = 8;

/// Reads blocks ahead on its own thread into a small ring of buffers.
class Prefetcher {
public:
    static constexpr std::size_t slots = 2;

    Prefetcher(RowSource& source, const BlockPlan& plan, const PrepareBlock& prepare)
        : source_(source), plan_(plan), prepare_(prepare) {
        const std::size_t ld = source.cols();
        for (std::size_t i = 0; i < slots; ++i) {
            storage_[i].reset(new double[plan.block_rows * ld]);
            blocks_[i].data = storage_[i].get();
            blocks_[i].ld = ld;
            blocks_[i].owned = true;
            free_.push_back(i);
        }
        thread_ = std::thread([this] { run(); });
    }

    ~Prefetcher() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        changed_.notify_all();
        thread_.join();
    }

    Prefetcher(const Prefetcher&) = delete;
    Prefetcher& operator=(const Prefetcher&) = delete;

    /// The next block in order, or nullptr after the last; rethrows reader errors.
    const Block* next() {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [this] { return !ready_.empty() || error_ || done_; });
        if (error_) {
            std::rethrow_exception(error_);
        }
        if (ready_.empty()) {
            return nullptr;
        }
        current_ = ready_.front();
        ready_.pop_front();
        return &blocks_[current_];
    }

    /// The block returned by next() is no longer needed.
    void release() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            free_.push_back(current_);
        }
        changed_.notify_all();
    }

private:
    void run() {
        try {
            const std::size_t total = source_.rows();
            for (std::size_t first = 0; first < total; first += plan_.block_rows) {
                std::size_t slot;
                {
                    std::unique_lock<std::mutex> lock(mutex_);
                    changed_.wait(lock, [this] { return stopping_ || !free_.empty(); });
                    if (stopping_) {
                        return;
                    }
                    slot = free_.front();
                    free_.pop_front();
                }
                Block& block = blocks_[slot];
                block.first = first;
                block.rows = std::min(plan_.block_rows, total - first);
                source_.read(block.first, block.rows, block.data, block.ld);
                if (prepare_) {
                    prepare_(block);
                }
                {
                    std::lock_guard<std::mutex> lock(mutex_);
                    ready_.push_back(slot);
                }
                changed_.notify_all();
            }
            std::lock_guard<std::mutex> lock(mutex_);
            done_ = true;
        } catch (...) {
            std::lock_guard<std::mutex> lock(mutex_);
            error_ = std::current_exception();
        }
        changed_.notify_all();
    }

    RowSource& source_;
    BlockPlan plan_;
    const PrepareBlock& prepare_;
    std::unique_ptr<double[]> storage_[slots];
    Block blocks_[slots];
    std::deque<std::size_t> free_, ready_;
    std::size_t current_ = 0;
    std::mutex mutex_;
    std::condition_variable changed_;
    bool stopping_ = false;
    bool done_ = false;
    std::exception_ptr error_;
    std::thread thread_;
};

/// The least common multiple, or SIZE_MAX when it does not fit.
std::size_t lcm(std::size_t a, std::size_t b) {
    std::size_t x = a, y = b;
    while (y != 0) {
        x = std::exchange(y, x % y);
    }
    return x == 0 ? 0 : saturating_mul(a / x, b);
}

}  // namespace

PlanningHints combine_side_by_side(const PlanningHints& left, const PlanningHints& right) {
    PlanningHints both;
    // A block boundary that suits both layouts falls on a multiple of both chunk
    // heights; plan_blocks falls back to what memory allows when that is too tall.
    both.alignment =
        lcm(std::max<std::size_t>(1, left.alignment), std::max<std::size_t>(1, right.alignment));
    both.minimum_block_rows = std::max(left.minimum_block_rows, right.minimum_block_rows);
    both.preferred_block_rows = std::max(left.preferred_block_rows, right.preferred_block_rows);
    // Each source reads its part of the same block: both hold their scratch at once.
    both.scratch_bytes_per_row =
        saturating_add(left.scratch_bytes_per_row, right.scratch_bytes_per_row);
    both.fixed_scratch_bytes = saturating_add(left.fixed_scratch_bytes, right.fixed_scratch_bytes);
    return both;
}

BlockPlan plan_blocks(const RowSource& source, const StreamOptions& options,
                      const MemoryNeeds& needs) {
    const std::size_t rows = source.rows();
    // The sources reject empty data; a kernel handed some anyway must get an error,
    // not a division by zero below (rows: block count; columns: bytes per row).
    if (rows == 0 || source.cols() == 0) {
        fail(ErrorKind::Value, source.label() + " has " + std::to_string(rows) + " rows and " +
                                   std::to_string(source.cols()) +
                                   " columns; h5linalg needs at least one of each");
    }
    // Saturating arithmetic: a damaged file's shape (2**61 columns, say) must fail
    // the memory checks below, not wrap round to a small size or to zero.
    const PlanningHints hints = source.planning_hints();
    const std::size_t row_bytes = saturating_mul(source.cols(), sizeof(double));
    const std::size_t per_row = std::max<std::size_t>(
        1, saturating_add(saturating_add(saturating_mul(needs.buffers, row_bytes),
                                         hints.scratch_bytes_per_row),
                          needs.extra_bytes_per_row));
    const std::size_t fixed = saturating_add(needs.fixed_bytes, hints.fixed_scratch_bytes);
    const std::size_t limit = options.memory_limit;
    const std::size_t affordable = limit > fixed ? (limit - fixed) / per_row : 0;

    BlockPlan plan;
    if (options.block_rows > 0) {
        plan.block_rows = std::min(options.block_rows, rows);
        if (plan.block_rows > affordable) {
            fail(ErrorKind::Memory,
                 "block_rows=" + std::to_string(options.block_rows) + " for " + source.label() +
                     " needs " +
                     human_bytes(saturating_add(saturating_mul(plan.block_rows, per_row), fixed)) +
                     " of buffers, more than memory_limit=" + std::to_string(limit) +
                     " bytes; lower block_rows or raise memory_limit");
        }
    } else {
        const std::size_t minimum = std::max<std::size_t>(1, hints.minimum_block_rows);
        if (affordable < minimum) {
            const std::string what =
                minimum > 1
                    ? "a block of " + std::to_string(minimum) + " rows (one whole compressed chunk)"
                    : "a single row of " + std::to_string(source.cols()) + " columns";
            fail(ErrorKind::Memory,
                 source.label() + ": " + what + " needs " +
                     human_bytes(saturating_add(saturating_mul(minimum, per_row), fixed)) +
                     " of buffers, more than memory_limit=" + std::to_string(limit) +
                     " bytes; raise memory_limit" +
                     (minimum > 1 ? " or rewrite the dataset with smaller chunks" : ""));
        }
        const std::size_t align = hints.alignment;
        std::size_t target =
            std::max<std::size_t>(1, target_block_bytes / std::max<std::size_t>(1, row_bytes));
        target = std::max({target, saturating_mul(min_rows_per_column, source.cols()),
                           hints.preferred_block_rows});
        target = std::min(target, affordable);
        if (align > 1) {
            // Whole chunks per block; round the chunk count down, but keep at least one.
            target = align <= affordable ? std::max(align, target / align * align) : affordable;
        }
        plan.block_rows = std::max<std::size_t>(1, std::min(target, rows));
    }
    plan.blocks = (rows + plan.block_rows - 1) / plan.block_rows;
    return plan;
}

void stream_blocks(RowSource& source, const BlockPlan& plan, Observer* observer,
                   const ConsumeBlock& consume, const PrepareBlock& prepare) {
    const std::size_t total = source.rows();
    if (observer) {
        observer->progress(0, total);
    }
    if (!prepare && source.view(0, std::min(plan.block_rows, total)) != nullptr) {
        // In-memory float64: hand out the caller's memory directly.
        Block block;
        block.ld = source.cols();
        for (std::size_t first = 0; first < total; first += plan.block_rows) {
            block.first = first;
            block.rows = std::min(plan.block_rows, total - first);
            block.data = const_cast<double*>(source.view(first, block.rows));
            consume(block);
            if (observer) {
                observer->progress(first + block.rows, total);
            }
        }
        return;
    }
    Prefetcher prefetcher(source, plan, prepare);
    while (const Block* block = prefetcher.next()) {
        consume(*block);
        const std::size_t done = block->first + block->rows;
        prefetcher.release();
        if (observer) {
            observer->progress(done, total);
        }
    }
}

}  // namespace h5linalg
