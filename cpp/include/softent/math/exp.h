// exp of non-positive arguments (softmax terms after subtracting the row max), the same
// values on the CPU and the GPU.
#pragma once

#include <cmath>
#include <cstdint>

#include "softent/hd.h"

namespace softent::math {

// Float: Cephes-style range reduction + degree-6 polynomial: ~1 ulp, branch-free so the
// CPU loop vectorises (libm's expf does not without -ffast-math) and the GPU gets the same
// values as the CPU. Underflows to exactly 0 below -87.3 (e^-87.3 ~ 1e-38), -inf included.
SOFTENT_HD float exp_nonpositive(float x) {
  const float lo = -87.3f;
  const float keep = x < lo ? 0.0f : 1.0f;  // selects, not branches: the loop vectorises
  x = x < lo ? lo : x;
  // n = round(x / ln2); r = x - n ln2 in two parts for accuracy.
  const float n = std::floor(x * 1.44269504088896341f + 0.5f);
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const float scale = int_bits_as_float((static_cast<int32_t>(n) + 127) << 23);
  return p * scale * keep;
}

// Double inputs are the accuracy reference path: the library exp.
SOFTENT_HD double exp_nonpositive(double x) { return std::exp(x); }

}  // namespace softent::math
