// The parameters of the pairwise-affinity kernel of softent.spectral (diffusion / adjacency
// spectral entropy, matrix Renyi entropy): one struct, filled by name in
// python/softent/spectral/_kernel.py, bound in cpp/bindings/bind_spectral.cpp, listed in
// python/softent/_core.pyi. Plain pointers and sizes: no framework types. Every pointer lives
// in the memory of x.device (-1: host, else that CUDA device).
//
// The affinity of rows i, j of x [n, d] is
//   g_ij = prefactor * k(d2_ij),  d2_ij = ||x_i - x_j||^2 (exactly 0 on the diagonal),
//   gaussian:    k = exp(-d2 / (2 sigma^2))            (dse-dsmi's kernel, Liao et al. 2023)
//   self_tuning: k = exp(-d2 / (2 sigma_i sigma_j))   (Zelnik-Manor & Perona 2004, with the
//                same 1/2 so that equal sigma_i reproduce the gaussian kernel)
// and k = 1 when d2 = 0 (identical rows), k = 0 when d2 > 0 and a bandwidth is 0
// (math/affinity.h). With row_scale s the op reads a_ij = s_i g_ij s_j (the symmetric
// normalisation D^-1/2 G D^-1/2 when s = degrees^-1/2). Distances come from GEMM tiles of the
// centred rows (clamped at 0); a pair whose GEMM value is within its rounding bound of 0 is
// measured exactly in float64 from the values as stored (duplicates read exactly 0).
#pragma once

#include <cstdint>

#include "softent/types.h"

namespace softent {

// Codes match AFFINITY_KERNELS in python/softent/spectral/_kernel.py.
enum class AffinityKernel : int32_t {
  gaussian = 0,     // one bandwidth sigma
  self_tuning = 1,  // per-row bandwidths scales[i]
};

// Codes match AFFINITY_OUTPUTS in python/softent/spectral/_kernel.py.
enum class AffinityOutput : int32_t {
  degrees = 0,  // out [n]:    out_i = sum_j a_ij                       (row sums)
  dense = 1,    // out [n, n]: out_ij = a_ij, row-major, exactly symmetric
  product = 2,  // out [n, m]: out = A V for v [n, m] (never holding A): matrix-free products
  dense32 = 3,  // out [n, n]: a_ij rounded to float32 (out addresses float storage): the
                // stored operator of stochastic Lanczos in half the memory, no float64 copy
};

// affinity: one fused pass over tiles of row pairs: GEMM -> squared distance -> kernel value
// -> (row sums | the dense matrix | A V). Memory besides the output: a centred copy of x
// (n d elements) and per thread O(tile^2 + tile m) values. Deterministic for a given thread
// count (row sums and products add tiles in a fixed order).
struct AffinityParams {
  View2D x;  // [n, d] float32/float64, any element strides, finite
  AffinityKernel kernel = AffinityKernel::gaussian;
  double sigma = 1.0;                 // gaussian: finite, > 0
  const double* scales = nullptr;     // self_tuning: [n] float64, finite, >= 0
  double prefactor = 1.0;             // finite, > 0 (dse-dsmi: 1 / (sigma sqrt(2 pi)))
  const double* row_scale = nullptr;  // [n] float64 s_i, finite; null: all 1
  AffinityOutput output = AffinityOutput::degrees;
  double* out = nullptr;      // written: [n] / [n, n] / [n, m] float64 (dense32: float) contiguous
  const double* v = nullptr;  // product: [n, m] float64 contiguous
  int64_t m = 0;              // product: columns of v, >= 1
  int num_threads = 0;        // CPU: 0 = OpenMP default
  int64_t tile_rows = 0;      // rows per tile (both sides); 0 = automatic
  std::uintptr_t stream = 0;  // CUDA: the caller's cudaStream_t
};

}  // namespace softent
