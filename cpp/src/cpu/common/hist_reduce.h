// Histogram-style reduction of the CPU skeletons: many rows of input add weighted vectors
// into a few rows of a float64 output [rows, cols] (+=). Row 0 (which every input row hits)
// is always thread-private; the others are private too while the whole output fits
// kPrivateHistBytes, else (token-style label sets with 10^4..10^5 rows, many bootstrap
// replicates) they are shared and updated atomically, where contention is low because the
// input rows spread over many output rows. Device: host memory, one LocalHist per thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

namespace softent::cpu {

inline constexpr int64_t kPrivateHistBytes = int64_t(16) << 20;

// The shared output and whether its rows are reduced privately.
struct HistOutput {
  double* out;
  int64_t rows, cols;
  bool private_rows;
};

inline HistOutput hist_output(double* out, int64_t rows, int64_t cols) {
  return {out, rows, cols, (rows - 1) * cols * int64_t(sizeof(double)) <= kPrivateHistBytes};
}

class LocalHist {
 public:
  explicit LocalHist(const HistOutput& o)
      : o_(o), local_((o.private_rows ? o.rows : 1) * o.cols, 0.0) {}

  // out[row, j] += value(j) for j < cols (value: the op's math, inlined into the loop).
  template <typename Value>
  void add(int64_t row, Value&& value) {
    const int64_t b = o_.cols;
    if (row == 0 || o_.private_rows) {
      double* h = local_.data() + row * b;
#pragma omp simd
      for (int64_t j = 0; j < b; ++j) h[j] += value(j);
      return;
    }
    double* h = o_.out + row * b;
    for (int64_t j = 0; j < b; ++j)
      std::atomic_ref<double>(h[j]).fetch_add(value(j), std::memory_order_relaxed);
  }

  // Add this thread's private rows into the output; call one thread at a time.
  void merge() const {
    for (size_t k = 0; k < local_.size(); ++k) o_.out[k] += local_[k];
  }

 private:
  HistOutput o_;
  std::vector<double> local_;
};

}  // namespace softent::cpu
