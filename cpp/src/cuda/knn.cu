// Computes: the k nearest neighbours and radius counts of a set of rows (ops.h knn,
// radius_count) on the GPU, by tiled brute force: query chunk x reference tile -> screened
// distance block (tiled GEMM for euclidean, a tiled max-abs loop for chebyshev) -> top-k
// candidates (one thread per query row) or counts (one warp per query row).
// Math: softent/math/topk.h (exact distance, screen bounds, top-k lists); loops:
// cuda/common/. Runs on: x's device (the caller's device is restored afterwards), the
// caller's stream.
//
// As on the CPU, rows are read relative to the set's column means, screened values carry
// their rounding bound, and every decision the bound cannot settle is taken on the exact
// float64 distance: results equal the CPU kernel's (and an exact brute force).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "cuda/common/check.cuh"
#include "cuda/common/device_guard.cuh"
#include "cuda/common/gemm.cuh"
#include "cuda/common/scratch.cuh"
#include "cuda/common/warp.cuh"
#include "softent/math/topk.h"
#include "softent/ops.h"

namespace softent::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kQueryChunk = 8192;  // query rows per chunk
constexpr int64_t kRefTile = 2048;     // reference rows per screened block

// The compared rows (by value in every kernel): position t of the set is row id(t) of x.
template <typename T>
struct DevSet {
  const T* x;
  int64_t sr, sc, d, m;
  const int64_t* rows;
  KnnMetric metric;
  int nb;
  int64_t ends[kKnnMaxBlocks];

  __device__ int64_t id(int64_t t) const { return rows ? rows[t] : t; }
  __device__ math::Exact exact(int64_t t, int64_t u, double* per_block = nullptr) const {
    const T* a = x + id(t) * sr;
    const T* b = x + id(u) * sr;
    const int64_t s = sc;
    return math::exact_distance(
        metric, nb, ends, [a, s](int64_t k) { return a[k * s]; },
        [b, s](int64_t k) { return b[k * s]; }, per_block);
  }
};

template <typename T>
DevSet<T> dev_set(const KnnSpace& s) {
  DevSet<T> d{};
  d.x = s.x.ptr<T>();
  d.sr = s.x.stride_row;
  d.sc = s.x.stride_col;
  d.d = s.x.cols;
  d.m = s.rows ? s.n_rows : s.x.rows;
  d.rows = s.rows;
  d.metric = s.metric;
  d.nb = s.n_blocks;
  for (int b = 0; b < kKnnMaxBlocks; ++b) d.ends[b] = s.block_ends[b];
  return d;
}

unsigned blocks_for(int64_t work, int threads = kThreads) {
  return unsigned(std::max<int64_t>((work + threads - 1) / threads, 1));
}

// origin[k] = the mean of column k over the set (float64 sum in row order), as T.
template <typename T>
__global__ void column_means(DevSet<T> s, T* __restrict__ origin) {
  const int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (k >= s.d) return;
  double acc = 0.0;
  for (int64_t t = 0; t < s.m; ++t) acc += double(s.x[s.id(t) * s.sr + k * s.sc]);
  origin[k] = static_cast<T>(acc / double(s.m));
}

// Rows [t0, t0 + len) of the set, centred, into buf [len, d]; their block squared norms
// bnorm [nb, len] and slack shares cn [len] (c * squared norm, or c * largest |value|).
template <typename T>
__global__ void gather_tile(DevSet<T> s, const T* __restrict__ origin, int64_t t0, int64_t len,
                            double c, T* __restrict__ buf, T* __restrict__ bnorm,
                            double* __restrict__ cn) {
  const int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= len) return;
  const T* src = s.x + s.id(t0 + r) * s.sr;
  T* dst = buf + r * s.d;
  double n = 0.0;
  int64_t k = 0;
  for (int b = 0; b < s.nb; ++b) {
    double block = 0.0;
    for (; k < s.ends[b]; ++k) {
      const T v = src[k * s.sc] - origin[k];
      dst[k] = v;
      if (s.metric == KnnMetric::euclidean)
        block += double(v) * double(v);
      else
        n = fmax(n, fabs(double(v)));
    }
    bnorm[b * len + r] = static_cast<T>(block);
    n += block;
  }
  cn[r] = c * n;
}

