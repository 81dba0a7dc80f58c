// The description of one soft-histogram call, shared by the dispatcher and the CPU and
// CUDA skeletons. Plain pointers and sizes: no framework types cross this boundary.
#pragma once

#include <cstdint>

#include "softent/math/bootstrap.h"
#include "softent/math/soft_bin.h"

namespace softent {

enum class DType : int32_t { float32 = 0, float64 = 1 };

// Accumulate q_ib = softmax_b(score(z_i, c_b) / T) into float64 histograms:
//   hist[0, b]            += q_ib  for every row i (the all-rows total);
//   hist[slots[s, i], b]  += q_ib  for every label set s with slots[s, i] >= 1
// (slots[s, i] == -1 masks row i for set s). Rows of hist: 1 + the label slots.
// With replicates R > 0, hist holds 1 + R blocks of hist_rows rows: block 0 as above and
// block r the same sums with each row weighted by its Poisson(1) bootstrap weight
// math::poisson1_weight(replicate_seed, row_offset + i, replicate_offset + r - 1)
// (math/bootstrap.h; the offset lets replicates be computed in several passes).
struct HistProblem {
  const void* z = nullptr;  // [n, d], dtype, element strides below
  int64_t n = 0, d = 0;
  int64_t z_stride_row = 0, z_stride_col = 1;
  const void* centres = nullptr;      // [b, d] contiguous, dtype; unit rows for cosine
  const double* centre_sq = nullptr;  // [b] ||c_b||^2 (same memory space as centres)
  int64_t b = 0;
  const int32_t* slots = nullptr;  // [n_sets, n] contiguous, or null when n_sets == 0
  int64_t n_sets = 0;
  double* hist = nullptr;  // [(1 + replicates) * hist_rows, b] float64, accumulated into (+=)
  int64_t hist_rows = 1;
  int64_t replicates = 0;  // Poisson bootstrap replicates (0: none)
  uint64_t replicate_seed = 0;
  int64_t row_offset = 0;        // global index of row 0 (streams draw the same weights)
  int64_t replicate_offset = 0;  // global index of replicate block 1
  void* dots_out = nullptr;      // optional [n, b] fwd.dtype: <z_i, c_b> kept for a backward
  Metric metric = Metric::cosine;
  DType dtype = DType::float32;
  double inv_temperature = 1.0;
  int num_threads = 0;    // CPU: 0 = OpenMP default (OMP_NUM_THREADS)
  int64_t tile_rows = 0;  // 0 = automatic
  // CUDA only
  int device = -1;            // -1: host memory
  std::uintptr_t stream = 0;  // cudaStream_t of the caller (torch's current stream)
};

// Weight of row i of the call in histogram block `block`: 1 in block 0 (the plain
// histograms), its Poisson(1) bootstrap weight in replicate block >= 1. Both skeletons
// call this, so CPU and GPU draw identical resamples.
SOFTENT_HD int block_weight(const HistProblem& p, int64_t i, int64_t block) {
  if (block == 0) return 1;
  return math::poisson1_weight(p.replicate_seed, uint64_t(p.row_offset + i),
                               uint64_t(p.replicate_offset + block - 1));
}

// Result of a call: the first row whose scores were not finite (NaN/Inf in z), or -1.
struct HistStatus {
  int64_t first_nonfinite_row = -1;
};

// Backward of HistProblem (replicates = 0) for a cotangent G = dL/dhist [hist_rows, b]:
// with x_ib = s_ib / T, q_i = softmax(x_i), g_ib = G[0, b] + Σ_s G[slots[s, i], b],
//   v_ib = q_ib (g_ib - Σ_b' q_ib' g_ib')             (= dL/dx_ib)
//   u_ib = v_ib / T                                    (= dL/ds_ib)
// and the score's derivatives (math::score_grad) reduce u to
//   grad_z[i]         = Σ_b u_ib (a_dot c_b) + 2 z_i Σ_b u_ib a_zsq
//   grad_centres[b]  += Σ_i u_ib a_dot z_i            (w.r.t. the centres as passed)
//   grad_centre_sq[b] += Σ_i u_ib a_csq
//   grad_inv_temperature += Σ_ib v_ib s_ib
// Rows masked in every set still contribute through G[0]. Nothing N x B is stored.
struct HistGradProblem {
  HistProblem fwd;                    // the forward call (hist, replicates unused)
  const double* grad_hist = nullptr;  // [fwd.hist_rows, b] float64, same memory as z
  const void* dots = nullptr;         // optional [n, b] from the forward's dots_out: no GEMM redo
  void* grad_z = nullptr;             // [n, d] contiguous, fwd.dtype; null: not needed
  double* grad_centres = nullptr;     // [b, d] float64, accumulated (+=); null: not needed
  double* grad_centre_sq = nullptr;   // [b] float64, accumulated; null: not needed
  double* grad_inv_temperature = nullptr;  // [1] float64, accumulated; null: not needed
};

namespace cpu {
HistStatus soft_histogram(const HistProblem& p);
void soft_histogram_backward(const HistGradProblem& p);
}  // namespace cpu

namespace cuda {
bool available();  // a driver and at least one device are present
int device_count();
const char* runtime_version();  // "13.0" or "" when built without CUDA
HistStatus soft_histogram(const HistProblem& p);
void soft_histogram_backward(const HistGradProblem& p);
}  // namespace cuda

// Validate (cheaply, again: Python can be bypassed) and route to CPU or CUDA.
HistStatus soft_histogram(const HistProblem& p);
void soft_histogram_backward(const HistGradProblem& p);

}  // namespace softent
