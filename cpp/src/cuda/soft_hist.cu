// Soft-bin histogram on the GPU: per chunk of rows, a tiled GEMM kernel writes the scores
// block (chunk x B, bounded scratch), then one warp per row does the softmax and adds the
// float64 histograms with atomics. Math: softent/math/soft_bin.h. Runs on the caller's stream.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "softent/problem.h"

namespace softent::cuda {
namespace {

constexpr int kTile = 16;            // GEMM tile edge (threads per block: 16 x 16)
constexpr int kWarpsPerBlock = 8;    // softmax kernel: one warp per row
constexpr int64_t kChunkRows = 8192;  // rows per scores block: scratch = chunk * B floats

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess)
    throw std::runtime_error(std::string("softent CUDA error in ") + what + ": " +
                             cudaGetErrorString(err));
}

// scores[r, j] = <z[row0 + r], c[j]>, and zsq[r] = ||z[row0 + r]||^2 (computed by column 0).
template <typename T>
__global__ void dot_scores(const T* __restrict__ z, int64_t sr, int64_t sc, int64_t row0,
                           int64_t m, int64_t d, const T* __restrict__ c, int64_t b,
                           T* __restrict__ scores) {
  __shared__ T zs[kTile][kTile + 1];
  __shared__ T cs[kTile][kTile + 1];
  const int64_t r = int64_t(blockIdx.y) * kTile + threadIdx.y;
  const int64_t j = int64_t(blockIdx.x) * kTile + threadIdx.x;
  T acc = 0;
  for (int64_t k0 = 0; k0 < d; k0 += kTile) {
    const int64_t kz = k0 + threadIdx.x;
    const int64_t rz = int64_t(blockIdx.y) * kTile + threadIdx.y;
    zs[threadIdx.y][threadIdx.x] = (rz < m && kz < d) ? z[(row0 + rz) * sr + kz * sc] : T(0);
    const int64_t jc = int64_t(blockIdx.x) * kTile + threadIdx.y;
    cs[threadIdx.y][threadIdx.x] = (jc < b && kz < d) ? c[jc * d + kz] : T(0);
    __syncthreads();
#pragma unroll
    for (int k = 0; k < kTile; ++k) acc += zs[threadIdx.y][k] * cs[threadIdx.x][k];
    __syncthreads();
  }
  if (r < m && j < b) scores[r * b + j] = acc;
}

template <typename T>
__global__ void row_norms(const T* __restrict__ z, int64_t sr, int64_t sc, int64_t row0,
                          int64_t m, int64_t d, T* __restrict__ zsq) {
  const int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= m) return;
  double acc = 0;
  for (int64_t k = 0; k < d; ++k) {
    const double v = double(z[(row0 + r) * sr + k * sc]);
    acc += v * v;
  }
  zsq[r] = T(acc);
}

template <typename T>
__global__ void softmax_accumulate(T* __restrict__ scores, const T* __restrict__ zsq,
                                   const double* __restrict__ csq, int64_t row0, int64_t m,
                                   int64_t n, int64_t b, Metric metric, T inv_t,
                                   const int32_t* __restrict__ slots, int64_t n_sets,
                                   double* __restrict__ hist,
                                   unsigned long long* __restrict__ first_bad) {
  const int lane = threadIdx.x & 31;
  const int64_t r = int64_t(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);
  if (r >= m) return;
  T* s = scores + r * b;
  const T zr = zsq ? zsq[r] : T(0);
  T mx = -std::numeric_limits<T>::infinity();
  for (int64_t j = lane; j < b; j += 32) {
    s[j] = math::score(metric, s[j], zr, T(csq[j])) * inv_t;
    mx = fmax(mx, s[j]);
  }
  for (int off = 16; off > 0; off >>= 1) mx = fmax(mx, __shfl_xor_sync(0xffffffffu, mx, off));
  T sum = 0;
  for (int64_t j = lane; j < b; j += 32) {
    s[j] = math::exp_nonpositive(s[j] - mx);
    sum += s[j];
  }
  for (int off = 16; off > 0; off >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, off);
  if (!isfinite(double(mx)) || !isfinite(double(sum)) || !isfinite(double(zr))) {
    if (lane == 0) atomicMin(first_bad, static_cast<unsigned long long>(row0 + r));
    return;
  }
  const double inv_sum = 1.0 / double(sum);
  for (int64_t j = lane; j < b; j += 32) atomicAdd(hist + j, double(s[j]) * inv_sum);
  for (int64_t set = 0; set < n_sets; ++set) {
    const int32_t slot = slots[set * n + row0 + r];
    if (slot < 1) continue;
    for (int64_t j = lane; j < b; j += 32)
      atomicAdd(hist + int64_t(slot) * b + j, double(s[j]) * inv_sum);
  }
}