// GEMM epilogue: the euclidean screen of one column block into S (the first block stores,
// later blocks keep the largest).
template <typename T>
struct ScreenStore {
  T* S;
  int64_t ld;
  const T* na;
  const T* nb;
  bool first;
  __device__ void operator()(int64_t i, int64_t j, T dot) const {
    const T v = math::euclidean_screen(na[i], nb[j], dot);
    T* out = S + i * ld + j;
    *out = first ? v : (v > *out ? v : *out);
  }
};

// S[i, j] = max_k |a[i, k] - b[j, k]| for a [ma, d], b [mb, d] (centred tiles), 16 x 16 tiles.
template <typename T>
__global__ void chebyshev_block(const T* __restrict__ a, int64_t ma, const T* __restrict__ b,
                                int64_t mb, int64_t d, T* __restrict__ S, int64_t ld) {
  __shared__ T as[kTile][kTile + 1];
  __shared__ T bs[kTile][kTile + 1];
  const int64_t i0 = int64_t(blockIdx.y) * kTile, j0 = int64_t(blockIdx.x) * kTile;
  const int64_t i = i0 + threadIdx.y, j = j0 + threadIdx.x;
  T acc = 0;
  for (int64_t k0 = 0; k0 < d; k0 += kTile) {
    const int64_t kk = k0 + threadIdx.x;
    as[threadIdx.y][threadIdx.x] = (i < ma && kk < d) ? a[i * d + kk] : T(0);
    const int64_t jj = j0 + threadIdx.y;
    bs[threadIdx.y][threadIdx.x] = (jj < mb && kk < d) ? b[jj * d + kk] : T(0);
    __syncthreads();
    const int kmax = int(d - k0 < kTile ? d - k0 : kTile);
    for (int q = 0; q < kmax; ++q) {
      const T diff = fabs(as[threadIdx.y][q] - bs[threadIdx.x][q]);
      acc = diff > acc ? diff : acc;
    }
    __syncthreads();
  }
  if (i < ma && j < mb) S[i * ld + j] = acc;
}

// Scratch of one call: the query and reference tiles, their norms and the screened block.
template <typename T>
struct Tiles {
  Scratch<T> qbuf, rbuf, qnorm, rnorm, S, origin;
  Scratch<double> qcn, rcn;
  Tiles(const DevSet<T>& s, int64_t q, int64_t r, cudaStream_t st)
      : qbuf(q * s.d, st),
        rbuf(r * s.d, st),
        qnorm(q * s.nb, st),
        rnorm(r * s.nb, st),
        S(q * r, st),
        origin(s.d, st),
        qcn(q, st),
        rcn(r, st) {}
};

// S [qlen, rlen] = the screened values of the gathered query and reference tiles.
template <typename T>
void screen(cudaStream_t st, const DevSet<T>& s, Tiles<T>& w, int64_t qlen, int64_t rlen) {
  if (s.metric == KnnMetric::chebyshev) {
    const dim3 block(kTile, kTile);
    const dim3 grid(unsigned((rlen + kTile - 1) / kTile), unsigned((qlen + kTile - 1) / kTile));
    chebyshev_block<T>
        <<<grid, block, 0, st>>>(w.qbuf.get(), qlen, w.rbuf.get(), rlen, s.d, w.S.get(), rlen);
    check(cudaGetLastError(), "chebyshev_block launch");
    return;
  }
  int64_t k0 = 0;
  for (int blk = 0; blk < s.nb; ++blk) {
    const int64_t db = s.ends[blk] - k0;
    launch_gemm(st, qlen, rlen, db, Operand<T>{w.qbuf.get() + k0, s.d, int64_t(1)},
                Operand<T>{w.rbuf.get() + k0, int64_t(1), s.d},
                ScreenStore<T>{w.S.get(), rlen, w.qnorm.get() + blk * qlen,
                               w.rnorm.get() + blk * rlen, blk == 0});
    k0 = s.ends[blk];
  }
}

