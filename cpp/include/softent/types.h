// The framework-free vocabulary of every entry point: element types and the strided 2-D
// view through which arrays (NumPy, torch CPU or CUDA) reach the kernels.
#pragma once

#include <cstdint>

namespace softent {

// Element type of a float array; the codes are FLOAT32 / FLOAT64 in python/softent/_interop.py.
enum class DType : int32_t { float32 = 0, float64 = 1 };

// A strided [rows, cols] float array that the kernels read: element (i, k) is at
// data + i * stride_row + k * stride_col elements. No ownership: the caller keeps it alive.
struct View2D {
  const void* data = nullptr;
  int64_t rows = 0, cols = 0;
  int64_t stride_row = 0, stride_col = 1;  // in elements, not bytes
  DType dtype = DType::float32;
  int device = -1;  // -1: host memory, else the CUDA device index

  template <typename T>
  const T* ptr() const {
    return static_cast<const T*>(data);
  }
  // Rows are dense [rows, cols] row-major (size-1 dimensions may carry any stride).
  bool contiguous() const {
    return (cols == 1 || stride_col == 1) && (rows == 1 || stride_row == cols);
  }
};

}  // namespace softent
