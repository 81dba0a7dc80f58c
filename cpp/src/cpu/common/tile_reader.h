// A thread's window onto one tile of rows of a View2D: read in place when the rows are
// contiguous (the GEMM takes a leading dimension), gathered into a thread-owned buffer
// otherwise (strided / transposed views), with the rows' squared norms when asked.
// Device: host memory, one reader per OpenMP thread.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "softent/types.h"

namespace softent::cpu {

template <typename T>
class TileReader {
 public:
  TileReader(const View2D& z, int64_t tile)
      : z_(z),
        in_place_(z.stride_col == 1 && z.stride_row >= z.cols &&
                  z.stride_row <= std::numeric_limits<int>::max()),
        gathered_(in_place_ ? 0 : tile * z.cols),
        zsq_(tile) {}

  // Point at rows [i0, i0 + m); fills ||z_i||^2 (summed in double) when row_norm.
  void load(int64_t i0, int64_t m, bool row_norm) {
    const int64_t d = z_.cols;
    const T* z = z_.ptr<T>();
    if (in_place_) {
      rows_ = z + i0 * z_.stride_row;
      ld_ = z_.stride_row;
    } else {
      for (int64_t r = 0; r < m; ++r) {
        const T* src = z + (i0 + r) * z_.stride_row;
        T* dst = gathered_.data() + r * d;
        for (int64_t k = 0; k < d; ++k) dst[k] = src[k * z_.stride_col];
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

  const T* rows() const { return rows_; }  // row r of the tile at rows() + r * ld()
  int64_t ld() const { return ld_; }
  T zsq(int64_t r) const { return zsq_[r]; }

 private:
  View2D z_;
  bool in_place_;
  std::vector<T> gathered_, zsq_;
  const T* rows_ = nullptr;
  int64_t ld_ = 0;
};

}  // namespace softent::cpu
