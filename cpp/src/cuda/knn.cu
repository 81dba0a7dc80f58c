// Computes: the k nearest neighbours and radius counts of a set of rows (ops.h knn,
// radius_count) on the GPU, by tiled brute force: query chunk x reference tile -> screened
// distance block (tiled GEMM for euclidean, a tiled max-abs loop for chebyshev) -> top-k
// candidates (one thread per query row) or counts (one warp per query row); Ross's group
// counts (knn_group_count) from the two; the sorted 1-D columns (sorted_1d) by a stable sort
// per column and a thread per row.
// Math: softent/math/topk.h (exact distance, screen bounds, top-k lists, the row set),
// softent/math/sorted.h (walks and bisection on a sorted column); loops: cuda/common/.
// Runs on: x's device (the caller's device is restored afterwards), the caller's stream.
//
// As on the CPU, rows are read relative to the set's column means, screened values carry
// their rounding bound, and every decision the bound cannot settle is taken on the exact
// float64 distance: results equal the CPU kernel's (and an exact brute force).
#include <cuda_runtime.h>
#include <thrust/execution_policy.h>
#include <thrust/sort.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "cuda/common/check.cuh"
#include "cuda/common/device_guard.cuh"
#include "cuda/common/gemm.cuh"
#include "cuda/common/scratch.cuh"
#include "cuda/common/warp.cuh"
#include "softent/math/sorted.h"
#include "softent/math/topk.h"
#include "softent/ops.h"

namespace softent::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kQueryChunk = 8192;  // query rows per chunk
constexpr int64_t kRefTile = 2048;     // reference rows per screened block

// The compared rows (by value in every kernel): position t of the set is row id(t) of x.
template <typename T>
using DevSet = math::RowSet<T>;

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
  const DevSet<T> s(p.space);
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
  const DevSet<T> s(p.space);
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

// ---- knn_group_count -----------------------------------------------------------------------
// Ross's two numbers as two passes of the kernels above (the pair symmetry the CPU's one pass
// exploits buys little where the GEMM is this cheap): per group, knn over the group's rows
// gives each row's radius; one radius_count over the set with r = nextafter(radius, 0), not
// strict, the row itself included, gives the counts (= dist <= nextafter(radius, 0), the
// definition). The same exact distances as the CPU's, so the same results.

// radii[pos[i]] = dist[i, kt - 1], below[pos[i]] = nextafter(that, 0).
__global__ void scatter_radii(const double* __restrict__ dist, int64_t len, int64_t kt,
                              const int64_t* __restrict__ pos, double* __restrict__ radii,
                              double* __restrict__ below) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= len) return;
  const double r = dist[i * kt + kt - 1];
  radii[pos[i]] = r;
  below[pos[i]] = nextafter(r, 0.0);
}

template <typename T>
int64_t group_count_run(const KnnGroupCountParams& p) {
  const DeviceGuard device(p.space.x.device);
  auto st = reinterpret_cast<cudaStream_t>(p.stream);
  const int64_t m = p.space.rows ? p.space.n_rows : p.space.x.rows;
  const std::vector<int64_t> given =
      p.space.rows ? knn_rows_to_host(p.space) : std::vector<int64_t>{};
  // The set's positions grouped by group (groups: host memory, by row id), in set order
  // within a group, and their row ids.
  const math::GroupCodes groups =
      math::dense_group_codes(m, [&](int64_t t) { return p.groups[given.empty() ? t : given[t]]; });
  const auto& code = groups.code;
  const auto& size = groups.size;
  const auto& start = groups.start;
  const int64_t ng = int64_t(size.size());
  std::vector<int64_t> pos(m), ids(m), fill(start.begin(), start.end() - 1);
  for (int64_t t = 0; t < m; ++t) {
    const int64_t at = fill[code[t]]++;
    pos[at] = t;
    ids[at] = given.empty() ? t : given[t];
  }
  {
    Scratch<int64_t> dpos(m, st), dids(m, st);
    Scratch<double> below(m, st);
    check(cudaMemcpyAsync(dpos.get(), pos.data(), sizeof(int64_t) * m, cudaMemcpyHostToDevice, st),
          "cudaMemcpyAsync");
    check(cudaMemcpyAsync(dids.get(), ids.data(), sizeof(int64_t) * m, cudaMemcpyHostToDevice, st),
          "cudaMemcpyAsync");
    for (int64_t g = 0; g < ng; ++g) {
      const int64_t len = size[g], kt = std::min<int64_t>(p.k, len - 1);
      Scratch<double> dist(len * kt, st);
      KnnParams q;
      q.space = p.space;
      q.space.rows = dids.get() + start[g];
      q.space.n_rows = len;
      q.k = kt;
      q.distances = dist.get();
      q.stream = p.stream;
      knn_run<T>(q);
      scatter_radii<<<blocks_for(len), kThreads, 0, st>>>(
          dist.get(), len, kt, dpos.get() + start[g], p.radii, below.get());
      check(cudaGetLastError(), "scatter_radii launch");
    }
    RadiusCountParams rc;
    rc.space = p.space;
    rc.radii = below.get();
    rc.strict = false;
    rc.include_self = true;
    rc.counts = p.counts;
    rc.stream = p.stream;
    radius_run<T>(rc);
  }
  check(cudaStreamSynchronize(st), "cudaStreamSynchronize");  // the host copies live until here
  return 0;
}

