// The CPU skeletons' GEMMs, one tile per call on the calling thread, through OpenBLAS
// (scipy-openblas32). OpenBLAS's own threading is set to 1 when the module loads
// (softent::initialize) so that OpenMP threads, one per tile, never oversubscribe the cores.
// Private to src/: the public headers never expose a BLAS.
#pragma once

#include <cblas.h>

#include <cstdint>

#include "softent/types.h"

namespace softent::cpu {

// C[m, n] = A[m, k] * B[n, k]^T (row-major).
inline void gemm_abt(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                     int64_t ldb, float* c, int64_t ldc) {
  scipy_cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(m), int(n), int(k), 1.0f, a,
                    int(lda), b, int(ldb), 0.0f, c, int(ldc));
}

inline void gemm_abt(int64_t m, int64_t n, int64_t k, const double* a, int64_t lda, const double* b,
                     int64_t ldb, double* c, int64_t ldc) {
  scipy_cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(m), int(n), int(k), 1.0, a,
                    int(lda), b, int(ldb), 0.0, c, int(ldc));
}

// C[m, n] = alpha * op(A) * B + beta * C, op(A) = A [m, k] or A^T (A stored [k, m]); B [k, n].
// The backward kernels use it for grad_z = U C (NoTrans) and grad_centres += U^T Z (Trans).
inline void gemm_ab(bool trans_a, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                    int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  scipy_cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, CblasNoTrans, int(m),
                    int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
}

inline void gemm_ab(bool trans_a, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
                    int64_t lda, const double* b, int64_t ldb, double beta, double* c,
                    int64_t ldc) {
  scipy_cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, CblasNoTrans, int(m),
                    int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
}

// C = A_tile B^T for a tile A [m, k] (leading dimension lda) and a contiguous B [n, k] view
// (centres, or a tile of reference rows), then per_row(r, C row r) for each row of the tile:
// the CPU's GEMM with an epilogue (scores -> softmax, distances -> top-k, ...).
template <typename T, typename PerRow>
inline void gemm_abt_rows(int64_t m, const T* a, int64_t lda, const View2D& b, T* c, int64_t ldc,
                          PerRow&& per_row) {
  gemm_abt(m, b.rows, b.cols, a, lda, b.ptr<T>(), b.cols, c, ldc);
  for (int64_t r = 0; r < m; ++r) per_row(r, c + r * ldc);
}

// Called once when the module loads.
inline void use_single_threaded_blas() { scipy_openblas_set_num_threads(1); }

}  // namespace softent::cpu
