// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// A configurable in-memory RowSource for the core's unit tests. It has a header
// of its own so that only the tests that use it see it: GCC 16 at -O3
// speculatively devirtualises RowSource calls to any final class it can see in
// the unit, and warned (-Warray-bounds) on the never-taken FakeSource branch
// of a call on an ArraySource.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/base/errors.hpp"
#include "core/rows/row_source.hpp"
#include "test_support.hpp"

namespace h5linalg::test {

// --- A configurable RowSource --------------------------------------------------------

/// A RowSource computing element (i, j) from a function, with knobs for the
/// layout hints and for failing, plus a record of every read() call.
class FakeSource final : public RowSource {
public:
    FakeSource(std::size_t rows, std::size_t cols) : rows_(rows), cols_(cols) {}
    explicit FakeSource(const Matrix& m) : rows_(m.rows), cols_(m.cols) {
        value = [&m](std::size_t i, std::size_t j) { return m(i, j); };
    }

    std::function<double(std::size_t, std::size_t)> value = [](std::size_t i, std::size_t j) {
        return static_cast<double>(i) * 1000.0 + static_cast<double>(j);
    };
    PlanningHints hints;
    std::optional<std::size_t> fail_at_row;  // read() covering this row throws an IO error
    std::chrono::milliseconds delay{0};      // per read()

    struct ReadCall {
        std::size_t first, count, ld;
        std::thread::id thread;
    };
    std::vector<ReadCall> calls;  // only inspect after the run has returned

    std::size_t rows() const override { return rows_; }
    std::size_t cols() const override { return cols_; }
    std::string label() const override { return "fake"; }
    PlanningHints planning_hints() const override { return hints; }

    void read(std::size_t first, std::size_t count, double* dst, std::size_t ld) override {
        calls.push_back({first, count, ld, std::this_thread::get_id()});
        if (delay.count() > 0) {
            std::this_thread::sleep_for(delay);
        }
        if (fail_at_row && *fail_at_row >= first && *fail_at_row < first + count) {
            fail(ErrorKind::IO, "fake read failure at row " + std::to_string(*fail_at_row));
        }
        for (std::size_t i = 0; i < count; ++i) {
            for (std::size_t j = 0; j < cols_; ++j) {
                dst[i * ld + j] = value(first + i, j);
            }
        }
    }

private:
    std::size_t rows_, cols_;
};

}  // namespace h5linalg::test
