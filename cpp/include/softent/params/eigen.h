// The parameters of the dense symmetric eigensolve of softent.spectral (the exact spectrum of
// DSE, ASE, DSMI, the matrix Renyi entropy and spectral.eigenvalues): one struct, filled by
// name in python/softent/spectral/_blas.py, bound in cpp/bindings/bind_spectral.cpp, listed
// in python/softent/_core.pyi. Plain pointers and sizes: no framework types. HOST memory only
// (a CUDA tensor's spectrum is cuSOLVER's, through torch).
#pragma once

#include <cstdint>

namespace softent {

// symmetric_eigenvalues: every eigenvalue of the symmetric float64 matrix a [n, n] by
// LAPACK's dsyevd_2stage with JOBZ = 'N' (LAPACK >= 3.7: the two-stage tridiagonal reduction
// dense -> band (BLAS-3) -> tridiagonal, then the tridiagonal eigenvalues; Haidar, Ltaief &
// Dongarra 2011), from the OpenBLAS the extension links (scipy-openblas32). a is read as
// column-major with uplo = 'L': a C-contiguous symmetric matrix is its own transpose, so
// either contiguous order works without a copy, and only the upper triangle of a row-major
// buffer (the lower of a column-major one) is read. Extra memory: LAPACK's workspace,
// O(n * block) (LAPACKE allocates it).
struct SymmetricEigenvaluesParams {
  double* a = nullptr;  // [n, n] float64 contiguous, finite, overwritten (destroyed)
  int64_t n = 0;        // >= 1, <= 2^31 - 1 (OpenBLAS's 32-bit LAPACK integers)
  double* w = nullptr;  // [n] float64, written: the eigenvalues, ascending
  // OpenBLAS threads for this call (restored afterwards); 0 = leave OpenBLAS's count (1 while
  // softent is loaded: see cpp/src/cpu/common/gemm.h use_single_threaded_blas)
  int num_threads = 0;
};

}  // namespace softent
