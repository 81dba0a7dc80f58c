// Computes: the counting ops of softent.discrete (ops.h encode_rows, count_dense,
// count_sparse, pair_tables) on the GPU.
// Math: softent/math/codes.h (codes, mixed radix, joint keys, init/push/combine); sorting:
// cub (CUDA toolkit). Runs on: x's device (the caller's device is restored afterwards), the
// caller's stream.
//
// Dense tables that fit a block's shared memory are counted there (init, push with shared
// atomics, then combined into the global table); larger ones take global atomics. The
// sparse path sorts the N joint keys (cub radix sort) and reduces runs by key: O(N) memory.
// Codes outside their range are skipped (the Python caller has checked the ranges).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_reduce.cuh>
#include <cuda/std/functional>
#include <type_traits>

#include "cuda/common/check.cuh"
#include "cuda/common/device_guard.cuh"
#include "cuda/common/scratch.cuh"
#include "softent/math/codes.h"
#include "softent/ops.h"

namespace softent::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 1024;
// Shared-memory budget of one block's private tables (well under every arch's 48 KB).
constexpr int64_t kSharedBytes = int64_t(32) << 10;

cudaStream_t stream_of(std::uintptr_t s) { return reinterpret_cast<cudaStream_t>(s); }

int grid_for(int64_t work) {
  return static_cast<int>(std::clamp<int64_t>((work + kThreads - 1) / kThreads, 1, kMaxBlocks));
}

// ---- encode_rows ------------------------------------------------------------------------------
template <typename T>
__global__ void encode_rows_kernel(EncodeRowsParams p) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < p.x.rows;
       i += int64_t(gridDim.x) * blockDim.x)
    p.out[i] = math::mixed_radix_code<T>(p.x, p.radix, i);
}

// ---- count_dense ------------------------------------------------------------------------------
// Shared: the block's copies [table | counts_x | counts_y] live in shared memory.
template <typename C, typename TX, typename TY, bool Shared>
__global__ void dense_kernel(CountParams p) {
  extern __shared__ __align__(16) unsigned char smem[];
  const int64_t kx = p.kx, ky = p.ky, cells = p.table ? kx * ky : 0;
  const int64_t nx = p.counts_x ? kx : 0, ny = p.counts_y ? ky : 0;
  C* t = static_cast<C*>(p.table);
  C* hx = static_cast<C*>(p.counts_x);
  C* hy = static_cast<C*>(p.counts_y);
  if constexpr (Shared) {
    C* s = reinterpret_cast<C*>(smem);
    for (int64_t j = threadIdx.x; j < cells + nx + ny; j += blockDim.x) s[j] = C(0);
    t = s;
    hx = s + cells;
    hy = s + cells + nx;
    __syncthreads();
  }
  const bool has_y = p.y.data != nullptr;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < p.x.rows;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t cx = math::checked_code(math::code_at<TX>(p.x, i, 0), kx);
    const int64_t cy = has_y ? math::checked_code(math::code_at<TY>(p.y, i, 0), ky) : 0;
    if ((cx | cy) < 0) continue;
    const C w = math::row_weight<C>(p.weights, i);
    if (cells) math::hist_push_shared(t, math::joint_key(cx, cy, ky), w);
    if (nx) math::hist_push_shared(hx, cx, w);
    if (ny) math::hist_push_shared(hy, cy, w);
  }
  if constexpr (Shared) {
    __syncthreads();
    // combine: the block's copies into the global outputs
    const C* s = reinterpret_cast<const C*>(smem);
    for (int64_t j = threadIdx.x; j < cells + nx + ny; j += blockDim.x) {
      if (s[j] == C(0)) continue;
      C* dst = j < cells        ? static_cast<C*>(p.table) + j
               : j < cells + nx ? static_cast<C*>(p.counts_x) + (j - cells)
                                : static_cast<C*>(p.counts_y) + (j - cells - nx);
      math::hist_push_shared(dst, 0, s[j]);
    }
  }
}

template <typename C, typename TX, typename TY>
void dense_launch(const CountParams& p, cudaStream_t stream) {
  const int64_t words =
      (p.table ? p.kx * p.ky : 0) + (p.counts_x ? p.kx : 0) + (p.counts_y ? p.ky : 0);
  const int64_t bytes = words * int64_t(sizeof(C));
  const int grid = grid_for(p.x.rows);
  if (bytes <= kSharedBytes)
    dense_kernel<C, TX, TY, true><<<grid, kThreads, bytes, stream>>>(p);
  else
    dense_kernel<C, TX, TY, false><<<grid, kThreads, 0, stream>>>(p);
  check(cudaGetLastError(), "count_dense launch");
}

