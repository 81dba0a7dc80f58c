// Scores of a row z against a bin centre c from their dot product (the kernels get <z, c>
// from a GEMM), and the scores' derivatives for the backward kernels. Shared by every
// estimator that compares rows with centres or with each other (soft bins; kNN next).
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

// True when the metric needs ||z||^2 of each row.
SOFTENT_HD constexpr bool needs_row_norm(Metric m) { return m != Metric::dot; }

// True when the score depends on ||c||^2 (so a gradient flows to it).
SOFTENT_HD constexpr bool needs_centre_norm(Metric m) {
  return m == Metric::euclidean || m == Metric::sqeuclidean;
}

// Score s(z, c) given dot = <z, c>, zsq = ||z||^2, csq = ||c||^2.
// sqeuclidean drops the row constant -||z||^2, which the softmax over bins cancels
// exactly; this avoids the cancellation of ||z||^2 - 2<z,c> + ||c||^2 in float.
template <typename T>
SOFTENT_HD T score(Metric m, T dot, T zsq, T csq) {
  switch (m) {
    case Metric::euclidean: {
      // clamp rounding below 0, but let NaN through (it marks a non-finite row)
      const T d2 = zsq - T(2) * dot + csq;
      return -std::sqrt(d2 < T(0) ? T(0) : d2);
    }
    case Metric::sqeuclidean:
      return T(2) * dot - csq;
    case Metric::cosine:
      // zero rows have no direction: every bin scores 0 (a uniform assignment), as
      // torch.nn.functional.normalize (used by the peers) does.
      return zsq == T(0) ? T(0) : dot / std::sqrt(zsq);
    case Metric::dot:
    default:
      return dot;
  }
}

// d score = a_dot * d<z,c> + a_zsq * d||z||^2 + a_csq * d||c||^2.
template <typename T>
struct ScoreGrad {
  T a_dot, a_zsq, a_csq;
};

template <typename T>
SOFTENT_HD ScoreGrad<T> score_grad(Metric m, T dot, T zsq, T csq) {
  switch (m) {
    case Metric::euclidean: {
      const T d2 = zsq - T(2) * dot + csq;
      if (!(d2 > T(0))) return {T(0), T(0), T(0)};  // subgradient 0 at z == c
      const T inv = T(1) / std::sqrt(d2);           // d(-sqrt(d2)) = -0.5/sqrt(d2) d(d2)
      return {inv, T(-0.5) * inv, T(-0.5) * inv};
    }
    case Metric::sqeuclidean:
      return {T(2), T(0), T(-1)};
    case Metric::cosine: {
      if (!(zsq > T(0))) return {T(0), T(0), T(0)};
      const T rn = T(1) / std::sqrt(zsq);
      return {rn, T(-0.5) * dot * rn * rn * rn, T(0)};
    }
    case Metric::dot:
    default:
      return {T(1), T(0), T(0)};
  }
}

}  // namespace math
}  // namespace softent
