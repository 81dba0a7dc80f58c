// Computes: the backward of the soft-bin histograms (ops.h soft_histogram_backward) on the GPU.
// Math: softent/math/soft_hist.h (softmax.h, metric.h); loops: cuda/common/; the row scale:
// cuda/soft_hist_scale.cuh (the kernels run the scaled call; the gradients are scaled back).
// Runs on: z's device (the caller's device is restored afterwards), the caller's stream.
//
// Per chunk of rows: the dots (kept by the forward, or the tiled GEMM again); one warp per
// row turns dL/dhist into U = dL/ds * a_dot in place of the dots; then grad_z = U C + zcoef R
// and grad_centres += U^T R are tiled GEMMs with epilogues, R the backward rows (metric.h:
// the rows as read; for cosine their unit rows, and grad_z is projected by a row kernel).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "cuda/common/check.cuh"
#include "cuda/common/device_guard.cuh"
#include "cuda/common/gemm.cuh"
#include "cuda/common/scratch.cuh"
#include "cuda/common/warp.cuh"
#include "cuda/soft_hist_scale.cuh"
#include "softent/math/soft_hist.h"
#include "softent/ops.h"

namespace softent::cuda {
namespace {

// Per row: U (in place of the dots), zcoef[r] (grad_z's row-vector coefficient), ucsq [m, b] = u
// a_csq (reduced over rows by column_sums), and the row's dL/d(1/T) into grad_inv_temperature.
template <typename T>
__global__ void softmax_backward_rows(T* __restrict__ dots, const T* __restrict__ stat,
                                      const double* __restrict__ grad_hist, SoftHistParams p,
                                      int64_t row0, int64_t m, T* __restrict__ zcoef,
                                      double* __restrict__ ucsq, double* __restrict__ ginv_t,
                                      double ginv_t_factor) {
  const int lane = threadIdx.x & 31;
  const int64_t r = int64_t(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);
  if (r >= m) return;
  const int64_t b = p.centres.rows, i = row0 + r;
  const T inv_t = math::softmax_scale<T>(p.inv_temperature);
  T* dot = dots + r * b;
  const T zr = stat ? stat[r] : T(0);
  auto s_of = [&](int64_t j) { return math::score(p.metric, dot[j], zr, T(p.centre_sq[j])); };
  const auto slot_of = [&](int64_t set) { return p.slots[set * p.z.rows + i]; };
  auto cot = [&](int64_t j) { return math::mass_cotangent(grad_hist, b, j, p.n_sets, slot_of); };
  math::LogSumExp<T> lse = math::lse_init<T>();
  for (int64_t j = lane; j < b; j += 32) math::lse_push(lse, s_of(j), inv_t);
  lse = warp_combine(lse, inv_t);
  const double inv_sum = math::row_softmax_norm(lse, zr).inv_sum;
  double mean_terms = 0;
  for (int64_t j = lane; j < b; j += 32)
    mean_terms += math::softmax_grad_mean_term(math::softmax_term(s_of(j), lse.max, inv_t), cot(j));
  const double mean = math::softmax_grad_mean(warp_sum(mean_terms), inv_sum);
  double row_w = 0, row_vs = 0;
  for (int64_t j = lane; j < b; j += 32) {
    const T s = s_of(j);
    const math::ScoreCotangent<T> c =
        math::score_cotangent(p.metric, math::softmax_term(s, lse.max, inv_t), s, lse.max, dot[j],
                              zr, T(p.centre_sq[j]), inv_sum, cot(j), mean, inv_t);
    row_w += c.row_term;
    row_vs += c.vs_term;
    if (ucsq) ucsq[r * b + j] = double(c.u_csq);
    dot[j] = c.u_dot;  // each lane owns its j: reads above precede this write
  }
  row_w = warp_sum(row_w);
  row_vs = warp_sum(row_vs);
  if (lane == 0) {
    zcoef[r] = math::grad_z_row_coef<T>(row_w);
    if (ginv_t)
      atomicAdd(ginv_t,
                math::grad_inv_temperature_row<T>(row_vs, p.inv_temperature) * ginv_t_factor);
  }
}

// out[j] += factor Σ_r a[r, j] (one thread per column: coalesced across the warp).
template <typename T>
__global__ void column_sums(const T* __restrict__ a, int64_t m, int64_t b, double factor,
                            double* __restrict__ out) {
  const int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= b) return;
  double acc = 0;
  for (int64_t r = 0; r < m; ++r) acc += double(a[r * b + j]);
  out[j] += acc * factor;
}

// unit [m, d] = the backward rows of the chunk for cosine (math::backward_row of the rows as
// read and their statistics), one thread per element.
template <typename T>
__global__ void unit_rows_of(Operand<T> z, const T* __restrict__ stat, int64_t m, int64_t d,
                             Metric metric, T* __restrict__ unit) {
  const int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= m * d) return;
  const int64_t i = e / d, k = e % d;
  unit[e] = math::backward_row(metric, z.at(i, k), stat[i]);
}

