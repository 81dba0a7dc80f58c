// Backward of the fused soft-bin histogram on the CPU: per tile, recompute the scores
// (GEMM) and the row softmax, form the per-row cotangent from dL/dhist, and reduce it to
// grad_z (GEMM U C), grad_centres (GEMM U^T Z, per-thread float64), grad_centre_sq and
// grad_inv_temperature, never storing N x B. Math: softent/math/soft_bin.h (score,
// score_grad). Device: host memory, OpenMP threads, one BLAS thread each.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/tiles.h"
#include "softent/cpu_gemm.h"
#include "softent/problem.h"

namespace softent::cpu {
namespace {

template <typename T, Metric M>
void run_backward(const HistGradProblem& g) {
  const HistProblem& p = g.fwd;
  const int64_t n = p.n, d = p.d, b = p.b;
  const T* centres = static_cast<const T*>(p.centres);
  const T inv_t = static_cast<T>(p.inv_temperature);
  const int64_t tile = p.tile_rows > 0 ? p.tile_rows : auto_tile_rows(b, d);
  const int64_t n_tiles = (n + tile - 1) / tile;
  constexpr bool row_norm = math::needs_row_norm(M);
  T* grad_z = static_cast<T*>(g.grad_z);
  const T* cached = static_cast<const T*>(g.dots);
  const bool want_c = g.grad_centres != nullptr;
  const bool want_csq = g.grad_centre_sq != nullptr;
  // Only the (squared) Euclidean scores depend on ||c||^2.
  constexpr bool has_csq = M == Metric::euclidean || M == Metric::sqeuclidean;

  std::vector<T> csq(b);
  for (int64_t j = 0; j < b; ++j) csq[j] = static_cast<T>(p.centre_sq[j]);
  const int nt = thread_count(p.num_threads, n_tiles);

#pragma omp parallel num_threads(nt)
  {
    TileReader<T> reader(p, tile);
    // dots, then (in place) U = dL/ds * a_dot; x = scaled scores; e = exp(x - max).
    std::vector<T> dots(tile * b), x(b), e(b), row_zcoef(tile), ucsq(b);
    std::vector<double> cot(b);                       // g_ib of the current row
    std::vector<double> gc(want_c ? b * d : 0, 0.0);  // this thread's grad_centres
    std::vector<T> gc_tile(want_c ? b * d : 0);
    std::vector<double> gcsq(b, 0.0);
    double ginv_t = 0.0;

#pragma omp for schedule(dynamic, 1)
    for (int64_t t = 0; t < n_tiles; ++t) {
      const int64_t i0 = t * tile, m = std::min(tile, n - i0);
      reader.load(i0, m, row_norm);
      // Dots kept by the forward, or recomputed (the GEMM the cache saves).
      if (!cached) gemm_abt(m, b, d, reader.rows(), reader.ld(), centres, d, dots.data(), b);

      for (int64_t r = 0; r < m; ++r) {
        const int64_t i = i0 + r;
        const T* dot = cached ? cached + i * b : dots.data() + r * b;
        T* u_row = dots.data() + r * b;  // U overwrites the dots it was computed from
        const T zr = row_norm ? reader.zsq(r) : T(0);
        const T sum = softmax_row<T, M>(dot, e.data(), x.data(), b, zr, csq.data(), inv_t);
        const double inv_sum = 1.0 / double(sum);
        // g_ib: the all-rows cotangent plus each label set's row.
        const double* g0 = g.grad_hist;
#pragma omp simd
        for (int64_t j = 0; j < b; ++j) cot[j] = g0[j];
        for (int64_t set = 0; set < p.n_sets; ++set) {
          const int32_t slot = p.slots[set * n + i];
          if (slot < 1) continue;
          const double* gs = g.grad_hist + int64_t(slot) * b;
#pragma omp simd
          for (int64_t j = 0; j < b; ++j) cot[j] += gs[j];
        }
        double mean = 0.0;  // Σ_b q_b g_b
#pragma omp simd reduction(+ : mean)
        for (int64_t j = 0; j < b; ++j) mean += double(e[j]) * cot[j];
        mean *= inv_sum;
        // One branch-free pass (vectorised): the cotangent's difference in double, the
        // rest in T; reductions in double.
        double row_zsq = 0.0, row_vx = 0.0;
#pragma omp simd reduction(+ : row_zsq, row_vx)
        for (int64_t j = 0; j < b; ++j) {
          const T v = static_cast<T>(double(e[j]) * inv_sum * (cot[j] - mean));  // dL/dx
          row_vx += double(v * x[j]);  // Σ v s = Σ v x / inv_t
          const T u = v * inv_t;       // dL/ds
          const auto sg = math::score_grad(M, dot[j], zr, csq[j]);
          row_zsq += double(u * sg.a_zsq);
          if constexpr (has_csq) ucsq[j] = u * sg.a_csq;
          u_row[j] = u * sg.a_dot;
        }
        ginv_t += row_vx / double(inv_t);
        if constexpr (has_csq) {
          if (want_csq) {
#pragma omp simd
            for (int64_t j = 0; j < b; ++j) gcsq[j] += double(ucsq[j]);
          }
        }
        row_zcoef[r] = static_cast<T>(2.0 * row_zsq);
      }

      if (grad_z != nullptr) {
        // grad_z rows = U C + 2 (Σ_b u a_zsq) z
        T* out = grad_z + i0 * d;
        gemm_ab(false, m, d, b, T(1), dots.data(), b, centres, d, T(0), out, d);
        if (row_norm) {
          for (int64_t r = 0; r < m; ++r) {
            const T* zrow = reader.rows() + r * reader.ld();
            const T f = row_zcoef[r];
#pragma omp simd
            for (int64_t k = 0; k < d; ++k) out[r * d + k] += f * zrow[k];
          }
        }
      }
      if (want_c) {
        // float32 BLAS per tile, float64 across tiles: the sum over N stays accurate.
        gemm_ab(true, b, d, m, T(1), dots.data(), b, reader.rows(), reader.ld(), T(0),
                gc_tile.data(), d);
#pragma omp simd
        for (int64_t k = 0; k < b * d; ++k) gc[k] += double(gc_tile[k]);
      }
    }

#pragma omp critical(softent_hist_backward_reduce)
    {
      if (want_c)
        for (int64_t k = 0; k < b * d; ++k) g.grad_centres[k] += gc[k];
      if (g.grad_centre_sq != nullptr)
        for (int64_t j = 0; j < b; ++j) g.grad_centre_sq[j] += gcsq[j];
      if (g.grad_inv_temperature != nullptr) *g.grad_inv_temperature += ginv_t;
    }
  }
}

}  // namespace

void soft_histogram_backward(const HistGradProblem& g) {
  with_metric(g.fwd.metric, [&](auto metric) {
    constexpr Metric M = decltype(metric)::value;
    if (g.fwd.dtype == DType::float64)
      run_backward<double, M>(g);
    else
      run_backward<float, M>(g);
    return 0;
  });
}

}  // namespace softent::cpu
