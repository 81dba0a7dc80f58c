// Computes: the row scale of a soft-histogram call on the GPU (SoftHistParams::row_scale) and
// the call the kernels then run (scaled centres, their squared norms, 1/T).
// Math: softent/math/soft_hist.h (the same decision as src/cpu/soft_hist_scale.h).
// Runs on: z's device, the caller's stream; the decision is taken on the host.
//
// Cost: the translation-invariant metrics copy the B x D centres to the host and wait for the
// stream (the forward and backward wait for it at their end anyway). Only when the centres'
// spread is outside math::spread_needs_no_scale is z reduced once for its spread (one kernel,
// one 8-byte copy); only when that is outside it too are scaled centres and their squared
// norms copied to the device (B x D). The rows are never copied: the GEMM operand and the row
// statistics scale them as they load.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "cuda/common/check.cuh"
#include "cuda/common/scratch.cuh"
#include "softent/math/soft_hist.h"
#include "softent/params/soft.h"

namespace softent::cuda {

// *out = the bits of max |(z_ik - origin_k)| over the rows (non-negative floats order as their
// bits; NaN's bits exceed inf's, so a NaN or inf wins and reads back as not finite).
template <typename T>
__global__ void rows_spread_bits(const T* __restrict__ z, int64_t n, int64_t d, int64_t sr,
                                 int64_t sc, const T* __restrict__ origin,
                                 unsigned long long* __restrict__ out) {
  double mx = 0.0;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n * d; e += stride) {
    const int64_t i = e / d, k = e % d;
    const T v = origin ? T(z[i * sr + k * sc] - origin[k]) : z[i * sr + k * sc];
    const double a = fabs(double(v));
    mx = (a > mx || a != a) ? a : mx;
  }
  atomicMax(out, static_cast<unsigned long long>(__double_as_longlong(mx)));
}

// The call the kernels run, and the device buffers it points into (freed, stream-ordered, with
// this object).
template <typename T>
struct ScaledCall {
  SoftHistParams p;
  std::unique_ptr<Scratch<T>> centres;          // k c [b, d] (k != 1 only)
  std::unique_ptr<Scratch<double>> centre_sq;   // ||k c_b||^2 [b] (k != 1 only)
  math::RowScaleGrad grad{1.0, 1.0, 1.0, 1.0};  // the gradients' factors back to the call
};

// Fills s for p (see src/cpu/soft_hist_scale.h scaled_call: the same decision).
template <typename T>
void scaled_call(const SoftHistParams& p, cudaStream_t stream, ScaledCall<T>& s) {
  s.p = p;
  s.p.row_scale = 1.0;
  const int64_t b = p.centres.rows, d = p.centres.cols;
  if (!math::translation_invariant(p.metric) || b < 2) return;
  std::vector<T> c(b * d);
  check(
      cudaMemcpyAsync(c.data(), p.centres.data, sizeof(T) * b * d, cudaMemcpyDeviceToHost, stream),
      "cudaMemcpyAsync(centres)");
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  double spread = 0.0;
  for (const T v : c) {
    const double a = std::fabs(double(v));
    spread = (a > spread || a != a) ? a : spread;
  }
  if (math::spread_needs_no_scale<T>(spread)) return;
  {
    Scratch<unsigned long long> bits(1, stream);
    check(cudaMemsetAsync(bits.get(), 0, sizeof(unsigned long long), stream), "cudaMemsetAsync");
    const int64_t blocks = std::min<int64_t>((p.z.rows * d + 255) / 256, 4096);
    rows_spread_bits<T><<<unsigned(blocks), 256, 0, stream>>>(
        p.z.ptr<T>(), p.z.rows, d, p.z.stride_row, p.z.stride_col, static_cast<const T*>(p.origin),
        bits.get());
    check(cudaGetLastError(), "rows_spread_bits launch");
    unsigned long long host = 0;
    check(cudaMemcpyAsync(&host, bits.get(), sizeof host, cudaMemcpyDeviceToHost, stream),
          "cudaMemcpyAsync(spread)");
    check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
    double rows = 0.0;
    std::memcpy(&rows, &host, sizeof rows);
    spread = rows > spread || !(rows <= std::numeric_limits<double>::max()) ? rows : spread;
  }
  if (math::spread_needs_no_scale<T>(spread)) return;
  const int e = math::row_scale_exponent<T>(p.metric, spread, p.inv_temperature);
  if (e == 0) return;
  const double k = std::ldexp(1.0, e);
  std::vector<double> csq(b, 0.0);
  for (int64_t j = 0; j < b; ++j)
    for (int64_t f = 0; f < d; ++f) {
      T& v = c[j * d + f];
      v = static_cast<T>(v * T(k));
      csq[j] += double(v) * double(v);
    }
  s.centres = std::make_unique<Scratch<T>>(b * d, stream);
  s.centre_sq = std::make_unique<Scratch<double>>(b, stream);
  check(cudaMemcpyAsync(s.centres->get(), c.data(), sizeof(T) * b * d, cudaMemcpyHostToDevice,
                        stream),
        "cudaMemcpyAsync(scaled centres)");
  check(cudaMemcpyAsync(s.centre_sq->get(), csq.data(), sizeof(double) * b, cudaMemcpyHostToDevice,
                        stream),
        "cudaMemcpyAsync(scaled centre_sq)");
  // the host vectors are freed on return: the copies must have read them
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  s.p.centres.data = s.centres->get();
  s.p.centre_sq = s.centre_sq->get();
  s.p.inv_temperature = math::scaled_inv_temperature(p.metric, p.inv_temperature, e);
  s.p.row_scale = k;
  s.grad = math::row_scale_grad_factors(p.metric, k);
}

}  // namespace softent::cuda
