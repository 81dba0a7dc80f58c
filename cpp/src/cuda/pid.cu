// Computes: SxPID's local redundancies (ops.h sx_local) on the GPU, from the host plan of
// cpu/pid_plan.h (the same items the CPU loops run).
// Math: softent/math/pid.h (Möbius transform, chunk table entries, up-set sums, logarithm).
// Runs on: p.device (the caller's device is restored afterwards), the caller's stream. The
// inputs are host memory: they are copied to the device, the results back (synchronously).
//
// One block walks a contiguous range of items; per item it loads the outcome's 2^n
// marginals into shared memory, transforms them (one thread: 80 operations at n = 5),
// builds the chunk tables (a thread per entry), and each thread takes the nodes j = tid +
// r * blockDim: up-set sum, logarithm, and the weighted log into a register sum per node,
// flushed with atomics when the (part, class) of the items changes. Sums of doubles in
// atomic order: equal to the CPU's to rounding, not bit for bit.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu/pid_plan.h"
#include "cuda/common/check.cuh"
#include "cuda/common/device_guard.cuh"
#include "cuda/common/scratch.cuh"
#include "softent/math/pid.h"
#include "softent/ops.h"

namespace softent::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kNodesPerThread = 32;  // register sums per thread: L <= 8192 (n <= 5)
constexpr int64_t kMaxBlocks = 2048;

struct SxDeviceArgs {
  const cpu::SxItem* items;
  int64_t n_items, per_block;
  const double* masses;  // rows [lo, hi) of masses
  const uint16_t* offsets;
  int n;
  int64_t nodes, classes, lo;
  double* raw;  // [2, C, L]
  double* local_plus;
  double* local_minus;
};

template <int Chunks>
__global__ void sx_kernel(SxDeviceArgs a) {
  extern __shared__ double smem[];
  const int64_t size = int64_t(1) << a.n;
  double* h = smem;
  double* tables = smem + size;
  const int bits = math::pid_chunk_bits(a.n), width = 1 << bits;
  double acc[kNodesPerThread];
#pragma unroll
  for (int r = 0; r < kNodesPerThread; ++r) acc[r] = 0.0;
  int part = -1;
  int64_t cls = -1;
  const auto flush = [&] {
    if (part < 0) return;
    double* raw = a.raw + (part * a.classes + cls) * a.nodes;
#pragma unroll
    for (int r = 0; r < kNodesPerThread; ++r) {
      const int64_t j = threadIdx.x + int64_t(r) * blockDim.x;
      if (j < a.nodes) atomicAdd(raw + j, acc[r]);
      acc[r] = 0.0;
    }
  };
  const int64_t i0 = int64_t(blockIdx.x) * a.per_block;
  const int64_t i1 = i0 + a.per_block < a.n_items ? i0 + a.per_block : a.n_items;
  for (int64_t i = i0; i < i1; ++i) {
    const cpu::SxItem it = a.items[i];
    if (it.part != part || it.cls != cls) {
      flush();
      part = it.part;
      cls = it.cls;
    }
    const double* g = a.masses + (it.row - a.lo) * (2 * size) + it.part * size;
    for (int64_t m = threadIdx.x; m < size; m += blockDim.x) h[m] = g[m];
    __syncthreads();
    if (threadIdx.x == 0) math::superset_mobius(h, a.n);
    __syncthreads();
    for (int e = threadIdx.x; e < Chunks * width; e += blockDim.x)
      tables[e] = math::upset_table_entry(h, bits, e / width, uint32_t(e % width));
    __syncthreads();
    double* local = it.part == 0 ? a.local_plus : a.local_minus;
    const double shift = it.part == 0 ? 0.0 : it.log_pt;
#pragma unroll
    for (int r = 0; r < kNodesPerThread; ++r) {
      const int64_t j = threadIdx.x + int64_t(r) * blockDim.x;
      if (j < a.nodes) {
        const double lp =
            math::log_positive(math::upset_sum<Chunks>(tables, a.offsets + j * Chunks));
        acc[r] += math::sx_term(it.weight, lp);  // few items per block: plain sums
        if (local)
          for (int32_t o = 0; o < it.out_count; ++o)
            local[(it.out_begin + o) * a.nodes + j] = shift - lp;
      }
    }
    __syncthreads();  // h and tables are rewritten by the next item
  }
  flush();
}

