// The soft-bin estimator's per-element math: score of a row against a bin centre from
// their dot product, the softmax over bins, and the entropy of a histogram. Shared by
// cpu/soft_hist.cpp and cuda/soft_hist.cu (and their backward kernels).
#pragma once

#include "softent/math/common.h"

namespace softent {

// Similarity between a row z and a centre c; the kernels compute dot = <z, c> with a
// GEMM and turn it into a score here. Codes match METRIC_CODES in python/softent/histogram.py.
enum class Metric : int32_t {
  euclidean = 0,    // -||z - c||          (unsquared: what nam-entropy computes)
  sqeuclidean = 1,  // -||z - c||^2
  cosine = 2,       // <z/||z||, c/||c||>  (centres arrive already unit-normalised)
  dot = 3,          // <z, c>
};

namespace math {

// True when the metric needs ||z||^2 of each row.
SOFTENT_HD constexpr bool needs_row_norm(Metric m) { return m != Metric::dot; }

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

// Derivative of score w.r.t. dot, zsq (and, for euclidean, the distance itself), used by
// the backward kernels: d score = a_dot * d<z,c> + a_zsq * d||z||^2 + a_csq * d||c||^2.
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

// -p log p with 0 log 0 = 0 (natural log).
SOFTENT_HD double neg_p_log_p(double p) { return p > 0.0 ? -p * std::log(p) : 0.0; }

}  // namespace math
}  // namespace softent
