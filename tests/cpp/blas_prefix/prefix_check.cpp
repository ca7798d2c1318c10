// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// H5LINALG_BLAS_SYMBOL_PREFIX reaches every BLAS/CBLAS/LAPACK routine h5linalg
// declares: built with the prefix h5lfake_ and linked against fake_blas.c alone
// (no real BLAS), this program links only if each call resolves to a prefixed
// name, and it checks that each prefixed routine was the one called.
#include <cstdio>
#include <cstring>

#include "core/base/blas_lapack.hpp"

extern "C" unsigned h5lfake_calls(void);

int main() {
    if (std::strcmp(H5LINALG_BLAS_PREFIX_STRING, "h5lfake_") != 0) {
        std::printf("H5LINALG_BLAS_PREFIX_STRING is \"%s\"\n", H5LINALG_BLAS_PREFIX_STRING);
        return 1;
    }
    // The fakes ignore their arguments: null pointers and zero sizes are enough.
    double* d = nullptr;
    int* i = nullptr;
    const char* c = nullptr;
    H5LINALG_BLAS(cblas_dsyrk)(0, 0, 0, 0, 0, 0.0, d, 0, 0.0, d, 0);
    H5LINALG_BLAS(cblas_dgemm)(0, 0, 0, 0, 0, 0, 0.0, d, 0, d, 0, 0.0, d, 0);
    H5LINALG_BLAS(cblas_dgemv)(0, 0, 0, 0, 0.0, d, 0, d, 0, 0.0, d, 0);
    H5LINALG_BLAS(cblas_dsyr)(0, 0, 0, 0.0, d, 0, d, 0);
    H5LINALG_BLAS(dgelqt_)(i, i, i, d, i, d, i, d, i);
    H5LINALG_BLAS(dtplqt_)(i, i, i, i, d, i, d, i, d, i, d, i);
    H5LINALG_BLAS(dgesdd_)(c, i, i, d, i, d, d, i, d, i, d, i, i, i, 0);
    H5LINALG_BLAS(dsyevr_)(c, c, c, i, d, i, d, d, i, i, d, i, d, d, i, i, d, i, i, i, i, 0, 0, 0);
    H5LINALG_BLAS(dtrtrs_)(c, c, c, i, i, d, i, d, i, i, 0, 0, 0);
    const unsigned all = (1u << 9) - 1;
    if (h5lfake_calls() != all) {
        std::printf("prefixed routines called: %#x, expected %#x\n", h5lfake_calls(), all);
        return 1;
    }
    std::printf("all 9 BLAS/CBLAS/LAPACK routines resolved to h5lfake_*\n");
    return 0;
}
