// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
#include "core/base/thread_pool.hpp"

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#ifndef _WIN32
#include <unistd.h>
#endif

namespace h5linalg {

namespace {

int current_process_id() {
#ifdef _WIN32
    return 0;
#else
    return static_cast<int>(getpid());
#endif
}

class WorkerPool {
public:
    explicit WorkerPool(std::size_t threads) : owner_pid_(current_process_id()) {
        for (std::size_t i = 0; i < threads; ++i) {
            workers_.emplace_back([this] { work(); });
        }
    }
    ~WorkerPool() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        for (auto& worker : workers_) {
            worker.join();
        }
    }
    void submit(std::function<void()> task) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            queue_.push_back(std::move(task));
        }
        wake_.notify_one();
    }
    int owner_pid() const { return owner_pid_; }

private:
    void work() {
        for (;;) {
            std::function<void()> task;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
                if (queue_.empty()) {
                    return;
                }
                task = std::move(queue_.front());
                queue_.pop_front();
            }
            task();
        }
    }

    int owner_pid_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};

WorkerPool& shared_pool() {
    static std::mutex mutex;
    static std::unique_ptr<WorkerPool> pool;
    std::lock_guard<std::mutex> lock(mutex);
    if (pool && pool->owner_pid() != current_process_id()) {
        // A forked child has none of the parent's threads: start a new pool and
        // deliberately leak the old one (joining threads that do not exist would hang).
        static_cast<void>(pool.release());
    }
    if (!pool) {
        pool = std::make_unique<WorkerPool>(worker_thread_count());
    }
    return *pool;
}

std::atomic<std::size_t> configured_threads{0};  // 0: the number of CPUs

}  // namespace

void set_worker_thread_count(std::size_t count) { configured_threads.store(count); }

std::size_t worker_thread_count() {
    if (const std::size_t count = configured_threads.load(); count > 0) {
        return count;
    }
    const unsigned cpus = std::thread::hardware_concurrency();
    return cpus == 0 ? 1 : cpus;
}

TaskGroup::~TaskGroup() {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
}

void TaskGroup::run(std::function<void()> task) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        ++pending_;
    }
    shared_pool().submit([this, task = std::move(task)] {
        try {
            task();
            finished(nullptr);
        } catch (...) {
            finished(std::current_exception());
        }
    });
}

void TaskGroup::finished(std::exception_ptr error) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (error && !error_) {
        error_ = error;
    }
    --pending_;
    if (pending_ == 0) {
        done_.notify_all();
    }
}

void TaskGroup::wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    if (error_) {
        std::exception_ptr error = error_;
        error_ = nullptr;
        std::rethrow_exception(error);
    }
}

}  // namespace h5linalg
