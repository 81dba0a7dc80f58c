// Computes: the backward of the soft-bin histograms (ops.h soft_histogram_backward).
// Math: softent/math/soft_hist.h (softmax.h, metric.h); loops: cpu/common/; the row scale:
// cpu/soft_hist_scale.h (the kernels run the scaled call; the gradients are scaled back).
// Runs on: host memory, OpenMP threads over row tiles, one BLAS thread each.
//
// Per tile: the dots (kept by the forward, or a GEMM again) and the row softmax, the per-row
// cotangent from dL/dhist, reduced to grad_z (GEMM U C, then per row metric.h grad_z_value),
// grad_centres (GEMM U^T R, R the backward rows of metric.h: unit rows for cosine; float64
// per thread), grad_centre_sq and grad_inv_temperature; N x B never exists.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "cpu/common/gemm.h"
#include "cpu/common/tile_loop.h"
#include "cpu/common/tile_reader.h"
#include "cpu/soft_hist_scale.h"
#include "softent/math/soft_hist.h"
#include "softent/ops.h"

namespace softent::cpu {
namespace {

// One thread's buffers (allocated once, before its first tile) and partial sums.
template <typename T>
struct BackwardThread {
  BackwardThread(const View2D& z, int64_t tile, int64_t b, bool want_centres, const T* origin,
                 T scale, bool unit_rows)
      : reader(z, tile, origin, scale),
        unit(unit_rows ? tile * z.cols : 0),
        u(tile * b),
        x(b),
        e(b),
        zcoef(tile),
        ucsq(b),
        cot(b),
        gc(want_centres ? b * z.cols : 0, 0.0),
        gc_tile(want_centres ? b * z.cols : 0),
        gcsq(b, 0.0) {}

