// The soft-histogram estimator's per-row math, shared by src/cpu/soft_hist*.cpp and
// src/cuda/soft_hist*.cu: scaled scores, the row softmax's normaliser and masses, the
// bootstrap weight of a histogram block, and the per-element cotangent of the backward.
// Precision: the policy written in math/softmax.h.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "softent/hd.h"
#include "softent/math/bootstrap.h"
#include "softent/math/metric.h"
#include "softent/math/softmax.h"
#include "softent/params/soft.h"

namespace softent::math {

// 1/T in the kernel's type: the scale of the softmax's exp arguments (s - max) / T
// (softmax.h). Clamped to T's largest finite value, so that a float32 1/T beyond 3.4e38
// (T < 2.9e-39) is no inf whose 0 * inf at the max would be NaN: (s - max) * 3.4e38 is below
// -87 (an exp of 0 in float32) for every score difference above 2.6e-37, so the clamp
// changes only terms of scores closer than that (rows of scores below ~1e-36: the softmax is
// then the one at T = 1/3.4e38, not the argmax limit of the T asked for), and the gradient
// follows the clamp (grad_inv_temperature_row: 0 w.r.t. T beyond it).
template <typename T>
SOFTENT_HD T softmax_scale(double inv_temperature) {
  const double top = double(std::numeric_limits<T>::max());
  return static_cast<T>(inv_temperature < top ? inv_temperature : top);
}

// ---- the row scale (SoftHistParams::row_scale) ------------------------------------------
// The Euclidean metrics form -||z - c|| (sqeuclidean 2<z, c> - ||c||^2) from dots and squared
// norms in the data's type. Rows and centres of spread S (the largest |z_ik - origin_k| or
// |c_bk|) have squares ~S^2: float32 data of spread ~1e-19 reaches float32's subnormals and
// at ~1e-23 vanishes (H silently wrong, the backward's 1/sqrt(d2) inf), spreads ~1e19
// overflow. The op then reads rows and centres multiplied by k = 2^e (exact in binary
// floating point: a power of two changes only the exponent) with S k in [1, 2), and 1/T
// divided by k^p, p the score's power of the scale below: every softmax argument s/T is the
// one asked for, and the gradients follow by the chain rule (row_scale_grad_factors).

// The power of the data's scale in the score: euclidean scores scale as k, sqeuclidean as k^2.
SOFTENT_HD constexpr int score_power(Metric m) { return m == Metric::sqeuclidean ? 2 : 1; }

// True when a call of spread S needs no row scale: S in [2^-L, 2^L] (L = 50 for float32,
// whose squares then stay 8 orders of magnitude inside its range, with room for D ~ 2^27
// features; 400 for float64), S = 0 (every centre at the origin: all scores equal) or S not
// finite (the kernels report the row).
template <typename T>
SOFTENT_HD bool spread_needs_no_scale(double spread) {
  constexpr int L = sizeof(T) == 4 ? 50 : 400;
  const double lo = std::ldexp(1.0, -L), hi = std::ldexp(1.0, L);
  return !(spread > 0.0) || !(spread <= std::numeric_limits<double>::max()) ||
         (spread >= lo && spread <= hi);
}

// The exponent e of k = 2^e for a call of spread S (one that spread_needs_no_scale refuses):
// S k in [1, 2), with |e| <= 126 (float32: k a normal float32) or 511 (float64: k^2 a finite
// double, for the gradient of ||c||^2). Scaling up (e > 0) is held where 1/T' (1/T) S'^(p-1)
// = (1/T) S^(p-1) / k would leave T's normal range: that is the size of the backward's
// dL/dz' (dL/ds' = dL/dx / T' times ds'/dz' ~ S'^(p-1)), which would otherwise flush to 0;
// such a call's softmax arguments are ~S^p / T, far below 1 (an almost uniform softmax).
template <typename T>
SOFTENT_HD int row_scale_exponent(Metric m, double spread, double inv_temperature) {
  int xs = 0, xt = 0;
  std::frexp(spread, &xs);  // S in [2^(xs - 1), 2^xs)
  std::frexp(inv_temperature, &xt);
  constexpr int cap = sizeof(T) == 4 ? 126 : 511;
  int e = 1 - xs;
  e = e > cap ? cap : (e < -cap ? -cap : e);
  if (e > 0) {
    const int p = score_power(m);
    // log2 of (1/T) S^(p-1) / k is at least (xt - 1) + (p - 1)(xs - 1) - e
    const int room = (xt - 1) + (p - 1) * (xs - 1) - (std::numeric_limits<T>::min_exponent - 1);
    e = e < room ? e : (room > 0 ? room : 0);
  }
  return e;
}

// 1/T' = (1/T) / k^p for k = 2^e (exact but where it leaves float64's range: held at its
// largest value, where math::softmax_scale clamps it anyway).
SOFTENT_HD double scaled_inv_temperature(Metric m, double inv_temperature, int e) {
  const double v = std::ldexp(inv_temperature, -score_power(m) * e);
  return v <= std::numeric_limits<double>::max() ? v : std::numeric_limits<double>::max();
}

// The factors that turn the gradients of the scaled call (rows z' = (z - origin) k, centres
// c' = c k, ||c'||^2 = k^2 ||c||^2, 1/T' = (1/T) k^-p) into those of the call asked for:
// dL/dz = k dL/dz', dL/dc = k dL/dc', dL/d||c||^2 = k^2 dL/d||c'||^2, dL/d(1/T) = k^-p
// dL/d(1/T'). Powers of two: exact where the results are in range.
struct RowScaleGrad {
  double z, centres, centre_sq, inv_temperature;
};

SOFTENT_HD RowScaleGrad row_scale_grad_factors(Metric m, double k) {
  return {k, k, k * k, score_power(m) == 2 ? 1.0 / (k * k) : 1.0 / k};
}

// The row's normaliser; a row with NaN/Inf in z (so in its scores or its statistic) or
// whose scores overflow is not finite and gets inv_sum = NaN: the forward reports it, a
// backward reached anyway gives NaN, never silent numbers.
template <typename T>
SOFTENT_HD SoftmaxNorm row_softmax_norm(LogSumExp<T> s, T stat) {
  SoftmaxNorm norm = lse_finalize(s);
  norm.finite = norm.finite && std::isfinite(double(stat));
  if (!norm.finite) norm.inv_sum = std::numeric_limits<double>::quiet_NaN();
  return norm;
}

// The float64 mass that softmax term e adds to a histogram; scale = inv_sum * block weight.
template <typename T>
SOFTENT_HD double mass(T e, double scale) {
  return double(e) * scale;
}

// The scale of a row's softmax terms in a histogram block: 1/Σ e times the block weight.
SOFTENT_HD double block_scale(double inv_sum, int weight) { return inv_sum * weight; }

// Weight of row i of the call in histogram block `block`: 1 in block 0 (the plain
// histograms), its Poisson(1) bootstrap weight in replicate block >= 1, so CPU and GPU draw
// identical resamples.
SOFTENT_HD int block_weight(const SoftHistParams& p, int64_t i, int64_t block) {
  if (block == 0) return 1;
  return poisson1_weight(p.replicate_seed, uint64_t(p.row_offset + i),
                         uint64_t(p.replicate_offset + block - 1));
}

// Backward: the cotangent of row i's mass in bin j, g_ij = G[0, j] + Σ_s G[slot_s, j] over
// the label sets in order (slot_of(s) < 1: row i is masked in set s).
template <typename SlotOf>
SOFTENT_HD double mass_cotangent(const double* grad_hist, int64_t b, int64_t j, int64_t n_sets,
                                 SlotOf&& slot_of) {
  double g = grad_hist[j];
  for (int64_t set = 0; set < n_sets; ++set) {
    const int32_t slot = slot_of(set);
    if (slot >= 1) g += grad_hist[int64_t(slot) * b + j];
  }
  return g;
}

// Backward, one (row, bin) element: from the softmax term e, the score s, the row's largest
// score s_max, dot, the row's statistic (metric.h row_stat), ||c||^2, the row's 1/Σ e, the
// mass cotangent g and the row mean Σ q g: u_dot = u a_dot (a row of U for the GEMMs), u_csq
// = u a_csq (-> grad_centre_sq), and the double terms of the row sums Σ u a_row (-> grad_z's
// coefficient of the backward row, metric.h) and Σ v (s - s_max) (-> dL/d(1/T)).
//
// dL/d(1/T) = Σ v s with x = s / T; as Σ v = 0 (the softmax is shift-invariant) it is also
// Σ v (s - s_max), the form used: at a saturated softmax (tiny T) every bin with a non-zero
// v ties with the max, so each term is exactly 0 and dL/dT = -(dL/d(1/T)) / T^2 is 0, its
// true value, where Σ v s left the ~1e-17 rounding of Σ v times s_max to be multiplied by
// 1/T^2 (±inf). For other T the two are equal to rounding (this one is the more accurate:
// it does not add s_max Σ v).
template <typename T>
struct ScoreCotangent {
  T u_dot, u_csq;
  double row_term, vs_term;
};

template <typename T>
SOFTENT_HD ScoreCotangent<T> score_cotangent(Metric m, T e, T s, T s_max, T dot, T stat, T csq,
                                             double inv_sum, double g, double mean, T inv_t) {
  const T v = softmax_grad(e, inv_sum, g, mean);  // dL/dx
  const T u = v * inv_t;                          // dL/ds
  const ScoreGrad<T> sg = score_grad(m, dot, stat, csq);
  // s - s_max: exact for scores within a factor 2 of each other (Sterbenz), 0 at ties
  return {u * sg.a_dot, u * sg.a_csq, double(u * sg.a_row), double(v) * double(s - s_max)};
}

// grad_z[i] = grad_z_value(y_i, coef_i, r_i, stat_i) (metric.h) with coef_i the row sum
// Σ_b u a_row (every metric but cosine, whose coefficient is unit_row_coef).
template <typename T>
SOFTENT_HD T grad_z_row_coef(double sum_row_terms) {
  return static_cast<T>(sum_row_terms);
}

// The row's contribution to dL/d(1/T): Σ_b v (s - s_max) (no division by 1/T: finite for
// any T), times the derivative of softmax_scale's clamp: where 1/T exceeds T's largest
// value the kernels computed the softmax at that largest value whatever T was, so the
// function computed does not depend on T there and its derivative is 0 (also the true
// value's limit: a softmax that saturated is constant in T). Without it a float32 row of
// scores ~1e-40 (unsaturated at the clamped scale) gave dL/dT = -(~1e-41)/T^2 = ±inf.
template <typename T>
SOFTENT_HD double grad_inv_temperature_row(double sum_vs_terms, double inv_temperature) {
  return inv_temperature < double(std::numeric_limits<T>::max()) ? sum_vs_terms : 0.0;
}

}  // namespace softent::math