// grad_z[row0 + i, j] = math::grad_z_value((U C)[i, j], zcoef[i], z[i, j], stat[i]) times
// the row scale (dL/dz = k dL/dz'), z the row as read (relative to the origin, scaled): every
// metric but cosine (unit_rows_grad_z).
template <typename T>
struct GradZ {
  T* out;
  Operand<T> z;
  int64_t d;
  const T* zcoef;
  const T* stat;  // null: the metric needs no row statistic
  Metric metric;
  T factor;  // the row scale (1: unscaled)
  __device__ void operator()(int64_t i, int64_t j, T v) const {
    const T g = math::grad_z_value(metric, v, zcoef[i], z.at(i, j), stat ? stat[i] : T(0));
    out[i * d + j] = factor == T(1) ? g : g * factor;
  }
};

// Cosine: y = U C is in grad_z's rows; one warp per row projects it orthogonally to the unit
// row and divides by the norm (math::grad_z_value with coef = math::unit_row_coef).
template <typename T>
__global__ void unit_rows_grad_z(T* __restrict__ out, const T* __restrict__ unit,
                                 const T* __restrict__ stat, int64_t m, int64_t d, Metric metric) {
  const int lane = threadIdx.x & 31;
  const int64_t r = int64_t(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);
  if (r >= m) return;
  T* y = out + r * d;
  const T* u = unit + r * d;
  double proj = 0;
  for (int64_t k = lane; k < d; k += 32) proj += math::unit_row_coef_term(y[k], u[k]);
  const T coef = math::unit_row_coef<T>(warp_sum(proj));
  for (int64_t k = lane; k < d; k += 32)
    y[k] = math::grad_z_value(metric, y[k], coef, u[k], stat[r]);
}

// grad_centres[i, j] += factor (U^T Z)[i, j], accumulated in float64 across chunks (factor:
// the row scale, dL/dc = k dL/dc').
template <typename T>
struct AddGradCentres {
  double* out;
  int64_t d;
  double factor;
  __device__ void operator()(int64_t i, int64_t j, T v) const {
    atomicAdd(out + i * d + j, double(v) * factor);
  }
};

