// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Writing results: Hdf5OutputDataset commits under the final name or rolls back
// leaving every other object in the file as it was (and a new file not there at
// all); Hdf5Sink writes on a background thread and reports its failures; matmul
// streams into it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "core/hdf5/dataset.hpp"
#include "core/hdf5/handles.hpp"
#include "core/hdf5/output.hpp"
#include "core/hdf5/source.hpp"
#include "core/kernels/matmul.hpp"
#include "core/rows/array_source.hpp"
#include "fake_source.hpp"
#include "hdf5_support.hpp"
#include "test_support.hpp"

namespace h5linalg {
namespace {

using test::DatasetSpec;
using test::H5Id;
using test::Matrix;

class Hdf5Output : public ::testing::Test {
protected:
    void SetUp() override {
        existing_ = dir_.file("existing.h5");
        keep_ = test::random_matrix(12, 3, 201).data;
        H5Id f = test::create_file(existing_);
        DatasetSpec spec;
        spec.dims = {12, 3};
        test::write_dataset(f, "/keep", spec, H5T_NATIVE_DOUBLE, keep_);
        spec.chunk = {4, 3};
        spec.gzip = 1;
        test::write_dataset(f, "/grp/inner", spec, H5T_NATIVE_DOUBLE, keep_);
        test::write_dataset(f, "/grp/old", spec, H5T_NATIVE_DOUBLE, keep_);
        H5Id attr_space(H5Screate(H5S_SCALAR), "H5Screate");
        H5Id attr(H5Acreate2(f, "note", H5T_NATIVE_INT, attr_space, H5P_DEFAULT, H5P_DEFAULT),
                  "H5Acreate2");
        const int value = 42;
        test::h5check(H5Awrite(attr, H5T_NATIVE_INT, &value), "H5Awrite");
    }
    void TearDown() override {
        EXPECT_EQ(open_hdf5_object_count(), 0u) << "an HDF5 identifier was left open";
    }

    /// The other objects are exactly as SetUp made them.
    void expect_untouched(const std::vector<std::string>& extra_links = {}) {
        std::vector<std::string> links = {"grp", "grp/inner", "grp/old", "keep"};
        links.insert(links.end(), extra_links.begin(), extra_links.end());
        std::sort(links.begin(), links.end());
        EXPECT_EQ(test::all_links(existing_), links);
        EXPECT_EQ(test::h5dread_all(existing_, "/keep"), keep_);
        EXPECT_EQ(test::h5dread_all(existing_, "/grp/inner"), keep_);
        EXPECT_EQ(test::h5dread_all(existing_, "/grp/old"), keep_);
        H5Id f = test::open_file(existing_);
        H5Id attr(H5Aopen(f, "note", H5P_DEFAULT), "H5Aopen");
        int value = 0;
        test::h5check(H5Aread(attr, H5T_NATIVE_INT, &value), "H5Aread");
        EXPECT_EQ(value, 42);
    }

    OutputSpec spec_for(const std::string& name) const {
        OutputSpec spec;
        spec.path = existing_;
        spec.name = name;
        return spec;
    }

