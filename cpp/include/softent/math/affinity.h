// The per-pair math of the spectral affinities (params/spectral.h), shared by the CPU tiles
// (cpu/affinity.cpp) and the CUDA kernels (cuda/affinity.cu): squared distances from GEMM
// dots with their rounding bound, the exact squared distance, and the kernel values.
#pragma once

#include <cmath>
#include <cstdint>

#include "softent/hd.h"

namespace softent::math {

// ||a - b||^2 from the squared norms and the dot of (centred) rows, clamped at 0: the GEMM's
// rounding can take a tiny true value below 0.
SOFTENT_HD double sq_distance_from_dot(double norm_a, double norm_b, double dot) {
  const double v = norm_a + norm_b - 2.0 * dot;
  return v > 0.0 ? v : 0.0;
}

// A bound on the rounding error of sq_distance_from_dot when the dot was summed in a type of
// unit roundoff `unit` over d terms (|error| <= ~d u (|a|^2 + |b|^2), Higham 2002 §3.1): a
// value below it may be 0 or a tiny distance and is measured exactly instead.
SOFTENT_HD double sq_distance_bound(double norm_a, double norm_b, int64_t d, double unit) {
  return 2.0 * (double(d) + 2.0) * unit * (norm_a + norm_b);
}

// The exact squared distance in float64 of two rows as stored (a(k), b(k) read element k).
template <typename A, typename B>
SOFTENT_HD double exact_sq_distance(int64_t d, A&& a, B&& b) {
  double s = 0.0;
  for (int64_t k = 0; k < d; ++k) {
    const double diff = double(a(k)) - double(b(k));
    s += diff * diff;
  }
  return s;
}

// exp(-d2 / (2 sigma^2)) given inv_two_sigma_sq = 1 / (2 sigma^2); 1 at d2 = 0.
SOFTENT_HD double gaussian_affinity(double d2, double inv_two_sigma_sq) {
  return d2 <= 0.0 ? 1.0 : std::exp(-d2 * inv_two_sigma_sq);
}

// exp(-d2 / (2 sigma_i sigma_j)); 1 at d2 = 0 (identical rows, whatever their bandwidths),
// 0 when d2 > 0 and a bandwidth is 0 (a row with duplicates within its k-th neighbour sees
// only its duplicates).
SOFTENT_HD double self_tuning_affinity(double d2, double sigma_i, double sigma_j) {
  if (d2 <= 0.0) return 1.0;
  const double den = 2.0 * sigma_i * sigma_j;
  return den > 0.0 ? std::exp(-d2 / den) : 0.0;
}

}  // namespace softent::math
