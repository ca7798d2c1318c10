// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Streaming a RowSource block by block with bounded memory. A reader thread
// fills the next block (and optionally prepares it, e.g. centres it) while the
// calling thread hands the current one to BLAS. The observer runs on the
// calling thread before the first block and after every block, so progress
// reports and Ctrl-C checks happen at least once per block.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "core/rows/row_source.hpp"

namespace h5linalg {

/// Told how far a run has got; may throw to stop it (an interrupt, a failing
/// progress callback). Whatever it throws leaves the run with no thread behind.
class Observer {
public:
    virtual ~Observer() = default;
    virtual void progress(std::size_t rows_done, std::size_t rows_total) = 0;
};

inline constexpr std::size_t default_memory_limit = std::size_t{256} << 20;

struct StreamOptions {
    std::size_t block_rows = 0;                       // 0: chosen from the layout and memory
    std::size_t memory_limit = default_memory_limit;  // bytes of block buffers
    Observer* observer = nullptr;
    std::size_t lstsq_slab_rows = 0;  // lstsq's rows per LAPACK call (0: 4096)
};

struct BlockPlan {
    std::size_t block_rows = 0;
    std::size_t blocks = 0;
};

/// What a run holds in memory besides the source's own scratch: `buffers` block
/// buffers as wide as the source, plus `extra_bytes_per_row` and `fixed_bytes`.
struct MemoryNeeds {
    std::size_t buffers = 2;
    std::size_t extra_bytes_per_row = 0;
    std::size_t fixed_bytes = 0;
};

/// Chooses the block height: as large as memory allows up to a cache-friendly
/// size, a multiple of the chunk height where possible. Throws a Memory error
/// when even the smallest possible block does not fit in memory_limit.
BlockPlan plan_blocks(const RowSource& source, const StreamOptions& options,
                      const MemoryNeeds& needs);

struct Block {
    std::size_t first = 0;  // index of the block's first row
    std::size_t rows = 0;
    double* data = nullptr;  // rows x ld, row-major
    std::size_t ld = 0;
    bool owned = false;       // data is the pipeline's buffer (writable), not the caller's memory
    std::vector<double> aux;  // per-block side results of `prepare` (e.g. column means)
};

using PrepareBlock = std::function<void(Block&)>;  // runs on the reader thread
using ConsumeBlock = std::function<void(const Block&)>;

/// Streams every row of `source` through `consume`, in order. Without `prepare`,
/// in-memory float64 sources are consumed in place (zero copy).
void stream_blocks(RowSource& source, const BlockPlan& plan, Observer* observer,
                   const ConsumeBlock& consume, const PrepareBlock& prepare = {});

}  // namespace h5linalg