template <typename T>
void gather(cudaStream_t st, const DevSet<T>& s, const T* origin, int64_t t0, int64_t len, double c,
            T* buf, T* norm, double* cn) {
  gather_tile<T><<<blocks_for(len), kThreads, 0, st>>>(s, origin, t0, len, c, buf, norm, cn);
  check(cudaGetLastError(), "gather_tile launch");
}

// ---- knn ----------------------------------------------------------------------------------
// One thread per query row: the block's screened values into its candidate list.
template <typename T>
__global__ void select_candidates(const T* __restrict__ S, int64_t q0, int64_t qlen, int64_t u0,
                                  int64_t ulen, const double* __restrict__ rcn,
                                  const double* __restrict__ rcn_max, int kc,
                                  math::Candidate<T>* __restrict__ cand, int* __restrict__ count,
                                  double* __restrict__ lb_min) {
  const int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= qlen) return;
  const int64_t t = q0 + r;
  math::Candidate<T>* list = cand + r * kc;
  int cnt = count[r];
  double lb = lb_min[r];
  const T* srow = S + r * ulen;
  T worst = cnt == kc ? list[kc - 1].s : std::numeric_limits<T>::infinity();
  bool rejected = false;
  for (int64_t j = 0; j < ulen; ++j) {
    const T sv = srow[j];
    if (!(sv <= worst)) {
      rejected = true;
      continue;
    }
    const int64_t u = u0 + j;
    if (u == t) continue;
    math::Candidate<T> dropped{};
    bool has = false;
    cnt = math::topk_insert(list, cnt, kc, math::Candidate<T>{sv, u, rcn[j]}, &dropped, &has);
    if (has) lb = fmin(lb, double(dropped.s) - dropped.cn);
    if (cnt == kc) worst = list[kc - 1].s;
  }
  if (rejected) lb = fmin(lb, double(worst) - *rcn_max);
  count[r] = cnt;
  lb_min[r] = lb;
}

// One thread per query row: exact re-measurement, certification (else an exact scan of
// every row), outputs.
template <typename T>
__global__ void finish_rows(DevSet<T> s, int64_t q0, int64_t qlen, int64_t k, int kc,
                            const math::Candidate<T>* __restrict__ cand,
                            const int* __restrict__ count, const double* __restrict__ lb_min,
                            const double* __restrict__ qcn, math::Neighbour* __restrict__ best_all,
                            KnnParams p, unsigned long long* __restrict__ fallbacks) {
  const int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= qlen) return;
  const int64_t t = q0 + r;
  const math::Candidate<T>* list = cand + r * kc;
  math::Neighbour* best = best_all + r * (kc > k ? kc : k);
  const int cnt = count[r];
  for (int q = 0; q < cnt; ++q) {
    const math::Exact e = s.exact(t, list[q].id);
    best[q] = math::Neighbour{e.dist, e.screen, list[q].id};
  }
  math::topk_sort(best, cnt);
  if (!math::topk_certified(lb_min[r], qcn[r], best[k - 1].screen)) {
    int c = 0;
    math::Neighbour dropped{};
    bool has = false;
    for (int64_t u = 0; u < s.m; ++u) {
      if (u == t) continue;
      const math::Exact e = s.exact(t, u);
      c = math::topk_insert(best, c, int(k), math::Neighbour{e.dist, e.screen, u}, &dropped, &has);
    }
    atomicAdd(fallbacks, 1ull);
  }
  for (int64_t q = 0; q < k; ++q) {
    p.distances[t * k + q] = best[q].dist;
    if (p.indices) p.indices[t * k + q] = s.id(best[q].id);
    if (p.block_distances) s.exact(t, best[q].id, p.block_distances + (t * k + q) * s.nb);
  }
}

