// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Where a streamed result goes, a block of rows at a time: caller-owned memory
// (a NumPy array) or an HDF5 dataset written on a background thread.
#pragma once

#include <cstddef>

namespace h5linalg {

class RowSink {
public:
    virtual ~RowSink() = default;
    /// A buffer for rows [first, first + count), count x cols doubles, row-major.
    virtual double* acquire(std::size_t first, std::size_t count) = 0;
    /// The buffer from the last acquire() is complete.
    virtual void release() = 0;
    /// Every row has been released; waits until they are all stored.
    virtual void finish() = 0;
};

/// Rows written straight into caller-owned row-major memory.
class MemorySink final : public RowSink {
public:
    MemorySink(double* data, std::size_t cols) : data_(data), cols_(cols) {}
    double* acquire(std::size_t first, std::size_t /*count*/) override {
        return data_ + first * cols_;
    }
    void release() override {}
    void finish() override {}

private:
    double* data_;
    std::size_t cols_;
};

}  // namespace h5linalg
