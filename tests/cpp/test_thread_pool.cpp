// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// The shared worker pool: thread count as set (else the CPUs), task groups that
// wait for all their tasks and rethrow the first failure.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/base/thread_pool.hpp"
#include "core/info/library_info.hpp"
#include "test_support.hpp"

namespace h5linalg {
namespace {

TEST(WorkerThreadCount, FollowsTheSetting) {
    // The core reads no environment: the Python layer sets the count from
    // $H5LINALG_NUM_THREADS (tests/test_threads.py checks that end).
    const std::size_t cpus = std::max(1u, std::thread::hardware_concurrency());
    EXPECT_EQ(worker_thread_count(), cpus);
    set_worker_thread_count(3);
    EXPECT_EQ(worker_thread_count(), 3u);
    set_worker_thread_count(0);
    EXPECT_EQ(worker_thread_count(), cpus);
}

TEST(TaskGroup, RunsEveryTask) {
    std::atomic<int> sum{0};
    TaskGroup tasks;
    for (int i = 1; i <= 100; ++i) {
        tasks.run([&sum, i] { sum += i; });
    }
    tasks.wait();
    EXPECT_EQ(sum.load(), 5050);
}

TEST(TaskGroup, WaitRethrowsTheFirstErrorAfterAllTasksFinished) {
    std::atomic<int> finished{0};
    TaskGroup tasks;
    for (int i = 0; i < 20; ++i) {
        tasks.run([&finished, i] {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            ++finished;
            if (i % 5 == 3) {
                fail(ErrorKind::IO, "task " + std::to_string(i) + " failed");
            }
        });
    }
    EXPECT_H5L_ERROR(ErrorKind::IO, tasks.wait());
    EXPECT_EQ(finished.load(), 20);
    tasks.wait();  // the error was reported once
}

TEST(TaskGroup, DestructorWaitsForRunningTasks) {
    std::atomic<int> finished{0};
    {
        TaskGroup tasks;
        for (int i = 0; i < 8; ++i) {
            tasks.run([&finished] {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
                ++finished;
            });
        }
    }
    EXPECT_EQ(finished.load(), 8);
}

TEST(TaskGroup, ManyGroupsFromSeveralThreads) {
    std::atomic<long> total{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 4; ++t) {
        callers.emplace_back([&total] {
            for (int round = 0; round < 20; ++round) {
                TaskGroup tasks;
                for (int i = 0; i < 10; ++i) {
                    tasks.run([&total] { ++total; });
                }
                tasks.wait();
            }
        });
    }
    for (auto& c : callers) {
        c.join();
    }
    EXPECT_EQ(total.load(), 4 * 20 * 10);
}

TEST(LibraryInfo, ReportsVersions) {
    const LibraryInfo info = library_info();
    EXPECT_FALSE(info.hdf5_built.empty());
    EXPECT_EQ(info.hdf5_built, info.hdf5_running);
    EXPECT_FALSE(info.zlib_running.empty());
    EXPECT_FALSE(info.compiler.empty());
    EXPECT_GE(info.worker_threads, 1u);
}

}  // namespace
}  // namespace h5linalg
