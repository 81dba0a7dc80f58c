// The per-element math of the counting kernels (params/discrete.h), shared by the CPU loops
// (cpp/src/cpu/count.cpp) and the CUDA kernels (cpp/src/cuda/count.cu): reading a code of
// any integer type with its range check, the mixed-radix code of a row, the joint key of
// two codes, and the histogram reduction written as init / push / combine.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <type_traits>

#include "softent/hd.h"
#include "softent/params/discrete.h"

#if !defined(__CUDA_ARCH__)
#include <atomic>
#endif

namespace softent::math {

// A code read from an array of T as int64 when it lies in [0, k), else -1. One unsigned
// compare covers both ends: a negative value (or a uint64 above INT64_MAX) wraps to a huge
// unsigned value.
template <typename T>
SOFTENT_HD int64_t checked_code(T value, int64_t k) {
  const uint64_t u = static_cast<uint64_t>(static_cast<int64_t>(value));
  return u < static_cast<uint64_t>(k) ? static_cast<int64_t>(u) : int64_t(-1);
}

// Element (i, j) of a strided code array.
template <typename T>
SOFTENT_HD T code_at(const CodesView& v, int64_t i, int64_t j) {
  return static_cast<const T*>(v.data)[i * v.stride_row + j * v.stride_col];
}

// The mixed-radix code of row i: ((c_0 K_1 + c_1) K_2 + c_2) ... + c_{m-1}, or -1 when a
// column's value is outside [0, K_j). The caller guarantees prod K_j fits int64.
template <typename T>
SOFTENT_HD int64_t mixed_radix_code(const CodesView& x, const int64_t* radix, int64_t i) {
  int64_t code = 0;
  for (int64_t j = 0; j < x.cols; ++j) {
    const int64_t c = checked_code(code_at<T>(x, i, j), radix[j]);
    if (c < 0) return -1;
    code = code * radix[j] + c;
  }
  return code;
}

// The cell of the joint table [kx, ky] (row-major) of the codes (cx, cy).
SOFTENT_HD int64_t joint_key(int64_t cx, int64_t cy, int64_t ky) { return cx * ky + cy; }

// The weight row i adds: weights[i], or 1 (an exact count) without weights.
template <typename C>
SOFTENT_HD C row_weight(const double* weights, int64_t i) {
  return weights ? static_cast<C>(weights[i]) : C(1);
}

// ---- histogram reduction: C is int64_t (counts) or double (weighted sums) -----------------
template <typename C>
SOFTENT_HD void hist_init(C* h, int64_t k) {
  for (int64_t j = 0; j < k; ++j) h[j] = C(0);
}

// One observation into a private histogram (one thread owns h).
template <typename C>
SOFTENT_HD void hist_push(C* h, int64_t cell, C w) {
  h[cell] += w;
}

// One observation into a histogram shared by threads.
template <typename C>
SOFTENT_HD void hist_push_shared(C* h, int64_t cell, C w) {
#if defined(__CUDA_ARCH__)
  if constexpr (std::is_integral_v<C>)
    atomicAdd(reinterpret_cast<unsigned long long*>(h + cell), static_cast<unsigned long long>(w));
  else
    atomicAdd(h + cell, w);
#else
  std::atomic_ref<C>(h[cell]).fetch_add(w, std::memory_order_relaxed);
#endif
}

// dst[j] += src[j] for j < k (a private histogram into the shared one, or two partials).
template <typename C>
SOFTENT_HD void hist_combine(C* dst, const C* src, int64_t k) {
  for (int64_t j = 0; j < k; ++j) dst[j] += src[j];
}

// ---- sorting the sparse path's keys ----------------------------------------------------------
inline constexpr int kRadixBits = 11;  // digits of 2048 buckets: 4 passes for 44-bit keys
inline constexpr int64_t kRadixBuckets = int64_t(1) << kRadixBits;

// The digit of key at pass `pass` (least significant first).
SOFTENT_HD int64_t radix_digit(int64_t key, int pass) {
  return (static_cast<uint64_t>(key) >> (pass * kRadixBits)) & (kRadixBuckets - 1);
}

// Number of radix passes that sort keys in [0, limit).
SOFTENT_HD int radix_passes(int64_t limit) {
  int bits = 0;
  for (uint64_t v = static_cast<uint64_t>(limit > 0 ? limit - 1 : 0); v; v >>= 1) ++bits;
  return (bits + kRadixBits - 1) / kRadixBits;
}

// ---- host-side dispatch on the code type ------------------------------------------------------
// f(T{}) for the element type of a code array: kernels are templated on it so quantised
// data (int8, uint8...) is read where it lies, never widened into a copy.
template <typename F>
auto with_code_type(CodeType t, F&& f) {
  switch (t) {
    case CodeType::int8:
      return f(int8_t{});
    case CodeType::int16:
      return f(int16_t{});
    case CodeType::int32:
      return f(int32_t{});
    case CodeType::int64:
      return f(int64_t{});
    case CodeType::uint8:
      return f(uint8_t{});
    case CodeType::uint16:
      return f(uint16_t{});
    case CodeType::uint32:
      return f(uint32_t{});
    case CodeType::uint64:
      return f(uint64_t{});
  }
  throw std::invalid_argument("softent: unknown code dtype");
}

// f(TX{}, TY{}) for two code arrays whose types are equal or the second int64 (the pairs the
// Python side produces; any other pair would multiply the instantiations for nothing).
template <typename F>
auto with_code_types(CodeType tx, CodeType ty, F&& f) {
  return with_code_type(tx, [&](auto x) {
    using TX = decltype(x);
    if (ty == CodeType::int64) return f(x, int64_t{});
    if (ty != tx) throw std::invalid_argument("softent: y's dtype must be x's or int64");
    return f(x, TX{});
  });
}

}  // namespace softent::math
