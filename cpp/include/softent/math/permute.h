// Label permutations from counter-based streams: permutation j of a batch's labelled codes
// depends only on (seed, the batch's stream position, the label set's key, j), so the result
// is the same for every thread count, on the CPU and on the GPU, and needs no shared
// generator state. Used by src/cpu/soft_hist.cpp (permute_labels); mirrored in NumPy in
// tests/reference/stats.py.
//
// The exact rule (docs/statistics.md):
//   key_j   = mix64(mix64(mix64(mix64(seed) ^ row_offset) ^ set_key) + j)
//   draw_t  = mix64(key_j + t * 0x9E3779B97F4A7C15)        t = 0, 1, 2, ... (SplitMix64,
//             Steele, Lea & Flood 2014, started at key_j; mix64: math/bootstrap.h)
//   bounded(n) for n in [1, 2^32): Lemire's (2019) multiply-shift with rejection on the high
//             32 bits x of the next draw: m = x n, reject while (m mod 2^32) < (2^32 - n) mod n,
//             return floor(m / 2^32) — exactly uniform on [0, n)
//   Fisher-Yates (Durstenfeld 1964) on the labelled codes a[0..L) in row order:
//             for i = L-1 down to 1: swap(a[i], a[bounded(i + 1)])
#pragma once

#include <cstdint>

#include "softent/hd.h"
#include "softent/math/bootstrap.h"

namespace softent::math {

inline constexpr uint64_t kGolden64 = 0x9E3779B97F4A7C15ull;

// The start of permutation j's stream for a batch at stream position row_offset of the
// label set whose name hashes to set_key.
SOFTENT_HD uint64_t permutation_key(uint64_t seed, uint64_t row_offset, uint64_t set_key,
                                    uint64_t j) {
  return mix64(mix64(mix64(mix64(seed) ^ row_offset) ^ set_key) + j);
}

// SplitMix64 from a key: draw t is mix64(key + t * golden), a counter-based stream.
struct SplitMix64 {
  uint64_t state;
  SOFTENT_HD uint64_t next() {
    const uint64_t x = mix64(state);
    state += kGolden64;
    return x;
  }
};

// Uniform integer in [0, n), n in [1, 2^32) (Lemire 2019, "Fast random integer generation
// in an interval"): unbiased; the modulo runs only when a draw falls in the short band
// that could bias it (probability n / 2^32).
SOFTENT_HD uint32_t bounded(SplitMix64& g, uint32_t n) {
  uint64_t m = (g.next() >> 32) * uint64_t(n);
  uint32_t low = uint32_t(m);
  if (low < n) {
    const uint32_t t = uint32_t(0u - n) % n;
    while (low < t) {
      m = (g.next() >> 32) * uint64_t(n);
      low = uint32_t(m);
    }
  }
  return uint32_t(m >> 32);
}

// Shuffle a[0..len) in place with the stream started at key (len < 2^32).
template <typename C>
SOFTENT_HD void shuffle(C* a, int64_t len, uint64_t key) {
  SplitMix64 g{key};
  for (int64_t i = len - 1; i > 0; --i) {
    const int64_t k = bounded(g, uint32_t(i + 1));
    const C t = a[i];
    a[i] = a[k];
    a[k] = t;
  }
}

// Entry k of compact codes of `bytes` (1, 2 or 4) bytes each (SoftHistParams::perm_codes);
// kMaskedCode where the entry is the type's largest value (a masked row).
inline constexpr uint32_t kMaskedCode = 0xFFFFFFFFu;

SOFTENT_HD uint32_t compact_code(const void* codes, int64_t bytes, int64_t k) {
  if (bytes == 1) {
    const uint8_t c = static_cast<const uint8_t*>(codes)[k];
    return c == 0xFFu ? kMaskedCode : c;
  }
  if (bytes == 2) {
    const uint16_t c = static_cast<const uint16_t*>(codes)[k];
    return c == 0xFFFFu ? kMaskedCode : c;
  }
  return static_cast<const uint32_t*>(codes)[k];
}

}  // namespace softent::math
