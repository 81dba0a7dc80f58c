// Fused soft-bin histogram on the CPU: tile of rows -> scores (BLAS GEMM) -> row softmax
// -> += float64 histograms (and Poisson bootstrap replicates), so the N x B assignment
// matrix never exists. Math: softent/math/soft_bin.h, math/bootstrap.h.
// Device: host memory, OpenMP threads, one BLAS thread each.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "cpu/tiles.h"
#include "softent/cpu_gemm.h"
#include "softent/problem.h"

namespace softent::cpu {
namespace {

// Per-thread histograms are private (no contention) up to this size; beyond it
// (token-style label sets with 10^4..10^5 values, or many bootstrap replicates) they are
// shared and updated atomically, where contention is low because rows spread over many
// rows of the histogram.
constexpr int64_t kPrivateHistBytes = int64_t(16) << 20;

// hist_row += w * e (w folds the softmax normaliser and the bootstrap weight).
inline void add_scaled(double* h, const float* e, double w, int64_t b, bool atomic) {
  if (atomic) {
    for (int64_t j = 0; j < b; ++j)
      std::atomic_ref<double>(h[j]).fetch_add(double(e[j]) * w, std::memory_order_relaxed);
    return;
  }
#pragma omp simd
  for (int64_t j = 0; j < b; ++j) h[j] += double(e[j]) * w;
}

inline void add_scaled(double* h, const double* e, double w, int64_t b, bool atomic) {
  if (atomic) {
    for (int64_t j = 0; j < b; ++j)
      std::atomic_ref<double>(h[j]).fetch_add(e[j] * w, std::memory_order_relaxed);
    return;
  }
#pragma omp simd
  for (int64_t j = 0; j < b; ++j) h[j] += e[j] * w;
}

template <typename T, Metric M>
HistStatus run(const HistProblem& p) {
  const int64_t n = p.n, d = p.d, b = p.b;
  const T* centres = static_cast<const T*>(p.centres);
  const T inv_t = static_cast<T>(p.inv_temperature);
  T* dots_out = static_cast<T*>(p.dots_out);
  const int64_t tile = p.tile_rows > 0 ? p.tile_rows : auto_tile_rows(b, d);
  const int64_t n_tiles = (n + tile - 1) / tile;
  constexpr bool row_norm = math::needs_row_norm(M);
  // Every histogram row but the all-rows total of block 0 (kept private always).
  const int64_t blocks = 1 + p.replicates;
  const int64_t other_rows = blocks * p.hist_rows - 1;
  const bool private_rows = other_rows * b * int64_t(sizeof(double)) <= kPrivateHistBytes;

  std::vector<T> csq(b);
  for (int64_t j = 0; j < b; ++j) csq[j] = static_cast<T>(p.centre_sq[j]);

  std::atomic<int64_t> first_bad{std::numeric_limits<int64_t>::max()};
  const int nt = thread_count(p.num_threads, n_tiles);

#pragma omp parallel num_threads(nt)
  {
    TileReader<T> reader(p, tile);
    std::vector<T> scores(tile * b);
    // Row 0 of block 0, then (when private) the other rows in hist order.
    std::vector<double> local(private_rows ? (other_rows + 1) * b : b, 0.0);
    int64_t local_bad = std::numeric_limits<int64_t>::max();
    // Row `row` of histogram block `block`: thread-private or the shared output.
    auto target = [&](int64_t block, int64_t row) -> double* {
      const int64_t k = block * p.hist_rows + row;
      return (k == 0 || private_rows) ? local.data() + k * b : p.hist + k * b;
    };

#pragma omp for schedule(dynamic, 1)
    for (int64_t t = 0; t < n_tiles; ++t) {
      const int64_t i0 = t * tile, m = std::min(tile, n - i0);
      reader.load(i0, m, row_norm);
      // The dots go straight into the caller's buffer when it keeps them for a backward.
      T* dots = dots_out ? dots_out + i0 * b : scores.data();
      gemm_abt(m, b, d, reader.rows(), reader.ld(), centres, d, dots, b);

      for (int64_t r = 0; r < m; ++r) {
        T* s = scores.data() + r * b;
        const T sum = softmax_row<T, M>(dots + r * b, s, nullptr, b,
                                        row_norm ? reader.zsq(r) : T(0), csq.data(), inv_t);
        if (!std::isfinite(sum)) {
          local_bad = std::min(local_bad, i0 + r);
          continue;
        }
        const double inv_sum = 1.0 / double(sum);
        const int64_t i = i0 + r;
        for (int64_t block = 0; block < blocks; ++block) {
          const int w = block_weight(p, i, block);
          if (w == 0) continue;
          const double scale = inv_sum * w;
          add_scaled(target(block, 0), s, scale, b, block > 0 && !private_rows);
          for (int64_t set = 0; set < p.n_sets; ++set) {
            const int32_t slot = p.slots[set * n + i];
            if (slot >= 1) add_scaled(target(block, slot), s, scale, b, !private_rows);
          }
        }
      }
    }

#pragma omp critical(softent_hist_reduce)
    {
      const int64_t reduce_rows = private_rows ? other_rows + 1 : 1;
      for (int64_t k = 0; k < reduce_rows * b; ++k) p.hist[k] += local[k];
      if (local_bad < first_bad.load()) first_bad.store(local_bad);
    }
  }
  HistStatus status;
  const int64_t bad = first_bad.load();
  status.first_nonfinite_row = bad == std::numeric_limits<int64_t>::max() ? -1 : bad;
  return status;
}

}  // namespace

HistStatus soft_histogram(const HistProblem& p) {
  return with_metric(p.metric, [&](auto metric) {
    constexpr Metric M = decltype(metric)::value;
    return p.dtype == DType::float64 ? run<double, M>(p) : run<float, M>(p);
  });
}

}  // namespace softent::cpu
