// Poisson(1) bootstrap weights from a counter-based hash: the weight of row i in
// replicate r depends only on (seed, i, r), so a streamed run, a batch run, the CPU and the
// GPU all draw the same resamples without storing an R x N weight matrix.
// Used through math/soft_hist.h (block_weight) by both skeletons; mirrored in
// tests/reference/bootstrap.py.
#pragma once

#include <cstdint>

#include "softent/hd.h"

namespace softent::math {

// SplitMix64's finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mixer.
SOFTENT_HD uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Poisson(1) draw for (seed, row, replicate) by inverting its CDF
// P(K <= k) = e^-1 Σ_{j<=k} 1/j! with a 53-bit uniform. The Poisson bootstrap
// (Hanley & MacGibbon 2006; Chamandy et al. 2012) approximates the multinomial one and,
// unlike it, needs no global draw: each row's weights are independent.
SOFTENT_HD int poisson1_weight(uint64_t seed, uint64_t row, uint64_t replicate) {
  const uint64_t h = mix64(mix64(seed ^ mix64(row)) + replicate);
  const double u = double(h >> 11) * (1.0 / 9007199254740992.0);  // [0, 1), 2^-53 steps
  double term = 0.36787944117144233;                              // e^-1 = P(K = 0)
  double cdf = term;
  int k = 0;
  while (u >= cdf && k < 24) {  // 24: P(K > 24) < 1e-25, far below the uniform's resolution
    ++k;
    term /= k;
    cdf += term;
  }
  return k;
}

}  // namespace softent::math
