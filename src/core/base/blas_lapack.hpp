// Copyright (c) 2026, the h5linalg developers. BSD-3-Clause license (see LICENSE).
//
// The BLAS and LAPACK routines h5linalg calls, declared here rather than taken
// from a vendor header: CBLAS and the Fortran LAPACK symbols have one standard
// ABI, so the extension links the generic libblas / libcblas / liblapack and
// runs with whichever implementation the environment provides (OpenBLAS, MKL,
// BLIS, Accelerate, the reference BLAS).
//
// Every BLAS/LAPACK symbol is named through H5LINALG_BLAS(name), which prepends
// H5LINALG_BLAS_SYMBOL_PREFIX (CMake option of the same name, empty by default).
// The wheels link the OpenBLAS NumPy and SciPy ship (scipy-openblas32), whose
// symbols carry a prefix (scipy_cblas_dgemm, scipy_dgesdd_) so that it cannot
// clash with another BLAS loaded into the same process; conda and source builds
// keep the generic names, and with them the swappable libblas.
#pragma once

#include <cstddef>

#ifndef H5LINALG_BLAS_SYMBOL_PREFIX
#define H5LINALG_BLAS_SYMBOL_PREFIX
#endif
#define H5LINALG_BLAS_CONCAT_(prefix, name) prefix##name
#define H5LINALG_BLAS_CONCAT(prefix, name) H5LINALG_BLAS_CONCAT_(prefix, name)
#define H5LINALG_BLAS_STRINGIFY_(text) #text
#define H5LINALG_BLAS_STRINGIFY(text) H5LINALG_BLAS_STRINGIFY_(text)
// The linked name of a BLAS/CBLAS/LAPACK routine: H5LINALG_BLAS(cblas_dgemm)(...).
#define H5LINALG_BLAS(name) H5LINALG_BLAS_CONCAT(H5LINALG_BLAS_SYMBOL_PREFIX, name)
// The prefix as a string literal ("" by default), for names looked up with dlsym.
#define H5LINALG_BLAS_PREFIX_STRING H5LINALG_BLAS_STRINGIFY(H5LINALG_BLAS_SYMBOL_PREFIX)

namespace h5linalg::blas {

// CBLAS enumerations (values fixed by the CBLAS standard).
enum Order { RowMajor = 101, ColMajor = 102 };
enum Transpose { NoTrans = 111, Trans = 112 };
enum UpLo { Upper = 121, Lower = 122 };

}  // namespace h5linalg::blas

extern "C" {
// Level 3 and level 2 BLAS, C interface.
void H5LINALG_BLAS(cblas_dsyrk)(int order, int uplo, int trans, int n, int k, double alpha,
                                const double* a, int lda, double beta, double* c, int ldc);
void H5LINALG_BLAS(cblas_dgemm)(int order, int transa, int transb, int m, int n, int k,
                                double alpha, const double* a, int lda, const double* b, int ldb,
                                double beta, double* c, int ldc);
void H5LINALG_BLAS(cblas_dgemv)(int order, int trans, int m, int n, double alpha, const double* a,
                                int lda, const double* x, int incx, double beta, double* y,
                                int incy);
void H5LINALG_BLAS(cblas_dsyr)(int order, int uplo, int n, double alpha, const double* x, int incx,
                               double* a, int lda);

// LAPACK, Fortran interface (LP64 integers). Character arguments carry their
// lengths as trailing hidden arguments, as gfortran and flang pass them.
void H5LINALG_BLAS(dgelqt_)(const int* m, const int* n, const int* mb, double* a, const int* lda,
                            double* t, const int* ldt, double* work, int* info);
void H5LINALG_BLAS(dtplqt_)(const int* m, const int* n, const int* l, const int* mb, double* a,
                            const int* lda, double* b, const int* ldb, double* t, const int* ldt,
                            double* work, int* info);
void H5LINALG_BLAS(dgesdd_)(const char* jobz, const int* m, const int* n, double* a, const int* lda,
                            double* s, double* u, const int* ldu, double* vt, const int* ldvt,
                            double* work, const int* lwork, int* iwork, int* info,
                            std::size_t jobz_len);
void H5LINALG_BLAS(dsyevr_)(const char* jobz, const char* range, const char* uplo, const int* n,
                            double* a, const int* lda, const double* vl, const double* vu,
                            const int* il, const int* iu, const double* abstol, int* m, double* w,
                            double* z, const int* ldz, int* isuppz, double* work, const int* lwork,
                            int* iwork, const int* liwork, int* info, std::size_t jobz_len,
                            std::size_t range_len, std::size_t uplo_len);
void H5LINALG_BLAS(dtrtrs_)(const char* uplo, const char* trans, const char* diag, const int* n,
                            const int* nrhs, const double* a, const int* lda, double* b,
                            const int* ldb, int* info, std::size_t uplo_len, std::size_t trans_len,
                            std::size_t diag_len);
}