template <typename T>
HistStatus run(const HistProblem& p) {
  check(cudaSetDevice(p.device), "cudaSetDevice");
  auto stream = reinterpret_cast<cudaStream_t>(p.stream);
  const int64_t chunk = std::min<int64_t>(kChunkRows, p.n);
  const bool row_norm = math::needs_row_norm(p.metric);
  T* scores = nullptr;
  T* zsq = nullptr;
  unsigned long long* bad = nullptr;
  check(cudaMallocAsync(reinterpret_cast<void**>(&scores), sizeof(T) * chunk * p.b, stream),
        "cudaMallocAsync(scores)");
  check(cudaMallocAsync(reinterpret_cast<void**>(&zsq), sizeof(T) * chunk, stream),
        "cudaMallocAsync(zsq)");
  check(cudaMallocAsync(reinterpret_cast<void**>(&bad), sizeof(unsigned long long), stream),
        "cudaMallocAsync(status)");
  check(cudaMemsetAsync(bad, 0xff, sizeof(unsigned long long), stream), "cudaMemsetAsync");
  const T* z = static_cast<const T*>(p.z);
  const T* c = static_cast<const T*>(p.centres);
  for (int64_t row0 = 0; row0 < p.n; row0 += chunk) {
    const int64_t m = std::min(chunk, p.n - row0);
    const dim3 block(kTile, kTile);
    const dim3 grid(unsigned((p.b + kTile - 1) / kTile), unsigned((m + kTile - 1) / kTile));
    dot_scores<T><<<grid, block, 0, stream>>>(z, p.z_stride_row, p.z_stride_col, row0, m, p.d,
                                              c, p.b, scores);
    if (row_norm)
      row_norms<T><<<unsigned((m + 255) / 256), 256, 0, stream>>>(z, p.z_stride_row,
                                                                  p.z_stride_col, row0, m, p.d,
                                                                  zsq);
    softmax_accumulate<T><<<unsigned((m + kWarpsPerBlock - 1) / kWarpsPerBlock),
                            32 * kWarpsPerBlock, 0, stream>>>(
        scores, row_norm ? zsq : nullptr, p.centre_sq, row0, m, p.n, p.b, p.metric,
        T(p.inv_temperature), p.slots, p.n_sets, p.hist, bad);
    check(cudaGetLastError(), "kernel launch");
  }
  unsigned long long bad_host = 0;
  check(cudaMemcpyAsync(&bad_host, bad, sizeof bad_host, cudaMemcpyDeviceToHost, stream),
        "cudaMemcpyAsync");
  check(cudaFreeAsync(scores, stream), "cudaFreeAsync");
  check(cudaFreeAsync(zsq, stream), "cudaFreeAsync");
  check(cudaFreeAsync(bad, stream), "cudaFreeAsync");
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  HistStatus status;
  status.first_nonfinite_row =
      bad_host == std::numeric_limits<unsigned long long>::max() ? -1 : int64_t(bad_host);
  return status;
}

}  // namespace

bool available() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

int device_count() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess ? count : 0;
}

const char* runtime_version() {
  static char text[16] = {0};
  if (!text[0]) {
    int v = 0;
    cudaRuntimeGetVersion(&v);  // works without a driver: the runtime is linked statically
    snprintf(text, sizeof text, "%d.%d", v / 1000, (v % 1000) / 10);
  }
  return text;
}

HistStatus soft_histogram(const HistProblem& p) {
  if (!available())
    throw std::runtime_error("softent: no CUDA driver or device is available on this machine");
  return p.dtype == DType::float64 ? run<double>(p) : run<float>(p);
}

}  // namespace softent::cuda