// ---- count_sparse -----------------------------------------------------------------------------
template <typename C, typename TX, typename TY>
__global__ void keys_kernel(SparseCountParams p, int64_t* keys, C* vals) {
  C* hx = static_cast<C*>(p.counts_x);
  C* hy = static_cast<C*>(p.counts_y);
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < p.x.rows;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t cx = math::checked_code(math::code_at<TX>(p.x, i, 0), p.kx);
    const int64_t cy = math::checked_code(math::code_at<TY>(p.y, i, 0), p.ky);
    const bool ok = (cx | cy) >= 0;
    // an out-of-range row adds 0 to cell 0 (it cannot be dropped without a compaction)
    const C w = ok ? math::row_weight<C>(p.weights, i) : C(0);
    keys[i] = ok ? math::joint_key(cx, cy, p.ky) : 0;
    vals[i] = w;
    if (ok && hx) math::hist_push_shared(hx, cx, w);
    if (ok && hy) math::hist_push_shared(hy, cy, w);
  }
}

template <typename C, typename TX, typename TY>
int64_t sparse_run(const SparseCountParams& p, cudaStream_t stream) {
  const int64_t n = p.x.rows;
  Scratch<int64_t> keys(n, stream), keys_sorted(n, stream);
  Scratch<C> vals(n, stream), vals_sorted(n, stream);
  Scratch<int64_t> runs(1, stream);
  keys_kernel<C, TX, TY><<<grid_for(n), kThreads, 0, stream>>>(p, keys.get(), vals.get());
  check(cudaGetLastError(), "count_sparse keys");
  int end_bit = 1;
  for (uint64_t v = static_cast<uint64_t>(p.kx * p.ky - 1); v >> end_bit; ++end_bit) {
  }
  size_t sort_bytes = 0, reduce_bytes = 0;
  check(cub::DeviceRadixSort::SortPairs(nullptr, sort_bytes, keys.get(), keys_sorted.get(),
                                        vals.get(), vals_sorted.get(), n, 0, end_bit, stream),
        "cub SortPairs (size)");
  check(cub::DeviceReduce::ReduceByKey(nullptr, reduce_bytes, keys_sorted.get(), p.keys,
                                       vals_sorted.get(), static_cast<C*>(p.values), runs.get(),
                                       ::cuda::std::plus<C>{}, n, stream),
        "cub ReduceByKey (size)");
  Scratch<unsigned char> temp(int64_t(std::max(sort_bytes, reduce_bytes)), stream);
  check(cub::DeviceRadixSort::SortPairs(temp.get(), sort_bytes, keys.get(), keys_sorted.get(),
                                        vals.get(), vals_sorted.get(), n, 0, end_bit, stream),
        "cub SortPairs");
  check(cub::DeviceReduce::ReduceByKey(temp.get(), reduce_bytes, keys_sorted.get(), p.keys,
                                       vals_sorted.get(), static_cast<C*>(p.values), runs.get(),
                                       ::cuda::std::plus<C>{}, n, stream),
        "cub ReduceByKey");
  int64_t u = 0;
  check(cudaMemcpyAsync(&u, runs.get(), sizeof(int64_t), cudaMemcpyDeviceToHost, stream),
        "cudaMemcpyAsync");
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  return u;
}

// ---- pair_tables ------------------------------------------------------------------------------
// Block (bx, by): rows [bx * rows_per_block, ...) of the pairs [by * qt, by * qt + qt).
template <typename C, typename TX, typename TY, bool Shared>
__global__ void pairs_kernel(PairTablesParams p, int64_t qt, int64_t rows_per_block) {
  extern __shared__ __align__(16) unsigned char smem[];
  const int64_t cell = p.ka * p.kb;
  const int64_t q0 = int64_t(blockIdx.y) * qt;
  const int64_t m = qt < p.n_pairs - q0 ? qt : p.n_pairs - q0;
  C* global = static_cast<C*>(p.tables) + q0 * cell;
  C* t = global;
  if constexpr (Shared) {
    t = reinterpret_cast<C*>(smem);
    for (int64_t j = threadIdx.x; j < m * cell; j += blockDim.x) t[j] = C(0);
    __syncthreads();
  }
  const int64_t r0 = int64_t(blockIdx.x) * rows_per_block;
  const int64_t r1 = r0 + rows_per_block < p.x.rows ? r0 + rows_per_block : p.x.rows;
  for (int64_t k = threadIdx.x; k < (r1 - r0) * m; k += blockDim.x) {
    // consecutive threads take consecutive pairs of one row: coalesced column reads
    const int64_t i = r0 + k / m, q = k % m;
    const int64_t a = p.pairs[2 * (q0 + q)], b = p.pairs[2 * (q0 + q) + 1];
    const int64_t ca = math::checked_code(math::code_at<TX>(p.x, i, a), p.sizes_x[a]);
    const int64_t cb = math::checked_code(math::code_at<TY>(p.y, i, b), p.sizes_y[b]);
    if ((ca | cb) < 0) continue;
    math::hist_push_shared(t + q * cell, math::joint_key(ca, cb, p.kb),
                           math::row_weight<C>(p.weights, i));
  }
  if constexpr (Shared) {
    __syncthreads();
    for (int64_t j = threadIdx.x; j < m * cell; j += blockDim.x)
      if (t[j] != C(0)) math::hist_push_shared(global, j, t[j]);
  }
}