template <typename T>
void run(const SoftHistGradParams& g) {
  const DeviceGuard device(g.fwd.z.device);
  auto stream = reinterpret_cast<cudaStream_t>(g.fwd.stream);
  ScaledCall<T> scaled;
  scaled_call<T>(g.fwd, stream, scaled);
  const SoftHistParams& p = scaled.p;
  const math::RowScaleGrad back = scaled.grad;
  const T row_scale = static_cast<T>(p.row_scale);
  const int64_t n = p.z.rows, d = p.z.cols, b = p.centres.rows;
  const int64_t chunk = std::min<int64_t>(kChunkRows, n);
  const bool row_norm = math::needs_row_norm(p.metric);
  const bool unit_rows = math::unit_rows(p.metric) && (g.grad_z || g.grad_centres);
  const T* c = p.centres.ptr<T>();
  const T* cached = static_cast<const T*>(g.dots);
  const T* origin = static_cast<const T*>(p.origin);
  {
    Scratch<T> dots(chunk * b, stream), stat(chunk, stream), zcoef(chunk, stream);
    Scratch<double> ucsq(g.grad_centre_sq ? chunk * b : 0, stream);
    Scratch<T> unit(unit_rows ? chunk * d : 0, stream);  // the chunk's unit rows (cosine)
    for (int64_t row0 = 0; row0 < n; row0 += chunk) {
      const int64_t m = std::min(chunk, n - row0);
      if (cached) {  // the forward's dots: copied, as U overwrites them
        check(cudaMemcpyAsync(dots.get(), cached + row0 * b, sizeof(T) * m * b,
                              cudaMemcpyDeviceToDevice, stream),
              "cudaMemcpyAsync(dots)");
        if (row_norm)
          chunk_row_stats<T>(stream, p.z, row0, m, origin, row_scale, p.metric, stat.get());
      } else {
        chunk_dots<T>(stream, p.z, row0, m, origin, row_scale, p.centres, p.metric, dots.get(),
                      row_norm ? stat.get() : nullptr);
      }
      softmax_backward_rows<T>
          <<<unsigned((m + kWarpsPerBlock - 1) / kWarpsPerBlock), 32 * kWarpsPerBlock, 0, stream>>>(
              dots.get(), row_norm ? stat.get() : nullptr, g.grad_hist, p, row0, m, zcoef.get(),
              ucsq.get(), g.grad_inv_temperature, back.inv_temperature);
      check(cudaGetLastError(), "softmax_backward_rows launch");
      const Operand<T> zc = chunk_operand<T>(p.z, row0, origin, row_scale);
      if (unit_rows) {
        unit_rows_of<T><<<unsigned((m * d + 255) / 256), 256, 0, stream>>>(zc, stat.get(), m, d,
                                                                           p.metric, unit.get());
        check(cudaGetLastError(), "unit_rows_of launch");
      }
      // the backward rows R [m, d]
      const Operand<T> rows = unit_rows ? Operand<T>{unit.get(), d, int64_t(1)} : zc;
      const Operand<T> u{dots.get(), b, int64_t(1)};  // U [m, b]
      if (g.grad_z) {
        T* out = static_cast<T*>(g.grad_z) + row0 * d;
        const Operand<T> cs{c, d, int64_t(1)};
        if (unit_rows) {
          launch_gemm(stream, m, d, b, u, cs, Store<T>{out, d});
          unit_rows_grad_z<T>
              <<<unsigned((m + kWarpsPerBlock - 1) / kWarpsPerBlock), 32 * kWarpsPerBlock, 0,
                 stream>>>(out, unit.get(), stat.get(), m, d, p.metric);
          check(cudaGetLastError(), "unit_rows_grad_z launch");
        } else {
          launch_gemm(stream, m, d, b, u, cs,
                      GradZ<T>{out, zc, d, zcoef.get(), row_norm ? stat.get() : nullptr, p.metric,
                               static_cast<T>(back.z)});
        }
      }
      if (g.grad_centres)  // U^T: element (i, k) = U[k, i]
        launch_gemm(stream, b, d, m, Operand<T>{dots.get(), int64_t(1), b}, rows,
                    AddGradCentres<T>{g.grad_centres, d, back.centres});
      if (g.grad_centre_sq) {
        column_sums<double><<<unsigned((b + 255) / 256), 256, 0, stream>>>(
            ucsq.get(), m, b, back.centre_sq, g.grad_centre_sq);
        check(cudaGetLastError(), "column_sums launch");
      }
    }
  }  // scratch freed (stream-ordered) before the synchronisation
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
}

}  // namespace

void soft_histogram_backward(const SoftHistGradParams& g) {
  require_device();
  if (g.fwd.z.dtype == DType::float64)
    run<double>(g);
  else
    run<float>(g);
}

}  // namespace softent::cuda
