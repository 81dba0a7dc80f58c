// A stream-ordered device buffer (cudaMallocAsync/cudaFreeAsync on the caller's stream):
// the skeletons' bounded per-chunk scratch.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "cuda/common/check.cuh"

namespace softent::cuda {

template <typename T>
class Scratch {
 public:
  // An allocation failure is a std::runtime_error saying how many bytes were asked (a
  // RuntimeError in Python), after clearing the error so that later CUDA calls work.
  Scratch(int64_t count, cudaStream_t stream) : stream_(stream) {
    if (count <= 0) return;
    const cudaError_t err =
        cudaMallocAsync(reinterpret_cast<void**>(&ptr_), sizeof(T) * count, stream);
    if (err == cudaErrorMemoryAllocation) {
      ptr_ = nullptr;
      cudaGetLastError();  // not sticky: clear it
      throw std::runtime_error("softent: out of GPU memory for " +
                               std::to_string(sizeof(T) * count) +
                               " bytes of kernel scratch (rows per chunk x bins); fewer bins "
                               "or freeing GPU memory would let it run");
    }
    check(err, "cudaMallocAsync");
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
