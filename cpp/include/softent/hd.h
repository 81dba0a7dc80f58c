// SOFTENT_HD marks the functions of math/ that both skeletons call (OpenMP loops on the
// host, CUDA threads on the device), so the CPU tests exercise the GPU arithmetic; and the
// bit helpers those functions need on both sides.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define SOFTENT_HD __host__ __device__ __forceinline__
#else
#define SOFTENT_HD inline
#endif

namespace softent {

// Reinterpret the bits of an int32 as a float (std::bit_cast is not available on device).
SOFTENT_HD float int_bits_as_float(int32_t bits) {
#if defined(__CUDA_ARCH__)
  return __int_as_float(bits);
#else
  return __builtin_bit_cast(float, bits);  // no memcpy: keeps the CPU loop vectorisable
#endif
}

}  // namespace softent
