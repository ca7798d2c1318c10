// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// A check HDF5 itself does not make before it opens a dataset: HDF5 1.10.8
// divides by the chunk dimensions of the layout message while opening
// (H5D__chunk_set_info), so a damaged file whose message says a chunk
// dimension is 0 ends the whole process with SIGFPE inside H5Oopen. Before
// h5linalg opens a dataset, it reads the dataset's object header from the
// file itself and refuses such a layout with an IO error.
//
// Only what that check needs is decoded (object header versions 1 and 2, their
// continuation blocks, layout message versions 1 to 4); anything this reader
// does not understand is left for HDF5 to judge, as before.
//
// A second check, after opening: a version 1 B-tree chunk index whose record
// gives a chunk 0 bytes stops HDF5 builds with assertions on (Debian's HDF5 2)
// in the middle of H5Dread (H5D__btree_found), so such an index is refused first.
#pragma once

#include <string>

#include "core/hdf5/handles.hpp"

namespace h5linalg {

/// Throws an IO error when the object `name` in the open `file` at `path` is a
/// dataset whose chunk shape has a zero dimension. Call with the HDF5 lock held.
void check_chunk_layout(hid_t file, const std::string& path, const std::string& name, hid_t lapl);

/// Throws an IO error when the open chunked `dataset`'s version 1 B-tree index
/// lists a chunk of 0 bytes (HDF5 1.14.4 and newer, which can walk an index in
/// one pass). Call only for a chunked dataset, with the HDF5 lock held.
void check_chunk_index(hid_t dataset, const std::string& label);

}  // namespace h5linalg