// ---- sorted_1d ---------------------------------------------------------------------------------
// A column at a time: its values sorted (a stable sort of (value, row) pairs: of equal values
// the lower row first, the CPU's order), then a thread per row runs math/sorted.h.

// keys[t] = x[t] as float64 (-0 as +0: equal values tie, as in the CPU's comparison), order[t] = t.
template <typename T>
__global__ void column_keys(const T* __restrict__ x, int64_t n, int64_t sr,
                            double* __restrict__ keys, int64_t* __restrict__ order) {
  const int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= n) return;
  const double v = double(x[t * sr]);
  keys[t] = v == 0.0 ? 0.0 : v;
  order[t] = t;
}

// gkey[q] = the group code of the row at sorted position q, gpos[q] = q.
__global__ void group_keys(const int64_t* __restrict__ order, const int64_t* __restrict__ code,
                           int64_t n, int64_t* __restrict__ gkey, int64_t* __restrict__ gpos) {
  const int64_t q = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (q >= n) return;
  gkey[q] = code[order[q]];
  gpos[q] = q;
}

// The k-th nearest of each row within its group: gpos [n] sorted positions grouped by group
// (null: one group, position i itself), gkey [n] their group codes, start [groups + 1].
__global__ void kth_in_group(const double* __restrict__ sv, const int64_t* __restrict__ order,
                             const int64_t* __restrict__ gpos, const int64_t* __restrict__ gkey,
                             const int64_t* __restrict__ start, int64_t n, int64_t k,
                             double* __restrict__ kth, int64_t f, int64_t c) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const int64_t s0 = gpos ? start[gkey[i]] : 0;
  const int64_t len = gpos ? start[gkey[i] + 1] - s0 : n;
  const int64_t kt = k < len - 1 ? k : len - 1;
  const int64_t q = gpos ? gpos[i] : i;
  const auto v = [sv, gpos, s0](int64_t j) { return gpos ? sv[gpos[s0 + j]] : sv[j]; };
  kth[order[q] * f + c] = math::sorted_kth(v, len, i - s0, kt);
}

// The k-th nearest of each row in the max-norm of (x, y); best [n, k] scratch.
template <typename T>
__global__ void kth_joint(const double* __restrict__ sv, const int64_t* __restrict__ order,
                          const T* __restrict__ y, int64_t ysr, int64_t n, int64_t k,
                          double* __restrict__ best, double* __restrict__ kth, int64_t f,
                          int64_t c) {
  const int64_t q = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (q >= n) return;
  const auto v = [sv](int64_t j) { return sv[j]; };
  const auto yv = [y, ysr, order](int64_t j) { return double(y[order[j] * ysr]); };
  kth[order[q] * f + c] = math::sorted_joint_kth(v, yv, n, q, k, best + q * k);
}

// counts[t, c] = the rows within radii[t, c] (or nextafter(kth[t, c], 0)) of row t, itself in.
__global__ void count_sorted(const double* __restrict__ sv, const int64_t* __restrict__ order,
                             int64_t n, const double* __restrict__ radii,
                             const double* __restrict__ kth, int64_t* __restrict__ counts,
                             int64_t f, int64_t c) {
  const int64_t q = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (q >= n) return;
  const int64_t t = order[q];
  const double r = radii ? radii[t * f + c] : nextafter(kth[t * f + c], 0.0);
  const auto v = [sv](int64_t j) { return sv[j]; };
  counts[t * f + c] = math::sorted_count_within(v, n, q, r);
}

