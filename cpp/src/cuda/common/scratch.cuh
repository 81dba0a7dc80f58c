// A stream-ordered device buffer (cudaMallocAsync/cudaFreeAsync on the caller's stream):
// the skeletons' bounded per-chunk scratch.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/common/check.cuh"

namespace softent::cuda {

template <typename T>
class Scratch {
 public:
  Scratch(int64_t count, cudaStream_t stream) : stream_(stream) {
    if (count > 0)
      check(cudaMallocAsync(reinterpret_cast<void**>(&ptr_), sizeof(T) * count, stream),
            "cudaMallocAsync");
  }
  ~Scratch() {
    if (ptr_) cudaFreeAsync(ptr_, stream_);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  T* get() const { return ptr_; }

 private:
  T* ptr_ = nullptr;
  cudaStream_t stream_;
};

}  // namespace softent::cuda
