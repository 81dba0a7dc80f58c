// Computes: what the CUDA runtime reports (build_info) and the device check before kernels.
// Math: none.
// Runs on: the host, through the statically linked runtime (so it works without a driver).
#include <cuda_runtime.h>

#include <cstdio>
#include <stdexcept>

#include "cuda/common/check.cuh"
#include "softent/ops.h"

namespace softent::cuda {

bool available() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

int device_count() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess ? count : 0;
}

const char* runtime_version() {
  static char text[16] = {0};
  if (!text[0]) {
    int v = 0;
    cudaRuntimeGetVersion(&v);
    snprintf(text, sizeof text, "%d.%d", v / 1000, (v % 1000) / 10);
  }
  return text;
}

void require_device() {
  if (!available())
    throw std::runtime_error("softent: no CUDA driver or device is available on this machine");
}

}  // namespace softent::cuda
