// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// Running BLAS one thread per call while h5linalg's own threads supply the
// parallelism. Many small LAPACK calls (the slabs of a streaming QR) run
// faster side by side on separate cores than each split across all cores,
// where the BLAS library's thread start-up and barriers dominate.
//
// The extension links only the generic libblas, so the implementation is found
// at run time: OpenBLAS, MKL and BLIS each have a thread-count setter, looked
// up in the library that provides cblas_dgemm. Any other BLAS is left alone
// (the reference BLAS is single-threaded anyway).
#pragma once

namespace h5linalg {

/// While at least one instance is alive, the BLAS runs one thread per call;
/// the previous setting is restored when the last one ends.
class SingleThreadedBlas {
public:
    SingleThreadedBlas();
    ~SingleThreadedBlas();
    SingleThreadedBlas(const SingleThreadedBlas&) = delete;
    SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;
};

/// The name of the BLAS implementation whose threads can be controlled
/// ("openblas", "mkl", "blis"), or "" if none was recognised.
const char* controllable_blas_name();

}  // namespace h5linalg
