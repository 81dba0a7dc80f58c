// Scores of a row z against a bin centre c from their dot product (the kernels get <z, c>
// from a GEMM), the per-row statistic each score needs (scale-safe), and the scores'
// derivatives for the backward kernels. Shared by every estimator that compares rows with
// centres or with each other (soft bins; kNN next).
#pragma once

#include <cmath>
#include <cstdint>

#include "softent/hd.h"

namespace softent {

// Codes match METRIC_CODES in python/softent/histogram.py.
enum class Metric : int32_t {
  euclidean = 0,    // -||z - c||          (unsquared: what nam-entropy computes)
  sqeuclidean = 1,  // -||z - c||^2
  cosine = 2,       // <z/||z||, c/||c||>  (centres arrive already unit-normalised)
  dot = 3,          // <z, c>
};

namespace math {

// True when the score needs a per-row statistic of z (row_stat).
SOFTENT_HD constexpr bool needs_row_norm(Metric m) {
  return m == Metric::euclidean || m == Metric::cosine;
}

// True when the score depends on ||c||^2 (so a gradient flows to it).
SOFTENT_HD constexpr bool needs_centre_norm(Metric m) {
  return m == Metric::euclidean || m == Metric::sqeuclidean;
}

// True when the score depends only on z - c: the kernels may then read rows and centres
// relative to a common origin (SoftHistParams::origin). Without it, ||z||^2 - 2<z,c> +
// ||c||^2 cancels catastrophically for data far from 0 (float32 data at 1e4 with D = 16
// lost every digit).
SOFTENT_HD constexpr bool translation_invariant(Metric m) {
  return m == Metric::euclidean || m == Metric::sqeuclidean;
}

// ||z||^2 of a row = scale^2 * sumsq, held apart so that neither tiny nor huge rows under-
// or overflow (||z|| = scale * sqrt(sumsq)).
struct RowNorm {
  double scale, sumsq;
};

// The squared norm of the row z_of(k), k < d, from its plain double sum of squares `acc`
// (the caller's vectorised loop). A float32 row can neither underflow nor overflow there
// (its squares lie in [1e-90, 1e77]); a float64 row whose plain sum left [1e-280, 1e280]
// (rows ~1e-170 underflow to 0: cosine is scale-invariant and must not treat them as zero
// rows) is summed again scaled by its largest |z_k| — a second pass only on that rare path.
// A row with NaN/Inf gets a NaN or Inf sumsq.
template <typename ZOf>
SOFTENT_HD RowNorm row_norm_from_sum(double acc, int64_t d, ZOf&& z_of) {
  if (acc >= 1e-280 && acc <= 1e280) return {1.0, acc};
  double mx = 0.0;
  for (int64_t k = 0; k < d; ++k) {
    const double a = std::fabs(double(z_of(k)));
    mx = (a > mx || a != a) ? a : mx;  // NaN wins: the row stays non-finite
  }
  if (!(mx > 0.0) || !std::isfinite(mx)) return {1.0, mx == 0.0 ? 0.0 : acc};
  double s = 0.0;
  for (int64_t k = 0; k < d; ++k) {
    const double v = double(z_of(k)) / mx;
    s += v * v;
  }
  return {mx, s};
}

// row_norm_from_sum of the row's plain double sum of squares (the CUDA skeleton: one
// thread per row).
template <typename ZOf>
SOFTENT_HD RowNorm row_norm(int64_t d, ZOf&& z_of) {
  double acc = 0.0;
  for (int64_t k = 0; k < d; ++k) {
    const double v = double(z_of(k));
    acc += v * v;
  }
  return row_norm_from_sum(acc, d, z_of);
}

// The per-row value a score needs, in the kernel's type T: ||z|| for cosine (a float32 row
// of ~1e-23 or ~1e20 has a representable norm though not a representable squared norm),
// ||z||^2 for euclidean (where, read relative to the centres' origin, it is of the data's
// spread), 0 for the metrics that need none.
template <typename T>
SOFTENT_HD T row_stat(Metric m, RowNorm n) {
  if (m == Metric::cosine) return static_cast<T>(n.scale * std::sqrt(n.sumsq));
  if (m == Metric::euclidean) return static_cast<T>(n.scale * n.scale * n.sumsq);
  return T(0);
}

// Score s(z, c) given dot = <z, c>, the row's statistic (row_stat) and csq = ||c||^2.
// sqeuclidean drops the row constant -||z||^2, which the softmax over bins cancels
// exactly; this avoids the cancellation of ||z||^2 - 2<z,c> + ||c||^2 in float.
template <typename T>
SOFTENT_HD T score(Metric m, T dot, T stat, T csq) {
  switch (m) {
    case Metric::euclidean: {
      // clamp rounding below 0, but let NaN through (it marks a non-finite row)
      const T d2 = stat - T(2) * dot + csq;
      return -std::sqrt(d2 < T(0) ? T(0) : d2);
    }
    case Metric::sqeuclidean:
      return T(2) * dot - csq;
    case Metric::cosine:
      // zero rows have no direction: every bin scores 0 (a uniform assignment), as
      // torch.nn.functional.normalize (used by the peers) does.
      return stat == T(0) ? T(0) : dot / stat;
    case Metric::dot:
    default:
      return dot;
  }
}

// The backward reads each row through a "backward row" r_i, one value per feature
// (backward_row): z_i as read for every metric but cosine, whose backward reads the unit
// row z_i/||z_i||. With U_ib = dL/ds_ib * a_dot (ScoreGrad), y_i = (U C)_i and the row sum
// coef_i = Σ_b dL/ds_ib * a_row:
//   grad_centres_b = Σ_i U_ib r_i (+ grad_centre_sq from a_csq),
//   grad_z_i       = grad_z_value(y_i, coef_i, r_i, ||z_i||).
// Cosine: s = <r, c>, ds/dc = r and ds/dz = (c - s r) / ||z|| = P_r c / ||z|| (P_r the
// projection orthogonal to r), so a_dot = 1 and grad_z_i = (y_i - <y_i, r_i> r_i) / ||z_i||:
// the projection is taken from y itself after the GEMM (coef_i = -<y_i, r_i>,
// unit_row_coef), and the 1/||z|| comes last, as a division. Then
//   - a row whose norm is subnormal (1/||z|| overflows) or a tiny temperature (dL/ds ~ 1/T)
//     never multiplies a huge factor by a zero: no 0 * inf = NaN, and a component whose true
//     value overflows comes out ±inf, its rounded value;
//   - for D = 1 (every score is ±1, the true gradient is 0) y - <y, r> r is exactly 0,
//     however large y is: the rounding of Σ_b u_b (c_b - s_b r) is not amplified by 1/T.
template <typename T>
struct ScoreGrad {
  T a_dot, a_row, a_csq;
};

// True when the backward reads unit rows (backward_row) and projects grad_z after the GEMM.
SOFTENT_HD constexpr bool unit_rows(Metric m) { return m == Metric::cosine; }

// One element of the backward row r_i from z_ik (as read) and the row's statistic: z_ik /
// ||z_i|| for cosine (a division, exact to rounding whatever the row's scale: a row of
// subnormal values has a representable unit vector though no representable 1/||z||; 0 for a
// zero row), else z_ik.
template <typename T>
SOFTENT_HD T backward_row(Metric m, T z, T stat) {
  if (unit_rows(m)) return stat > T(0) ? z / stat : T(0);
  return z;
}

template <typename T>
SOFTENT_HD ScoreGrad<T> score_grad(Metric m, T dot, T stat, T csq) {
  switch (m) {
    case Metric::euclidean: {
      // s = -sqrt(d2): ds/dz = (c - z) / sqrt(d2), ds/dcsq = -0.5 / sqrt(d2)
      const T d2 = stat - T(2) * dot + csq;
      if (!(d2 > T(0))) return {T(0), T(0), T(0)};  // subgradient 0 at z == c
      const T inv = T(1) / std::sqrt(d2);
      return {inv, -inv, T(-0.5) * inv};
    }
    case Metric::sqeuclidean:
      return {T(2), T(0), T(-1)};
    case Metric::cosine:
      // in unit rows (above): ds/dc = r; the row's part is the projection after the GEMM.
      // A zero row scores 0 everywhere: gradient 0 (as torch's normalize).
      return {stat > T(0) ? T(1) : T(0), T(0), T(0)};
    case Metric::dot:
    default:
      return {T(1), T(0), T(0)};
  }
}

// Cosine's coef_i = -<y_i, r_i> is a double sum over the features of these terms.
template <typename T>
SOFTENT_HD double unit_row_coef_term(T y, T r) {
  return double(y) * double(r);
}

template <typename T>
SOFTENT_HD T unit_row_coef(double sum_terms) {
  return static_cast<T>(-sum_terms);
}

// One element of grad_z: y_ik + coef_i r_ik, divided by ||z_i|| for cosine (0 for a zero
// row; a division, so a true 0 stays 0 and an overflow is ±inf, never NaN).
template <typename T>
SOFTENT_HD T grad_z_value(Metric m, T y, T coef, T r, T stat) {
  const T g = y + coef * r;
  if (unit_rows(m)) return stat > T(0) ? g / stat : T(0);
  return g;
}

}  // namespace math
}  // namespace softent
