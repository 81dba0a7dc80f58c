// The parameters of the nearest-neighbour kernels of softent.knn (Kozachenko-Leonenko,
// KSG, Ross, Frenzel-Pompe) and of every other family that needs neighbours (spectral
// affinities): one struct per op, filled by name in python/softent/knn/_kernel.py, bound in
// cpp/bindings/bind_knn.cpp, listed in python/softent/_core.pyi. Plain pointers and sizes:
// no framework types. Every pointer lives in the memory of space.x.device (-1: host, else
// that CUDA device) unless its comment says otherwise.
//
// Both ops compare the rows of one set with each other (queries = references) by the exact
// distance of math/topk.h: differences and sums in float64 of the values as stored (float32
// or float64), never the GEMM's rounded dots. The GEMM (euclidean) or a float loop
// (chebyshev) only screens pairs; a pair whose screened distance is within its rounding
// bound of a decision (the k-th neighbour, a radius) is measured exactly. So a radius or a
// count never depends on tiling, threads, BLAS or device.
#pragma once

#include <array>
#include <cstdint>

#include "softent/types.h"

namespace softent {

// Codes match KNN_METRICS in python/softent/knn/_kernel.py.
enum class KnnMetric : int32_t {
  euclidean = 0,  // sqrt(sum_k (a_k - b_k)^2)
  chebyshev = 1,  // max_k |a_k - b_k| (the max-norm of KSG)
};

inline constexpr int kKnnMaxBlocks = 4;

// The rows compared and their distance. The columns may be cut into blocks
// [0, block_ends[0]), [block_ends[0], block_ends[1]), ...: the distance of two rows is then
// the largest of the blocks' distances (the max-norm of a joint space, KSG: max(||dx||,
// ||dy||)); with chebyshev blocks change nothing.
struct KnnSpace {
  View2D x;  // [n, d] float32/float64, any element strides
  // [m] int64 distinct row ids of x, in x's memory: the set is x[rows] (queries and
  // references both), results are in this order; null: every row, m = n.
  const int64_t* rows = nullptr;
  int64_t n_rows = 0;  // m (rows given); ignored without rows
  KnnMetric metric = KnnMetric::euclidean;
  int32_t n_blocks = 1;                             // 1..kKnnMaxBlocks
  std::array<int64_t, kKnnMaxBlocks> block_ends{};  // increasing, block_ends[n_blocks-1] == d
};

// knn: the k nearest other rows of every row of the set, self excluded (by row id):
//   distances[t, 0..k) ascending, indices[t, 0..k) their row ids of x,
// ordered by (distance, position in the set): of equidistant rows the earlier in the set
// (the lower row id, when rows is null or ascending) comes first, so results do not depend
// on tiling, threads or device. Needs k <= m - 1. Memory: O(m k + tile^2).
// Returns the number of rows whose GEMM screen could not separate the k-th neighbour from
// the rest (near-ties) and were measured exactly against every row instead (a diagnostic).
struct KnnParams {
  KnnSpace space;
  int64_t k = 1;
  double* distances = nullptr;  // [m, k] float64 contiguous, written
  int64_t* indices = nullptr;   // [m, k] int64 contiguous, written; null: not wanted
  // [m, k, n_blocks] float64 contiguous, written: each neighbour's exact distance within each
  // column block (KSG-2's marginal radii); null: not wanted.
  double* block_distances = nullptr;
  int num_threads = 0;        // CPU: 0 = OpenMP default
  int64_t tile_rows = 0;      // rows per query/reference tile; 0 = automatic
  std::uintptr_t stream = 0;  // CUDA: the caller's cudaStream_t
};

// radius_count: for every row t of the set, the number of rows u of the set with
//   dist(t, u) < radii[t]   (strict)   or   dist(t, u) <= radii[t]   (not strict),
// u != t unless include_self, and, with groups, groups[id(u)] == groups[id(t)] only. The
// distance is the exact one of knn (a radius taken from knn's distances counts its own
// neighbours consistently).
struct RadiusCountParams {
  KnnSpace space;
  const double* radii = nullptr;    // [m] float64 contiguous, finite and >= 0
  const int64_t* groups = nullptr;  // [n] int64 indexed by row id of x; null: no groups
  bool strict = true;
  bool include_self = false;
  int64_t* counts = nullptr;  // [m] int64 contiguous, written
  int num_threads = 0;
  int64_t tile_rows = 0;
  std::uintptr_t stream = 0;
};

// knn_group_count (Ross 2014's two numbers): for every row t of the set, with g(t) its
// group and k_t = min(k, rows of the set in g(t) - 1),
//   radii[t]  = the exact distance to t's k_t-th nearest other row of its own group,
//   counts[t] = #{u in the set : dist(t, u) <= nextafter(radii[t], 0)}, t itself included
// (rows of any group strictly closer than radii[t], or at distance 0 when it is 0: the count
// of scikit-learn's _compute_mi_cd). ONE pass over the unordered pairs of rows (each pair
// screened once, its value used for both rows) keeps per row the group's top candidates and
// the `overall` nearest of any group; a row whose count the overall list cannot settle (its
// radius reaches past the list) is counted again against every row afterwards (CPU; on CUDA
// two passes of the kernels above: knn per group, then radius_count). Every group
// of the set needs >= 2 rows. Returns the number of rows counted again (a diagnostic: with
// several threads the order in which a row's tiles arrive, and so this number, may vary from
// call to call; radii and counts never do). Memory O(m (k + overall) + tile^2).
struct KnnGroupCountParams {
  KnnSpace space;
  const int64_t* groups = nullptr;  // [n] int64 >= 0 indexed by row id of x (HOST memory)
  int64_t k = 1;
  int64_t overall = 0;        // CPU: overall candidates kept per row; 0 = automatic
  double* radii = nullptr;    // [m] float64, written
  int64_t* counts = nullptr;  // [m] int64, written
  int num_threads = 0;        // CPU: 0 = OpenMP default
  int64_t tile_rows = 0;      // CPU: rows per tile of the pair pass; 0 = automatic
  std::uintptr_t stream = 0;  // CUDA: the caller's cudaStream_t
};

// sorted_1d: f independent 1-D columns x[:, c] (scikit-learn's per-feature
// estimates, the 1-D marginals of KSG and Ross) by sorting, never by pairs. The distance of
// rows t, u in column c is |x[t, c] - x[u, c]| (the difference in float64 of the values as
// stored: the exact distance of knn in one column, either metric), with y given the
// max-norm max(|dx|, |dy|) of the pair (x[:, c], y[:, c]).
//   k > 0: kth[t, c] = the distance to the k_t-th nearest other row (of t's group when groups
//          are given, k_t = min(k, group rows - 1); else k_t = k <= n - 1).
//   counts: counts[t, c] = #{u : dist_c(t, u) <= r} over all rows, t itself included, with r =
//          radii[t, c], or nextafter(kth[t, c], 0) without radii (scikit-learn's strict
//          count); distances of x alone (y only enters kth). Exact: bisection on the sorted
//          column with the float64 difference itself as the predicate.
// Cost O(f n log n) (the joint kth: O(f n w), w the rows within the k-th distance in x).
// The per-row math is math/sorted.h (CPU: a thread per column; CUDA: a column at a time, a
// thread per row). Pointers live in x's memory (host or x.device) except groups (host).
struct Sorted1dParams {
  View2D x;                         // [n, f] float32/float64
  View2D y;                         // [n, f] same dtype, or y.data null (none); stride_col 0 ok
  const int64_t* groups = nullptr;  // [n] int64 >= 0 (HOST memory), or null (one group); no y
  int64_t k = 0;
  double* kth = nullptr;          // [n, f] float64 contiguous, written when k > 0
  const double* radii = nullptr;  // [n, f] float64 contiguous (finite, >= 0), or null
  int64_t* counts = nullptr;      // [n, f] int64 contiguous, written; null: not wanted
  int num_threads = 0;            // CPU: 0 = OpenMP default
  std::uintptr_t stream = 0;      // CUDA: the caller's cudaStream_t
};

}  // namespace softent
