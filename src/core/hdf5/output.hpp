// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Writing a result into an HDF5 file so that a failure never leaves a
// half-written dataset under its final name. Into an existing file, the dataset
// is written under a temporary name beside its destination and moved into place
// by commit(); a file that does not exist yet is written whole under a temporary
// file name in the same folder and renamed onto its name by commit(). If commit()
// is never reached, the temporary dataset and any groups created for it, or the
// temporary file, are removed again, and every other object is left as it was.
//
// Both halves of the protocol live here, not one of them in Python: the one
// destructor undoes either on every way out (an error, Ctrl-C arriving as an
// exception from the observer, a failed write on the sink's thread), and nothing
// runs between the last write and the rename that could be interrupted there.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/hdf5/handles.hpp"
#include "core/rows/row_sink.hpp"

namespace h5linalg {

struct OutputSpec {
    std::string path;        // the file; created (atomically) when it does not exist
    std::string name;        // absolute dataset path inside the file
    bool overwrite = false;  // replace an existing dataset of that name
    bool vector = false;     // write a 1-D dataset (rows,) instead of (rows, cols)
};

/// The checks Hdf5OutputDataset makes before it writes anything, alone: FileExists
/// for an existing dataset without overwrite, Value for a group in the way, and so
/// on. Returns whether the file exists. A distributed matmul runs it on the
/// client, before any task computes.
bool check_output(const OutputSpec& spec);

class Hdf5OutputDataset {
public:
    /// Opens the file, or creates it under a temporary file name, and creates a
    /// chunked float64 rows x cols dataset under a temporary name. FileExists error
    /// if the dataset exists and !overwrite; IO error if the file cannot be opened
    /// or created for writing.
    Hdf5OutputDataset(const OutputSpec& spec, std::size_t rows, std::size_t cols,
                      std::size_t chunk_rows);
    ~Hdf5OutputDataset();  // rolls back unless committed
    Hdf5OutputDataset(const Hdf5OutputDataset&) = delete;
    Hdf5OutputDataset& operator=(const Hdf5OutputDataset&) = delete;

    void write(std::size_t first, std::size_t count, const double* rows);
    /// Moves the finished dataset to its final name and closes the file (a new
    /// file is then renamed onto its final name).
    void commit();

private:
    void roll_back() noexcept;

    OutputSpec spec_;
    std::size_t rows_, cols_;
    Hid file_;
    Hid dataset_;
    std::string temporary_name_;
    std::string temporary_file_;  // a new file's name until commit(); empty for an existing file
    std::vector<std::string> created_groups_;  // outermost first
    bool committed_ = false;
};

/// Writes a whole rows x cols row-major matrix to `spec`, atomically like matmul.
void write_matrix(const OutputSpec& spec, const double* values, std::size_t rows, std::size_t cols);

/// A RowSink that writes to an Hdf5OutputDataset on a background thread, so the
/// next block's BLAS work overlaps the previous block's write.
class Hdf5Sink final : public RowSink {
public:
    Hdf5Sink(Hdf5OutputDataset& output, std::size_t block_rows, std::size_t cols);
    ~Hdf5Sink() override;
    double* acquire(std::size_t first, std::size_t count) override;
    void release() override;
    void finish() override;

private:
    struct Slot {
        std::unique_ptr<double[]> data;
        std::size_t first = 0, count = 0;
    };
    void run();

    Hdf5OutputDataset& output_;
    Slot slots_[2];
    std::vector<std::size_t> free_, pending_;
    std::size_t current_ = 0;
    std::mutex mutex_;
    std::condition_variable changed_;
    bool stopping_ = false;
    bool writing_ = false;
    std::exception_ptr error_;
    std::thread thread_;
};

}  // namespace h5linalg
