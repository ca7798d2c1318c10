// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// h5linalg._testing: the hooks h5linalg's own tests use to prove that runs check
// for Ctrl-C, leave no HDF5 object open, read what a plain H5Dread reads, and
// decode compressed chunks on worker threads where they should. No
// part of the API; kept out of _core so that the production module holds only
// what the package uses.
#include "bindings/bindings.hpp"
#include "core/base/errors.hpp"
#include "core/base/memory.hpp"
#include "core/hdf5/chunk_codecs.hpp"
#include "core/hdf5/handles.hpp"
#include "core/hdf5/source.hpp"

namespace h5linalg::bindings {

void register_testing(py::module_& m) {
    m.def("signal_checks", &signal_check_count,
          "How many times runs have checked for Ctrl-C since the module was loaded.");
    m.def("open_hdf5_objects", &open_hdf5_object_count,
          "HDF5 objects h5linalg's HDF5 library holds open.");
    m.def(
        "read_with_hdf5",
        [](const DatasetRef& ref, std::size_t max_elements) {
            std::vector<double> values;
            std::vector<std::size_t> shape;
            {
                py::gil_scoped_release release;
                Hdf5Source source(open_matrix(ref.path, ref.name, ref.options, true),
                                  /*parallel_inflate=*/false);
                shape = source.info().shape;
                const std::size_t count = saturating_mul(source.rows(), source.cols());
                if (count > max_elements) {
                    fail(ErrorKind::Memory, source.label() + " has more than " +
                                                std::to_string(max_elements) + " elements");
                }
                values.resize(count);
                source.read(0, source.rows(), values.data(), source.cols());
            }
            return to_array(std::move(values), shape);
        },
        "dataset"_a, "max_elements"_a,
        "The whole dataset as float64, read by one plain H5Dread: the reference for "
        "h5linalg's own read paths on the same HDF5 library.");
    m.def(
        "stream_rows",
        [](const py::object& source, std::size_t block_rows, std::size_t memory_limit) {
            const SourceSpec spec(source);
            StreamOptions options;
            options.block_rows = block_rows;
            options.memory_limit = memory_limit;
            return without_gil(spec, [&](RowSource& rows) {
                const BlockPlan plan = plan_blocks(rows, options, MemoryNeeds{});
                stream_blocks(rows, plan, nullptr, [](const Block&) {});
                return rows.rows();
            });
        },
        "source"_a, py::kw_only(), "block_rows"_a = 0, "memory_limit"_a = default_memory_limit,
        "Reads every row of a source through the block pipeline and discards it: what "
        "reading and decoding cost with no kernel (the benchmarks' decode floor).");
    m.def(
        "read_rows",
        [](const DatasetRef& ref, std::size_t first, std::size_t count) {
            std::vector<double> values;
            std::vector<std::size_t> shape;
            {
                py::gil_scoped_release release;
                Hdf5Source source(open_matrix(ref.path, ref.name, ref.options, true),
                                  ref.parallel_inflate);
                if (first > source.rows() || count > source.rows() - first) {
                    fail(ErrorKind::Value, "rows " + std::to_string(first) + " to " +
                                               std::to_string(first + count) + " are not all in " +
                                               source.label());
                }
                shape = source.info().shape;
                shape[0] = count;
                values.resize(saturating_mul(count, source.cols()));
                source.read(first, count, values.data(), source.cols());
            }
            return to_array(std::move(values), shape);
        },
        "dataset"_a, "first"_a, "count"_a,
        "Rows [first, first + count) as float64, read as h5linalg's functions read them "
        "(compressed chunks decoded on worker threads where the codec allows).");
    m.def(
        "decoded_chunks",
        [] {
            py::typing::Dict<py::str, int> counts;
            for (const auto& [codec, count] : decoded_chunk_counts()) {
                counts[py::str(codec)] = count;
            }
            return counts;
        },
        "Chunks decoded on worker threads since the module was loaded, per codec.");
}

}  // namespace h5linalg::bindings