  TileReader<T> reader;
  std::vector<T> unit;         // cosine: the tile's unit rows (metric.h backward_row) [tile, d]
  std::vector<T> u;            // dots of the tile, overwritten row by row by U = dL/ds * a_dot
  std::vector<T> x, e;         // the current row's scores and softmax terms
  std::vector<T> zcoef, ucsq;  // per tile row: grad_z's row-vector coefficient; per bin: u a_csq
  std::vector<double> cot;     // g_ib of the current row
  std::vector<double> gc;      // this thread's grad_centres [b, d]
  std::vector<T> gc_tile;      // one tile's U^T Z
  std::vector<double> gcsq;    // this thread's grad_centre_sq [b]
  double ginv_t = 0.0;         // this thread's grad_inv_temperature
};

// g.fwd: the scaled call (cpu/soft_hist_scale.h); back: its gradients' factors to the call's.
template <typename T, Metric M>
void run_backward(const SoftHistGradParams& g, const math::RowScaleGrad& back) {
  const SoftHistParams& p = g.fwd;
  const T fz = static_cast<T>(back.z);
  const int64_t n = p.z.rows, d = p.z.cols, b = p.centres.rows;
  const T* centres = p.centres.ptr<T>();
  const T inv_t = math::softmax_scale<T>(p.inv_temperature);
  const int64_t tile = tile_height(p.tile_rows, n, b, d);
  constexpr bool row_norm = math::needs_row_norm(M);
  constexpr bool has_csq = math::needs_centre_norm(M);
  constexpr bool unit_rows = math::unit_rows(M);
  T* grad_z = static_cast<T*>(g.grad_z);
  const T* cached = static_cast<const T*>(g.dots);
  const bool want_c = g.grad_centres != nullptr;
  const bool want_csq = g.grad_centre_sq != nullptr;
  std::vector<T> csq_buf(b);
  for (int64_t j = 0; j < b; ++j) csq_buf[j] = static_cast<T>(p.centre_sq[j]);
  const T* csq = csq_buf.data();
  const T* origin = static_cast<const T*>(p.origin);

  parallel_tiles(
      n, tile, p.num_threads,
      [&] { return BackwardThread<T>(p.z, tile, b, want_c, origin, T(p.row_scale), unit_rows); },
      [&](BackwardThread<T>& th, int64_t i0, int64_t m) {
        th.reader.load(i0, m, M);
        // The backward rows R (metric.h): the rows as read, or (cosine) their unit rows.
        const T* rows = th.reader.rows();
        int64_t ld = th.reader.ld();
        if constexpr (unit_rows) {
          for (int64_t r = 0; r < (grad_z != nullptr || want_c ? m : 0); ++r) {
            const T* zrow = th.reader.rows() + r * th.reader.ld();
            T* urow = th.unit.data() + r * d;
            const T st = th.reader.stat(r);
#pragma omp simd
            for (int64_t k = 0; k < d; ++k) urow[k] = math::backward_row(M, zrow[k], st);
          }
          rows = th.unit.data();
          ld = d;
        }
        // Dots kept by the forward, or recomputed (the GEMM the cache saves).
        if (!cached)
          gemm_abt(m, b, d, th.reader.rows(), th.reader.ld(), centres, d, th.u.data(), b);
        T* x = th.x.data();
        T* e = th.e.data();
        double* cot = th.cot.data();
        for (int64_t r = 0; r < m; ++r) {
          const int64_t i = i0 + r;
          const T* dot = cached ? cached + i * b : th.u.data() + r * b;
          T* u_row = th.u.data() + r * b;  // U overwrites the dots it is computed from
          const T zr = row_norm ? th.reader.stat(r) : T(0);
          const auto s_of = [&](int64_t j) { return math::score(M, dot[j], zr, csq[j]); };
          math::LogSumExp<T> lse = math::lse_init<T>();
          math::lse_push_block(lse, b, s_of, x, e, inv_t);
          const double inv_sum = math::row_softmax_norm(lse, zr).inv_sum;
      // g_ib: the all-rows cotangent plus each label set's row (a gather, in set order).
#pragma omp simd
          for (int64_t j = 0; j < b; ++j) cot[j] = g.grad_hist[j];
          for (int64_t set = 0; set < p.n_sets; ++set) {
            const int32_t slot = p.slots[set * n + i];
            if (slot < 1) continue;
            const double* gs = g.grad_hist + int64_t(slot) * b;
#pragma omp simd
            for (int64_t j = 0; j < b; ++j) cot[j] += gs[j];
          }
          double mean_terms = 0.0;
#pragma omp simd reduction(+ : mean_terms)
          for (int64_t j = 0; j < b; ++j) mean_terms += math::softmax_grad_mean_term(e[j], cot[j]);
          const double mean = math::softmax_grad_mean(mean_terms, inv_sum);
          // One branch-free vectorised pass per row.
          double row_w = 0.0, row_vs = 0.0;
#pragma omp simd reduction(+ : row_w, row_vs)
          for (int64_t j = 0; j < b; ++j) {
            const math::ScoreCotangent<T> c = math::score_cotangent(
                M, e[j], x[j], lse.max, dot[j], zr, csq[j], inv_sum, cot[j], mean, inv_t);
            row_vs += c.vs_term;
            row_w += c.row_term;
            if constexpr (has_csq) th.ucsq[j] = c.u_csq;
            u_row[j] = c.u_dot;
          }
          th.ginv_t += math::grad_inv_temperature_row<T>(row_vs, p.inv_temperature);
          if constexpr (has_csq) {
            if (want_csq) {
#pragma omp simd
              for (int64_t j = 0; j < b; ++j) th.gcsq[j] += double(th.ucsq[j]);
            }
          }
          th.zcoef[r] = math::grad_z_row_coef<T>(row_w);
        }

        if (grad_z != nullptr) {
          // grad_z rows: y = U C, then y + coef r (/ ||z|| for cosine, coef = -<y, r>)
          T* out = grad_z + i0 * d;
          gemm_ab(false, m, d, b, T(1), th.u.data(), b, centres, d, T(0), out, d);
          if (row_norm) {
            for (int64_t r = 0; r < m; ++r) {
              const T* rrow = rows + r * ld;
              T* y = out + r * d;
              T f = th.zcoef[r];
              if constexpr (unit_rows) {
                double proj = 0.0;
#pragma omp simd reduction(+ : proj)
                for (int64_t k = 0; k < d; ++k) proj += math::unit_row_coef_term(y[k], rrow[k]);
                f = math::unit_row_coef<T>(proj);
              }
              const T st = th.reader.stat(r);
#pragma omp simd
              for (int64_t k = 0; k < d; ++k) y[k] = math::grad_z_value(M, y[k], f, rrow[k], st);
            }
          }
          if (fz != T(1)) {  // dL/dz = k dL/dz' (a scaled call)
#pragma omp simd
            for (int64_t k = 0; k < m * d; ++k) out[k] *= fz;
          }
        }
        if (want_c) {
          // T BLAS per tile, float64 across tiles: the sum over N stays accurate.
          gemm_ab(true, b, d, m, T(1), th.u.data(), b, rows, ld, T(0), th.gc_tile.data(), d);
#pragma omp simd
          for (int64_t k = 0; k < b * d; ++k) th.gc[k] += double(th.gc_tile[k]);
        }
      },
      [&](BackwardThread<T>& th) {
        if (want_c)
          for (int64_t k = 0; k < b * d; ++k) g.grad_centres[k] += th.gc[k] * back.centres;
        if (want_csq)
          for (int64_t j = 0; j < b; ++j) g.grad_centre_sq[j] += th.gcsq[j] * back.centre_sq;
        if (g.grad_inv_temperature != nullptr)
          *g.grad_inv_temperature += th.ginv_t * back.inv_temperature;
      });
}

}  // namespace

void soft_histogram_backward(const SoftHistGradParams& g) {
  with_metric(g.fwd.metric, [&](auto metric) {
    constexpr Metric M = decltype(metric)::value;
    SoftHistGradParams scaled = g;
    if (g.fwd.z.dtype == DType::float64) {
      const ScaledCall<double> s = scaled_call<double>(g.fwd);
      scaled.fwd = s.p;
      run_backward<double, M>(scaled, s.grad);
    } else {
      const ScaledCall<float> s = scaled_call<float>(g.fwd);
      scaled.fwd = s.p;
      run_backward<float, M>(scaled, s.grad);
    }
    return 0;
  });
}

}  // namespace softent::cpu
