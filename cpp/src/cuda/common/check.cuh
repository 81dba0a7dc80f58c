// Error checks and launch shapes shared by the CUDA skeletons.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace softent::cuda {

inline constexpr int kWarpsPerBlock = 8;     // row kernels: one warp per row
inline constexpr int64_t kChunkRows = 8192;  // rows per scratch block: scratch = chunk x B values

inline void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess)
    throw std::runtime_error(std::string("softent CUDA error in ") + what + ": " +
                             cudaGetErrorString(err));
}

// Thrown before any CUDA work when the machine has no driver or device.
void require_device();

}  // namespace softent::cuda