template <typename T>
__global__ void init_rows(int64_t qlen, int* __restrict__ count, double* __restrict__ lb_min) {
  const int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= qlen) return;
  count[r] = 0;
  lb_min[r] = std::numeric_limits<double>::infinity();
}

// The largest slack share of a reference tile (one block: tiles are a few thousand rows).
__global__ void max_of(const double* __restrict__ v, int64_t n, double* __restrict__ out) {
  __shared__ double part[kThreads];
  double mx = 0.0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) mx = fmax(mx, v[i]);
  part[threadIdx.x] = mx;
  __syncthreads();
  for (int w = kThreads / 2; w > 0; w >>= 1) {
    if (int(threadIdx.x) < w) part[threadIdx.x] = fmax(part[threadIdx.x], part[threadIdx.x + w]);
    __syncthreads();
  }
  if (threadIdx.x == 0) *out = part[0];
}

template <typename T>
int64_t knn_run(const KnnParams& p) {
  const DeviceGuard device(p.space.x.device);
  auto st = reinterpret_cast<cudaStream_t>(p.stream);
  const DevSet<T> s = dev_set<T>(p.space);
  const int64_t m = s.m, k = p.k;
  const int kc = math::candidate_count(k, m);
  const double c = math::screen_factor<T>(s.metric, s.d);
  const int64_t qc = std::min(kQueryChunk, m), rt = std::min(kRefTile, m);
  unsigned long long fallbacks_host = 0;
  {
    Tiles<T> w(s, qc, rt, st);
    Scratch<math::Candidate<T>> cand(qc * kc, st);
    Scratch<math::Neighbour> best(qc * std::max<int64_t>(kc, k), st);
    Scratch<int> count(qc, st);
    Scratch<double> lb(qc, st), rmax(1, st);
    Scratch<unsigned long long> fallbacks(1, st);
    check(cudaMemsetAsync(fallbacks.get(), 0, sizeof(unsigned long long), st), "cudaMemsetAsync");
    column_means<T><<<blocks_for(s.d), kThreads, 0, st>>>(s, w.origin.get());
    check(cudaGetLastError(), "column_means launch");
    for (int64_t q0 = 0; q0 < m; q0 += qc) {
      const int64_t qlen = std::min(qc, m - q0);
      gather(st, s, w.origin.get(), q0, qlen, c, w.qbuf.get(), w.qnorm.get(), w.qcn.get());
      init_rows<T><<<blocks_for(qlen), kThreads, 0, st>>>(qlen, count.get(), lb.get());
      for (int64_t u0 = 0; u0 < m; u0 += rt) {
        const int64_t ulen = std::min(rt, m - u0);
        gather(st, s, w.origin.get(), u0, ulen, c, w.rbuf.get(), w.rnorm.get(), w.rcn.get());
        screen(st, s, w, qlen, ulen);
        max_of<<<1, kThreads, 0, st>>>(w.rcn.get(), ulen, rmax.get());
        check(cudaGetLastError(), "max_of launch");
        select_candidates<T><<<blocks_for(qlen, 128), 128, 0, st>>>(
            w.S.get(), q0, qlen, u0, ulen, w.rcn.get(), rmax.get(), kc, cand.get(), count.get(),
            lb.get());
        check(cudaGetLastError(), "select_candidates launch");
      }
      finish_rows<T><<<blocks_for(qlen, 128), 128, 0, st>>>(s, q0, qlen, k, kc, cand.get(),
                                                            count.get(), lb.get(), w.qcn.get(),
                                                            best.get(), p, fallbacks.get());
      check(cudaGetLastError(), "finish_rows launch");
    }
    check(cudaMemcpyAsync(&fallbacks_host, fallbacks.get(), sizeof fallbacks_host,
                          cudaMemcpyDeviceToHost, st),
          "cudaMemcpyAsync");
  }
  check(cudaStreamSynchronize(st), "cudaStreamSynchronize");
  return int64_t(fallbacks_host);
}

