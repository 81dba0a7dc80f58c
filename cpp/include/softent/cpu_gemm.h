// C[m, n] = A[m, k] * B[n, k]^T (row-major) on one thread, through OpenBLAS (scipy-openblas32).
// The CPU skeletons call this on each tile; OpenBLAS's own threading is set to 1 at module
// load so that OpenMP threads, one per tile, never oversubscribe the cores.
#pragma once

#include <cblas.h>

#include <cstdint>

namespace softent::cpu {

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

// Called once when the module loads.
inline void use_single_threaded_blas() { scipy_openblas_set_num_threads(1); }

}  // namespace softent::cpu
