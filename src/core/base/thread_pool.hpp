// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// A small fixed pool of worker threads for CPU work that HDF5 would otherwise
// do on one thread under its global lock (inflating compressed chunks).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>

namespace h5linalg {

/// Number of worker threads: the count last set, else the number of CPUs.
std::size_t worker_thread_count();

/// Sets the number of worker threads (0: the number of CPUs). The Python layer
/// sets it from $H5LINALG_NUM_THREADS when h5linalg is imported, before the pool
/// starts; a pool already running keeps the threads it started with.
void set_worker_thread_count(std::size_t count);

/// A set of tasks run on the shared pool; wait() blocks until all have finished
/// and rethrows the first exception any of them threw. The destructor waits too,
/// so no task outlives the data it points to.
class TaskGroup {
public:
    TaskGroup() = default;
    ~TaskGroup();
    TaskGroup(const TaskGroup&) = delete;
    TaskGroup& operator=(const TaskGroup&) = delete;

    void run(std::function<void()> task);
    void wait();

private:
    void finished(std::exception_ptr error);

    std::mutex mutex_;
    std::condition_variable done_;
    std::size_t pending_ = 0;
    std::exception_ptr error_;
};

}  // namespace h5linalg