    test::TempDir dir_;
    std::string existing_;
    std::vector<double> keep_;
};

Matrix result_rows(std::size_t rows, std::size_t cols) {
    return test::random_matrix(rows, cols, 300 + rows + cols);
}

TEST_F(Hdf5Output, CommitMovesTheDatasetIntoPlaceCreatingGroups) {
    const Matrix r = result_rows(20, 3);
    {
        Hdf5OutputDataset out(spec_for("/new/sub/C"), 20, 3, 8);
        out.write(0, 12, r.data.data());
        out.write(12, 8, r.data.data() + 12 * 3);
        out.commit();
    }
    expect_untouched({"new", "new/sub", "new/sub/C"});
    EXPECT_EQ(test::h5dread_all(existing_, "/new/sub/C"), r.data);
    EXPECT_EQ(test::dataset_dims(existing_, "/new/sub/C"), (std::vector<hsize_t>{20, 3}));
    // Chunked float64, readable by the core itself.
    const DatasetInfo info = describe_dataset(existing_, "/new/sub/C", OpenOptions{});
    EXPECT_EQ(info.layout, "chunked");
    EXPECT_EQ(info.type.name, "float64");
    EXPECT_EQ(info.chunk_shape[0], 8u);
}

TEST_F(Hdf5Output, CommitIntoAnExistingGroup) {
    const Matrix r = result_rows(5, 2);
    {
        Hdf5OutputDataset out(spec_for("/grp/C"), 5, 2, 100);
        out.write(0, 5, r.data.data());
        out.commit();
    }
    expect_untouched({"grp/C"});
    EXPECT_EQ(test::h5dread_all(existing_, "/grp/C"), r.data);
}

TEST_F(Hdf5Output, DestroyingWithoutCommitRollsBackEverything) {
    const Matrix r = result_rows(20, 3);
    {
        Hdf5OutputDataset out(spec_for("/new/sub/C"), 20, 3, 8);
        out.write(0, 8, r.data.data());
    }
    expect_untouched();
    {
        Hdf5OutputDataset out(spec_for("/grp/C"), 20, 3, 8);
    }
    expect_untouched();
}

TEST_F(Hdf5Output, NothingAppearsUnderTheFinalNameBeforeCommit) {
    const Matrix r = result_rows(4, 2);
    Hdf5OutputDataset out(spec_for("/grp/C"), 4, 2, 4);
    out.write(0, 4, r.data.data());
    // Peek with a second, read-only handle on the same HDF5 file.
    H5Id f(H5Fopen(existing_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    if (f.get() >= 0) {
        EXPECT_LE(H5Lexists(f, "/grp/C", H5P_DEFAULT), 0);
    }
    f.close();
    out.commit();
    EXPECT_EQ(test::h5dread_all(existing_, "/grp/C"), r.data);
}

TEST_F(Hdf5Output, ExistingDatasetWithoutOverwriteIsFileExistsAndTouchesNothing) {
    const std::string before = test::file_bytes(existing_);
    const std::string message =
        EXPECT_H5L_ERROR(ErrorKind::FileExists, Hdf5OutputDataset(spec_for("/keep"), 3, 3, 3));
    EXPECT_NE(message.find("overwrite"), std::string::npos) << message;
    EXPECT_H5L_ERROR(ErrorKind::FileExists, Hdf5OutputDataset(spec_for("/grp"), 3, 3, 3));
    EXPECT_EQ(test::file_bytes(existing_), before) << "refusing changed the file";
}

TEST_F(Hdf5Output, OverwriteReplacesOnlyThatDataset) {
    OutputSpec spec = spec_for("/grp/old");
    spec.overwrite = true;
    const Matrix r = result_rows(7, 5);
    {
        Hdf5OutputDataset out(spec, 7, 5, 7);
        out.write(0, 7, r.data.data());
        out.commit();
    }
    EXPECT_EQ(test::h5dread_all(existing_, "/grp/old"), r.data);
    EXPECT_EQ(test::dataset_dims(existing_, "/grp/old"), (std::vector<hsize_t>{7, 5}));
    EXPECT_EQ(test::all_links(existing_),
              (std::vector<std::string>{"grp", "grp/inner", "grp/old", "keep"}));
    EXPECT_EQ(test::h5dread_all(existing_, "/keep"), keep_);
    EXPECT_EQ(test::h5dread_all(existing_, "/grp/inner"), keep_);
}

TEST_F(Hdf5Output, OverwriteRolledBackKeepsTheOldDataset) {
    OutputSpec spec = spec_for("/grp/old");
    spec.overwrite = true;
    {
        Hdf5OutputDataset out(spec, 7, 5, 7);
        const Matrix r = result_rows(7, 5);
        out.write(0, 7, r.data.data());
    }
    expect_untouched();
}

TEST_F(Hdf5Output, OverwriteOfAGroupIsAValueError) {
    OutputSpec spec = spec_for("/grp");
    spec.overwrite = true;
    const std::string before = test::file_bytes(existing_);
    EXPECT_H5L_ERROR(ErrorKind::Value, Hdf5OutputDataset(spec, 3, 3, 3));
    EXPECT_EQ(test::file_bytes(existing_), before);
}

TEST_F(Hdf5Output, ParentThatIsADatasetIsAValueError) {
    EXPECT_H5L_ERROR(ErrorKind::Value, Hdf5OutputDataset(spec_for("/keep/C"), 3, 3, 3));
    EXPECT_H5L_ERROR(ErrorKind::Value, Hdf5OutputDataset(spec_for("/grp/inner/deeper/C"), 3, 3, 3));
    expect_untouched();
}

TEST_F(Hdf5Output, GroupsCreatedBeforeAFailureAreRemoved) {
    // The groups /made/here are created first; then the dataspace cannot be made
    // (a dimension of 2^64 - 1 is H5S_UNLIMITED), and the constructor must undo them.
    const std::size_t impossible_rows = static_cast<std::size_t>(H5S_UNLIMITED);
    EXPECT_H5L_ERROR(ErrorKind::IO,
                     Hdf5OutputDataset(spec_for("/made/here/C"), impossible_rows, 3, 8));
    expect_untouched();
}

TEST_F(Hdf5Output, ParentThatIsADanglingSoftLinkIsAValueError) {
    {
        H5Id f = test::open_file(existing_, true);
        test::h5check(H5Lcreate_soft("/nowhere", f, "/dangling", H5P_DEFAULT, H5P_DEFAULT),
                      "H5Lcreate_soft");
    }
    EXPECT_H5L_ERROR(ErrorKind::Value, Hdf5OutputDataset(spec_for("/dangling/C"), 3, 3, 3));
    expect_untouched({"dangling (soft)"});
}

TEST_F(Hdf5Output, ZeroColumnResultDoesNotCrash) {
    // numpy: A (m, k) @ B (k, 0) is an (m, 0) array, and h5linalg.matmul(a, b, out=...)
    // passes p = 0 straight through to here. An empty dataset or a Value error are
    // both acceptable; a crash (integer division by zero) is not.
    try {
        Hdf5OutputDataset out(spec_for("/empty"), 5, 0, 5);
        out.commit();
        EXPECT_EQ(test::dataset_dims(existing_, "/empty"), (std::vector<hsize_t>{5, 0}));
        expect_untouched({"empty"});
    } catch (const Error& error) {
        EXPECT_EQ(error.kind(), ErrorKind::Value) << error.what();
        expect_untouched();
    }
}

/// The names in the test's directory, sorted.
std::vector<std::string> names_in(const std::string& directory) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

TEST_F(Hdf5Output, NewFileAppearsUnderItsNameOnlyOnCommit) {
    OutputSpec spec;
    spec.path = dir_.file("fresh.h5");
    spec.name = "/C";
    const Matrix r = result_rows(3, 2);
    {
        Hdf5OutputDataset out(spec, 3, 2, 3);
        out.write(0, 3, r.data.data());
        // Written under a hidden temporary name in the same folder until commit().
        const std::vector<std::string> during = names_in(dir_.path());
        ASSERT_EQ(during.size(), 2u);
        EXPECT_EQ(during[0].rfind(".fresh.h5.h5linalg-", 0), 0u) << during[0];
        EXPECT_EQ(during[1], "existing.h5");
        out.commit();
    }
    EXPECT_EQ(names_in(dir_.path()), (std::vector<std::string>{"existing.h5", "fresh.h5"}));
    EXPECT_EQ(test::h5dread_all(spec.path, "/C"), r.data);
    EXPECT_EQ(test::all_links(spec.path), (std::vector<std::string>{"C"}));
}

TEST_F(Hdf5Output, NewFileRolledBackLeavesNoFileAtAll) {
    OutputSpec spec;
    spec.path = dir_.file("fresh.h5");
    spec.name = "/grp/C";
    {
        Hdf5OutputDataset out(spec, 3, 2, 3);
        const Matrix r = result_rows(3, 2);
        out.write(0, 3, r.data.data());
    }
    EXPECT_EQ(names_in(dir_.path()), (std::vector<std::string>{"existing.h5"}));
    // A new file in a folder that does not exist is an IO error, and leaves nothing.
    spec.path = dir_.file("missing/fresh.h5");
    EXPECT_H5L_ERROR(ErrorKind::IO, Hdf5OutputDataset(spec, 3, 2, 3));
    EXPECT_EQ(names_in(dir_.path()), (std::vector<std::string>{"existing.h5"}));
}

TEST_F(Hdf5Output, OutputIntoANonHdf5FileIsAnIOError) {
    const std::string text = dir_.file("notes.txt");
    test::write_bytes(text, "plain text");
    OutputSpec spec;
    spec.path = text;
    spec.name = "/C";
    EXPECT_H5L_ERROR(ErrorKind::IO, Hdf5OutputDataset(spec, 3, 2, 3));
    EXPECT_EQ(test::file_bytes(text), "plain text");
}

TEST_F(Hdf5Output, VectorOutputIsOneDimensional) {
    OutputSpec spec = spec_for("/v");
    spec.vector = true;
    const std::vector<double> v = {1.0, 2.0, 3.0, 4.0, 5.0};
    {
        Hdf5OutputDataset out(spec, 5, 1, 2);
        out.write(0, 2, v.data());
        out.write(2, 3, v.data() + 2);
        out.commit();
    }
    EXPECT_EQ(test::dataset_dims(existing_, "/v"), (std::vector<hsize_t>{5}));
    EXPECT_EQ(test::h5dread_all(existing_, "/v"), v);
}

// --- Hdf5Sink ---------------------------------------------------------------------------------

TEST_F(Hdf5Output, SinkWritesEveryBlockInOrder) {
    const std::size_t rows = 53, cols = 4, block = 10;
    const Matrix r = result_rows(rows, cols);
    {
        Hdf5OutputDataset out(spec_for("/sunk"), rows, cols, block);
        {
            Hdf5Sink sink(out, block, cols);
            for (std::size_t first = 0; first < rows; first += block) {
                const std::size_t count = std::min(block, rows - first);
                double* buffer = sink.acquire(first, count);
                std::copy(r.data.begin() + static_cast<std::ptrdiff_t>(first * cols),
                          r.data.begin() + static_cast<std::ptrdiff_t>((first + count) * cols),
                          buffer);
                sink.release();
            }
            sink.finish();
        }
        out.commit();
    }
    EXPECT_EQ(test::h5dread_all(existing_, "/sunk"), r.data);
    expect_untouched({"sunk"});
}

TEST_F(Hdf5Output, SinkWriteFailureSurfacesAndRollsBack) {
    const int threads_before = test::thread_count();
    {
        Hdf5OutputDataset out(spec_for("/grp/C"), 10, 2, 5);
        Hdf5Sink sink(out, 5, 2);
        double* buffer = sink.acquire(0, 5);
        std::fill(buffer, buffer + 10, 1.0);
        sink.release();
        buffer = sink.acquire(8, 5);  // rows 8-12 of a 10-row dataset: the write fails
        std::fill(buffer, buffer + 10, 2.0);
        sink.release();
        // The failed write (an HDF5 IO error, or a Runtime error if the core checks
        // the range itself) comes out of finish() on the calling thread.
        try {
            sink.finish();
            ADD_FAILURE() << "finish() did not report the failed write";
        } catch (const Error& error) {
            EXPECT_TRUE(error.kind() == ErrorKind::IO || error.kind() == ErrorKind::Runtime)
                << kind_name(error.kind()) << ": " << error.what();
            EXPECT_NE(std::string(error.what()).find("/grp/C"), std::string::npos) << error.what();
        }
        // and keeps coming out of acquire().
        EXPECT_THROW(sink.acquire(0, 1), Error);
    }
    expect_untouched();
    if (threads_before >= 0) {
        EXPECT_EQ(test::settled_thread_count(threads_before), threads_before);
    }
}

TEST_F(Hdf5Output, SinkDestroyedMidRunLeavesNoThread) {
    const int threads_before = test::thread_count();
    {
        Hdf5OutputDataset out(spec_for("/grp/C"), 100, 2, 10);
        Hdf5Sink sink(out, 10, 2);
        for (std::size_t first = 0; first < 50; first += 10) {
            double* buffer = sink.acquire(first, 10);
            std::fill(buffer, buffer + 20, 3.0);
            sink.release();
        }
        // No finish(), no commit(): an exception unwinding through here.
    }
    expect_untouched();
    if (threads_before >= 0) {
        EXPECT_EQ(test::settled_thread_count(threads_before), threads_before);
    }
}

// --- matmul into HDF5 -----------------------------------------------------------------------

class ThrowingObserver final : public Observer {
public:
    explicit ThrowingObserver(std::size_t after_rows) : after_rows_(after_rows) {}
    void progress(std::size_t done, std::size_t) override {
        if (done >= after_rows_) {
            throw std::runtime_error("interrupted");
        }
    }

private:
    std::size_t after_rows_;
};

TEST_F(Hdf5Output, MatmulStreamsIntoAnHdf5Dataset) {
    const Matrix a = test::random_matrix(95, 4, 210);
    const Matrix b = test::random_matrix(4, 3, 211);
    ArraySource source(test::strided_view(a));
    StreamOptions options;
    options.block_rows = 20;
    const BlockPlan plan = plan_blocks(source, options, matmul_memory_needs(3, true));
    std::vector<double> expected(95 * 3);
    {
        MemorySink memory(expected.data(), 3);
        compute_matmul(source, b.data.data(), 4, 3, plan, memory, nullptr);
    }
    {
        Hdf5OutputDataset out(spec_for("/product"), 95, 3, plan.block_rows);
        {
            Hdf5Sink sink(out, plan.block_rows, 3);
            compute_matmul(source, b.data.data(), 4, 3, plan, sink, nullptr);
        }
        out.commit();
    }
    EXPECT_EQ(test::h5dread_all(existing_, "/product"), expected);
    expect_untouched({"product"});

    // And back in through the core: A @ B read from the file it was written to.
    Hdf5Source written(open_matrix(existing_, "/product", OpenOptions{}));
    EXPECT_EQ(test::read_all(written).data, expected);
}

TEST_F(Hdf5Output, InterruptedMatmulLeavesNoTraceAndNoThread) {
    const Matrix a = test::random_matrix(200, 3, 212);
    const Matrix b = test::random_matrix(3, 2, 213);
    test::FakeSource source(a);  // prefetching path: a reader thread and a writer thread
    StreamOptions options;
    options.block_rows = 10;
    const BlockPlan plan = plan_blocks(source, options, matmul_memory_needs(2, true));
    {
        // Warm up: a BLAS may start its own threads on first use; count after that.
        std::vector<double> scratch(200 * 2);
        MemorySink memory(scratch.data(), 2);
        compute_matmul(source, b.data.data(), 3, 2, plan, memory, nullptr);
    }
    const int threads_before = test::thread_count();
    ThrowingObserver observer(50);
    EXPECT_THROW(
        {
            Hdf5OutputDataset out(spec_for("/grp/product"), 200, 2, plan.block_rows);
            Hdf5Sink sink(out, plan.block_rows, 2);
            compute_matmul(source, b.data.data(), 3, 2, plan, sink, &observer);
            out.commit();
        },
        std::runtime_error);
    expect_untouched();
    if (threads_before >= 0) {
        EXPECT_EQ(test::settled_thread_count(threads_before), threads_before);
    }
}

}  // namespace
}  // namespace h5linalg
