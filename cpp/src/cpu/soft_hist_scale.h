// Computes: the row scale of a soft-histogram call (SoftHistParams::row_scale) and the call the
// kernels then run (scaled centres, their squared norms, 1/T). Math: softent/math/soft_hist.h.
// Runs on: host memory; OpenMP threads for the rare scan of the rows.
//
// Cost: ordinary data pays one pass over the B x D centres. Only when the centres' spread is
// outside math::spread_needs_no_scale (tiny or huge data, or all centres nearly equal) are
// the rows scanned once for their spread; only when that is outside it too are the centres
// copied scaled (B x D). The rows are never copied: the tile readers scale them as they load.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "cpu/common/tile_loop.h"
#include "softent/math/soft_hist.h"
#include "softent/params/soft.h"

namespace softent::cpu {

// The call the kernels run, and the buffers it points into (alive as long as this object).
template <typename T>
struct ScaledCall {
  SoftHistParams p;
  std::vector<T> centres;                       // k c [b, d] (k != 1 only)
  std::vector<double> centre_sq;                // ||k c_b||^2 [b] (k != 1 only)
  math::RowScaleGrad grad{1.0, 1.0, 1.0, 1.0};  // the gradients' factors back to the call
};

// max |v| over a contiguous [count] array, or NaN when any value is NaN or infinite.
template <typename T>
double max_abs(const T* v, int64_t count) {
  double mx = 0.0;
  bool bad = false;
  for (int64_t k = 0; k < count; ++k) {
    const double a = std::fabs(double(v[k]));
    bad = bad || !(a <= std::numeric_limits<double>::max());
    mx = a > mx ? a : mx;
  }
  return bad ? std::numeric_limits<double>::quiet_NaN() : mx;
}

// max |z_ik - origin_k| over the rows of z as the kernels read them (in T), or NaN when any
// is NaN or infinite.
template <typename T>
double rows_spread(const View2D& z, const T* origin, int num_threads) {
  const int64_t n = z.rows, d = z.cols;
  const T* base = z.ptr<T>();
  double mx = 0.0;
  int bad = 0;
  const int nt = thread_count(num_threads, n);
#pragma omp parallel for num_threads(nt) schedule(static) reduction(max : mx) reduction(| : bad)
  for (int64_t i = 0; i < n; ++i) {
    const T* row = base + i * z.stride_row;
    for (int64_t k = 0; k < d; ++k) {
      const T v = origin ? T(row[k * z.stride_col] - origin[k]) : row[k * z.stride_col];
      const double a = std::fabs(double(v));
      bad |= !(a <= std::numeric_limits<double>::max());
      mx = a > mx ? a : mx;
    }
  }
  return bad ? std::numeric_limits<double>::quiet_NaN() : mx;
}

// The call to run for p: p itself (k = 1) unless the metric is translation-invariant and
// both the centres' spread and then the rows' are outside math::spread_needs_no_scale.
template <typename T>
ScaledCall<T> scaled_call(const SoftHistParams& p) {
  ScaledCall<T> s{p, {}, {}};
  s.p.row_scale = 1.0;
  const int64_t b = p.centres.rows, d = p.centres.cols;
  // one bin: its softmax is 1 whatever the score (and the gradients 0)
  if (!math::translation_invariant(p.metric) || b < 2) return s;
  const T* c = p.centres.ptr<T>();
  double spread = max_abs(c, b * d);
  if (math::spread_needs_no_scale<T>(spread)) return s;
  const double rows = rows_spread<T>(p.z, static_cast<const T*>(p.origin), p.num_threads);
  spread = rows > spread || rows != rows ? rows : spread;
  if (math::spread_needs_no_scale<T>(spread)) return s;
  const int e = math::row_scale_exponent<T>(p.metric, spread, p.inv_temperature);
  if (e == 0) return s;
  const double k = std::ldexp(1.0, e);
  s.centres.resize(b * d);
  s.centre_sq.assign(b, 0.0);
  for (int64_t j = 0; j < b; ++j)
    for (int64_t f = 0; f < d; ++f) {
      const T v = static_cast<T>(c[j * d + f] * T(k));
      s.centres[j * d + f] = v;
      s.centre_sq[j] += double(v) * double(v);
    }
  s.p.centres.data = s.centres.data();
  s.p.centre_sq = s.centre_sq.data();
  s.p.inv_temperature = math::scaled_inv_temperature(p.metric, p.inv_temperature, e);
  s.p.row_scale = k;
  s.grad = math::row_scale_grad_factors(p.metric, k);
  return s;
}

}  // namespace softent::cpu
