/* Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
 *
 * A stand-in BLAS/LAPACK whose every symbol carries the prefix h5lfake_, as
 * scipy-openblas32's carry scipy_: prefix_check.cpp links against it alone, so
 * the link fails if any routine of core/base/blas_lapack.hpp kept its generic name.
 * Each routine records that it was called; none computes anything. */
#include <stddef.h>

#if defined(_WIN32)
#define FAKE_EXPORT __declspec(dllexport)
#else
#define FAKE_EXPORT __attribute__((visibility("default")))
#endif

static unsigned calls = 0;

FAKE_EXPORT unsigned h5lfake_calls(void) { return calls; }

FAKE_EXPORT void h5lfake_cblas_dsyrk(void) { calls |= 1u << 0; }
FAKE_EXPORT void h5lfake_cblas_dgemm(void) { calls |= 1u << 1; }
FAKE_EXPORT void h5lfake_cblas_dgemv(void) { calls |= 1u << 2; }
FAKE_EXPORT void h5lfake_cblas_dsyr(void) { calls |= 1u << 3; }
FAKE_EXPORT void h5lfake_dgelqt_(void) { calls |= 1u << 4; }
FAKE_EXPORT void h5lfake_dtplqt_(void) { calls |= 1u << 5; }
FAKE_EXPORT void h5lfake_dgesdd_(void) { calls |= 1u << 6; }
FAKE_EXPORT void h5lfake_dsyevr_(void) { calls |= 1u << 7; }
FAKE_EXPORT void h5lfake_dtrtrs_(void) { calls |= 1u << 8; }
