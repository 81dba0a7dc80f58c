// The softmax over one row as an online log-sum-exp reduction (init / push / combine /
// finalize), and the softmax's backward term. Used through math/soft_hist.h by
// src/cpu/soft_hist*.cpp (push of a whole row) and src/cuda/soft_hist*.cu (push per lane,
// combine across the warp).
//
// The softmax is over x = s / T for scores s: the reduction keeps the max of the scores s
// and each exp argument is (s - max) * (1/T) (a difference first, <= 0, then the scale), so
// neither a tiny temperature nor large scores make s / T overflow (inf - inf = NaN).
//
// PRECISION POLICY (one for both backends; T is the input's float type):
//   - scores s, exp terms e = exp((s - max)/T) and the row sum Σ e are in T: float32 inputs keep
//     the float32 vector width and the exp_nonpositive polynomial (math/exp.h), which give
//     ~1 ulp per term; the sum of <= B terms in [0, 1] loses nothing a float32 input had.
//   - the normaliser 1/Σ e, the masses q = e/Σ e added to histograms, and every reduction
//     across bins or rows (histograms, the cotangent mean Σ q g, gradient sums) are double:
//     those sums run over N rows, where float32 would lose digits.
//   - backward per-element terms: v = q (g - Σ q g) = dL/dx is formed in double and rounded
//     to T, u = v / T and its products with the score derivatives are in T (they feed the T
//     GEMMs grad_z = U C and grad_centres = U^T Z anyway); their sums over bins are double.
// The CPU backward was measured fastest this way (one vectorised pass per row in T); the
// CUDA kernels follow the same policy, so the CPU tests cover the GPU arithmetic.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "softent/hd.h"
#include "softent/math/exp.h"

namespace softent::math {

// log Σ_j exp(s_j * scale) held as (max, Σ_j exp((s_j - max) * scale)) so that every exp
// argument is <= 0; scale = 1/T > 0 is passed to every operation.
template <typename T>
struct LogSumExp {
  T max;  // of the scores s_j (unscaled)
  T sum;  // 0 exactly while nothing was pushed (any push adds exp(0) = 1 for its max)
};

template <typename T>
SOFTENT_HD LogSumExp<T> lse_init() {
  return {-std::numeric_limits<T>::infinity(), T(0)};
}

// exp((x - max) * scale) for x <= max: a softmax numerator relative to the current max.
template <typename T>
SOFTENT_HD T softmax_term(T x, T max, T scale) {
  return exp_nonpositive((x - max) * scale);
}

// Merge two partial reductions (CUDA: across the lanes of a warp). The larger max is kept
// and the other sum rescaled. NaN in either operand propagates to the sum.
template <typename T>
SOFTENT_HD LogSumExp<T> lse_combine(LogSumExp<T> a, LogSumExp<T> b, T scale) {
  if (b.sum == T(0)) return a;
  if (a.sum == T(0)) return b;
  if (b.max > a.max) {
    const LogSumExp<T> t = a;
    a = b;
    b = t;
  }
  return {a.max, a.sum + b.sum * softmax_term(b.max, a.max, scale)};
}

// Push one value (CUDA: each lane over its strided bins): one exp per value, a second only
// when the max moves.
template <typename T>
SOFTENT_HD void lse_push(LogSumExp<T>& s, T x, T scale) {
  if (s.sum == T(0)) {
    s = {x, T(1)};
  } else if (x > s.max) {
    s.sum = s.sum * softmax_term(s.max, x, scale) + T(1);
    s.max = x;
  } else {
    s.sum += softmax_term(x, s.max, scale);
  }
}

// Push a contiguous block of n values x_j = x_of(j) (the CPU pushes each row as one block):
// stores x_j in x and e_j = exp((x_j - block max) * scale) in e (x and e may be the same
// buffer), then
// joins the block to s with lse_combine. Pushed into an empty s, the block max is the row
// max, so e_j / sum are the softmax. Two vectorised passes: max, then exp and sum.
template <typename T, typename XOf>
inline void lse_push_block(LogSumExp<T>& s, int64_t n, XOf&& x_of, T* x, T* e, T scale) {
  T mx = -std::numeric_limits<T>::infinity();
#if defined(_OPENMP)
#pragma omp simd reduction(max : mx)
#endif
  for (int64_t j = 0; j < n; ++j) {
    x[j] = x_of(j);
    // The value of std::max(mx, x[j]); GCC's code for this form is faster (measured: the
    // CPU forward with B = 1000, D = 64 takes ~30% less time than with std::max).
    mx = x[j] > mx ? x[j] : mx;
  }
  T sum = 0;
#if defined(_OPENMP)
#pragma omp simd reduction(+ : sum)
#endif
  for (int64_t j = 0; j < n; ++j) {
    e[j] = softmax_term(x[j], mx, scale);
    sum += e[j];
  }
  s = lse_combine(s, LogSumExp<T>{mx, sum}, scale);
}

// The normaliser 1/Σ, and whether the row was finite (a NaN or Inf score makes the max or
// the sum non-finite).
struct SoftmaxNorm {
  double inv_sum;
  bool finite;
};

template <typename T>
SOFTENT_HD SoftmaxNorm lse_finalize(LogSumExp<T> s) {
  return {1.0 / double(s.sum), std::isfinite(double(s.max)) && std::isfinite(double(s.sum))};
}

// Backward of q = softmax(x) for a cotangent g = dL/dq: dL/dx_j = q_j (g_j - Σ_k q_k g_k).
// The mean is a double sum of softmax_grad_mean_term(e_k, g_k), times inv_sum.
template <typename T>
SOFTENT_HD double softmax_grad_mean_term(T e, double g) {
  return double(e) * g;
}

SOFTENT_HD double softmax_grad_mean(double sum_terms, double inv_sum) {
  return sum_terms * inv_sum;
}

template <typename T>
SOFTENT_HD T softmax_grad(T e, double inv_sum, double g, double mean) {
  return static_cast<T>(double(e) * inv_sum * (g - mean));  // rounded to T: the policy above
}

}  // namespace softent::math
