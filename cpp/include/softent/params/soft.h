// The parameters of the soft-bin estimator's kernels (Conklin 2025 §5.4): one struct per
// op, filled by name in python/softent/_kernel.py, bound in cpp/bindings/bind_soft.cpp,
// listed in python/softent/_core.pyi. Plain pointers and sizes: no framework types.
#pragma once

#include <cstdint>

#include "softent/math/metric.h"
#include "softent/types.h"

namespace softent {

// soft_histogram: accumulate q_ib = softmax_b(score(z_i, c_b) / T) into float64 histograms:
//   hist[0, b]            += q_ib  for every row i (the all-rows total);
//   hist[slots[s, i], b]  += q_ib  for every label set s with slots[s, i] >= 1
// (slots[s, i] == -1 masks row i for set s). Rows of hist: 1 + the label slots.
// With replicates R > 0, hist holds 1 + R blocks of hist_rows rows: block 0 as above and
// block r the same sums with each row weighted by its Poisson(1) bootstrap weight
// math::poisson1_weight(replicate_seed, row_offset + i, replicate_offset + r - 1)
// (math/bootstrap.h; the offsets let rows and replicates be computed in several passes).
// Every pointer lives in the memory of z.device.
struct SoftHistParams {
  View2D z;        // [n, d] float32/float64, any element strides
  View2D centres;  // [b, d] z's dtype and device, contiguous; unit rows for cosine
  const double* centre_sq = nullptr;  // [b] ||c_b||^2 float64
  // [d] z's dtype, z's memory, or null. Given (translation-invariant metrics only: euclidean,
  // sqeuclidean), the kernels read every row as z_i - origin, as tiles are read (no copy of
  // z), and centres / centre_sq are the centres relative to the same origin: scores then
  // never cancel the data's common offset (python/softent/soft/bins.py: the centres' mean).
  // Gradients are those w.r.t. the shifted centres, equal to those w.r.t. the centres.
  const void* origin = nullptr;
  // The power of two k by which the kernels multiply every row (z_i - origin) and centre as
  // they read them, with 1/T divided by k^p (p = 1 euclidean, 2 sqeuclidean) and the
  // gradients multiplied back (math/soft_hist.h row_scale_grad_factors): exact, so the
  // results are those of the call asked for, with squares in the type's range at any scale.
  // Set by the op itself (src/cpu/soft_hist_scale.h, src/cuda/soft_hist_scale.cuh) for the
  // translation-invariant metrics when the centres' (then the rows') spread is outside
  // math::spread_needs_no_scale; callers leave it 1. With k != 1 the kernels get k c for
  // centres and sum ||k c_b||^2 again from them (centre_sq is then not read: float64
  // centres of ~1e-170 have a ||c||^2 below float64's range).
  double row_scale = 1.0;
  const int32_t* slots =
      nullptr;  // [n_sets, n] contiguous, -1 or 1..hist_rows-1; null if n_sets == 0
  int64_t n_sets = 0;
  double* hist = nullptr;  // [(1 + replicates) * hist_rows, b] float64, accumulated into (+=)
  int64_t hist_rows = 1;
  int64_t replicates = 0;  // Poisson bootstrap replicates (0: none)
  uint64_t replicate_seed = 0;
  int64_t row_offset = 0;        // global index of row 0 (streams draw the same weights)
  int64_t replicate_offset = 0;  // global index of replicate block 1
  void* dots_out = nullptr;      // optional [n, b] z's dtype: <z_i, c_b> kept for a backward
  // Permuted label sets (replicates == 0 only): R permutations of each of perm_sets label
  // sets, as compact codes perm_codes [perm_sets, permutations, n / perm_internal] of
  // perm_code_bytes (1: uint8, 2: uint16, 4: uint32) each, the type's largest value for a
  // masked row (permute_labels writes them). Kernel row i (sample i / perm_internal,
  // internal index i % perm_internal) with code c != masked in permutation j adds its masses
  //   hist[perm_first_row + j * perm_block + c + (i % perm_internal) * perm_internal_stride]
  // (codes carry their set's offset: the sets' rows are disjoint). The ordinary sets above
  // are unchanged, bit for bit.
  const void* perm_codes = nullptr;
  int64_t perm_code_bytes = 1;
  int64_t perm_sets = 0;
  int64_t permutations = 0;
  int64_t perm_internal = 1;
  int64_t perm_first_row = 1;
  int64_t perm_block = 0;
  int64_t perm_internal_stride = 0;
  Metric metric = Metric::cosine;
  double inv_temperature = 1.0;  // 1/T, finite and > 0
  int num_threads = 0;           // CPU: 0 = OpenMP default (OMP_NUM_THREADS)
  int64_t tile_rows = 0;         // CPU rows per tile; 0 = automatic
  std::uintptr_t stream = 0;     // CUDA: the caller's cudaStream_t (torch's current stream)
};

// soft_histogram_backward: the backward of soft_histogram (replicates = 0) for a cotangent
// G = dL/dhist [hist_rows, b]: with x_ib = s_ib / T, q_i = softmax(x_i),
// g_ib = G[0, b] + Σ_s G[slots[s, i], b],
//   v_ib = q_ib (g_ib - Σ_b' q_ib' g_ib')             (= dL/dx_ib)
//   u_ib = v_ib / T                                    (= dL/ds_ib)
// and the score's derivatives (math::score_grad, math/metric.h) reduce u through the
// "backward rows" r_i (z_i as read, relative to origin when given; for cosine the unit rows
// r_i = z_i / ||z_i||) with y_i = Σ_b u_ib a_dot c_b (a GEMM):
//   grad_z[i]             = y_i + (Σ_b u_ib a_row) r_i     (euclidean, sqeuclidean, dot)
//                         = (y_i - <y_i, r_i> r_i) / ||z_i|| (cosine: the projection
//                           orthogonal to r_i, taken after the GEMM, divided last)
//   grad_centres[b]      += Σ_i u_ib a_dot r_i        (w.r.t. the centres as passed)
//   grad_centre_sq[b]    += Σ_i u_ib a_csq
//   grad_inv_temperature += Σ_ib v_ib (s_ib - max_b' s_ib')  (= Σ v s as Σ_b v_ib = 0;
//                           exactly 0 at a saturated softmax's ties), and 0 for a call whose
//                           1/T exceeds the kernel type's largest value (math::softmax_scale
//                           caps it: the function computed is then constant in T)
// Rows masked in every set still contribute through G[0]. Nothing N x B is stored.
struct SoftHistGradParams {
  SoftHistParams fwd;                 // the forward call (hist, replicates, dots_out unused)
  const double* grad_hist = nullptr;  // [fwd.hist_rows, b] float64
  const void* dots = nullptr;         // optional [n, b] from the forward's dots_out: no GEMM redo
  void* grad_z = nullptr;             // [n, d] contiguous, z's dtype; null: not needed
  double* grad_centres = nullptr;     // [b, d] float64, accumulated (+=); null: not needed
  double* grad_centre_sq = nullptr;   // [b] float64, accumulated; null: not needed
  double* grad_inv_temperature = nullptr;  // [1] float64, accumulated; null: not needed
};

// permute_labels (host memory): R permutations of the labelled entries of codes [n] (-1:
// masked; else 0 <= code < 2^(8 perm_code_bytes) - 1) among the labelled positions, into
// out [permutations, n] compact codes (masked positions: the type's largest value).
// Permutation j is math::shuffle (math/permute.h) of the labelled codes in row order with
// the stream math::permutation_key(seed, row_offset, set_key, first_permutation + j).
// Threads split the permutations; the result does not depend on their number.
struct PermuteLabelsParams {
  const int32_t* codes = nullptr;  // [n]
  int64_t n = 0;                   // < 2^32 labelled rows
  void* out = nullptr;             // [permutations, n] of code_bytes each
  int64_t code_bytes = 1;          // 1, 2 or 4
  int64_t permutations = 0;
  int64_t first_permutation = 0;
  uint64_t seed = 0;
  uint64_t row_offset = 0;
  uint64_t set_key = 0;
  int64_t skip_code = -1;  // >= 0: this code is written as masked after the shuffle
  int num_threads = 0;     // 0 = OpenMP default
};

}  // namespace softent
