// Makes a device current for a scope and restores the caller's device afterwards (as
// faiss's DeviceScope does): a kernel call never changes the device torch or the user set.
#pragma once

#include <cuda_runtime.h>

#include "cuda/common/check.cuh"

namespace softent::cuda {

class DeviceGuard {
 public:
  explicit DeviceGuard(int device) {
    check(cudaGetDevice(&previous_), "cudaGetDevice");
    if (device != previous_)
      check(cudaSetDevice(device), "cudaSetDevice");
    else
      previous_ = -1;  // nothing to restore
  }
  ~DeviceGuard() {
    if (previous_ >= 0) cudaSetDevice(previous_);  // no throw from a destructor
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = -1;
};

}  // namespace softent::cuda