// ---- radius_count -------------------------------------------------------------------------------
// One warp per query row: its counts over one screened block, added to counts[t].
template <typename T>
__global__ void count_block(DevSet<T> s, const T* __restrict__ S, int64_t q0, int64_t qlen,
                            int64_t u0, int64_t ulen, const double* __restrict__ qcn,
                            const double* __restrict__ rcn, RadiusCountParams p) {
  const int lane = threadIdx.x & 31;
  const int64_t r = int64_t(blockIdx.x) * (blockDim.x >> 5) + (threadIdx.x >> 5);
  if (r >= qlen) return;
  const int64_t t = q0 + r;
  const double radius = p.radii[t];
  const double rs = math::radius_screen(s.metric, radius);
  const int64_t g = p.groups ? p.groups[s.id(t)] : 0;
  const T* srow = S + r * ulen;
  long long cnt = 0;
  for (int64_t j = lane; j < ulen; j += 32) {
    const int64_t u = u0 + j;
    const int dec = math::radius_screen_decision(double(srow[j]), qcn[r] + rcn[j], rs);
    if (dec < 0 || u == t) continue;
    if (p.groups && p.groups[s.id(u)] != g) continue;
    if (dec > 0 || math::within_radius(s.exact(t, u).dist, radius, p.strict)) ++cnt;
  }
  cnt = warp_sum(cnt);
  if (lane == 0) p.counts[t] += cnt;
}

__global__ void init_counts(RadiusCountParams p, int64_t m) {
  const int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= m) return;
  p.counts[t] = (p.include_self && math::within_radius(0.0, p.radii[t], p.strict)) ? 1 : 0;
}

template <typename T>
void radius_run(const RadiusCountParams& p) {
  const DeviceGuard device(p.space.x.device);
  auto st = reinterpret_cast<cudaStream_t>(p.stream);
  const DevSet<T> s = dev_set<T>(p.space);
  const int64_t m = s.m;
  const double c = math::screen_factor<T>(s.metric, s.d);
  const int64_t qc = std::min(kQueryChunk, m), rt = std::min(kRefTile, m);
  {
    Tiles<T> w(s, qc, rt, st);
    column_means<T><<<blocks_for(s.d), kThreads, 0, st>>>(s, w.origin.get());
    check(cudaGetLastError(), "column_means launch");
    init_counts<<<blocks_for(m), kThreads, 0, st>>>(p, m);
    check(cudaGetLastError(), "init_counts launch");
    constexpr int kWarps = 8;
    for (int64_t q0 = 0; q0 < m; q0 += qc) {
      const int64_t qlen = std::min(qc, m - q0);
      gather(st, s, w.origin.get(), q0, qlen, c, w.qbuf.get(), w.qnorm.get(), w.qcn.get());
      for (int64_t u0 = 0; u0 < m; u0 += rt) {
        const int64_t ulen = std::min(rt, m - u0);
        gather(st, s, w.origin.get(), u0, ulen, c, w.rbuf.get(), w.rnorm.get(), w.rcn.get());
        screen(st, s, w, qlen, ulen);
        count_block<T><<<unsigned((qlen + kWarps - 1) / kWarps), 32 * kWarps, 0, st>>>(
            s, w.S.get(), q0, qlen, u0, ulen, w.qcn.get(), w.rcn.get(), p);
        check(cudaGetLastError(), "count_block launch");
      }
    }
  }
  check(cudaStreamSynchronize(st), "cudaStreamSynchronize");
}

}  // namespace

int64_t knn(const KnnParams& p) {
  require_device();
  return p.space.x.dtype == DType::float64 ? knn_run<double>(p) : knn_run<float>(p);
}

void radius_count(const RadiusCountParams& p) {
  require_device();
  if (p.space.x.dtype == DType::float64)
    radius_run<double>(p);
  else
    radius_run<float>(p);
}

}  // namespace softent::cuda
