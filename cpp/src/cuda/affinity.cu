// Computes: the spectral affinities of a set of rows (ops.h affinity) on the GPU: the dense
// matrix (one thread per entry), or row sums / the product A V (one block per row: the
// block's threads evaluate a chunk of the row's kernel values into shared memory, then each
// thread adds them into its own output columns). Distances are the exact float64 ones.
// Math: softent/math/affinity.h. Runs on: x's device (the caller's device is restored
// afterwards), the caller's stream.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "cuda/common/check.cuh"
#include "cuda/common/device_guard.cuh"
#include "softent/math/affinity.h"
#include "softent/ops.h"

namespace softent::cuda {
namespace {

constexpr int kThreads = 256;

// The kernel's inputs, by value in every launch.
template <typename T>
struct DevProblem {
  const T* x;
  int64_t n, d, sr, sc;
  AffinityKernel kernel;
  double inv_two_sigma_sq, prefactor;
  const double* scales;
  const double* row_scale;

  __device__ double value(int64_t i, int64_t j) const {
    const T* a = x + i * sr;
    const T* b = x + j * sr;
    const int64_t s = sc;
    const double d2 = i == j ? 0.0
                             : math::exact_sq_distance(
                                   d, [a, s](int64_t k) { return a[k * s]; },
                                   [b, s](int64_t k) { return b[k * s]; });
    const double g = kernel == AffinityKernel::gaussian
                         ? math::gaussian_affinity(d2, inv_two_sigma_sq)
                         : math::self_tuning_affinity(d2, scales[i], scales[j]);
    const double w = row_scale ? row_scale[i] * row_scale[j] : 1.0;
    return prefactor * g * w;
  }
};

// O: the output's element type (double, or float for dense32: values rounded once).
template <typename T, typename O>
__global__ void dense_kernel(DevProblem<T> p, O* out) {
  const int64_t j = int64_t(blockIdx.y) * blockDim.x + threadIdx.x;
  const int64_t i = blockIdx.x;   // rows on x: gridDim.y (65535) bounds only n / kThreads
  if (j < i || j >= p.n) return;  // the upper triangle, mirrored: exactly symmetric
  const O a = O(p.value(i, j));
  out[i * p.n + j] = a;
  out[j * p.n + i] = a;
}

// out[i, c] = sum_j a_ij v[j, c] (v null: m = 1, v = 1: row sums).
template <typename T>
__global__ void rows_kernel(DevProblem<T> p, const double* v, int64_t m, double* out) {
  __shared__ double w[kThreads];
  const int64_t i = blockIdx.x;
  for (int64_t c = threadIdx.x; c < m; c += blockDim.x) out[i * m + c] = 0.0;
  for (int64_t j0 = 0; j0 < p.n; j0 += kThreads) {
    const int64_t j = j0 + threadIdx.x;
    w[threadIdx.x] = j < p.n ? p.value(i, j) : 0.0;
    __syncthreads();
    const int64_t len = p.n - j0 < kThreads ? p.n - j0 : kThreads;
    for (int64_t c = threadIdx.x; c < m; c += blockDim.x) {
      double s = 0.0;
      for (int64_t q = 0; q < len; ++q) s += w[q] * (v ? v[(j0 + q) * m + c] : 1.0);
      out[i * m + c] += s;
    }
    __syncthreads();
  }
}

template <typename T>
void run(const AffinityParams& p) {
  require_device();
  const DeviceGuard device(p.x.device);
  const auto st = reinterpret_cast<cudaStream_t>(p.stream);
  DevProblem<T> dp{p.x.ptr<T>(),
                   p.x.rows,
                   p.x.cols,
                   p.x.stride_row,
                   p.x.stride_col,
                   p.kernel,
                   p.kernel == AffinityKernel::gaussian ? 1.0 / (2.0 * p.sigma * p.sigma) : 0.0,
                   p.prefactor,
                   p.scales,
                   p.row_scale};
  const int64_t n = p.x.rows;
  if (p.output == AffinityOutput::dense || p.output == AffinityOutput::dense32) {
    const dim3 grid(unsigned(n), unsigned((n + kThreads - 1) / kThreads));
    if (p.output == AffinityOutput::dense)
      dense_kernel<T, double><<<grid, kThreads, 0, st>>>(dp, p.out);
    else
      dense_kernel<T, float><<<grid, kThreads, 0, st>>>(dp, reinterpret_cast<float*>(p.out));
    check(cudaGetLastError(), "affinity dense launch");
    return;
  }
  const bool product = p.output == AffinityOutput::product;
  rows_kernel<T>
      <<<unsigned(n), kThreads, 0, st>>>(dp, product ? p.v : nullptr, product ? p.m : 1, p.out);
  check(cudaGetLastError(), "affinity rows launch");
}

}  // namespace

void affinity(const AffinityParams& p) {
  if (p.x.dtype == DType::float32)
    run<float>(p);
  else
    run<double>(p);
}

}  // namespace softent::cuda
