// The CUDA tiled GEMM with a pluggable epilogue, over strided operands (optionally read
// relative to an origin), and the dots of a chunk of View2D rows with a set of centres
// (scores, distances: every estimator that compares rows needs them), with the rows'
// statistics (math/metric.h). Runs on the caller's stream.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/common/check.cuh"
#include "softent/math/metric.h"
#include "softent/types.h"

namespace softent::cuda {

inline constexpr int kTile = 16;  // GEMM tile edge (threads per block: 16 x 16)

// A strided matrix operand: element (x, y) = (p[x * s0 + y * s1] - shift[y]) * scale (shift
// null: none). The shift and the power-of-two scale read rows relative to an origin and
// scaled as they are loaded (SoftHistParams::origin, row_scale): no copy of z is made.
template <typename T>
struct Operand {
  const T* p;
  int64_t s0, s1;
  const T* shift = nullptr;
  T scale = T(1);
  __device__ __forceinline__ T at(int64_t x, int64_t y) const {
    const T v = p[x * s0 + y * s1];
    return (shift ? v - shift[y] : v) * scale;  // * 1 is exact: unscaled calls read v as is
  }
};

// out(i, j, Σ_k A(i, k) B(k, j)) for i < M, j < N: the strides express transposes and
// strided views, so one kernel serves scores = Z C^T, grad_z = U C and grad_centres += U^T Z.
template <typename T, typename Epilogue>
__global__ void gemm_strided(int64_t M, int64_t N, int64_t K, Operand<T> a, Operand<T> b,
                             Epilogue out) {
  __shared__ T as[kTile][kTile + 1];
  __shared__ T bs[kTile][kTile + 1];
  const int64_t i = int64_t(blockIdx.y) * kTile + threadIdx.y;
  const int64_t j = int64_t(blockIdx.x) * kTile + threadIdx.x;
  // Tiles are loaded so that threadIdx.x walks the operand's unit-stride index (coalesced
  // reads); as[i][k] and bs[k][j] hold the same elements either way. The choice depends
  // only on the kernel's arguments, so the whole block takes the same branch.
  const int64_t i0 = int64_t(blockIdx.y) * kTile, j0 = int64_t(blockIdx.x) * kTile;
  const bool a_rows_contiguous = a.s0 == 1 && a.s1 != 1;  // e.g. U^T: walk i, not k
  const bool b_cols_contiguous = b.s0 == 1 && b.s1 != 1;  // e.g. centres [B, D] as B(k, j)
  T acc = 0;
  for (int64_t k0 = 0; k0 < K; k0 += kTile) {
    if (a_rows_contiguous) {
      const int64_t ii = i0 + threadIdx.x, kk = k0 + threadIdx.y;
      as[threadIdx.x][threadIdx.y] = (ii < M && kk < K) ? a.at(ii, kk) : T(0);
    } else {
      const int64_t ii = i0 + threadIdx.y, kk = k0 + threadIdx.x;
      as[threadIdx.y][threadIdx.x] = (ii < M && kk < K) ? a.at(ii, kk) : T(0);
    }
    if (b_cols_contiguous) {
      const int64_t kk = k0 + threadIdx.x, jj = j0 + threadIdx.y;
      bs[threadIdx.x][threadIdx.y] = (kk < K && jj < N) ? b.at(kk, jj) : T(0);
    } else {
      const int64_t kk = k0 + threadIdx.y, jj = j0 + threadIdx.x;
      bs[threadIdx.y][threadIdx.x] = (kk < K && jj < N) ? b.at(kk, jj) : T(0);
    }
    __syncthreads();
#pragma unroll
    for (int k = 0; k < kTile; ++k) acc += as[threadIdx.y][k] * bs[k][threadIdx.x];
    __syncthreads();
  }
  if (i < M && j < N) out(i, j, acc);
}

template <typename T, typename Epilogue>
void launch_gemm(cudaStream_t stream, int64_t M, int64_t N, int64_t K, Operand<T> a, Operand<T> b,
                 Epilogue out) {
  const dim3 block(kTile, kTile);
  const dim3 grid(unsigned((N + kTile - 1) / kTile), unsigned((M + kTile - 1) / kTile));
  gemm_strided<T, Epilogue><<<grid, block, 0, stream>>>(M, N, K, a, b, out);
  check(cudaGetLastError(), "gemm launch");
}

// Epilogue: a row-major [M, ld] store.
template <typename T>
struct Store {
  T* c;
  int64_t ld;
  __device__ void operator()(int64_t i, int64_t j, T v) const { c[i * ld + j] = v; }
};

// stat [m] = math::row_stat of the m rows (z_r - origin) scale (origin null: none): scale-safe
// norms.
template <typename T>
__global__ void row_stats(const T* __restrict__ z, int64_t sr, int64_t sc, int64_t m, int64_t d,
                          const T* __restrict__ origin, T scale, Metric metric,
                          T* __restrict__ stat) {
  const int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= m) return;
  const T* row = z + r * sr;
  const auto z_of = [&](int64_t k) {
    return T((origin ? row[k * sc] - origin[k] : row[k * sc]) * scale);
  };
  stat[r] = math::row_stat<T>(metric, math::row_norm(d, z_of));
}

// stat [m] = the statistics of rows [row0, row0 + m) of z relative to origin (or null), times
// scale.
template <typename T>
void chunk_row_stats(cudaStream_t stream, const View2D& z, int64_t row0, int64_t m, const T* origin,
                     T scale, Metric metric, T* stat) {
  row_stats<T><<<unsigned((m + 255) / 256), 256, 0, stream>>>(z.ptr<T>() + row0 * z.stride_row,
                                                              z.stride_row, z.stride_col, m, z.cols,
                                                              origin, scale, metric, stat);
  check(cudaGetLastError(), "row_stats launch");
}

// The rows [row0, row0 + m) of z as a GEMM operand, read relative to origin (or null) and
// multiplied by scale.
template <typename T>
Operand<T> chunk_operand(const View2D& z, int64_t row0, const T* origin, T scale) {
  return {z.ptr<T>() + row0 * z.stride_row, z.stride_row, z.stride_col, origin, scale};
}

// dots [m, c.rows] = rows [row0, row0 + m) of z (minus origin, times scale) times the
// contiguous c^T, and (stat non-null) the rows' statistics for metric.
template <typename T>
void chunk_dots(cudaStream_t stream, const View2D& z, int64_t row0, int64_t m, const T* origin,
                T scale, const View2D& c, Metric metric, T* dots, T* stat) {
  launch_gemm(stream, m, c.rows, z.cols, chunk_operand<T>(z, row0, origin, scale),
              Operand<T>{c.ptr<T>(), int64_t(1), c.cols}, Store<T>{dots, c.rows});
  if (stat) chunk_row_stats(stream, z, row0, m, origin, scale, metric, stat);
}

}  // namespace softent::cuda