template <typename C, typename TX, typename TY>
void pairs_launch(const PairTablesParams& p, cudaStream_t stream) {
  const int64_t table_bytes = p.ka * p.kb * int64_t(sizeof(C));
  const bool shared = table_bytes <= kSharedBytes;
  const int64_t qt = shared ? std::min<int64_t>(kSharedBytes / table_bytes, p.n_pairs) : 1;
  const int64_t pair_tiles = (p.n_pairs + qt - 1) / qt;
  if (pair_tiles > 65535) throw std::invalid_argument("softent._core.pair_tables: too many pairs");
  // Enough rows per block that its shared tables are worth their init and combine.
  const int64_t rows_per_block = std::max<int64_t>(4096 / qt, 64);
  const int64_t row_blocks =
      std::min<int64_t>((p.x.rows + rows_per_block - 1) / rows_per_block, int64_t(1) << 30);
  const int64_t rpb = (p.x.rows + row_blocks - 1) / row_blocks;
  const dim3 grid(static_cast<unsigned>(row_blocks), static_cast<unsigned>(pair_tiles));
  if (shared)
    pairs_kernel<C, TX, TY, true>
        <<<grid, kThreads, static_cast<size_t>(qt * table_bytes), stream>>>(p, qt, rpb);
  else
    pairs_kernel<C, TX, TY, false><<<grid, kThreads, 0, stream>>>(p, qt, rpb);
  check(cudaGetLastError(), "pair_tables launch");
}

}  // namespace

int64_t encode_rows(const EncodeRowsParams& p) {
  require_device();
  DeviceGuard guard(p.x.device);
  const cudaStream_t stream = stream_of(p.stream);
  math::with_code_type(p.x.dtype, [&](auto t) {
    encode_rows_kernel<decltype(t)><<<grid_for(p.x.rows), kThreads, 0, stream>>>(p);
  });
  check(cudaGetLastError(), "encode_rows launch");
  return -1;
}

void count_dense(const CountParams& p) {
  require_device();
  DeviceGuard guard(p.x.device);
  const cudaStream_t stream = stream_of(p.stream);
  const CodeType ty = p.y.data ? p.y.dtype : p.x.dtype;
  math::with_code_types(p.x.dtype, ty, [&](auto tx, auto tyv) {
    using TX = decltype(tx);
    using TY = decltype(tyv);
    if (p.weights)
      dense_launch<double, TX, TY>(p, stream);
    else
      dense_launch<int64_t, TX, TY>(p, stream);
  });
}

int64_t count_sparse(const SparseCountParams& p) {
  require_device();
  DeviceGuard guard(p.x.device);
  const cudaStream_t stream = stream_of(p.stream);
  return math::with_code_types(p.x.dtype, p.y.dtype, [&](auto tx, auto tyv) {
    using TX = decltype(tx);
    using TY = decltype(tyv);
    return p.weights ? sparse_run<double, TX, TY>(p, stream)
                     : sparse_run<int64_t, TX, TY>(p, stream);
  });
}

void pair_tables(const PairTablesParams& p) {
  require_device();
  DeviceGuard guard(p.x.device);
  const cudaStream_t stream = stream_of(p.stream);
  math::with_code_types(p.x.dtype, p.y.dtype, [&](auto tx, auto tyv) {
    using TX = decltype(tx);
    using TY = decltype(tyv);
    if (p.weights)
      pairs_launch<double, TX, TY>(p, stream);
    else
      pairs_launch<int64_t, TX, TY>(p, stream);
  });
}

}  // namespace softent::cuda
