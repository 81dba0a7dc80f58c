// The per-outcome math of SxPID's local redundancies (params/pid.h sx_local), shared by the
// CPU loops (cpp/src/cpu/pid.cpp) and the CUDA kernel (cpp/src/cuda/pid.cu): the superset
// Möbius transform that turns subset marginals into an agreement histogram, the byte tables
// that make an up-set sum a few lookups, a branch-free logarithm, the log of a product of
// many values (one log per run of equal weights), and the sums' init / push / finalize.
#pragma once

#include <cstdint>

#include "softent/hd.h"
#include "softent/params/pid.h"

namespace softent::math {

// ---- bits -----------------------------------------------------------------------------------
SOFTENT_HD uint64_t pid_bits(double x) {
#if defined(__CUDA_ARCH__)
  return static_cast<uint64_t>(__double_as_longlong(x));
#else
  return __builtin_bit_cast(uint64_t, x);  // no memcpy: keeps the CPU loops vectorisable
#endif
}

SOFTENT_HD double pid_double(uint64_t bits) {
#if defined(__CUDA_ARCH__)
  return __longlong_as_double(static_cast<long long>(bits));
#else
  return __builtin_bit_cast(double, bits);
#endif
}

// An integer 0 <= u < 2^52 as a double, exactly, without an int -> float conversion
// instruction (AVX2 has none for 64-bit integers): 2^52 + u has u as its mantissa.
// The index of the lowest set bit of v != 0.
SOFTENT_HD int pid_lowest_bit(uint32_t v) {
#if defined(__CUDA_ARCH__)
  return __ffs(static_cast<int>(v)) - 1;
#else
  return __builtin_ctz(v);
#endif
}

SOFTENT_HD double pid_small_uint(uint64_t u) {
  return pid_double(u | 0x4330000000000000ULL) - 4503599627370496.0;
}

// ---- logarithm --------------------------------------------------------------------------------
// fdlibm's __ieee754_log (as musl's log.c, Sun Microsystems 1993): x = 2^k m with m in
// [sqrt(2)/2, sqrt(2)), f = m - 1, s = f / (2 + f), log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2))
// with a degree-14 minimax R; error < 1 ulp. Branch-free (subnormals are scaled by a select),
// so the CPU node loops vectorise it; x must be finite and > 0 (a probability).
inline constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 0x3fe62e42fee00000: k*hi exact
inline constexpr double kLn2Lo = 1.90821492927058770002e-10;  // 0x3dea39ef35793c76
// the high word of sqrt(2)/2 (0x3fe6a09e) in place: adding kLogShift moves the exponent
// boundary from 1 to sqrt(2)/2, so the mantissa lands in [sqrt(2)/2, sqrt(2))
inline constexpr uint64_t kSqrtHalfHi = 0x3fe6a09e00000000ULL;
inline constexpr uint64_t kLogShift = 0x3ff0000000000000ULL - kSqrtHalfHi;
inline constexpr uint64_t kMantissa = 0x000fffffffffffffULL;

// The split x = 2^k m, m in [sqrt(2)/2, sqrt(2)): returns m, sets k (a double, exact).
SOFTENT_HD double log_split(double x, double& k) {
  const bool tiny = x < 0x1p-1022;  // subnormal: scale into the normal range first
  const double xs = tiny ? x * 0x1p54 : x;
  const uint64_t ix = pid_bits(xs) + kLogShift;
  k = pid_small_uint(ix >> 52) - (tiny ? 1023.0 + 54.0 : 1023.0);
  return pid_double((ix & kMantissa) + kSqrtHalfHi);
}

// log(m) for m in [sqrt(2)/2, sqrt(2)), plus k ln 2.
SOFTENT_HD double log_of_split(double m, double k) {
  const double f = m - 1.0;
  const double hfsq = 0.5 * f * f;
  const double s = f / (2.0 + f);
  const double z = s * s;
  const double w = z * z;
  const double t1 = w * (3.999999999940941908e-01 +
                         w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01));
  const double t2 = z * (6.666666666666735130e-01 +
                         w * (2.857142874366239149e-01 +
                              w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
  const double r = t2 + t1;
  return s * (hfsq + r) + k * kLn2Lo - hfsq + f + k * kLn2Hi;
}

// ln x for a finite x > 0, < 1 ulp.
SOFTENT_HD double log_positive(double x) {
  double k;
  const double m = log_split(x, k);
  return log_of_split(m, k);
}

// ---- the log of a product: Σ_i ln x_i with one logarithm -----------------------------------
// Each x_i is split as 2^k_i m_i (log_split: m_i in [sqrt(2)/2, sqrt(2))); the m_i multiply
// into `mantissa` (|log2| < count / 2: no overflow for count <= kLogProductMax) and the k_i
// add exactly into `exponent`. value() = ln(mantissa) + exponent ln 2, the product's own
// exponent folded into the exact k of one final log_split. Each product rounds
// by <= 1/2 ulp, so the error is ~ count ulp of 1 (absolute), as for a sum of count logs;
// mantissas near 1 keep sums of logs near 0 free of cancellation.
inline constexpr int kLogProductMax = 256;

struct LogProduct {
  double mantissa = 1.0;
  double exponent = 0.0;
};

SOFTENT_HD void log_product_push(double& mantissa, double& exponent, double x) {
  double k;
  mantissa *= log_split(x, k);
  exponent += k;  // an integer below 2^53 in magnitude: exact
}

SOFTENT_HD double log_product_value(double mantissa, double exponent) {
  double k;
  const double m = log_split(mantissa, k);  // the product left [sqrt(2)/2, sqrt(2))
  k += exponent;
  return log_of_split(m, k);
}

// ---- agreement histogram ------------------------------------------------------------------------
// In place over the 2^n source masks: g[A] = P(S_A = s_A) (or P(S_A = s_A, T = t)) becomes
// h[m] = Σ_{A ⊇ m} (-1)^{|A \ m|} g[A], the probability of agreeing with s on exactly the
// sources in m (and having target t). The error of h[m] is bounded by n 2^(n - |m|) ulp of
// g[m] (only supersets of m enter), so an up-set sum keeps a relative error <= n 3^n ulp.
SOFTENT_HD void superset_mobius(double* h, int n) {
  const int size = 1 << n;
  for (int i = 0; i < n; ++i) {
    const int bit = 1 << i;
    for (int a = 0; a < size; ++a)
      if (!(a & bit)) h[a] -= h[a | bit];
  }
}

// ---- up-set sums through chunk tables -----------------------------------------------------------
// The 2^n masks are cut into chunks of W bits; table c holds, for each W-bit pattern v, the
// sum of h over the masks c W + i with bit i of v set. The sum of h over an up-set U is
// then Σ_c table_c[(U >> c W) & (2^W - 1)]: 4 lookups per node for n = 4 and n = 5. W trades
// the table build (2^n / W chunks x 2^W entries, per outcome) against lookups per node.
SOFTENT_HD int pid_chunk_bits(int n) { return n >= 5 ? 8 : (n >= 2 ? 4 : 2); }
SOFTENT_HD int pid_chunks(int n) { return (1 << n) / pid_chunk_bits(n); }

// Entry v of chunk c's table, summed from the highest set bit down: the same order (and so
// the same rounding) as upset_tables' incremental build.
SOFTENT_HD double upset_table_entry(const double* h, int bits, int c, uint32_t v) {
  double sum = 0.0;
  for (int i = bits - 1; i >= 0; --i)
    if (v >> i & 1u) sum += h[c * bits + i];
  return sum;
}

// All tables [chunks, 2^bits], each entry one add from an earlier one: table[v] =
// table[v without its lowest bit] + h[lowest bit].
SOFTENT_HD void upset_tables(const double* h, int n, double* tables) {
  const int bits = pid_chunk_bits(n), chunks = pid_chunks(n), width = 1 << bits;
  for (int c = 0; c < chunks; ++c) {
    double* t = tables + c * width;
    const double* hc = h + c * bits;
    t[0] = 0.0;
    for (uint32_t v = 1; v < uint32_t(width); ++v) t[v] = t[v & (v - 1)] + hc[pid_lowest_bit(v)];
  }
}

// The table index of chunk c of up-set u: c 2^W + its W-bit pattern (< 2048 for n <= 6).
SOFTENT_HD uint16_t upset_offset(uint64_t u, int n, int c) {
  const int bits = pid_chunk_bits(n);
  return static_cast<uint16_t>((c << bits) + ((u >> (c * bits)) & ((uint64_t(1) << bits) - 1)));
}

// Σ_{m in U} h(m) from the tables and the up-set's offsets off[0 .. Chunks) (node-major:
// node j's offsets are off + j Chunks), added in chunk order.
template <int Chunks>
SOFTENT_HD double upset_sum(const double* tables, const uint16_t* off) {
  double x = tables[off[0]];
  for (int c = 1; c < Chunks; ++c) x += tables[off[c]];
  return x;
}

// ---- the sums: init / push / combine / finalize ----------------------------------------------
// Compensated (Knuth's TwoSum): comp collects the rounding error of every add, so a sum of
// 10^5 terms keeps ~1 ulp instead of drifting by sqrt(terms) ulp (measured at n = 4, N =
// 60000: 9e-13 nats plain, 1e-15 compensated). No reassociation: built without fast-math.
SOFTENT_HD void sum_push(double& sum, double& comp, double v) {
  const double s = sum + v;
  const double bp = s - sum;
  comp += (sum - (s - bp)) + (v - bp);
  sum = s;
}

// Accumulated per class c and node j: raw[c, j] = Σ_rows w ln P (plus) or ln P(., t)
// (minus), and per class const_minus[c] = Σ_rows w ln p(t). push adds one row's (or one
// run's) term; combine adds a thread's compensated sum into the output.
SOFTENT_HD double sx_term(double w, double log_p) { return w * log_p; }
SOFTENT_HD void sx_push(double& raw, double& comp, double w, double log_p) {
  sum_push(raw, comp, sx_term(w, log_p));
}
SOFTENT_HD void sx_combine(double& out, double& out_comp, double raw, double comp) {
  sum_push(out, out_comp, raw);
  out_comp += comp;
}

// i+ sums are -raw; i- sums are Σ w ln p(t) - raw.
SOFTENT_HD double sx_finalize_plus(double raw) { return -raw; }
SOFTENT_HD double sx_finalize_minus(double const_minus, double raw) { return const_minus - raw; }

}  // namespace softent::math
