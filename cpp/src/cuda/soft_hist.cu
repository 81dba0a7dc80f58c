// Soft-bin histogram on the GPU: per chunk of rows, the tiled GEMM writes the scores block
// (chunk x B, bounded scratch), then one warp per row does the softmax and adds the
// float64 histograms (and Poisson bootstrap replicates) with atomics.
// Math: softent/math/soft_bin.h, math/bootstrap.h. Runs on the caller's stream.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <limits>

#include "cuda/tiles.cuh"

namespace softent::cuda {
namespace {

template <typename T>
__global__ void softmax_accumulate(T* __restrict__ scores, const T* __restrict__ zsq,
                                   const double* __restrict__ csq, HistProblem p, int64_t row0,
                                   int64_t m, unsigned long long* __restrict__ first_bad) {
  const int lane = threadIdx.x & 31;
  const int64_t r = int64_t(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);
  if (r >= m) return;
  const int64_t b = p.b, i = row0 + r;
  const T inv_t = T(p.inv_temperature);
  T* s = scores + r * b;
  const T zr = zsq ? zsq[r] : T(0);
  T mx = -std::numeric_limits<T>::infinity();
  for (int64_t j = lane; j < b; j += 32) {
    s[j] = math::score(p.metric, s[j], zr, T(csq[j])) * inv_t;
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
    if (lane == 0) atomicMin(first_bad, static_cast<unsigned long long>(i));
    return;
  }
  const double inv_sum = 1.0 / double(sum);
  for (int64_t block = 0; block <= p.replicates; ++block) {
    const int w = block_weight(p, i, block);
    if (w == 0) continue;
    const double scale = inv_sum * w;
    double* h = p.hist + block * p.hist_rows * b;
    for (int64_t j = lane; j < b; j += 32) atomicAdd(h + j, double(s[j]) * scale);
    for (int64_t set = 0; set < p.n_sets; ++set) {
      const int32_t slot = p.slots[set * p.n + i];
      if (slot < 1) continue;
      for (int64_t j = lane; j < b; j += 32)
        atomicAdd(h + int64_t(slot) * b + j, double(s[j]) * scale);
    }
  }
}

template <typename T>
HistStatus run(const HistProblem& p) {
  check(cudaSetDevice(p.device), "cudaSetDevice");
  auto stream = reinterpret_cast<cudaStream_t>(p.stream);
  const int64_t chunk = std::min<int64_t>(kChunkRows, p.n);
  const bool row_norm = math::needs_row_norm(p.metric);
  unsigned long long bad_host = 0;
  {
    Scratch<T> scores(chunk * p.b, stream), zsq(chunk, stream);
    Scratch<unsigned long long> bad(1, stream);
    check(cudaMemsetAsync(bad.get(), 0xff, sizeof(unsigned long long), stream), "cudaMemsetAsync");
    for (int64_t row0 = 0; row0 < p.n; row0 += chunk) {
      const int64_t m = std::min(chunk, p.n - row0);
      chunk_dots<T>(stream, p, row0, m, scores.get(), zsq.get());
      if (p.dots_out)  // kept for a backward (the softmax below overwrites the scores)
        check(cudaMemcpyAsync(static_cast<T*>(p.dots_out) + row0 * p.b, scores.get(),
                              sizeof(T) * m * p.b, cudaMemcpyDeviceToDevice, stream),
              "cudaMemcpyAsync(dots_out)");
      softmax_accumulate<T>
          <<<unsigned((m + kWarpsPerBlock - 1) / kWarpsPerBlock), 32 * kWarpsPerBlock, 0, stream>>>(
              scores.get(), row_norm ? zsq.get() : nullptr, p.centre_sq, p, row0, m, bad.get());
      check(cudaGetLastError(), "softmax_accumulate launch");
    }
    check(cudaMemcpyAsync(&bad_host, bad.get(), sizeof bad_host, cudaMemcpyDeviceToHost, stream),
          "cudaMemcpyAsync");
  }  // scratch freed (stream-ordered) before the synchronisation
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
