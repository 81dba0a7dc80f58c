// The parameters of the partial information decomposition kernels of softent.pid (a pmf of
// n sources and a target -> SxPID's local redundancies on the redundancy lattice): one struct
// per op, filled by name in python/softent/pid/_kernel.py, bound in
// cpp/bindings/bind_pid.cpp, listed in python/softent/_core.pyi. Plain pointers and sizes:
// no framework types. Every pointer is HOST memory (the pmf is built on the host); `device`
// of SxLocalParams only says where the arithmetic runs (the CUDA path copies its inputs to
// that device and its results back).
#pragma once

#include <cstdint>

namespace softent {

// The most sources the kernels take: a lattice node's up-set is one uint64 over the 2^n
// source masks (n = 6: 64 masks).
inline constexpr int kPidMaxSources = 6;

// pid_masses: the subset marginals of a pmf of v = n + 1 variables (n sources, the target
// last) at each of its K outcomes, for all 2^v column subsets P (bit j: column j):
//   masses[k * 2^v + P] = Σ_{k' : codes[k', j] = codes[k, j] for all j in P} probs[k']
// (P = 0: 1, the empty projection; P with only the target bit: p(t_k)), and the entropy of
// each projection, entropies[P] = -Σ_groups m ln m (nats). Grouping is exact (integer
// keys: a dense table where the key space is small, a hash table otherwise), O(K 2^v).
// Masses are summed in row order (deterministic).
struct PidMassesParams {
  const int64_t* codes = nullptr;  // [K, v] int64 row-major contiguous, column j in [0, sizes[j])
  const double* probs = nullptr;   // [K] float64 > 0
  const int64_t* sizes = nullptr;  // [v] int64 >= 1, the alphabet of each column
  int64_t rows = 0;                // K >= 1
  int32_t cols = 0;                // v = n + 1, 2 .. kPidMaxSources + 1
  double* masses = nullptr;        // [K, 2^v] float64, written
  double* entropies = nullptr;     // [2^v] float64 nats, written; null: not wanted
  int num_threads = 0;             // CPU: 0 = OpenMP default
};

// sx_local: SxPID's local redundancies (Makkeh, Gutknecht & Wibral 2021, eq. 12) at the
// outcomes k in [lo, hi) of a pmf and every lattice node j, in nats:
//   i+_k(j) = -ln P(a_j)            P(a_j)   = Σ_{m in U_j} h_s(m)
//   i-_k(j) = ln p(t) - ln P(a_j, t) P(a_j, t) = Σ_{m in U_j} h_st(m)
// with U_j = upsets[j] (bit m set when source mask m lies in node j's up-set) and h_s(m)
// (h_st(m)) the probability that an outcome agrees with s on exactly the sources in m (and
// has target t): the superset Möbius transform of masses[k, A] (masses[k, A | 2^n]) over
// the source subsets A (math/pid.h). i+ is computed once per distinct source outcome s
// (rows with one s are consecutive: codes sorted lexicographically), i- once per row.
//
// Outputs (each may be null: not wanted; at least one must be given):
//   sum_plus[c, j]  = Σ_{k in [lo, hi), class c} probs[k] i+_k(j)   [C, L], written (=)
//   sum_minus[c, j] = Σ_{k in [lo, hi), class c} probs[k] i-_k(j)   [C, L], written (=)
//     where the class of row k is its target code when per_target (C = n_targets), else 0
//     (C = 1): divide by p(t) for the target-pointwise values, sum over c for the average.
//   local_plus[k - lo, j] = i+_k(j), local_minus[k - lo, j] = i-_k(j)   [hi - lo, L], written
// Without local outputs the CPU sums ln P over runs of rows of equal weight as one log of
// a product of mantissas (math/pid.h LogProduct): one logarithm per run and node instead of
// one per row and node, as accurate (the error stays ~ 1 ulp of each log's absolute size).
struct SxLocalParams {
  const int64_t* codes = nullptr;    // [K, n + 1] int64 row-major, rows sorted lexicographically
  const double* probs = nullptr;     // [K] float64 > 0
  const double* masses = nullptr;    // [K, 2^(n+1)] float64: pid_masses of codes/probs
  const uint64_t* upsets = nullptr;  // [L] uint64 up-set bitmasks (bit 0, the empty mask: 0)
  int64_t rows = 0;                  // K >= 1
  int64_t nodes = 0;                 // L >= 1
  int32_t n_sources = 0;             // n, 1 .. kPidMaxSources
  int64_t n_targets = 1;             // T: every target code is in [0, T)
  int64_t lo = 0, hi = 0;            // the rows computed: 0 <= lo < hi <= K
  bool per_target = false;           // classes = target codes (C = T), else one class (C = 1)
  double* sum_plus = nullptr;        // [C, L] float64 or null
  double* sum_minus = nullptr;       // [C, L] float64 or null
  double* local_plus = nullptr;      // [hi - lo, L] float64 or null
  double* local_minus = nullptr;     // [hi - lo, L] float64 or null
  int device = -1;                   // -1: the CPU; else the CUDA device that computes
  int num_threads = 0;               // CPU: 0 = OpenMP default
  std::uintptr_t stream = 0;         // CUDA: the caller's cudaStream_t (0: the default stream)
};

}  // namespace softent
