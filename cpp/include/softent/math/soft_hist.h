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
// changes only terms of scores closer than that, whose softmax is the argmax limit anyway.
template <typename T>
SOFTENT_HD T softmax_scale(double inv_temperature) {
  const double top = double(std::numeric_limits<T>::max());
  return static_cast<T>(inv_temperature < top ? inv_temperature : top);
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

// Backward, one (row, bin) element: from the softmax term e, the score s, dot, the row's
// statistic (metric.h row_stat), ||c||^2, the row's 1/Σ e, the mass cotangent g and the row
// mean Σ q g: u_dot = u a_dot (a row of U for the GEMMs), u_csq = u a_csq (->
// grad_centre_sq), and the double terms of the row sums Σ u a_row (-> grad_z's coefficient
// of the row vector w) and Σ v s (-> dL/d(1/T), as x = s / T).
template <typename T>
struct ScoreCotangent {
  T u_dot, u_csq;
  double row_term, vs_term;
};

template <typename T>
SOFTENT_HD ScoreCotangent<T> score_cotangent(Metric m, T e, T s, T dot, T stat, T csq,
                                             double inv_sum, double g, double mean, T inv_t) {
  const T v = softmax_grad(e, inv_sum, g, mean);  // dL/dx
  const T u = v * inv_t;                          // dL/ds
  const ScoreGrad<T> sg = score_grad(m, dot, stat, csq);
  return {u * sg.a_dot, u * sg.a_csq, double(u * sg.a_row), double(v) * double(s)};
}

// grad_z[i] = (U C)[i] + coef_i w_i, from the row sum Σ_b u a_row.
template <typename T>
SOFTENT_HD T grad_z_row_coef(double sum_row_terms) {
  return static_cast<T>(sum_row_terms);
}

// One element of grad_z: (U C)[i, k] + coef_i w_ik with w_ik = z_ik * wscale_i
// (metric.h row_vector_scale; z as the kernel read it, relative to the origin).
template <typename T>
SOFTENT_HD T grad_z_value(T uc, T coef, T z, T wscale) {
  return uc + coef * (z * wscale);
}

// The row's contribution to dL/d(1/T): Σ_b v s (no division by 1/T: finite for any T).
SOFTENT_HD double grad_inv_temperature_row(double sum_vs_terms) { return sum_vs_terms; }

}  // namespace softent::math
