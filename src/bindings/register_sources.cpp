// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Sources as the Python layer names them: DatasetRef, a source's shape
// (stack_shape), and `describe` and `list_datasets` for the CLI.
#include <tuple>

#include "bindings/bindings.hpp"
#include "core/rows/row_concatenation.hpp"

namespace h5linalg::bindings {

namespace {

using InfoDict = py::typing::Dict<py::str, py::object>;

/// The fields describe and list_datasets share, last in both: layout, chunks,
/// filters, stored size and CF encoding attributes.
void add_layout(InfoDict& out, const DatasetInfo& info) {
    out["layout"] = info.layout;
    out["chunks"] = info.chunk_shape.empty() ? py::object(py::none())
                                             : py::object(py::tuple(py::cast(info.chunk_shape)));
    py::list filters;
    for (const Filter& filter : info.filters) {
        filters.append(filter.name);
    }
    out["filters"] = filters;
    out["storage_bytes"] = info.storage_bytes;
    out["cf_encoding"] = py::cast(info.cf_encoding);
}

void register_dataset_ref(py::module_& m) {
    py::class_<DatasetRef>(m, "DatasetRef",
                           "A dataset inside an HDF5 file, as the Python layer resolved it.")
        .def(py::init([](std::string path, std::string name, bool allow_external,
                         bool ignore_file_locks, std::size_t first, std::size_t count,
                         bool parallel_inflate) {
                 DatasetRef ref;
                 ref.path = std::move(path);
                 ref.name = std::move(name);
                 ref.options.allow_external = allow_external;
                 ref.options.ignore_file_locks = ignore_file_locks;
                 ref.first = first;
                 ref.count = count;
                 ref.parallel_inflate = parallel_inflate;
                 return ref;
             }),
             "path"_a, "name"_a, py::kw_only(), "allow_external"_a = false,
             "ignore_file_locks"_a = false, "first"_a = 0, "count"_a = 0,
             "parallel_inflate"_a = true,
             "`first` and `count` (if not 0) select rows [first, first + count); "
             "without `parallel_inflate`, HDF5's own filters decode every chunk.")
        .def_readonly("path", &DatasetRef::path)
        .def_readonly("name", &DatasetRef::name)
        .def_property_readonly("allow_external",
                               [](const DatasetRef& ref) { return ref.options.allow_external; })
        .def_property_readonly("ignore_file_locks",
                               [](const DatasetRef& ref) { return ref.options.ignore_file_locks; })
        .def_readonly("parallel_inflate", &DatasetRef::parallel_inflate);
}

void register_listing(py::module_& m) {
    m.def(
        "describe",
        [](const DatasetRef& ref) {
            DatasetInfo info;
            {
                py::gil_scoped_release release;
                info = describe_dataset(ref.path, ref.name, ref.options);
            }
            InfoDict out;
            out["file"] = info.file;
            out["name"] = info.name;
            out["shape"] = py::tuple(py::cast(info.shape));
            out["dtype"] = info.type.name;
            out["numeric"] = info.type.element.has_value();
            add_layout(out, info);
            return out;
        },
        "dataset"_a, "Shape, dtype, layout, chunking, filters and stored size of a dataset.");

    m.def(
        "list_datasets",
        [](const std::string& path, std::size_t limit) {
            std::vector<ListedDataset> listed;
            {
                py::gil_scoped_release release;
                listed = list_datasets(path, limit);
            }
            py::typing::List<InfoDict> out;
            for (const ListedDataset& entry : listed) {
                InfoDict item;
                const DatasetInfo& info = entry.info;
                item["name"] = entry.name;
                item["kind"] = entry.kind;
                item["target"] = entry.target;
                item["described"] = entry.described;
                item["problem"] = entry.problem;
                item["needs_allow_external"] = entry.needs_allow_external;
                const bool has_type = entry.described && !info.type.name.empty();
                item["shape"] =
                    has_type ? py::object(py::tuple(py::cast(info.shape))) : py::object(py::none());
                item["dtype"] =
                    has_type ? py::object(py::str(info.type.name)) : py::object(py::none());
                add_layout(item, info);
                out.append(item);
            }
            return out;
        },
        "path"_a, "limit"_a,
        "The datasets of a file and its links to other files, by name, reading no data and "
        "opening nothing outside the file; the first `limit` described.");
}

}  // namespace

void register_sources(py::module_& m) {
    register_dataset_ref(m);

    m.def(
        "stack_shape",
        [](const py::object& source, bool allow_1d) {
            SourceSpec spec(source, allow_1d);
            std::vector<std::size_t> rows;
            std::size_t cols = 0;
            {
                py::gil_scoped_release release;
                const std::unique_ptr<RowSource> opened = spec.open();
                cols = opened->cols();
                if (const auto* stack = dynamic_cast<const RowConcatenation*>(opened.get())) {
                    for (std::size_t i = 0; i < stack->parts(); ++i) {
                        rows.push_back(stack->part_rows(i));
                    }
                } else {
                    rows.push_back(opened->rows());
                }
            }
            return std::make_tuple(rows, cols, spec.is_vector());
        },
        "source"_a, "allow_1d"_a = false,
        "(rows of each part, columns, 1-D): a source's shape, every part of a stack checked "
        "as reading it would (same errors), without reading any rows.");

    register_listing(m);
}

}  // namespace h5linalg::bindings
