// Computes: soft-bin histograms (ops.h soft_histogram) on the GPU, chunk by chunk of rows.
// Math: softent/math/soft_hist.h (softmax.h, metric.h, bootstrap.h); loops: cuda/common/;
// the row scale: cuda/soft_hist_scale.cuh (the kernels run the call it resolves).
// Runs on: z's device (the caller's device is restored afterwards), the caller's stream.
//
// Per chunk the tiled GEMM writes the dots (chunk x B, bounded scratch), then one warp per
// row pushes its scores, combines the warp's log-sum-exp and adds the float64 histograms
// (and bootstrap replicates) with atomics.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "cuda/common/check.cuh"
#include "cuda/common/device_guard.cuh"
#include "cuda/common/gemm.cuh"
#include "cuda/common/scratch.cuh"
#include "cuda/common/warp.cuh"
#include "cuda/soft_hist_scale.cuh"
#include "softent/math/permute.h"
#include "softent/math/soft_hist.h"
#include "softent/ops.h"

namespace softent::cuda {
namespace {

template <typename T>
__global__ void softmax_accumulate(T* __restrict__ scores, const T* __restrict__ stat,
                                   SoftHistParams p, int64_t row0, int64_t m,
                                   unsigned long long* __restrict__ first_bad) {
  const int lane = threadIdx.x & 31;
  const int64_t r = int64_t(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);
  if (r >= m) return;
  const int64_t b = p.centres.rows, i = row0 + r;
  const T scale = math::softmax_scale<T>(p.inv_temperature);
  T* s = scores + r * b;
  const T zr = stat ? stat[r] : T(0);
  math::LogSumExp<T> lse = math::lse_init<T>();
  for (int64_t j = lane; j < b; j += 32) {
    s[j] = math::score(p.metric, s[j], zr, T(p.centre_sq[j]));
    math::lse_push(lse, s[j], scale);
  }
  lse = warp_combine(lse, scale);
  const math::SoftmaxNorm norm = math::row_softmax_norm(lse, zr);
  if (!norm.finite) {
    if (lane == 0) atomicMin(first_bad, static_cast<unsigned long long>(i));
    return;
  }
  for (int64_t j = lane; j < b; j += 32) s[j] = math::softmax_term(s[j], lse.max, scale);
  for (int64_t block = 0; block <= p.replicates; ++block) {
    const int w = math::block_weight(p, i, block);
    if (w == 0) continue;
    const double scale = math::block_scale(norm.inv_sum, w);
    double* h = p.hist + block * p.hist_rows * b;
    for (int64_t j = lane; j < b; j += 32) atomicAdd(h + j, math::mass(s[j], scale));
    for (int64_t set = 0; set < p.n_sets; ++set) {
      const int32_t slot = p.slots[set * p.z.rows + i];
      if (slot < 1) continue;
      for (int64_t j = lane; j < b; j += 32)
        atomicAdd(h + int64_t(slot) * b + j, math::mass(s[j], scale));
    }
  }
  if (p.perm_sets == 0 || p.permutations == 0) return;
  // The permuted label sets (replicates == 0): row i's masses into its permuted slot of
  // every permutation of every set (params/soft.h).
  const double scale1 = math::block_scale(norm.inv_sum, 1);
  const int64_t samples = p.z.rows / p.perm_internal;
  const int64_t sample = i / p.perm_internal, at = (i % p.perm_internal) * p.perm_internal_stride;
  for (int64_t k = 0; k < p.perm_sets * p.permutations; ++k) {
    const uint32_t code = math::compact_code(p.perm_codes, p.perm_code_bytes, k * samples + sample);
    if (code == math::kMaskedCode) continue;
    const int64_t row = p.perm_first_row + (k % p.permutations) * p.perm_block + code + at;
    double* h = p.hist + row * b;
    for (int64_t j = lane; j < b; j += 32) atomicAdd(h + j, math::mass(s[j], scale1));
  }
}

template <typename T>
int64_t run(const SoftHistParams& call) {
  const DeviceGuard device(call.z.device);
  auto stream = reinterpret_cast<cudaStream_t>(call.stream);
  ScaledCall<T> scaled;
  scaled_call<T>(call, stream, scaled);
  const SoftHistParams& p = scaled.p;
  const T row_scale = static_cast<T>(p.row_scale);
  const int64_t n = p.z.rows, b = p.centres.rows;
  const int64_t chunk = std::min<int64_t>(kChunkRows, n);
  const bool row_norm = math::needs_row_norm(p.metric);
  const T* origin = static_cast<const T*>(p.origin);
  unsigned long long bad_host = 0;
  {
    Scratch<T> scores(chunk * b, stream), stat(chunk, stream);
    Scratch<unsigned long long> bad(1, stream);
    check(cudaMemsetAsync(bad.get(), 0xff, sizeof(unsigned long long), stream), "cudaMemsetAsync");
    for (int64_t row0 = 0; row0 < n; row0 += chunk) {
      const int64_t m = std::min(chunk, n - row0);
      chunk_dots<T>(stream, p.z, row0, m, origin, row_scale, p.centres, p.metric, scores.get(),
                    row_norm ? stat.get() : nullptr);
      if (p.dots_out)  // kept for a backward (the softmax below overwrites the scores)
        check(cudaMemcpyAsync(static_cast<T*>(p.dots_out) + row0 * b, scores.get(),
                              sizeof(T) * m * b, cudaMemcpyDeviceToDevice, stream),
              "cudaMemcpyAsync(dots_out)");
      softmax_accumulate<T>
          <<<unsigned((m + kWarpsPerBlock - 1) / kWarpsPerBlock), 32 * kWarpsPerBlock, 0, stream>>>(
              scores.get(), row_norm ? stat.get() : nullptr, p, row0, m, bad.get());
      check(cudaGetLastError(), "softmax_accumulate launch");
    }
    check(cudaMemcpyAsync(&bad_host, bad.get(), sizeof bad_host, cudaMemcpyDeviceToHost, stream),
          "cudaMemcpyAsync");
  }  // scratch freed (stream-ordered) before the synchronisation
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  return bad_host == std::numeric_limits<unsigned long long>::max() ? -1 : int64_t(bad_host);
}

}  // namespace

int64_t soft_histogram(const SoftHistParams& p) {
  require_device();
  return p.z.dtype == DType::float64 ? run<double>(p) : run<float>(p);
}

}  // namespace softent::cuda
