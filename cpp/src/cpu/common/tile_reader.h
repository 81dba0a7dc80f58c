// A thread's window onto one tile of rows of a View2D: read in place when the rows are
// contiguous (the GEMM takes a leading dimension), gathered into a thread-owned buffer
// otherwise (strided / transposed views, rows read relative to an origin or multiplied by a
// row scale: SoftHistParams::origin, row_scale), with each
// row's statistic (math/metric.h row_stat: scale-safe norms) when the metric needs one.
// Device: host memory, one reader per OpenMP thread.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "softent/math/metric.h"
#include "softent/types.h"

namespace softent::cpu {

template <typename T>
class TileReader {
 public:
  // origin: [d] or null; given, rows are read as z_i - origin (SoftHistParams::origin).
  // scale: a power of two (SoftHistParams::row_scale); rows are read as (z_i - origin) scale.
  TileReader(const View2D& z, int64_t tile, const T* origin = nullptr, T scale = T(1))
      : z_(z),
        origin_(origin),
        scale_(scale),
        in_place_(origin == nullptr && scale == T(1) && z.stride_col == 1 &&
                  z.stride_row >= z.cols && z.stride_row <= std::numeric_limits<int>::max()),
        gathered_(in_place_ ? 0 : tile * z.cols),
        stat_(tile) {}

  // Point at rows [i0, i0 + m); fills each row's statistic for metric m when it needs one.
  void load(int64_t i0, int64_t m, Metric metric) {
    const int64_t d = z_.cols;
    const T* z = z_.ptr<T>();
    if (in_place_) {
      rows_ = z + i0 * z_.stride_row;
      ld_ = z_.stride_row;
    } else {
      const T* o = origin_;
      for (int64_t r = 0; r < m; ++r) {
        const T* src = z + (i0 + r) * z_.stride_row;
        T* dst = gathered_.data() + r * d;
        const int64_t sc = z_.stride_col;
        const T f = scale_;
        if (f != T(1)) {  // the rare scaled call (a separate loop: the others stay as they were)
          if (o != nullptr) {
#pragma omp simd
            for (int64_t k = 0; k < d; ++k) dst[k] = (src[k * sc] - o[k]) * f;
          } else {
            for (int64_t k = 0; k < d; ++k) dst[k] = src[k * sc] * f;
          }
        } else if (o != nullptr) {
#pragma omp simd
          for (int64_t k = 0; k < d; ++k) dst[k] = src[k * sc] - o[k];
        } else {
          for (int64_t k = 0; k < d; ++k) dst[k] = src[k * sc];
        }
      }
      rows_ = gathered_.data();
      ld_ = d;
    }
    if (!math::needs_row_norm(metric)) return;
    for (int64_t r = 0; r < m; ++r) {
      const T* row = rows_ + r * ld_;
      double acc = 0.0;
#pragma omp simd reduction(+ : acc)
      for (int64_t k = 0; k < d; ++k) acc += double(row[k]) * double(row[k]);
      const auto z_of = [row](int64_t k) { return row[k]; };
      stat_[r] = math::row_stat<T>(metric, math::row_norm_from_sum(acc, d, z_of));
    }
  }

  const T* rows() const { return rows_; }  // row r of the tile at rows() + r * ld()
  int64_t ld() const { return ld_; }
  T stat(int64_t r) const { return stat_[r]; }

 private:
  View2D z_;
  const T* origin_;
  T scale_;
  bool in_place_;
  std::vector<T> gathered_, stat_;
  const T* rows_ = nullptr;
  int64_t ld_ = 0;
};

}  // namespace softent::cpu
