// Fused soft-bin histogram on the CPU: tile of rows -> scores (BLAS GEMM) -> row softmax
// -> += float64 histograms, so the N x B assignment matrix never exists.
// Math: softent/math/soft_bin.h. Device: host memory, OpenMP threads, one BLAS thread each.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include <cblas.h>

#include "softent/cpu_gemm.h"
#include "softent/problem.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace softent::cpu {
namespace {

// Per-thread label histograms are private (no contention) up to this size; beyond it
// (token-style label sets with 10^4..10^5 values) they are shared and updated
// atomically, where contention is low because rows spread over many labels.
constexpr int64_t kPrivateHistBytes = int64_t(16) << 20;

// Tile height: measured best (N=100k, B in {100, 1000}, D in {64, 768}, 2 cores) with a
// score block of up to ~1 MB (rows x B floats): large enough that the per-call packing of
// the centres inside the GEMM is amortised, small enough to stay in L2/L3 while it is
// softmaxed; the gathered input tile (rows x d) is kept within a few MB too.
int64_t auto_tile_rows(int64_t b, int64_t d) {
  int64_t rows = (int64_t(256) << 10) / std::max<int64_t>(b, 1);
  rows = std::min<int64_t>(rows, std::max<int64_t>((int64_t(1) << 20) / std::max<int64_t>(d, 1), 16));
  return std::clamp<int64_t>(rows, 16, 512);
}

template <typename T, Metric M>
HistStatus run(const HistProblem& p) {
  const int64_t n = p.n, d = p.d, b = p.b;
  const T* z = static_cast<const T*>(p.z);
  const T* centres = static_cast<const T*>(p.centres);
  const T inv_t = static_cast<T>(p.inv_temperature);
  const int64_t tile = p.tile_rows > 0 ? p.tile_rows : auto_tile_rows(b, d);
  const int64_t n_tiles = (n + tile - 1) / tile;
  constexpr bool row_norm = math::needs_row_norm(M);
  // The GEMM can read z in place when its rows are contiguous; otherwise each tile is
  // gathered into a contiguous buffer (strided / transposed views).
  const bool in_place = p.z_stride_col == 1 && p.z_stride_row >= d &&
                        p.z_stride_row <= std::numeric_limits<int>::max();
  const int64_t label_rows = p.hist_rows - 1;
  const bool private_labels = label_rows * b * int64_t(sizeof(double)) <= kPrivateHistBytes;

  std::vector<T> csq(b);
  for (int64_t j = 0; j < b; ++j) csq[j] = static_cast<T>(p.centre_sq[j]);

  std::atomic<int64_t> first_bad{std::numeric_limits<int64_t>::max()};
  int nt = p.num_threads > 0 ? p.num_threads : 1;
#ifdef _OPENMP
  if (p.num_threads <= 0) nt = omp_get_max_threads();
  nt = static_cast<int>(std::min<int64_t>(nt, std::max<int64_t>(n_tiles, 1)));
#endif

#pragma omp parallel num_threads(nt)
  {
    std::vector<T> scores(tile * b), gathered(in_place ? 0 : tile * d), zsq(tile);
    std::vector<double> total(b, 0.0);
    std::vector<double> labels_local(private_labels ? label_rows * b : 0, 0.0);
    int64_t local_bad = std::numeric_limits<int64_t>::max();

#pragma omp for schedule(dynamic, 1)
    for (int64_t t = 0; t < n_tiles; ++t) {
      const int64_t i0 = t * tile, m = std::min(tile, n - i0);
      const T* a;
      int64_t lda;
      if (in_place) {
        a = z + i0 * p.z_stride_row;
        lda = p.z_stride_row;
      } else {
        for (int64_t r = 0; r < m; ++r) {
          const T* src = z + (i0 + r) * p.z_stride_row;
          T* dst = gathered.data() + r * d;
          for (int64_t k = 0; k < d; ++k) dst[k] = src[k * p.z_stride_col];
        }
        a = gathered.data();
        lda = d;
      }
      if (row_norm) {
        for (int64_t r = 0; r < m; ++r) {
          const T* row = a + r * lda;
          double acc = 0.0;
#pragma omp simd reduction(+ : acc)
          for (int64_t k = 0; k < d; ++k) acc += double(row[k]) * double(row[k]);
          zsq[r] = static_cast<T>(acc);
        }
      }
      gemm_abt(m, b, d, a, lda, centres, d, scores.data(), b);

      for (int64_t r = 0; r < m; ++r) {
        T* s = scores.data() + r * b;
        const T zr = row_norm ? zsq[r] : T(0);
        T mx = -std::numeric_limits<T>::infinity();
#pragma omp simd reduction(max : mx)
        for (int64_t j = 0; j < b; ++j) {
          s[j] = math::score(M, s[j], zr, csq[j]) * inv_t;
          mx = std::max(mx, s[j]);
        }
        T sum = 0;
#pragma omp simd reduction(+ : sum)
        for (int64_t j = 0; j < b; ++j) {
          s[j] = math::exp_nonpositive(s[j] - mx);
          sum += s[j];
        }
        // NaN/Inf anywhere in the row makes the max or the sum non-finite.
        if (!std::isfinite(mx) || !std::isfinite(sum) || !std::isfinite(zr)) {
          local_bad = std::min(local_bad, i0 + r);
          continue;
        }
        const double inv_sum = 1.0 / double(sum);
#pragma omp simd
        for (int64_t j = 0; j < b; ++j) total[j] += double(s[j]) * inv_sum;
        for (int64_t set = 0; set < p.n_sets; ++set) {
          const int32_t slot = p.slots[set * n + i0 + r];
          if (slot < 1) continue;
          if (private_labels) {
            double* h = labels_local.data() + (slot - 1) * b;
#pragma omp simd
            for (int64_t j = 0; j < b; ++j) h[j] += double(s[j]) * inv_sum;
          } else {
            double* h = p.hist + slot * b;
            for (int64_t j = 0; j < b; ++j)
              std::atomic_ref<double>(h[j]).fetch_add(double(s[j]) * inv_sum,
                                                      std::memory_order_relaxed);
          }
        }
      }
    }

#pragma omp critical(softent_hist_reduce)
    {
      for (int64_t j = 0; j < b; ++j) p.hist[j] += total[j];
      if (private_labels)
        for (int64_t k = 0; k < label_rows * b; ++k) p.hist[b + k] += labels_local[k];
      if (local_bad < first_bad.load()) first_bad.store(local_bad);
    }
  }
  HistStatus status;
  const int64_t bad = first_bad.load();
  status.first_nonfinite_row = bad == std::numeric_limits<int64_t>::max() ? -1 : bad;
  return status;
}

template <typename T>
HistStatus run_metric(const HistProblem& p) {
  switch (p.metric) {
    case Metric::euclidean:
      return run<T, Metric::euclidean>(p);
    case Metric::sqeuclidean:
      return run<T, Metric::sqeuclidean>(p);
    case Metric::cosine:
      return run<T, Metric::cosine>(p);
    case Metric::dot:
      return run<T, Metric::dot>(p);
  }
  throw std::invalid_argument("softent: unknown metric");
}

}  // namespace

HistStatus soft_histogram(const HistProblem& p) {
  return p.dtype == DType::float64 ? run_metric<double>(p) : run_metric<float>(p);
}

}  // namespace softent::cpu
