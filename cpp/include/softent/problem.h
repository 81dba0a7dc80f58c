// The description of one soft-histogram call, shared by the dispatcher and the CPU and
// CUDA skeletons. Plain pointers and sizes: no framework types cross this boundary.
#pragma once

#include <cstdint>

#include "softent/math/soft_bin.h"

namespace softent {

enum class DType : int32_t { float32 = 0, float64 = 1 };

// Accumulate q_ib = softmax_b(score(z_i, c_b) / T) into float64 histograms:
//   hist[0, b]            += q_ib  for every row i (the all-rows total);
//   hist[slots[s, i], b]  += q_ib  for every label set s with slots[s, i] >= 1
// (slots[s, i] == -1 masks row i for set s). Rows of hist: 1 + the label slots.
struct HistProblem {
  const void* z = nullptr;       // [n, d], dtype, element strides below
  int64_t n = 0, d = 0;
  int64_t z_stride_row = 0, z_stride_col = 1;
  const void* centres = nullptr;  // [b, d] contiguous, dtype; unit rows for cosine
  const double* centre_sq = nullptr;  // [b] ||c_b||^2 (same memory space as centres)
  int64_t b = 0;
  const int32_t* slots = nullptr;  // [n_sets, n] contiguous, or null when n_sets == 0
  int64_t n_sets = 0;
  double* hist = nullptr;  // [hist_rows, b] float64, accumulated into (+=)
  int64_t hist_rows = 1;
  Metric metric = Metric::cosine;
  DType dtype = DType::float32;
  double inv_temperature = 1.0;
  int num_threads = 0;    // CPU: 0 = OpenMP default (OMP_NUM_THREADS)
  int64_t tile_rows = 0;  // 0 = automatic
  // CUDA only
  int device = -1;          // -1: host memory
  std::uintptr_t stream = 0;  // cudaStream_t of the caller (torch's current stream)
};

// Result of a call: the first row whose scores were not finite (NaN/Inf in z), or -1.
struct HistStatus {
  int64_t first_nonfinite_row = -1;
};

namespace cpu {
HistStatus soft_histogram(const HistProblem& p);
}  // namespace cpu

namespace cuda {
bool available();              // a driver and at least one device are present
int device_count();
const char* runtime_version();  // "13.0" or "" when built without CUDA
HistStatus soft_histogram(const HistProblem& p);
}  // namespace cuda

// Validates (cheaply, again: Python can be bypassed) and routes to CPU or CUDA.
HistStatus soft_histogram(const HistProblem& p);

}  // namespace softent