template <typename T>
void to_device(T* dst, const T* src, int64_t count, cudaStream_t stream) {
  if (count > 0)
    check(cudaMemcpyAsync(dst, src, sizeof(T) * count, cudaMemcpyHostToDevice, stream),
          "cudaMemcpyAsync (sx_local inputs)");
}

template <typename T>
void to_host(T* dst, const T* src, int64_t count, cudaStream_t stream) {
  if (count > 0)
    check(cudaMemcpyAsync(dst, src, sizeof(T) * count, cudaMemcpyDeviceToHost, stream),
          "cudaMemcpyAsync (sx_local outputs)");
}

}  // namespace

void sx_local(const SxLocalParams& p) {
  require_device();
  if (p.nodes > int64_t(kThreads) * kNodesPerThread)
    throw std::invalid_argument("softent._core.sx_local: the CUDA path takes at most " +
                                std::to_string(kThreads * kNodesPerThread) +
                                " lattice nodes (n <= 5 sources), got " + std::to_string(p.nodes) +
                                "; use the CPU");
  DeviceGuard guard(p.device);
  cudaStream_t stream = reinterpret_cast<cudaStream_t>(p.stream);
  const cpu::SxPlan plan = cpu::sx_plan(p);
  const int n = p.n_sources, chunks = math::pid_chunks(n);
  const int64_t nodes = p.nodes, rows = p.hi - p.lo, width = int64_t(2) << n;
  const int64_t n_items = int64_t(plan.items.size());
  const int64_t raw_count = 2 * plan.classes * nodes;
  std::vector<uint16_t> offsets(size_t(chunks) * size_t(nodes));
  for (int64_t j = 0; j < nodes; ++j)  // node-major, as math::upset_sum reads them
    for (int c = 0; c < chunks; ++c)
      offsets[j * chunks + c] = math::upset_offset(p.upsets[j], n, c);

  Scratch<cpu::SxItem> items(n_items, stream);
  Scratch<double> masses(rows * width, stream);
  Scratch<uint16_t> offs(int64_t(offsets.size()), stream);
  Scratch<double> raw(raw_count, stream);
  Scratch<double> local_plus(p.local_plus ? rows * nodes : 0, stream);
  Scratch<double> local_minus(p.local_minus ? rows * nodes : 0, stream);
  to_device(items.get(), plan.items.data(), n_items, stream);
  to_device(masses.get(), p.masses + p.lo * width, rows * width, stream);
  to_device(offs.get(), offsets.data(), int64_t(offsets.size()), stream);
  check(cudaMemsetAsync(raw.get(), 0, sizeof(double) * raw_count, stream), "cudaMemsetAsync");

  if (n_items > 0) {
    const int64_t blocks = std::clamp<int64_t>(n_items, 1, kMaxBlocks);
    SxDeviceArgs a{items.get(),  n_items,          (n_items + blocks - 1) / blocks,
                   masses.get(), offs.get(),       n,
                   nodes,        plan.classes,     p.lo,
                   raw.get(),    local_plus.get(), local_minus.get()};
    const int64_t grid = (n_items + a.per_block - 1) / a.per_block;
    const size_t shared =
        sizeof(double) * size_t((int64_t(1) << n) + (int64_t(chunks) << math::pid_chunk_bits(n)));
    switch (chunks) {
      case 1:
        sx_kernel<1><<<unsigned(grid), kThreads, shared, stream>>>(a);
        break;
      case 2:
        sx_kernel<2><<<unsigned(grid), kThreads, shared, stream>>>(a);
        break;
      case 4:
        sx_kernel<4><<<unsigned(grid), kThreads, shared, stream>>>(a);
        break;
      default:
        sx_kernel<8><<<unsigned(grid), kThreads, shared, stream>>>(a);
        break;
    }
    check(cudaGetLastError(), "sx_kernel launch");
  }
  std::vector<double> host_raw(raw_count);
  to_host(host_raw.data(), raw.get(), raw_count, stream);
  if (p.local_plus) to_host(p.local_plus, local_plus.get(), rows * nodes, stream);
  if (p.local_minus) to_host(p.local_minus, local_minus.get(), rows * nodes, stream);
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize (sx_local)");
  const int64_t total = plan.classes * nodes;
  if (p.sum_plus) std::copy(host_raw.begin(), host_raw.begin() + total, p.sum_plus);
  if (p.sum_minus) std::copy(host_raw.begin() + total, host_raw.end(), p.sum_minus);
  cpu::sx_finalize(p, plan);
}

}  // namespace softent::cuda
