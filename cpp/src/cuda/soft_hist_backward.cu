// Backward of the soft-bin histogram on the GPU: per chunk of rows, recompute the scores
// (tiled GEMM), one warp per row turns dL/dhist into U = dL/ds * a_dot (in place of the
// scores), then grad_z = U C + 2 (Σ u a_zsq) z and grad_centres += U^T Z are tiled GEMMs
// with epilogues. Math: softent/math/soft_bin.h (score, score_grad). Caller's stream.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "cuda/tiles.cuh"

namespace softent::cuda {
namespace {

// Per row: U (in place of the dots), zcoef[r] = 2 Σ_b u a_zsq, ucsq [m, b] = u a_csq
// (reduced over rows by column_sums), and Σ_b v s into grad_inv_temperature.
template <typename T>
__global__ void softmax_backward_rows(T* __restrict__ dots, const T* __restrict__ zsq,
                                      const double* __restrict__ grad_hist, HistProblem p,
                                      int64_t row0, int64_t m, T* __restrict__ zcoef,
                                      double* __restrict__ ucsq, double* __restrict__ ginv_t) {
  const int lane = threadIdx.x & 31;
  const int64_t r = int64_t(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);
  if (r >= m) return;
  const int64_t b = p.b, i = row0 + r;
  const T inv_t = T(p.inv_temperature);
  T* dot = dots + r * b;
  const T zr = zsq ? zsq[r] : T(0);
  auto x_of = [&](int64_t j) {
    return math::score(p.metric, dot[j], zr, T(p.centre_sq[j])) * inv_t;
  };
  // g_j = G[0, j] + Σ_s G[slot_s(i), j]
  auto cot = [&](int64_t j) {
    double g = grad_hist[j];
    for (int64_t set = 0; set < p.n_sets; ++set) {
      const int32_t slot = p.slots[set * p.n + i];
      if (slot >= 1) g += grad_hist[int64_t(slot) * b + j];
    }
    return g;
  };
  T mx = -std::numeric_limits<T>::infinity();
  for (int64_t j = lane; j < b; j += 32) mx = fmax(mx, x_of(j));
  for (int off = 16; off > 0; off >>= 1) mx = fmax(mx, __shfl_xor_sync(0xffffffffu, mx, off));
  T sum = 0;
  double eg = 0;  // Σ_b e_b g_b
  for (int64_t j = lane; j < b; j += 32) {
    const T e = math::exp_nonpositive(x_of(j) - mx);
    sum += e;
    eg += double(e) * cot(j);
  }
  for (int off = 16; off > 0; off >>= 1) {
    sum += __shfl_xor_sync(0xffffffffu, sum, off);
    eg += __shfl_xor_sync(0xffffffffu, eg, off);
  }
  const double inv_sum = 1.0 / double(sum);
  const double mean = eg * inv_sum;
  double row_zsq = 0, row_t = 0;
  for (int64_t j = lane; j < b; j += 32) {
    const T x = x_of(j);
    const double v = double(math::exp_nonpositive(x - mx)) * inv_sum * (cot(j) - mean);
    row_t += v * (double(x) / double(inv_t));
    const double u = v * double(inv_t);
    const auto sg = math::score_grad(p.metric, dot[j], zr, T(p.centre_sq[j]));
    row_zsq += u * double(sg.a_zsq);
    if (ucsq) ucsq[r * b + j] = u * double(sg.a_csq);
    dot[j] = T(u * double(sg.a_dot));  // each lane owns its j: reads above precede this write
  }
  for (int off = 16; off > 0; off >>= 1) {
    row_zsq += __shfl_xor_sync(0xffffffffu, row_zsq, off);
    row_t += __shfl_xor_sync(0xffffffffu, row_t, off);
  }
  if (lane == 0) {
    zcoef[r] = T(2.0 * row_zsq);
    if (ginv_t) atomicAdd(ginv_t, row_t);
  }
}

// out[j] += Σ_r a[r, j] (one thread per column: coalesced across the warp).
__global__ void column_sums(const double* __restrict__ a, int64_t m, int64_t b,
                            double* __restrict__ out) {
  const int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= b) return;
  double acc = 0;
  for (int64_t r = 0; r < m; ++r) acc += a[r * b + j];
  out[j] += acc;
}

// grad_z[row0 + i, j] = (U C)[i, j] + zcoef[i] z[row0 + i, j]
template <typename T>
struct GradZ {
  T* out;
  const T* z;
  int64_t sr, sc, d;
  const T* zcoef;
  __device__ void operator()(int64_t i, int64_t j, T v) const {
    out[i * d + j] = v + zcoef[i] * z[i * sr + j * sc];
  }
};

// grad_centres[i, j] += (U^T Z)[i, j], accumulated in float64 across chunks.
template <typename T>
struct AddGradCentres {
  double* out;
  int64_t d;
  __device__ void operator()(int64_t i, int64_t j, T v) const {
    atomicAdd(out + i * d + j, double(v));
  }
};

template <typename T>
void run(const HistGradProblem& g) {
  const HistProblem& p = g.fwd;
  check(cudaSetDevice(p.device), "cudaSetDevice");
  auto stream = reinterpret_cast<cudaStream_t>(p.stream);
  const int64_t chunk = std::min<int64_t>(kChunkRows, p.n);
  const bool row_norm = math::needs_row_norm(p.metric);
  const T* z = static_cast<const T*>(p.z);
  const T* c = static_cast<const T*>(p.centres);
  Scratch<T> dots(chunk * p.b, stream), zsq(chunk, stream), zcoef(chunk, stream);
  Scratch<double> ucsq(g.grad_centre_sq ? chunk * p.b : 0, stream);
  for (int64_t row0 = 0; row0 < p.n; row0 += chunk) {
    const int64_t m = std::min(chunk, p.n - row0);
    chunk_dots<T>(stream, p, row0, m, dots.get(), zsq.get(), static_cast<const T*>(g.dots));
    softmax_backward_rows<T>
        <<<unsigned((m + kWarpsPerBlock - 1) / kWarpsPerBlock), 32 * kWarpsPerBlock, 0, stream>>>(
            dots.get(), row_norm ? zsq.get() : nullptr, g.grad_hist, p, row0, m, zcoef.get(),
            ucsq.get(), g.grad_inv_temperature);
    check(cudaGetLastError(), "softmax_backward_rows launch");
    const T* zc = z + row0 * p.z_stride_row;
    if (g.grad_z) {
      T* out = static_cast<T*>(g.grad_z) + row0 * p.d;
      launch_gemm(stream, m, p.d, p.b, static_cast<const T*>(dots.get()), p.b, int64_t(1), c, p.d,
                  int64_t(1), GradZ<T>{out, zc, p.z_stride_row, p.z_stride_col, p.d, zcoef.get()});
    }
    if (g.grad_centres)
      launch_gemm(stream, p.b, p.d, m, static_cast<const T*>(dots.get()), int64_t(1), p.b, zc,
                  p.z_stride_row, p.z_stride_col, AddGradCentres<T>{g.grad_centres, p.d});
    if (g.grad_centre_sq) {
      column_sums<<<unsigned((p.b + 255) / 256), 256, 0, stream>>>(ucsq.get(), m, p.b,
                                                                   g.grad_centre_sq);
      check(cudaGetLastError(), "column_sums launch");
    }
  }
}

}  // namespace

void soft_histogram_backward(const HistGradProblem& g) {
  if (!available())
    throw std::runtime_error("softent: no CUDA driver or device is available on this machine");
  if (g.fwd.dtype == DType::float64)
    run<double>(g);
  else
    run<float>(g);
  check(cudaStreamSynchronize(reinterpret_cast<cudaStream_t>(g.fwd.stream)),
        "cudaStreamSynchronize");
}

}  // namespace softent::cuda
