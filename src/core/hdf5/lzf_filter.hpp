// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// A decode-only LZF filter (id 32000) for h5linalg's own HDF5 library. h5py
// registers LZF with the HDF5 it bundles, and hdf5plugin has none, so without
// this h5linalg's HDF5 could not read the chunks ChunkReader leaves to H5Dread
// (H5LINALG_SERIAL_INFLATE, a filter skipped) or even open an LZF dataset.
#pragma once

namespace h5linalg {

/// Registers the LZF filter with h5linalg's HDF5 if the build has liblzf and
/// HDF5 has no LZF filter yet; true if HDF5 has one now. The caller holds the
/// HDF5 lock.
bool provide_lzf_filter();

}  // namespace h5linalg