template <typename T>
void sorted_run(const Sorted1dParams& p) {
  const DeviceGuard device(p.x.device);
  auto st = reinterpret_cast<cudaStream_t>(p.stream);
  const int64_t n = p.x.rows, f = p.x.cols;
  const bool joint = p.y.data != nullptr;
  const bool grouped = p.groups != nullptr && p.k > 0;
  // Dense group codes (groups: host memory) and each group's first sorted slot.
  const math::GroupCodes groups =
      grouped ? math::dense_group_codes(n, [&](int64_t t) { return p.groups[t]; })
              : math::GroupCodes{};
  const auto& code = groups.code;
  const auto& start = groups.start;
  {
    Scratch<double> keys(n, st), best(joint && p.k > 0 ? n * p.k : 0, st);
    Scratch<int64_t> order(n, st), dcode(grouped ? n : 0, st), gkey(grouped ? n : 0, st),
        gpos(grouped ? n : 0, st), dstart(grouped ? int64_t(start.size()) : 0, st);
    if (grouped) {
      check(cudaMemcpyAsync(dcode.get(), code.data(), sizeof(int64_t) * n, cudaMemcpyHostToDevice,
                            st),
            "cudaMemcpyAsync");
      check(cudaMemcpyAsync(dstart.get(), start.data(), sizeof(int64_t) * start.size(),
                            cudaMemcpyHostToDevice, st),
            "cudaMemcpyAsync");
    }
    const auto policy = thrust::cuda::par.on(st);
    for (int64_t c = 0; c < f; ++c) {
      column_keys<T><<<blocks_for(n), kThreads, 0, st>>>(p.x.ptr<T>() + c * p.x.stride_col, n,
                                                         p.x.stride_row, keys.get(), order.get());
      check(cudaGetLastError(), "column_keys launch");
      thrust::stable_sort_by_key(policy, keys.get(), keys.get() + n, order.get());
      if (p.k > 0 && !joint) {
        if (grouped) {
          group_keys<<<blocks_for(n), kThreads, 0, st>>>(order.get(), dcode.get(), n, gkey.get(),
                                                         gpos.get());
          check(cudaGetLastError(), "group_keys launch");
          thrust::stable_sort_by_key(policy, gkey.get(), gkey.get() + n, gpos.get());
        }
        kth_in_group<<<blocks_for(n), kThreads, 0, st>>>(keys.get(), order.get(),
                                                         grouped ? gpos.get() : nullptr, gkey.get(),
                                                         dstart.get(), n, p.k, p.kth, f, c);
        check(cudaGetLastError(), "kth_in_group launch");
      }
      if (p.k > 0 && joint) {
        kth_joint<T><<<blocks_for(n), kThreads, 0, st>>>(
            keys.get(), order.get(), p.y.ptr<T>() + c * p.y.stride_col, p.y.stride_row, n, p.k,
            best.get(), p.kth, f, c);
        check(cudaGetLastError(), "kth_joint launch");
      }
      if (p.counts) {
        count_sorted<<<blocks_for(n), kThreads, 0, st>>>(keys.get(), order.get(), n, p.radii, p.kth,
                                                         p.counts, f, c);
        check(cudaGetLastError(), "count_sorted launch");
      }
    }
  }
  check(cudaStreamSynchronize(st), "cudaStreamSynchronize");  // the host copies live until here
}

}  // namespace

std::vector<int64_t> knn_rows_to_host(const KnnSpace& space) {
  const DeviceGuard device(space.x.device);
  std::vector<int64_t> out(space.n_rows);
  check(cudaMemcpy(out.data(), space.rows, sizeof(int64_t) * space.n_rows, cudaMemcpyDeviceToHost),
        "cudaMemcpy");
  return out;
}

int64_t knn_group_count(const KnnGroupCountParams& p) {
  require_device();
  return p.space.x.dtype == DType::float64 ? group_count_run<double>(p) : group_count_run<float>(p);
}

void sorted_1d(const Sorted1dParams& p) {
  require_device();
  if (p.x.dtype == DType::float64)
    sorted_run<double>(p);
  else
    sorted_run<float>(p);
}

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
