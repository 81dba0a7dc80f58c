// Warp all-reductions (every lane gets the result) by xor shuffles: the CUDA side of the
// init / push / combine / finalize reductions of math/: lanes push, the warp combines.
#pragma once

#include <cuda_runtime.h>

#include "softent/math/softmax.h"

namespace softent::cuda {

template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}

// math::lse_combine across the warp; combine is commutative, so all lanes agree.
template <typename T>
__device__ __forceinline__ math::LogSumExp<T> warp_combine(math::LogSumExp<T> s, T scale) {
  for (int off = 16; off > 0; off >>= 1) {
    const math::LogSumExp<T> other{__shfl_xor_sync(0xffffffffu, s.max, off),
                                   __shfl_xor_sync(0xffffffffu, s.sum, off)};
    s = math::lse_combine(s, other, scale);
  }
  return s;
}

}  // namespace softent::cuda
