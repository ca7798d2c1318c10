// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Shared helpers for the C++ unit tests of the core: temporary directories,
// a portable deterministic random generator, long-double reference
// computations, an assertion on h5linalg::Error::kind(), and a count of the
// process's threads. The configurable RowSource is in fake_source.hpp.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#ifndef _WIN32
#include <unistd.h>
#endif

#include "core/base/errors.hpp"
#include "core/rows/array_source.hpp"
#include "core/rows/row_source.hpp"

namespace h5linalg {

/// Readable ErrorKind values in gtest failure messages.
inline const char* kind_name(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::FileNotFound: return "FileNotFound";
        case ErrorKind::FileExists: return "FileExists";
        case ErrorKind::IO: return "IO";
        case ErrorKind::Key: return "Key";
        case ErrorKind::Type: return "Type";
        case ErrorKind::Value: return "Value";
        case ErrorKind::Permission: return "Permission";
        case ErrorKind::Memory: return "Memory";
        case ErrorKind::LinAlg: return "LinAlg";
        case ErrorKind::Runtime: return "Runtime";
    }
    return "?";
}

inline void PrintTo(ErrorKind kind, std::ostream* out) { *out << kind_name(kind); }

namespace test {

// --- Errors ---------------------------------------------------------------------

/// Runs `body`, requires it to throw an h5linalg::Error of `kind`, and returns the
/// error message ("" after a failure) for further checks.
template <typename Body>
std::string expect_error(ErrorKind kind, Body&& body, const char* what, const char* file,
                         int line) {
    try {
        body();
    } catch (const Error& error) {
        if (error.kind() != kind) {
            ADD_FAILURE_AT(file, line)
                << what << "\n  threw h5linalg::Error of kind " << kind_name(error.kind())
                << ", expected " << kind_name(kind) << "\n  message: " << error.what();
        }
        return error.what();
    } catch (const std::exception& error) {
        ADD_FAILURE_AT(file, line) << what << "\n  threw a non-h5linalg exception, expected "
                                   << kind_name(kind) << ": " << error.what();
        return {};
    }
    ADD_FAILURE_AT(file, line) << what << "\n  threw nothing, expected h5linalg::Error of kind "
                               << kind_name(kind);
    return {};
}

/// EXPECT_H5L_ERROR(ErrorKind::Key, statement) -> the error message.
#define EXPECT_H5L_ERROR(kind, ...) \
    ::h5linalg::test::expect_error((kind), [&]() { __VA_ARGS__; }, #__VA_ARGS__, __FILE__, __LINE__)

// --- Random numbers (same sequence on every platform and standard library) ---------

class Rng {
public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}

    std::uint64_t next() {  // splitmix64
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    /// Uniform in [0, 1).
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    /// Standard normal (Box-Muller).
    double normal() {
        const double u1 = 1.0 - uniform();  // (0, 1]
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }
    std::int64_t integer(std::int64_t lo, std::int64_t hi) {  // inclusive
        return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
    }

private:
    std::uint64_t state_;
};

// --- Matrices ---------------------------------------------------------------------

/// A row-major matrix of doubles.
struct Matrix {
    std::size_t rows = 0, cols = 0;
    std::vector<double> data;

    Matrix() = default;
    Matrix(std::size_t r, std::size_t c, double fill = 0.0) : rows(r), cols(c), data(r * c, fill) {}
    double& operator()(std::size_t i, std::size_t j) { return data[i * cols + j]; }
    double operator()(std::size_t i, std::size_t j) const { return data[i * cols + j]; }
};

inline Matrix random_matrix(std::size_t rows, std::size_t cols, std::uint64_t seed,
                            double offset = 0.0, double scale = 1.0) {
    Rng rng(seed);
    Matrix m(rows, cols);
    for (double& v : m.data) {
        v = offset + scale * rng.normal();
    }
    return m;
}

/// Describes contiguous row-major float64 memory as a StridedArray.
inline StridedArray strided_view(const Matrix& m) {
    StridedArray a;
    a.data = reinterpret_cast<const char*>(m.data.data());
    a.rows = m.rows;
    a.cols = m.cols;
    a.row_stride = static_cast<std::ptrdiff_t>(m.cols * sizeof(double));
    a.col_stride = static_cast<std::ptrdiff_t>(sizeof(double));
    a.type = ElementType::Float64;
    return a;
}

/// Reads a whole RowSource into a packed matrix.
inline Matrix read_all(RowSource& source) {
    Matrix m(source.rows(), source.cols());
    if (m.rows > 0) {
        source.read(0, m.rows, m.data.data(), m.cols);
    }
    return m;
}

// --- Long-double references -------------------------------------------------------------

inline std::vector<long double> reference_mean(const Matrix& m) {
    std::vector<long double> mean(m.cols, 0.0L);
    for (std::size_t i = 0; i < m.rows; ++i) {
        for (std::size_t j = 0; j < m.cols; ++j) {
            mean[j] += m(i, j);
        }
    }
    for (auto& v : mean) {
        v /= static_cast<long double>(m.rows);
    }
    return mean;
}

/// Two-pass centred scatter matrix sum_i (x_i - mean)(x_i - mean)^T in long double.
inline std::vector<long double> reference_scatter(const Matrix& m) {
    const auto mean = reference_mean(m);
    std::vector<long double> s(m.cols * m.cols, 0.0L);
    for (std::size_t i = 0; i < m.rows; ++i) {
        for (std::size_t a = 0; a < m.cols; ++a) {
            const long double da = m(i, a) - mean[a];
            for (std::size_t b = 0; b < m.cols; ++b) {
                s[a * m.cols + b] += da * (m(i, b) - mean[b]);
            }
        }
    }
    return s;
}

inline std::vector<long double> reference_gram(const Matrix& m) {
    std::vector<long double> g(m.cols * m.cols, 0.0L);
    for (std::size_t i = 0; i < m.rows; ++i) {
        for (std::size_t a = 0; a < m.cols; ++a) {
            for (std::size_t b = 0; b < m.cols; ++b) {
                g[a * m.cols + b] += static_cast<long double>(m(i, a)) * m(i, b);
            }
        }
    }
    return g;
}

/// Largest |a_i - b_i| / max_i |b_i| (relative to the whole array's scale).
template <typename A, typename B>
double relative_error(const A& a, const B& b) {
    long double scale = 0.0L, worst = 0.0L;
    for (std::size_t i = 0; i < b.size(); ++i) {
        scale = std::max(scale, std::fabs(static_cast<long double>(b[i])));
        worst = std::max(
            worst, std::fabs(static_cast<long double>(a[i]) - static_cast<long double>(b[i])));
    }
    return static_cast<double>(scale > 0 ? worst / scale : worst);
}

// --- Threads -------------------------------------------------------------------------------

/// Threads in this process (Linux: entries of /proc/self/task); -1 where unknown.
inline int thread_count() {
    std::error_code error;
    std::filesystem::directory_iterator it("/proc/self/task", error);
    if (error) {
        return -1;
    }
    return static_cast<int>(std::distance(it, std::filesystem::directory_iterator{}));
}

/// Waits up to a second for the thread count to drop back to `expected`
/// (a joined thread may linger in /proc for a moment after join()).
inline int settled_thread_count(int expected) {
    int now = thread_count();
    for (int i = 0; i < 100 && now != expected; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        now = thread_count();
    }
    return now;
}

// --- Files ------------------------------------------------------------------------------------

/// A fresh directory under the system temporary directory, removed with its
/// contents when the object goes away.
class TempDir {
public:
    TempDir() {
        const std::string pattern =
            (std::filesystem::temp_directory_path() / "h5linalg-test-XXXXXX").string();
        std::vector<char> buffer(pattern.begin(), pattern.end());
        buffer.push_back('\0');
#ifndef _WIN32
        if (mkdtemp(buffer.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed for " + pattern);
        }
        path_ = buffer.data();
#else
        static std::atomic<unsigned> counter{0};
        path_ = (std::filesystem::temp_directory_path() /
                 ("h5linalg-test-" + std::to_string(counter++) + "-" +
                  std::to_string(std::chrono::steady_clock::now().time_since_epoch().count())))
                    .string();
        std::filesystem::create_directories(path_);
#endif
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const {
        return (std::filesystem::path(path_) / name).string();
    }

private:
    std::string path_;
};

inline std::string file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace test
}  // namespace h5linalg
