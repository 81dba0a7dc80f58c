// The CUDA tiled GEMM with a pluggable epilogue, over strided operands, and the dots of a
// chunk of View2D rows with a set of centres (scores, distances: every estimator that
// compares rows needs them). Runs on the caller's stream.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/common/check.cuh"
#include "softent/types.h"

namespace softent::cuda {

inline constexpr int kTile = 16;  // GEMM tile edge (threads per block: 16 x 16)

// out(i, j, Σ_k A(i, k) B(k, j)) for i < M, j < N, with A(i, k) = a[i * a_i + k * a_k] and
// B(k, j) = b[k * b_k + j * b_j]: the strides express transposes and strided views, so
// one kernel serves scores = Z C^T, grad_z = U C and grad_centres += U^T Z.
template <typename T, typename Epilogue>
__global__ void gemm_strided(int64_t M, int64_t N, int64_t K, const T* __restrict__ a, int64_t a_i,
                             int64_t a_k, const T* __restrict__ b, int64_t b_k, int64_t b_j,
                             Epilogue out) {
  __shared__ T as[kTile][kTile + 1];
  __shared__ T bs[kTile][kTile + 1];
  const int64_t i = int64_t(blockIdx.y) * kTile + threadIdx.y;
  const int64_t j = int64_t(blockIdx.x) * kTile + threadIdx.x;
  // Tiles are loaded so that threadIdx.x walks the operand's unit-stride index (coalesced
  // reads); as[i][k] and bs[k][j] hold the same elements either way. The choice depends
  // only on the kernel's arguments, so the whole block takes the same branch.
  const int64_t i0 = int64_t(blockIdx.y) * kTile, j0 = int64_t(blockIdx.x) * kTile;
  const bool a_rows_contiguous = a_i == 1 && a_k != 1;  // e.g. U^T: walk i, not k
  const bool b_cols_contiguous = b_k == 1 && b_j != 1;  // e.g. centres [B, D] as B(k, j)
  T acc = 0;
  for (int64_t k0 = 0; k0 < K; k0 += kTile) {
    if (a_rows_contiguous) {
      const int64_t ii = i0 + threadIdx.x, kk = k0 + threadIdx.y;
      as[threadIdx.x][threadIdx.y] = (ii < M && kk < K) ? a[ii * a_i + kk * a_k] : T(0);
    } else {
      const int64_t ii = i0 + threadIdx.y, kk = k0 + threadIdx.x;
      as[threadIdx.y][threadIdx.x] = (ii < M && kk < K) ? a[ii * a_i + kk * a_k] : T(0);
    }
    if (b_cols_contiguous) {
      const int64_t kk = k0 + threadIdx.x, jj = j0 + threadIdx.y;
      bs[threadIdx.x][threadIdx.y] = (kk < K && jj < N) ? b[kk * b_k + jj * b_j] : T(0);
    } else {
      const int64_t kk = k0 + threadIdx.y, jj = j0 + threadIdx.x;
      bs[threadIdx.y][threadIdx.x] = (kk < K && jj < N) ? b[kk * b_k + jj * b_j] : T(0);
    }
    __syncthreads();
#pragma unroll
    for (int k = 0; k < kTile; ++k) acc += as[threadIdx.y][k] * bs[k][threadIdx.x];
    __syncthreads();
  }
  if (i < M && j < N) out(i, j, acc);
}

template <typename T, typename Epilogue>
void launch_gemm(cudaStream_t stream, int64_t M, int64_t N, int64_t K, const T* a, int64_t a_i,
                 int64_t a_k, const T* b, int64_t b_k, int64_t b_j, Epilogue out) {
  const dim3 block(kTile, kTile);
  const dim3 grid(unsigned((N + kTile - 1) / kTile), unsigned((M + kTile - 1) / kTile));
  gemm_strided<T, Epilogue><<<grid, block, 0, stream>>>(M, N, K, a, a_i, a_k, b, b_k, b_j, out);
  check(cudaGetLastError(), "gemm launch");
}

// Epilogue: a row-major [M, ld] store.
template <typename T>
struct Store {
  T* c;
  int64_t ld;
  __device__ void operator()(int64_t i, int64_t j, T v) const { c[i * ld + j] = v; }
};

// ||z_r||^2 of m rows, accumulated in double.
template <typename T>
__global__ void row_norms(const T* __restrict__ z, int64_t sr, int64_t sc, int64_t m, int64_t d,
                          T* __restrict__ zsq) {
  const int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= m) return;
  double acc = 0;
  for (int64_t k = 0; k < d; ++k) {
    const double v = double(z[r * sr + k * sc]);
    acc += v * v;
  }
  zsq[r] = T(acc);
}

// zsq [m] = ||z_r||^2 for rows [row0, row0 + m) of z.
template <typename T>
void chunk_row_norms(cudaStream_t stream, const View2D& z, int64_t row0, int64_t m, T* zsq) {
  row_norms<T><<<unsigned((m + 255) / 256), 256, 0, stream>>>(
      z.ptr<T>() + row0 * z.stride_row, z.stride_row, z.stride_col, m, z.cols, zsq);
  check(cudaGetLastError(), "row_norms launch");
}

// dots [m, c.rows] = rows [row0, row0 + m) of z times the contiguous c^T, and (zsq non-null)
// the rows' squared norms.
template <typename T>
void chunk_dots(cudaStream_t stream, const View2D& z, int64_t row0, int64_t m, const View2D& c,
                T* dots, T* zsq) {
  const T* zc = z.ptr<T>() + row0 * z.stride_row;
  launch_gemm(stream, m, c.rows, z.cols, zc, z.stride_row, z.stride_col, c.ptr<T>(), int64_t(1),
              c.cols, Store<T>{dots, c.rows});
  if (zsq) chunk_row_norms(stream, z, row0, m, zsq);
}

}  // namespace softent::cuda
