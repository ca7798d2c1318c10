// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Reading HDF5 datasets: every layout (contiguous, chunked, gzip, shuffle+gzip,
// 2-D chunks, edge chunks), every integer and float type in both byte orders
// (float16 through a custom H5T), the parallel chunk path against H5Dread, its
// fallbacks, and every way opening can fail, with the exact error kind.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <thread>
#include <vector>

#include "core/hdf5/chunk_reader.hpp"
#include "core/hdf5/dataset.hpp"
#include "core/hdf5/handles.hpp"
#include "core/hdf5/source.hpp"
#include "core/kernels/moments.hpp"
#include "core/rows/block_pipeline.hpp"
#include "hdf5_support.hpp"
#include "test_support.hpp"

namespace h5linalg {
namespace {

using test::DatasetSpec;
using test::H5Id;
using test::Matrix;

/// Every test gets its own directory and must leave no HDF5 object open.
class Hdf5Test : public ::testing::Test {
protected:
    void TearDown() override {
        EXPECT_EQ(open_hdf5_object_count(), 0u) << "an HDF5 identifier was left open";
    }
    std::string file(const std::string& name) const { return dir_.file(name); }

    test::TempDir dir_;
};

/// Compressible test values (so gzip chunks really are compressed).
double pattern(std::size_t i, std::size_t j) {
    return static_cast<double>(static_cast<long>((i * 7 + j * 13) % 101) - 50);
}

std::vector<std::string> filter_names(const DatasetInfo& info) {
    std::vector<std::string> names;
    for (const Filter& filter : info.filters) {
        names.push_back(filter.name);
    }
    return names;
}

std::vector<double> pattern_data(std::size_t rows, std::size_t cols) {
    std::vector<double> v(rows * cols);
    for (std::size_t i = 0; i < rows; ++i) {
        for (std::size_t j = 0; j < cols; ++j) {
            v[i * cols + j] = pattern(i, j);
        }
    }
    return v;
}

/// Streams a whole source through the pipeline with the given block height.
Matrix stream_all(RowSource& source, std::size_t block_rows) {
    Matrix out(source.rows(), source.cols());
    StreamOptions options;
    options.block_rows = block_rows;
    const BlockPlan plan = plan_blocks(source, options, MemoryNeeds{});
    stream_blocks(source, plan, nullptr, [&](const Block& block) {
        for (std::size_t i = 0; i < block.rows; ++i) {
            std::memcpy(&out(block.first + i, 0), block.data + i * block.ld,
                        out.cols * sizeof(double));
        }
    });
    return out;
}

// --- Layouts x types, against H5Dread ------------------------------------------------------

struct LayoutCase {
    const char* name;
    std::vector<hsize_t> chunk;
    bool shuffle;
    int gzip;
};

struct TypeCase {
    const char* name;
    hid_t file_type;
};

const LayoutCase layouts[] = {
    {"contiguous", {}, false, -1},
    {"chunked", {8, 5}, false, -1},
    {"gzip", {8, 5}, false, 4},
    {"shuffle_gzip", {8, 5}, true, 6},
    {"gzip_2d_chunks", {6, 2}, false, 1},  // chunks split the columns, edge chunks both ways
    {"shuffle_gzip_2d_chunks", {16, 3}, true, 9},
    {"gzip_one_row_chunks", {1, 5}, false, 1},
};

std::vector<TypeCase> type_cases() {
    return {
        {"f64le", H5T_IEEE_F64LE}, {"f64be", H5T_IEEE_F64BE}, {"f32le", H5T_IEEE_F32LE},
        {"f32be", H5T_IEEE_F32BE}, {"i8", H5T_STD_I8LE},      {"u8", H5T_STD_U8LE},
        {"i16le", H5T_STD_I16LE},  {"i16be", H5T_STD_I16BE},  {"u16be", H5T_STD_U16BE},
        {"i32le", H5T_STD_I32LE},  {"i32be", H5T_STD_I32BE},  {"u32le", H5T_STD_U32LE},
        {"i64le", H5T_STD_I64LE},  {"i64be", H5T_STD_I64BE},  {"u64be", H5T_STD_U64BE},
    };
}

TEST_F(Hdf5Test, EveryLayoutAndTypeMatchesH5Dread) {
    const std::size_t rows = 45, cols = 5;  // 45 rows: chunks of 8 and 16 leave a partial edge
    std::vector<double> data = pattern_data(rows, cols);
    for (double& v : data) {
        v = std::fabs(v) + (v < 0 ? 100.0 : 0.0);  // non-negative: fits the unsigned types
    }
    std::vector<double> signed_data = pattern_data(rows, cols);
    const std::string path = file("all.h5");
    {
        H5Id f = test::create_file(path);
        for (const auto& layout : layouts) {
            for (const auto& type : type_cases()) {
                DatasetSpec spec;
                spec.dims = {rows, cols};
                spec.chunk = layout.chunk;
                spec.shuffle = layout.shuffle;
                spec.gzip = layout.gzip;
                spec.file_type = type.file_type;
                const bool is_unsigned = H5Tget_class(type.file_type) == H5T_INTEGER &&
                                         H5Tget_sign(type.file_type) == H5T_SGN_NONE;
                test::write_dataset(f, std::string("/") + layout.name + "/" + type.name, spec,
                                    H5T_NATIVE_DOUBLE, is_unsigned ? data : signed_data);
            }
        }
    }
    for (const auto& layout : layouts) {
        for (const auto& type : type_cases()) {
            const std::string name = std::string("/") + layout.name + "/" + type.name;
            SCOPED_TRACE(name);
            const std::vector<double> reference = test::h5dread_all(path, name);
            Hdf5Source source(open_matrix(path, name, OpenOptions{}));
            ASSERT_EQ(source.rows(), rows);
            ASSERT_EQ(source.cols(), cols);
            EXPECT_EQ(test::read_all(source).data, reference);
            for (const std::size_t block : {1u, 5u, 13u, 0u}) {
                EXPECT_EQ(stream_all(source, block).data, reference) << "block_rows " << block;
            }
            // A wider destination (ld > cols) and an unaligned row range.
            std::vector<double> wide(7 * 9, -1.0);
            source.read(3, 7, wide.data(), 9);
            for (std::size_t i = 0; i < 7; ++i) {
                for (std::size_t j = 0; j < 9; ++j) {
                    const double expected = j < cols ? reference[(3 + i) * cols + j] : -1.0;
                    ASSERT_EQ(wide[i * 9 + j], expected) << "row " << i << " column " << j;
                }
            }
        }
    }
}

TEST_F(Hdf5Test, OpensAFileTheCallerHoldsOpenForWritingInThisLibrary) {
    // h5py sharing this HDF5 library (as on conda-forge): the file is open for
    // writing here, with HDF5's default locking, when an h5py.Dataset is passed in.
    const std::string path = file("open.h5");
    const std::vector<double> data = pattern_data(6, 2);
    {
        test::H5Id writer = test::create_file(path);
        test::DatasetSpec spec;
        spec.dims = {6, 2};
        test::write_dataset(writer, "/x", spec, H5T_NATIVE_DOUBLE, data);
        test::h5check(H5Fflush(writer, H5F_SCOPE_GLOBAL), "H5Fflush");
        OpenOptions options;
        options.ignore_file_locks = true;
        Hdf5Source source(open_matrix(path, "/x", options));
        EXPECT_EQ(test::read_all(source).data, data);
    }
}

TEST_F(Hdf5Test, ClassifiesTypesAndLayouts) {
    const std::string path = file("describe.h5");
    const std::vector<double> data = pattern_data(20, 4);
    {
        H5Id f = test::create_file(path);
        DatasetSpec spec;
        spec.dims = {20, 4};
        spec.file_type = H5T_STD_I32BE;
        spec.chunk = {5, 4};
        spec.shuffle = true;
        spec.gzip = 4;
        test::write_dataset(f, "/big", spec, H5T_NATIVE_DOUBLE, data);
        DatasetSpec plain;
        plain.dims = {20, 4};
        plain.file_type = H5T_IEEE_F32LE;
        test::write_dataset(f, "/plain", plain, H5T_NATIVE_DOUBLE, data);
        DatasetSpec checked = spec;
        checked.fletcher32 = true;
        checked.file_type = H5T_STD_U16LE;
        checked.shuffle = false;
        std::vector<double> positive(data.size(), 3.0);
        test::write_dataset(f, "/checked", checked, H5T_NATIVE_DOUBLE, positive);
    }
    const DatasetInfo big = describe_dataset(path, "big", OpenOptions{});
    EXPECT_EQ(big.name, "/big");
    EXPECT_EQ(big.shape, (std::vector<std::size_t>{20, 4}));
    EXPECT_EQ(big.type.name, "int32 (big-endian)");
    ASSERT_TRUE(big.type.element.has_value());
    EXPECT_EQ(*big.type.element, ElementType::Int32);
    EXPECT_TRUE(big.type.swap_bytes);
    EXPECT_TRUE(big.type.raw_readable);
    EXPECT_EQ(big.layout, "chunked");
    EXPECT_EQ(big.chunk_shape, (std::vector<std::size_t>{5, 4}));
    EXPECT_EQ(filter_names(big), (std::vector<std::string>{"shuffle", "gzip(4)"}));
    EXPECT_EQ(big.filters[1].id, H5Z_FILTER_DEFLATE);
    EXPECT_EQ(big.filters[1].values, (std::vector<unsigned>{4}));
    EXPECT_GT(big.storage_bytes, 0u);
    EXPECT_FALSE(big.external_storage);

    const DatasetInfo plain = describe_dataset(path, "/plain", OpenOptions{});
    EXPECT_EQ(plain.type.name, "float32");
    EXPECT_FALSE(plain.type.swap_bytes);
    EXPECT_EQ(plain.layout, "contiguous");
    EXPECT_TRUE(plain.chunk_shape.empty());
    EXPECT_TRUE(plain.filters.empty());
    EXPECT_EQ(plain.storage_bytes, 20u * 4u * 4u);

    const DatasetInfo checked = describe_dataset(path, "/checked", OpenOptions{});
    EXPECT_EQ(filter_names(checked), (std::vector<std::string>{"fletcher32", "gzip(4)"}));
    EXPECT_EQ(checked.type.name, "uint16");
    EXPECT_EQ(shape_text({20, 4}), "(20, 4)");
    EXPECT_EQ(shape_text({7}), "(7,)");
    EXPECT_EQ(shape_text({}), "()");
}

// --- The parallel chunk path ------------------------------------------------------------------

TEST_F(Hdf5Test, ChunkReaderAppliesToGzipAndShuffleGzipOnly) {
    const std::string path = file("which.h5");
    const std::vector<double> data = pattern_data(30, 4);
    {
        H5Id f = test::create_file(path);
        DatasetSpec spec;
        spec.dims = {30, 4};
        test::write_dataset(f, "/contiguous", spec, H5T_NATIVE_DOUBLE, data);
        spec.chunk = {10, 4};
        test::write_dataset(f, "/chunked", spec, H5T_NATIVE_DOUBLE, data);
        spec.gzip = 1;
        test::write_dataset(f, "/gzip", spec, H5T_NATIVE_DOUBLE, data);
        spec.shuffle = true;
        test::write_dataset(f, "/shuffle_gzip", spec, H5T_NATIVE_DOUBLE, data);
        spec.fletcher32 = true;
        test::write_dataset(f, "/checksummed", spec, H5T_NATIVE_DOUBLE, data);
        spec.fletcher32 = false;
        spec.gzip = -1;
        test::write_dataset(f, "/shuffle_only", spec, H5T_NATIVE_DOUBLE, data);
    }
    auto reader_for = [&](const char* name) {
        return ChunkReader::create(open_matrix(path, name, OpenOptions{})) != nullptr;
    };
    EXPECT_FALSE(reader_for("/contiguous"));
    EXPECT_FALSE(reader_for("/chunked"));
    EXPECT_TRUE(reader_for("/gzip"));
    EXPECT_TRUE(reader_for("/shuffle_gzip"));
    EXPECT_FALSE(reader_for("/checksummed"));
    EXPECT_FALSE(reader_for("/shuffle_only"));
    // Without parallel_inflate (H5LINALG_SERIAL_INFLATE) a source takes no reader:
    // its planning asks for no rows to keep inflating threads busy.
    EXPECT_GT(
        Hdf5Source(open_matrix(path, "/gzip", OpenOptions{})).planning_hints().preferred_block_rows,
        0u);
    EXPECT_EQ(Hdf5Source(open_matrix(path, "/gzip", OpenOptions{}), /*parallel_inflate=*/false)
                  .planning_hints()
                  .preferred_block_rows,
              0u);
    // Every one of them reads the same numbers.
    for (const char* name :
         {"/contiguous", "/chunked", "/gzip", "/shuffle_gzip", "/checksummed", "/shuffle_only"}) {
        Hdf5Source source(open_matrix(path, name, OpenOptions{}));
        EXPECT_EQ(test::read_all(source).data, data) << name;
    }
}

TEST_F(Hdf5Test, ChunkReaderMatchesH5DreadOnEveryRange) {
    const std::string path = file("ranges.h5");
    const std::size_t rows = 37, cols = 7;
    std::vector<std::int16_t> data(rows * cols);
    for (std::size_t k = 0; k < data.size(); ++k) {
        data[k] = static_cast<std::int16_t>(static_cast<int>(k * 37 % 1001) - 500);
    }
    {
        H5Id f = test::create_file(path);
        DatasetSpec spec;
        spec.dims = {rows, cols};
        spec.chunk = {5, 3};
        spec.shuffle = true;
        spec.gzip = 5;
        spec.file_type = H5T_STD_I16BE;
        test::write_dataset(f, "/x", spec, H5T_NATIVE_INT16, data);
    }
    const std::vector<double> reference = test::h5dread_all(path, "/x");
    OpenDataset opened = open_matrix(path, "/x", OpenOptions{});
    auto reader = ChunkReader::create(opened);
    ASSERT_NE(reader, nullptr);
    EXPECT_EQ(reader->chunk_bytes(), 5u * 3u * 2u);
    for (std::size_t first = 0; first < rows; first += 3) {
        for (const std::size_t count :
             {std::size_t{1}, std::size_t{4}, std::size_t{5}, std::size_t{11}, rows - first}) {
            if (first + count > rows) {
                continue;
            }
            std::vector<double> out(count * cols, -1.0);
            ASSERT_TRUE(reader->read(first, count, out.data(), cols));
            const std::vector<double> expected(reference.begin() + first * cols,
                                               reference.begin() + (first + count) * cols);
            ASSERT_EQ(out, expected) << "rows " << first << " + " << count;
        }
    }
}

TEST_F(Hdf5Test, WholeChunksInflateStraightIntoTheBlock) {
    // Full-width chunks, no shuffle, chunk-aligned block: the in-place path.
    const std::string path = file("whole.h5");
    const std::size_t rows = 64, cols = 3;
    std::vector<float> data(rows * cols);
    for (std::size_t k = 0; k < data.size(); ++k) {
        data[k] = static_cast<float>(k % 17) * 0.5f;
    }
    {
        H5Id f = test::create_file(path);
        DatasetSpec spec;
        spec.dims = {rows, cols};
        spec.chunk = {16, 3};
        spec.gzip = 3;
        spec.file_type = H5T_IEEE_F32LE;
        test::write_dataset(f, "/x", spec, H5T_NATIVE_FLOAT, data);
    }
    OpenDataset opened = open_matrix(path, "/x", OpenOptions{});
    auto reader = ChunkReader::create(opened);
    ASSERT_NE(reader, nullptr);
    std::vector<double> out(32 * cols, -1.0);
    ASSERT_TRUE(reader->read(16, 32, out.data(), cols));
    for (std::size_t k = 0; k < out.size(); ++k) {
        ASSERT_EQ(out[k], static_cast<double>(data[16 * cols + k])) << "element " << k;
    }
}

TEST_F(Hdf5Test, UnwrittenChunksFallBackToH5Dread) {
    const std::string path = file("sparse.h5");
    const std::size_t rows = 40, cols = 4;
    const std::vector<double> data = pattern_data(10, cols);
    {
        H5Id f = test::create_file(path);
        DatasetSpec spec;
        spec.dims = {rows, cols};
        spec.chunk = {10, 4};
        spec.gzip = 2;
        spec.write = false;
        test::write_dataset(f, "/x", spec, H5T_NATIVE_DOUBLE, nullptr);
        // Write rows 0-9 and 30-39 only; chunks 1 and 2 are never allocated.
        H5Id dataset(H5Dopen2(f, "/x", H5P_DEFAULT), "H5Dopen2");
        for (const hsize_t start_row : {hsize_t{0}, hsize_t{30}}) {
            H5Id file_space(H5Dget_space(dataset), "H5Dget_space");
            const hsize_t start[2] = {start_row, 0}, count[2] = {10, cols};
            test::h5check(
                H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, nullptr, count, nullptr),
                "select");
            H5Id memory(H5Screate_simple(2, count, nullptr), "H5Screate_simple");
            test::h5check(
                H5Dwrite(dataset, H5T_NATIVE_DOUBLE, memory, file_space, H5P_DEFAULT, data.data()),
                "H5Dwrite");
        }
    }
    const std::vector<double> reference = test::h5dread_all(path, "/x");
    OpenDataset opened = open_matrix(path, "/x", OpenOptions{});
    auto reader = ChunkReader::create(opened);
    ASSERT_NE(reader, nullptr);
    std::vector<double> out(10 * cols);
    EXPECT_TRUE(reader->read(0, 10, out.data(), cols));
    EXPECT_TRUE(reader->read(30, 10, out.data(), cols));
    EXPECT_FALSE(reader->read(5, 10, out.data(), cols));  // reaches into chunk 1
    Hdf5Source source(open_matrix(path, "/x", OpenOptions{}));
    for (const std::size_t block : {0u, 7u, 10u}) {
        EXPECT_EQ(stream_all(source, block).data, reference) << "block_rows " << block;
    }
    EXPECT_EQ(reference[15 * cols], 0.0);  // the fill value
}

TEST_F(Hdf5Test, ChunkStoredWithItsFilterSkippedFallsBackToH5Dread) {
    const std::string path = file("skipped.h5");
    const std::size_t rows = 20, cols = 3;
    const std::vector<double> data = pattern_data(rows, cols);
    {
        H5Id f = test::create_file(path);
        DatasetSpec spec;
        spec.dims = {rows, cols};
        spec.chunk = {10, 3};
        spec.gzip = 4;
        test::write_dataset(f, "/x", spec, H5T_NATIVE_DOUBLE, data);
        // Replace chunk 1 by an uncompressed copy flagged "deflate skipped" (mask bit 0).
        H5Id dataset(H5Dopen2(f, "/x", H5P_DEFAULT), "H5Dopen2");
        const hsize_t offset[2] = {10, 0};
        test::h5check(H5Dwrite_chunk(dataset, H5P_DEFAULT, 1u, offset, 10 * cols * sizeof(double),
                                     data.data() + 10 * cols),
                      "H5Dwrite_chunk");
    }
    OpenDataset opened = open_matrix(path, "/x", OpenOptions{});
    auto reader = ChunkReader::create(opened);
    ASSERT_NE(reader, nullptr);
    std::vector<double> out(rows * cols);
    EXPECT_TRUE(reader->read(0, 10, out.data(), cols));
    EXPECT_FALSE(reader->read(0, 20, out.data(), cols));
    Hdf5Source source(open_matrix(path, "/x", OpenOptions{}));
    EXPECT_EQ(test::read_all(source).data, data);
    EXPECT_EQ(test::h5dread_all(path, "/x"), data);
}

TEST_F(Hdf5Test, DamagedCompressedChunkIsAnIOError) {
    const std::string path = file("damaged.h5");
    const std::size_t rows = 20, cols = 3;
    {
        H5Id f = test::create_file(path);
        DatasetSpec spec;
        spec.dims = {rows, cols};
        spec.chunk = {10, 3};
        spec.gzip = 4;
        test::write_dataset(f, "/x", spec, H5T_NATIVE_DOUBLE, pattern_data(rows, cols));
        H5Id dataset(H5Dopen2(f, "/x", H5P_DEFAULT), "H5Dopen2");
        const std::string garbage(57, '\x5a');
        const hsize_t offset[2] = {10, 0};
        test::h5check(
            H5Dwrite_chunk(dataset, H5P_DEFAULT, 0u, offset, garbage.size(), garbage.data()),
            "H5Dwrite_chunk");
    }
    {
        Hdf5Source source(open_matrix(path, "/x", OpenOptions{}));
        std::vector<double> out(rows * cols);
        source.read(0, 10, out.data(), cols);  // chunk 0 is fine
        const std::string message =
            EXPECT_H5L_ERROR(ErrorKind::IO, source.read(0, rows, out.data(), cols));
        EXPECT_NE(message.find(path), std::string::npos) << message;
    }
    {
        Hdf5Source source(open_matrix(path, "/x", OpenOptions{}), /*parallel_inflate=*/false);
        std::vector<double> out(rows * cols);
        EXPECT_H5L_ERROR(ErrorKind::IO, source.read(0, rows, out.data(), cols));
    }
}

TEST_F(Hdf5Test, ChunkWithAnImpossibleSizeIsAnIOError) {
    const std::string path = file("huge_chunk.h5");
    {
        H5Id f = test::create_file(path);
        DatasetSpec spec;
        spec.dims = {20, 3};
        spec.chunk = {10, 3};
        spec.gzip = 4;
        test::write_dataset(f, "/x", spec, H5T_NATIVE_DOUBLE, pattern_data(20, 3));
        H5Id dataset(H5Dopen2(f, "/x", H5P_DEFAULT), "H5Dopen2");
        // A 240-byte chunk never deflates to 20 kB (HDF5 itself would store it unfiltered).
        const std::string garbage(20'000, '\x01');
        const hsize_t offset[2] = {0, 0};
        test::h5check(
            H5Dwrite_chunk(dataset, H5P_DEFAULT, 0u, offset, garbage.size(), garbage.data()),
            "H5Dwrite_chunk");
    }
    Hdf5Source source(open_matrix(path, "/x", OpenOptions{}));
    std::vector<double> out(20 * 3);
    const std::string message = EXPECT_H5L_ERROR(ErrorKind::IO, source.read(0, 20, out.data(), 3));
    EXPECT_NE(message.find("impossible size"), std::string::npos) << message;
}

TEST_F(Hdf5Test, ChunksLargerThanTheDatasetOfAnExtendibleDataset) {
    // h5py allows chunks (64, 8) on a (10, 3) dataset with maxshape (None, None).
    const std::string path = file("extendible.h5");
    const std::vector<double> data = pattern_data(10, 3);
    {
        H5Id f = test::create_file(path);
        DatasetSpec spec;
        spec.dims = {10, 3};
        spec.maxdims = {H5S_UNLIMITED, H5S_UNLIMITED};
        spec.chunk = {64, 8};
        spec.shuffle = true;
        spec.gzip = 4;
        test::write_dataset(f, "/x", spec, H5T_NATIVE_DOUBLE, data);
    }
    Hdf5Source source(open_matrix(path, "/x", OpenOptions{}));
    EXPECT_EQ(source.planning_hints().alignment, 64u);
    EXPECT_EQ(source.planning_hints().minimum_block_rows, 10u);
    for (const std::size_t block : {0u, 1u, 4u}) {
        EXPECT_EQ(stream_all(source, block).data, data) << "block_rows " << block;
    }
}

TEST_F(Hdf5Test, PlanAlignsToCompressedChunks) {
    const std::string path = file("plan.h5");
    {
        H5Id f = test::create_file(path);
        DatasetSpec spec;
        spec.dims = {1000, 4};
        spec.chunk = {60, 4};
        spec.gzip = 1;
        test::write_dataset(f, "/x", spec, H5T_NATIVE_DOUBLE, pattern_data(1000, 4));
    }
    Hdf5Source source(open_matrix(path, "/x", OpenOptions{}));
    const PlanningHints hints = source.planning_hints();
    EXPECT_EQ(hints.alignment, 60u);
    EXPECT_EQ(hints.minimum_block_rows, 60u);
    const std::size_t per_row = 2 * 4 * sizeof(double) + hints.scratch_bytes_per_row;
    StreamOptions options;
    // A whole inflated chunk (twice, for the unshuffled copy) is held besides the rows.
    const std::size_t fixed = hints.fixed_scratch_bytes;
    EXPECT_EQ(fixed, 2u * 60 * 4 * sizeof(double));
    options.memory_limit = per_row * 250 + fixed;
    EXPECT_EQ(plan_blocks(source, options, MemoryNeeds{}).block_rows, 240u);
    options.memory_limit = per_row * 59 + fixed;
    const std::string message =
        EXPECT_H5L_ERROR(ErrorKind::Memory, plan_blocks(source, options, MemoryNeeds{}));
    EXPECT_NE(message.find(path), std::string::npos) << message;
}

// --- float16 and unusual float layouts ------------------------------------------------------

TEST_F(Hdf5Test, Float16ThroughACustomTypeInBothByteOrders) {
    const std::string path = file("half.h5");
    // 1, -2, smallest subnormal, largest subnormal, 65504, inf, -inf, NaN, -0, 0.333...
    const std::vector<std::uint16_t> bits = {0x3c00, 0xc000, 0x0001, 0x03ff, 0x7bff,
                                             0x7c00, 0xfc00, 0x7e00, 0x8000, 0x3555};
    const std::vector<double> expected = {1.0,
                                          -2.0,
                                          std::ldexp(1.0, -24),
                                          1023 * std::ldexp(1.0, -24),
                                          65504.0,
                                          std::numeric_limits<double>::infinity(),
                                          -std::numeric_limits<double>::infinity(),
                                          std::numeric_limits<double>::quiet_NaN(),
                                          -0.0,
                                          0.333251953125};
    const std::size_t rows = 5, cols = 2;
    {
        H5Id f = test::create_file(path);
        for (const bool big_endian : {false, true}) {
            H5Id type = test::float16_type(big_endian);
            std::vector<std::uint16_t> stored = bits;
            if (big_endian) {
                for (auto& b : stored) {
                    b = static_cast<std::uint16_t>((b >> 8) | (b << 8));
                }
            }
            for (const bool gzip : {false, true}) {
                DatasetSpec spec;
                spec.dims = {rows, cols};
                spec.file_type = type;
                if (gzip) {
                    spec.chunk = {2, 2};
                    spec.shuffle = true;
                    spec.gzip = 4;
                }
                // Memory type = file type: the bits are stored as given.
                test::write_dataset(f,
                                    std::string(big_endian ? "/be" : "/le") + (gzip ? "_gzip" : ""),
                                    spec, type, stored);
            }
        }
    }
    for (const char* name : {"/le", "/le_gzip", "/be", "/be_gzip"}) {
        SCOPED_TRACE(name);
        OpenDataset opened = open_matrix(path, name, OpenOptions{});
        ASSERT_TRUE(opened.info.type.element.has_value());
        EXPECT_EQ(*opened.info.type.element, ElementType::Float16);
        EXPECT_EQ(opened.info.type.name,
                  name[1] == 'b' ? std::string("float16 (big-endian)") : std::string("float16"));
        EXPECT_TRUE(opened.info.type.raw_readable);
        Hdf5Source source(std::move(opened));
        for (const std::size_t block : {0u, 1u, 3u}) {
            const Matrix m = stream_all(source, block);
            for (std::size_t k = 0; k < expected.size(); ++k) {
                if (std::isnan(expected[k])) {
                    EXPECT_TRUE(std::isnan(m.data[k])) << "element " << k;
                } else {
                    EXPECT_EQ(m.data[k], expected[k]) << "element " << k;
                    EXPECT_EQ(std::signbit(m.data[k]), std::signbit(expected[k]))
                        << "element " << k;
                }
            }
        }
    }
}

TEST_F(Hdf5Test, NonIeeeFloatLayoutIsConvertedByHdf5) {
    const std::string path = file("float24.h5");
    const std::vector<double> data = {1.0, -2.5, 0.125, 1000.0, -0.75, 3.0};
    {
        H5Id f = test::create_file(path);
        H5Id type(H5Tcopy(H5T_IEEE_F32LE), "H5Tcopy");
        test::h5check(H5Tset_fields(type, 23, 16, 7, 0, 16), "H5Tset_fields");
        test::h5check(H5Tset_size(type, 3), "H5Tset_size");
        test::h5check(H5Tset_precision(type, 24), "H5Tset_precision");
        test::h5check(H5Tset_ebias(type, 63), "H5Tset_ebias");
        DatasetSpec spec;
        spec.dims = {3, 2};
        spec.file_type = type;
        test::write_dataset(f, "/x", spec, H5T_NATIVE_DOUBLE, data);
    }
    OpenDataset opened = open_matrix(path, "/x", OpenOptions{});
    EXPECT_NE(opened.info.type.name.find("non-IEEE"), std::string::npos) << opened.info.type.name;
    EXPECT_FALSE(opened.info.type.raw_readable);
    Hdf5Source source(std::move(opened));
    EXPECT_EQ(test::read_all(source).data, data);
}

TEST_F(Hdf5Test, OneDimensionalDatasetReadsAsOneColumnWhenAllowed) {
    const std::string path = file("vector.h5");
    const std::vector<double> data = pattern_data(25, 1);
    {
        H5Id f = test::create_file(path);
        DatasetSpec spec;
        spec.dims = {25};
        test::write_dataset(f, "/v", spec, H5T_NATIVE_DOUBLE, data);
        spec.chunk = {4};
        spec.gzip = 1;
        spec.file_type = H5T_STD_I32BE;
        test::write_dataset(f, "/vz", spec, H5T_NATIVE_DOUBLE, data);
    }
    for (const char* name : {"/v", "/vz"}) {
        EXPECT_H5L_ERROR(ErrorKind::Value, open_matrix(path, name, OpenOptions{}));
        Hdf5Source source(open_matrix(path, name, OpenOptions{}, /*allow_1d=*/true));
        EXPECT_EQ(source.cols(), 1u);
        for (const std::size_t block : {0u, 3u}) {
            EXPECT_EQ(stream_all(source, block).data, data) << name;
        }
    }
}

TEST_F(Hdf5Test, MomentsOfAGzipDatasetMatchTheInMemoryResult) {
    const std::string path = file("moments.h5");
    const Matrix m = test::random_matrix(500, 3, 91, 10.0, 2.0);
    DatasetSpec spec;
    spec.chunk = {32, 3};
    spec.shuffle = true;
    spec.gzip = 4;
    test::write_matrix_file(path, "/x", m.data, 500, 3, spec);
    Hdf5Source source(open_matrix(path, "/x", OpenOptions{}));
    ArraySource memory(test::strided_view(m));
    StreamOptions options;
    options.block_rows = 64;
    const MomentsResult a = compute_moments(source, options);
    const MomentsResult b = compute_moments(memory, options);
    EXPECT_EQ(a.mean, b.mean);
    EXPECT_EQ(a.m2, b.m2);
    EXPECT_EQ(a.min, b.min);
    EXPECT_EQ(a.max, b.max);
}

TEST_F(Hdf5Test, SeveralThreadsReadDifferentFilesAtOnce) {
    std::vector<std::string> paths;
    std::vector<Matrix> matrices;
    for (int t = 0; t < 4; ++t) {
        paths.push_back(file("thread" + std::to_string(t) + ".h5"));
        matrices.push_back(test::random_matrix(300, 4, 100 + static_cast<std::uint64_t>(t)));
        DatasetSpec spec;
        spec.chunk = {16, 2};
        spec.shuffle = t % 2 == 0;
        spec.gzip = 1;
        test::write_matrix_file(paths.back(), "/x", matrices.back().data, 300, 4, spec);
    }
    std::vector<int> ok(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 5; ++round) {
                Hdf5Source source(
                    open_matrix(paths[static_cast<std::size_t>(t)], "/x", OpenOptions{}));
                ok[static_cast<std::size_t>(t)] +=
                    stream_all(source, 16 * static_cast<std::size_t>(round + 1)).data ==
                    matrices[static_cast<std::size_t>(t)].data;
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(ok, (std::vector<int>{5, 5, 5, 5}));
}

// --- Opening: every failure with its kind ---------------------------------------------------

TEST_F(Hdf5Test, MissingFileIsFileNotFound) {
    const std::string path = file("nope.h5");
    const std::string message =
        EXPECT_H5L_ERROR(ErrorKind::FileNotFound, open_dataset(path, "/x", OpenOptions{}));
    EXPECT_NE(message.find(path), std::string::npos) << message;
}

TEST_F(Hdf5Test, NotHdf5IsAnIOErrorNamingTheFile) {
    const std::string text = file("notes.txt");
    test::write_bytes(text, "this is not an HDF5 file\n");
    std::string message = EXPECT_H5L_ERROR(ErrorKind::IO, open_dataset(text, "/x", OpenOptions{}));
    EXPECT_NE(message.find(text), std::string::npos) << message;

    const std::string empty = file("empty.h5");
    test::write_bytes(empty, "");
    EXPECT_H5L_ERROR(ErrorKind::IO, open_dataset(empty, "/x", OpenOptions{}));

    message = EXPECT_H5L_ERROR(ErrorKind::IO, open_dataset(dir_.path(), "/x", OpenOptions{}));
    EXPECT_NE(message.find("directory"), std::string::npos) << message;
}

TEST_F(Hdf5Test, TruncatedFileIsAnIOError) {
    const std::string good = file("good.h5");
    test::write_matrix_file(good, "/x", pattern_data(200, 10), 200, 10);
    const std::string bytes = test::file_bytes(good);
    for (const std::size_t keep :
         {std::size_t{8}, std::size_t{100}, std::size_t{1000}, bytes.size() / 2}) {
        const std::string cut = file("cut" + std::to_string(keep) + ".h5");
        test::write_bytes(cut, bytes.substr(0, keep));
        SCOPED_TRACE("first " + std::to_string(keep) + " bytes");
        EXPECT_H5L_ERROR(ErrorKind::IO, {
            Hdf5Source source(open_matrix(cut, "/x", OpenOptions{}));
            test::read_all(source);
        });
    }
}

class Hdf5Names : public Hdf5Test {
protected:
    void SetUp() override {
        path_ = file("names.h5");
        H5Id f = test::create_file(path_);
        DatasetSpec spec;
        spec.dims = {4, 3};
        test::write_dataset(f, "/group/data", spec, H5T_NATIVE_DOUBLE, pattern_data(4, 3));
        spec.dims = {5};
        test::write_dataset(f, "/one_d", spec, H5T_NATIVE_DOUBLE, pattern_data(5, 1));
        spec.dims = {2, 3, 4};
        test::write_dataset(f, "/three_d", spec, H5T_NATIVE_DOUBLE, pattern_data(6, 4));
        spec.dims = {0, 3};
        test::write_dataset(f, "/no_rows", spec, H5T_NATIVE_DOUBLE, nullptr);
        spec.dims = {5, 0};
        test::write_dataset(f, "/no_columns", spec, H5T_NATIVE_DOUBLE, nullptr);
        {
            H5Id scalar_space(H5Screate(H5S_SCALAR), "H5Screate");
            H5Id scalar(H5Dcreate2(f, "/scalar", H5T_NATIVE_DOUBLE, scalar_space, H5P_DEFAULT,
                                   H5P_DEFAULT, H5P_DEFAULT),
                        "H5Dcreate2");
        }
        {
            H5Id type(H5Tcopy(H5T_NATIVE_INT), "H5Tcopy");
            test::h5check(H5Tcommit2(f, "/named_type", type, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                          "H5Tcommit2");
        }
        test::h5check(H5Lcreate_soft("/group/data", f, "/soft", H5P_DEFAULT, H5P_DEFAULT),
                      "H5Lcreate_soft");
        test::h5check(H5Lcreate_soft("/nowhere", f, "/dangling", H5P_DEFAULT, H5P_DEFAULT),
                      "H5Lcreate_soft");
    }
    std::string path_;
};

TEST_F(Hdf5Names, DatasetOpensWithOrWithoutTheLeadingSlash) {
    for (const char* name : {"/group/data", "group/data", "/soft"}) {
        Hdf5Source source(open_matrix(path_, name, OpenOptions{}));
        EXPECT_EQ(test::read_all(source).data, pattern_data(4, 3)) << name;
    }
    EXPECT_EQ(open_matrix(path_, "group/data", OpenOptions{}).info.name, "/group/data");
    EXPECT_EQ(open_matrix(path_, "group/data", OpenOptions{}).label(), path_ + ":/group/data");
}

TEST_F(Hdf5Names, MissingDatasetIsAKeyErrorNamingDatasetAndFile) {
    for (const char* name : {"/missing", "/group/missing", "/no/such/group", "/dangling",
                             "/group/data/below_a_dataset"}) {
        SCOPED_TRACE(name);
        const std::string message =
            EXPECT_H5L_ERROR(ErrorKind::Key, open_dataset(path_, name, OpenOptions{}));
        EXPECT_NE(message.find(name), std::string::npos) << message;
        EXPECT_NE(message.find(path_), std::string::npos) << message;
    }
}

TEST_F(Hdf5Names, GroupOrNamedTypeIsATypeError) {
    for (const char* name : {"/group", "/", "", "/named_type"}) {
        SCOPED_TRACE(std::string("name '") + name + "'");
        EXPECT_H5L_ERROR(ErrorKind::Type, open_dataset(path_, name, OpenOptions{}));
    }
}

TEST_F(Hdf5Names, WrongRankIsAValueErrorWithTheShape) {
    std::string message =
        EXPECT_H5L_ERROR(ErrorKind::Value, open_matrix(path_, "/one_d", OpenOptions{}));
    EXPECT_NE(message.find("(5,)"), std::string::npos) << message;
    message = EXPECT_H5L_ERROR(ErrorKind::Value, open_matrix(path_, "/three_d", OpenOptions{}));
    EXPECT_NE(message.find("(2, 3, 4)"), std::string::npos) << message;
    EXPECT_H5L_ERROR(ErrorKind::Value, open_matrix(path_, "/three_d", OpenOptions{}, true));
    message = EXPECT_H5L_ERROR(ErrorKind::Value, open_matrix(path_, "/scalar", OpenOptions{}));
    EXPECT_NE(message.find("()"), std::string::npos) << message;
    // open_dataset itself does not check rank.
    EXPECT_EQ(open_dataset(path_, "/three_d", OpenOptions{}).info.shape,
              (std::vector<std::size_t>{2, 3, 4}));
}

TEST_F(Hdf5Names, NoRowsOrNoColumnsIsAValueError) {
    std::string message =
        EXPECT_H5L_ERROR(ErrorKind::Value, open_matrix(path_, "/no_rows", OpenOptions{}));
    EXPECT_NE(message.find("(0, 3)"), std::string::npos) << message;
    message = EXPECT_H5L_ERROR(ErrorKind::Value, open_matrix(path_, "/no_columns", OpenOptions{}));
    EXPECT_NE(message.find("(5, 0)"), std::string::npos) << message;
}

TEST_F(Hdf5Test, UnsupportedDtypesAreTypeErrorsNamingTheDtype) {
    const std::string path = file("dtypes.h5");
    {
        H5Id f = test::create_file(path);
        H5Id space(H5Screate_simple(2, std::vector<hsize_t>{2, 2}.data(), nullptr), "space");
        auto make = [&](const char* name, hid_t type) {
            H5Id d(H5Dcreate2(f, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                   "H5Dcreate2");
        };
        // complex128 as h5py writes it
        H5Id complex(H5Tcreate(H5T_COMPOUND, 16), "H5Tcreate");
        H5Tinsert(complex, "r", 0, H5T_NATIVE_DOUBLE);
        H5Tinsert(complex, "i", 8, H5T_NATIVE_DOUBLE);
        make("/complex", complex);
        // bool as h5py writes it
        H5Id boolean(H5Tenum_create(H5T_NATIVE_INT8), "H5Tenum_create");
        std::int8_t no = 0, yes = 1;
        H5Tenum_insert(boolean, "FALSE", &no);
        H5Tenum_insert(boolean, "TRUE", &yes);
        make("/bool", boolean);
        H5Id colours(H5Tenum_create(H5T_NATIVE_INT), "H5Tenum_create");
        int red = 0, green = 1, blue = 2;
        H5Tenum_insert(colours, "RED", &red);
        H5Tenum_insert(colours, "GREEN", &green);
        H5Tenum_insert(colours, "BLUE", &blue);
        make("/enum", colours);
        H5Id fixed_string(H5Tcopy(H5T_C_S1), "H5Tcopy");
        H5Tset_size(fixed_string, 5);
        make("/string", fixed_string);
        H5Id vlen_string(H5Tcopy(H5T_C_S1), "H5Tcopy");
        H5Tset_size(vlen_string, H5T_VARIABLE);
        make("/vlen_string", vlen_string);
        H5Id opaque(H5Tcreate(H5T_OPAQUE, 4), "H5Tcreate");
        make("/opaque", opaque);
        make("/bitfield", H5T_NATIVE_B32);
        if (H5Tget_size(H5T_NATIVE_LDOUBLE) > 8) {
            make("/longdouble", H5T_NATIVE_LDOUBLE);
        }
    }
    const std::vector<std::pair<const char*, const char*>> cases = {
        {"/complex", "complex128"}, {"/bool", "bool"},          {"/enum", "enum"},
        {"/string", "string"},      {"/vlen_string", "string"}, {"/opaque", "opaque"},
        {"/bitfield", "bitfield"},
    };
    for (const auto& entry : cases) {
        const char* name = entry.first;  // (structured bindings cannot be captured in C++17)
        const char* dtype = entry.second;
        SCOPED_TRACE(name);
        const std::string message =
            EXPECT_H5L_ERROR(ErrorKind::Type, open_matrix(path, name, OpenOptions{}));
        EXPECT_NE(message.find(dtype), std::string::npos) << message;
    }
    if (H5Tget_size(H5T_NATIVE_LDOUBLE) > 8) {
        const std::string message =
            EXPECT_H5L_ERROR(ErrorKind::Type, open_matrix(path, "/longdouble", OpenOptions{}));
        EXPECT_NE(message.find("longdouble"), std::string::npos) << message;
    }
}

// --- Links and storage outside the file -------------------------------------------------------

class Hdf5External : public Hdf5Test {
protected:
    void SetUp() override {
        other_ = file("other.h5");
        main_ = file("main.h5");
        raw_ = file("raw.bin");
        data_ = pattern_data(6, 2);
        {
            H5Id f = test::create_file(other_);
            DatasetSpec spec;
            spec.dims = {6, 2};
            test::write_dataset(f, "/grp/data", spec, H5T_NATIVE_DOUBLE, data_);
        }
        H5Id f = test::create_file(main_);
        DatasetSpec spec;
        spec.dims = {6, 2};
        test::write_dataset(f, "/local", spec, H5T_NATIVE_DOUBLE, data_);
        test::h5check(H5Lcreate_external(other_.c_str(), "/grp/data", f, "/ext_data", H5P_DEFAULT,
                                         H5P_DEFAULT),
                      "H5Lcreate_external");
        test::h5check(
            H5Lcreate_external(other_.c_str(), "/grp", f, "/ext_grp", H5P_DEFAULT, H5P_DEFAULT),
            "H5Lcreate_external");
        // Soft links that lead through an external link.
        test::h5check(H5Lcreate_soft("/ext_data", f, "/soft_to_ext", H5P_DEFAULT, H5P_DEFAULT),
                      "H5Lcreate_soft");
        test::h5check(H5Lcreate_soft("/ext_grp", f, "/soft_grp", H5P_DEFAULT, H5P_DEFAULT),
                      "H5Lcreate_soft");
        {
            // Raw data in another file (HDF5 external storage).
            H5Id space(H5Screate_simple(2, std::vector<hsize_t>{6, 2}.data(), nullptr), "space");
            H5Id dcpl(H5Pcreate(H5P_DATASET_CREATE), "dcpl");
            test::h5check(H5Pset_external(dcpl, raw_.c_str(), 0, 6 * 2 * sizeof(double)),
                          "H5Pset_external");
            H5Id d(H5Dcreate2(f, "/external_storage", H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl,
                              H5P_DEFAULT),
                   "H5Dcreate2");
            test::h5check(
                H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data_.data()),
                "H5Dwrite");
        }
        {
            // A virtual dataset mapping /local (same file, ".").
            H5Id space(H5Screate_simple(2, std::vector<hsize_t>{6, 2}.data(), nullptr), "space");
            H5Id dcpl(H5Pcreate(H5P_DATASET_CREATE), "dcpl");
            test::h5check(H5Pset_virtual(dcpl, space, ".", "/local", space), "H5Pset_virtual");
            H5Id d(H5Dcreate2(f, "/virtual", H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                   "H5Dcreate2");
        }
    }
    OpenOptions allow() const {
        OpenOptions o;
        o.allow_external = true;
        return o;
    }

    std::string other_, main_, raw_;
    std::vector<double> data_;
};

TEST_F(Hdf5External, LocalDatasetOpens) {
    Hdf5Source source(open_matrix(main_, "/local", OpenOptions{}));
    EXPECT_EQ(test::read_all(source).data, data_);
}

TEST_F(Hdf5External, ExternalLinkIsRefusedUnlessAllowed) {
    for (const char* name : {"/ext_data", "/ext_grp/data"}) {
        SCOPED_TRACE(name);
        const std::string message =
            EXPECT_H5L_ERROR(ErrorKind::Permission, open_matrix(main_, name, OpenOptions{}));
        EXPECT_NE(message.find("allow_external"), std::string::npos) << message;
        Hdf5Source source(open_matrix(main_, name, allow()));
        EXPECT_EQ(test::read_all(source).data, data_);
    }
}

TEST_F(Hdf5External, SoftLinkThroughAnExternalLinkIsRefusedUnlessAllowed) {
    for (const char* name : {"/soft_to_ext", "/soft_grp/data"}) {
        SCOPED_TRACE(name);
        const std::string message =
            EXPECT_H5L_ERROR(ErrorKind::Permission, open_matrix(main_, name, OpenOptions{}));
        EXPECT_NE(message.find("allow_external"), std::string::npos) << message;
        Hdf5Source source(open_matrix(main_, name, allow()));
        EXPECT_EQ(test::read_all(source).data, data_);
    }
}

TEST_F(Hdf5External, ExternalStorageIsRefusedUnlessAllowed) {
    const std::string message = EXPECT_H5L_ERROR(
        ErrorKind::Permission, open_matrix(main_, "/external_storage", OpenOptions{}));
    EXPECT_NE(message.find("allow_external"), std::string::npos) << message;
    OpenDataset opened = open_matrix(main_, "/external_storage", allow());
    EXPECT_TRUE(opened.info.external_storage);
    Hdf5Source source(std::move(opened));
    EXPECT_EQ(test::read_all(source).data, data_);
}

TEST_F(Hdf5External, VirtualDatasetIsRefusedUnlessAllowed) {
    const std::string message =
        EXPECT_H5L_ERROR(ErrorKind::Permission, open_matrix(main_, "/virtual", OpenOptions{}));
    EXPECT_NE(message.find("virtual"), std::string::npos) << message;
    OpenDataset opened = open_matrix(main_, "/virtual", allow());
    EXPECT_EQ(opened.info.layout, "virtual");
    Hdf5Source source(std::move(opened));
    EXPECT_EQ(test::read_all(source).data, data_);
}

TEST_F(Hdf5External, DescribeRefusesTooAndOpensReadOnly) {
    EXPECT_H5L_ERROR(ErrorKind::Permission, describe_dataset(main_, "/ext_data", OpenOptions{}));
    const std::string before_main = test::file_bytes(main_);
    const std::string before_other = test::file_bytes(other_);
    {
        Hdf5Source a(open_matrix(main_, "/ext_data", allow()));
        Hdf5Source b(open_matrix(main_, "/local", OpenOptions{}));
        test::read_all(a);
        test::read_all(b);
    }
    EXPECT_EQ(test::file_bytes(main_), before_main);
    EXPECT_EQ(test::file_bytes(other_), before_other);
}

// --- The HDF5 lock and error printing ---------------------------------------------------------

int handler_calls = 0;
herr_t counting_handler(hid_t, void*) {
    ++handler_calls;
    return 0;
}

TEST_F(Hdf5Test, FailuresPrintNothingAndKeepTheCallersErrorHandler) {
    H5E_auto2_t saved_func = nullptr;
    void* saved_data = nullptr;
    H5Eget_auto2(H5E_DEFAULT, &saved_func, &saved_data);
    H5Eset_auto2(H5E_DEFAULT, counting_handler, nullptr);
    handler_calls = 0;
    const std::string text = file("notes.txt");
    test::write_bytes(text, "not HDF5");
    EXPECT_H5L_ERROR(ErrorKind::IO, open_dataset(text, "/x", OpenOptions{}));
    const std::string good = file("good.h5");
    test::write_matrix_file(good, "/x", pattern_data(2, 2), 2, 2);
    EXPECT_H5L_ERROR(ErrorKind::Key, open_dataset(good, "/missing/deeper", OpenOptions{}));
    EXPECT_EQ(handler_calls, 0) << "HDF5 printed an error stack during an h5linalg call";
    H5E_auto2_t now = nullptr;
    void* now_data = nullptr;
    H5Eget_auto2(H5E_DEFAULT, &now, &now_data);
    EXPECT_EQ(now, &counting_handler);
    H5Eset_auto2(H5E_DEFAULT, saved_func, saved_data);
}

}  // namespace
}  // namespace h5linalg
