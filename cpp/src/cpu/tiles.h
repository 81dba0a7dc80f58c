// The CPU skeleton shared by the forward and backward soft-histogram kernels: tile sizes,
// thread counts, reading a tile of rows (in place or gathered), and the row softmax.
// Math: softent/math/soft_bin.h. Device: host memory, called inside OpenMP regions.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "softent/problem.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace softent::cpu {

// Tile height: measured best (N=100k, B in {100, 1000}, D in {64, 768}, 2 cores) with a
// score block of up to ~1 MB (rows x B floats): large enough that the per-call packing of
// the centres inside the GEMM is amortised, small enough to stay in L2/L3 while it is
// softmaxed; the gathered input tile (rows x d) is kept within a few MB too.
inline int64_t auto_tile_rows(int64_t b, int64_t d) {
  int64_t rows = (int64_t(256) << 10) / std::max<int64_t>(b, 1);
  rows =
      std::min<int64_t>(rows, std::max<int64_t>((int64_t(1) << 20) / std::max<int64_t>(d, 1), 16));
  return std::clamp<int64_t>(rows, 16, 512);
}

// f(std::integral_constant<Metric, M>{}) for the run-time metric: kernels are templated on
// the metric so its switch leaves the inner loops.
template <typename F>
auto with_metric(Metric m, F&& f) {
  switch (m) {
    case Metric::euclidean:
      return f(std::integral_constant<Metric, Metric::euclidean>{});
    case Metric::sqeuclidean:
      return f(std::integral_constant<Metric, Metric::sqeuclidean>{});
    case Metric::cosine:
      return f(std::integral_constant<Metric, Metric::cosine>{});
    case Metric::dot:
      return f(std::integral_constant<Metric, Metric::dot>{});
  }
  throw std::invalid_argument("softent: unknown metric");
}

// OpenMP threads for a call: the caller's choice, else OMP_NUM_THREADS; never more than tiles.
inline int thread_count(int requested, int64_t n_tiles) {
  int nt = requested > 0 ? requested : 1;
#ifdef _OPENMP
  if (requested <= 0) nt = omp_get_max_threads();
  nt = static_cast<int>(std::min<int64_t>(nt, std::max<int64_t>(n_tiles, 1)));
#endif
  return nt;
}

// A thread's view of one tile of rows of z: the GEMM reads z in place when its rows are
// contiguous, otherwise (strided / transposed views) the tile is gathered into a buffer.
template <typename T>
class TileReader {
 public:
  TileReader(const HistProblem& p, int64_t tile)
      : p_(p),
        z_(static_cast<const T*>(p.z)),
        in_place_(p.z_stride_col == 1 && p.z_stride_row >= p.d &&
                  p.z_stride_row <= std::numeric_limits<int>::max()),
        gathered_(in_place_ ? 0 : tile * p.d),
        zsq_(tile) {}

  // Point at rows [i0, i0 + m); fills ||z_i||^2 when the metric needs it.
  void load(int64_t i0, int64_t m, bool row_norm) {
    const int64_t d = p_.d;
    if (in_place_) {
      rows_ = z_ + i0 * p_.z_stride_row;
      ld_ = p_.z_stride_row;
    } else {
      for (int64_t r = 0; r < m; ++r) {
        const T* src = z_ + (i0 + r) * p_.z_stride_row;
        T* dst = gathered_.data() + r * d;
        for (int64_t k = 0; k < d; ++k) dst[k] = src[k * p_.z_stride_col];
      }
      rows_ = gathered_.data();
      ld_ = d;
    }
    if (!row_norm) return;
    for (int64_t r = 0; r < m; ++r) {
      const T* row = rows_ + r * ld_;
      double acc = 0.0;
#pragma omp simd reduction(+ : acc)
      for (int64_t k = 0; k < d; ++k) acc += double(row[k]) * double(row[k]);
      zsq_[r] = static_cast<T>(acc);
    }
  }

  const T* rows() const { return rows_; }
  int64_t ld() const { return ld_; }
  T zsq(int64_t r) const { return zsq_[r]; }

 private:
  const HistProblem& p_;
  const T* z_;
  bool in_place_;
  std::vector<T> gathered_, zsq_;
  const T* rows_ = nullptr;
  int64_t ld_ = 0;
};

// One row of the soft assignment: dots [b] (<z, c_b>) -> e[b] = exp(x_b - max x) with
// x_b = score_b / T; returns sum_b e[b], or a non-finite value when the row has NaN/Inf.
// `x` (optional) receives the scaled scores x_b (the backward needs them).
template <typename T, Metric M>
inline T softmax_row(const T* dots, T* e, T* x, int64_t b, T zr, const T* csq, T inv_t) {
  T mx = -std::numeric_limits<T>::infinity();
  T* xs = x ? x : e;
#pragma omp simd reduction(max : mx)
  for (int64_t j = 0; j < b; ++j) {
    xs[j] = math::score(M, dots[j], zr, csq[j]) * inv_t;
    mx = std::max(mx, xs[j]);
  }
  T sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < b; ++j) {
    e[j] = math::exp_nonpositive(xs[j] - mx);
    sum += e[j];
  }
  // NaN/Inf anywhere in the row makes the max or the sum non-finite.
  if (!std::isfinite(mx) || !std::isfinite(zr)) return std::numeric_limits<T>::quiet_NaN();
  return sum;
}

}  // namespace softent::cpu
