// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// A RowSource is a 2-D table of numbers that can be read a block of rows at a
// time as float64: an HDF5 dataset, an in-memory array, or several side by side.
// Every kernel streams a RowSource, so none of them knows where the rows live.
#pragma once

#include <cstddef>
#include <string>

namespace h5linalg {

/// What a source tells the block planner (plan_blocks), as one value, so that a
/// composite source combines all of it in one place (combine_side_by_side) and
/// cannot forget a field. The defaults describe memory that can be read anywhere.
struct PlanningHints {
    /// Block boundaries are best placed at multiples of this many rows (the
    /// dataset's chunk height); 1 when any boundary is as good as another.
    std::size_t alignment = 1;
    /// The fewest rows one read may cover without holding more than a block in
    /// memory anyway (compressed chunks are inflated whole); 1 if unconstrained.
    std::size_t minimum_block_rows = 1;
    /// A block height that keeps read() efficient (e.g. enough chunks to inflate
    /// on every worker thread at once); 0 for no preference.
    std::size_t preferred_block_rows = 0;
    /// Working memory read() needs per row of a block, beyond the block itself.
    std::size_t scratch_bytes_per_row = 0;
    /// Working memory read() needs whatever the block height: a whole inflated
    /// chunk, which may be taller or wider than the dataset itself.
    std::size_t fixed_scratch_bytes = 0;
};

/// The hints of two sources read in lockstep into one block (ColumnStack): the
/// block must suit both layouts, and both sources' scratch is held at once.
PlanningHints combine_side_by_side(const PlanningHints& left, const PlanningHints& right);

class RowSource {
public:
    virtual ~RowSource() = default;

    virtual std::size_t rows() const = 0;
    virtual std::size_t cols() const = 0;

    /// Where the rows come from, for error messages ("data.h5:/x", "array").
    virtual std::string label() const = 0;

    /// What the block planner must know about this source's layout and memory.
    virtual PlanningHints planning_hints() const { return {}; }

    /// Copies rows [first, first + count) as float64 into `dst`, row-major, with
    /// `ld` (>= cols()) doubles between the starts of consecutive rows.
    /// Called from one thread at a time.
    virtual void read(std::size_t first, std::size_t count, double* dst, std::size_t ld) = 0;

    /// The rows themselves, if they already are contiguous float64 in memory
    /// (zero copy); nullptr otherwise.
    virtual const double* view(std::size_t /*first*/, std::size_t /*count*/) { return nullptr; }
};

}  // namespace h5linalg
