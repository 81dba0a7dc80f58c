// Computes: the k nearest neighbours and radius counts of a set of rows (ops.h knn,
// radius_count), by tiled brute force: query tile x reference tile -> screened distance
// block (GEMM for euclidean, a float loop for chebyshev) -> top-k candidates or counts.
// Math: softent/math/topk.h (exact distance, screen bounds, top-k lists); loops:
// cpu/common/tile_loop.h, BLAS: cpu/common/gemm.h. Runs on: host memory, OpenMP threads
// over query tiles, one BLAS thread each.
//
// Rows are read relative to the set's column means (the GEMM then never cancels a common
// offset). Screened values carry a rounding bound; every decision the bound cannot settle
// (the k-th neighbour, a pair near a radius) is taken on the exact float64 distance, so
// results are those of an exact brute force whatever the tiling, threads or BLAS.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "cpu/common/gemm.h"
#include "cpu/common/tile_loop.h"
#include "softent/math/topk.h"
#include "softent/ops.h"

namespace softent::cpu {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The compared rows: position t of the set is row id(t) of x.
template <typename T>
struct Set {
  const T* x;
  int64_t sr, sc, d, m;
  const int64_t* rows;
  KnnMetric metric;
  int nb;
  int64_t ends[kKnnMaxBlocks];

  explicit Set(const KnnSpace& s)
      : x(s.x.ptr<T>()),
        sr(s.x.stride_row),
        sc(s.x.stride_col),
        d(s.x.cols),
        m(s.rows ? s.n_rows : s.x.rows),
        rows(s.rows),
        metric(s.metric),
        nb(s.n_blocks) {
    for (int b = 0; b < kKnnMaxBlocks; ++b) ends[b] = s.block_ends[b];
  }
  int64_t id(int64_t t) const { return rows ? rows[t] : t; }
  const T* row(int64_t t) const { return x + id(t) * sr; }
  math::Exact exact(int64_t t, int64_t u, double* per_block = nullptr) const {
    const T* a = row(t);
    const T* b = row(u);
    const int64_t s = sc;
    return math::exact_distance(
        metric, nb, ends, [a, s](int64_t k) { return a[k * s]; },
        [b, s](int64_t k) { return b[k * s]; }, per_block);
  }
};

// The set's column means (float64 sums in a fixed order: deterministic), as T. Throws when
// a value is not finite (Python refuses such rows first).
template <typename T>
std::vector<T> column_means(const Set<T>& s, int threads) {
  std::vector<double> total(s.d, 0.0);
  parallel_tiles(
      s.m, 4096, threads, [&] { return std::vector<double>(s.d, 0.0); },
      [&](std::vector<double>& acc, int64_t t0, int64_t len) {
        for (int64_t t = t0; t < t0 + len; ++t) {
          const T* r = s.row(t);
          for (int64_t k = 0; k < s.d; ++k) acc[k] += double(r[k * s.sc]);
        }
      },
      [&](std::vector<double>& acc) {
        for (int64_t k = 0; k < s.d; ++k) total[k] += acc[k];
      });
  std::vector<T> origin(s.d);
  for (int64_t k = 0; k < s.d; ++k) {
    if (!std::isfinite(total[k]))
      throw std::invalid_argument("softent._core.knn: x must be finite (NaN/Inf in column " +
                                  std::to_string(k) + ")");
    origin[k] = static_cast<T>(total[k] / double(s.m));
  }
  return origin;
}

// Rows [t0, t0 + len) of the set, centred, as T: row-major [len, d] (GEMM operands, query
// tiles) or column-major [d, len] (chebyshev reference tiles: the loop runs along rows);
// with each row's screen norm (per block: squared norms for the GEMM) and slack share c n.
template <typename T>
struct Tile {
  std::vector<T> v, bnorm;  // v: the values; bnorm [nb, cap]: block squared norms
  std::vector<double> cn;   // [cap] c * n (n: squared norm / largest |value|)
  double cn_max = 0.0;
  int64_t t0 = 0, len = 0, cap;

  Tile(int64_t cap_, int64_t d, int nb) : v(cap_ * d), bnorm(cap_ * nb), cn(cap_), cap(cap_) {}

  void load(const Set<T>& s, const T* origin, int64_t t0_, int64_t len_, bool col_major, double c) {
    t0 = t0_;
    len = len_;
    cn_max = 0.0;
    const int64_t d = s.d;
    for (int64_t r = 0; r < len; ++r) {
      const T* src = s.row(t0 + r);
      double n = 0.0;
      int64_t k = 0;
      for (int b = 0; b < s.nb; ++b) {
        double block = 0.0;
        for (; k < s.ends[b]; ++k) {
          const T val = src[k * s.sc] - origin[k];
          if (col_major)
            v[k * len + r] = val;
          else
            v[r * d + k] = val;
          if (s.metric == KnnMetric::euclidean)
            block += double(val) * double(val);
          else
            n = std::max(n, std::fabs(double(val)));
        }
        bnorm[b * cap + r] = static_cast<T>(block);
        n += block;  // 0 for chebyshev
      }
      // float32 rows beyond ~1e19 would overflow the screen (python/softent/knn/_kernel.py
      // screens such data in float64): refuse rather than decide on an Inf.
      if (!std::isfinite(static_cast<T>(n)))
        throw std::invalid_argument(
            "softent._core.knn: values too large to screen in this precision (use float64)");
      cn[r] = c * n;
      cn_max = std::max(cn_max, cn[r]);
    }
  }
};

// The screened values S [a.len, b.len] (leading dimension ld) of a query tile a (row-major)
// against a reference tile b (row-major for euclidean, column-major for chebyshev); dots
// [nb > 1 ? a.len * ld : 0] is scratch for the blocks' GEMMs.
template <typename T>
void screen_block(const Set<T>& s, const Tile<T>& a, const Tile<T>& b, T* S, int64_t ld, T* dots) {
  const int64_t d = s.d;
  if (s.metric == KnnMetric::chebyshev) {
    for (int64_t r = 0; r < a.len; ++r) {
      T* out = S + r * ld;
      std::fill(out, out + b.len, T(0));
      const T* q = a.v.data() + r * d;
      for (int64_t k = 0; k < d; ++k) {
        const T qk = q[k];
        const T* col = b.v.data() + k * b.len;
#pragma omp simd
        for (int64_t j = 0; j < b.len; ++j) {
          const T diff = std::fabs(qk - col[j]);
          out[j] = diff > out[j] ? diff : out[j];
        }
      }
    }
    return;
  }
  int64_t k0 = 0;
  for (int blk = 0; blk < s.nb; ++blk) {
    const int64_t db = s.ends[blk] - k0;
    T* c = blk == 0 ? S : dots;
    gemm_abt(a.len, b.len, db, a.v.data() + k0, d, b.v.data() + k0, d, c, ld);
    const T* na = a.bnorm.data() + blk * a.cap;
    const T* nbn = b.bnorm.data() + blk * b.cap;
    for (int64_t r = 0; r < a.len; ++r) {
      T* row = c + r * ld;
      T* out = S + r * ld;
      const T nr = na[r];
      if (blk == 0) {
#pragma omp simd
        for (int64_t j = 0; j < b.len; ++j) row[j] = math::euclidean_screen(nr, nbn[j], row[j]);
      } else {
#pragma omp simd
        for (int64_t j = 0; j < b.len; ++j) {
          const T v = math::euclidean_screen(nr, nbn[j], row[j]);
          out[j] = v > out[j] ? v : out[j];
        }
      }
    }
    k0 = s.ends[blk];
  }
}

struct Tiles {
  int64_t q, r;  // query rows, reference rows per tile
};

Tiles tile_sizes(int64_t tile_rows, int64_t m) {
  const int64_t q = tile_rows > 0 ? tile_rows : 256;
  const int64_t r = tile_rows > 0 ? 2 * tile_rows + 1 : 1024;
  return {std::clamp<int64_t>(q, 1, m), std::clamp<int64_t>(r, 1, m)};
}

template <typename T>
struct Work {
  Tile<T> a, b;
  std::vector<T> S, dots;
  Work(const Set<T>& s, Tiles t)
      : a(t.q, s.d, s.nb),
        b(t.r, s.d, s.nb),
        S(t.q * t.r),
        dots(s.nb > 1 && s.metric == KnnMetric::euclidean ? t.q * t.r : 0) {}
};

// ---- knn ----------------------------------------------------------------------------------
template <typename T>
struct KnnThread {
  Work<T> w;
  std::vector<math::Candidate<T>> cand;  // [q, kc]
  std::vector<int> count;                // [q]
  std::vector<double> lb_min;            // [q]
  std::vector<math::Neighbour> best;     // [kc] the exact re-measurement of one row
  int64_t fallbacks = 0;
};

template <typename T>
int64_t knn_run(const KnnParams& p) {
  const Set<T> s(p.space);
  const int64_t m = s.m, k = p.k;
  const int kc = math::candidate_count(k, m);
  const double c = math::screen_factor<T>(s.metric, s.d);
  const std::vector<T> origin = column_means(s, p.num_threads);
  const Tiles tiles = tile_sizes(p.tile_rows, m);
  const bool cheb = s.metric == KnnMetric::chebyshev;
  int64_t fallbacks = 0;

  // The k exact nearest of position t among all others: the path of rows the screen could
  // not certify.
  const auto exact_scan = [&](int64_t t, math::Neighbour* out) {
    int cnt = 0;
    math::Neighbour dropped{};
    bool has = false;
    for (int64_t u = 0; u < m; ++u) {
      if (u == t) continue;
      const math::Exact e = s.exact(t, u);
      cnt =
          math::topk_insert(out, cnt, int(k), math::Neighbour{e.dist, e.screen, u}, &dropped, &has);
    }
  };

  parallel_tiles(
      m, tiles.q, p.num_threads,
      [&] {
        return KnnThread<T>{Work<T>(s, tiles),
                            std::vector<math::Candidate<T>>(tiles.q * kc),
                            std::vector<int>(tiles.q),
                            std::vector<double>(tiles.q),
                            std::vector<math::Neighbour>(std::max<int64_t>(kc, k)),
                            0};
      },
      [&](KnnThread<T>& th, int64_t t0, int64_t len) {
        Work<T>& w = th.w;
        w.a.load(s, origin.data(), t0, len, false, c);
        std::fill(th.count.begin(), th.count.begin() + len, 0);
        std::fill(th.lb_min.begin(), th.lb_min.begin() + len, kInf);
        for (int64_t u0 = 0; u0 < m; u0 += tiles.r) {
          const int64_t ulen = std::min(tiles.r, m - u0);
          w.b.load(s, origin.data(), u0, ulen, cheb, c);
          screen_block(s, w.a, w.b, w.S.data(), ulen, w.dots.data());
          for (int64_t r = 0; r < len; ++r) {
            const int64_t t = t0 + r;
            math::Candidate<T>* list = th.cand.data() + r * kc;
            int cnt = th.count[r];
            double lb = th.lb_min[r];
            const T* srow = w.S.data() + r * ulen;
            T worst = cnt == kc ? list[kc - 1].s : std::numeric_limits<T>::infinity();
            bool rejected = false;
            for (int64_t j = 0; j < ulen; ++j) {
              if (!(srow[j] <= worst)) {  // the common case: farther than every candidate
                rejected = true;
                continue;
              }
              const int64_t u = u0 + j;
              if (u == t) continue;
              math::Candidate<T> dropped{};
              bool has = false;
              cnt = math::topk_insert(list, cnt, kc, math::Candidate<T>{srow[j], u, w.b.cn[j]},
                                      &dropped, &has);
              if (has) lb = std::min(lb, double(dropped.s) - dropped.cn);
              if (cnt == kc) worst = list[kc - 1].s;
            }
            // A row passed over had s >= the list's last value then, >= its last value now.
            if (rejected) lb = std::min(lb, double(worst) - w.b.cn_max);
            th.count[r] = cnt;
            th.lb_min[r] = lb;
          }
        }
        for (int64_t r = 0; r < len; ++r) {
          const int64_t t = t0 + r;
          const math::Candidate<T>* list = th.cand.data() + r * kc;
          math::Neighbour* best = th.best.data();
          const int cnt = th.count[r];
          for (int q = 0; q < cnt; ++q) {
            const math::Exact e = s.exact(t, list[q].id);
            best[q] = math::Neighbour{e.dist, e.screen, list[q].id};
          }
          math::topk_sort(best, cnt);
          if (!math::topk_certified(th.lb_min[r], w.a.cn[r], best[k - 1].screen)) {
            exact_scan(t, best);
            ++th.fallbacks;
          }
          for (int64_t q = 0; q < k; ++q) {
            p.distances[t * k + q] = best[q].dist;
            if (p.indices) p.indices[t * k + q] = s.id(best[q].id);
            if (p.block_distances) s.exact(t, best[q].id, p.block_distances + (t * k + q) * s.nb);
          }
        }
      },
      [&](KnnThread<T>& th) { fallbacks += th.fallbacks; });
  return fallbacks;
}

// ---- radius_count ----------------------------------------------------------------------------
template <typename T>
void radius_run(const RadiusCountParams& p) {
  const Set<T> s(p.space);
  const int64_t m = s.m;
  const double c = math::screen_factor<T>(s.metric, s.d);
  const std::vector<T> origin = column_means(s, p.num_threads);
  const Tiles tiles = tile_sizes(p.tile_rows, m);
  const bool cheb = s.metric == KnnMetric::chebyshev;
  const int64_t* groups = p.groups;

  parallel_tiles(
      m, tiles.q, p.num_threads, [&] { return Work<T>(s, tiles); },
      [&](Work<T>& w, int64_t t0, int64_t len) {
        w.a.load(s, origin.data(), t0, len, false, c);
        for (int64_t r = 0; r < len; ++r) {
          const int64_t t = t0 + r;
          p.counts[t] = (p.include_self && math::within_radius(0.0, p.radii[t], p.strict)) ? 1 : 0;
        }
        for (int64_t u0 = 0; u0 < m; u0 += tiles.r) {
          const int64_t ulen = std::min(tiles.r, m - u0);
          w.b.load(s, origin.data(), u0, ulen, cheb, c);
          screen_block(s, w.a, w.b, w.S.data(), ulen, w.dots.data());
          for (int64_t r = 0; r < len; ++r) {
            const int64_t t = t0 + r;
            const double radius = p.radii[t];
            const double rs = math::radius_screen(s.metric, radius);
            const double cn_t = w.a.cn[r];
            const int64_t g = groups ? groups[s.id(t)] : 0;
            const T* srow = w.S.data() + r * ulen;
            int64_t cnt = 0;
            for (int64_t j = 0; j < ulen; ++j) {
              const int64_t u = u0 + j;
              const int dec = math::radius_screen_decision(double(srow[j]), cn_t + w.b.cn[j], rs);
              if (dec < 0 || u == t) continue;
              if (groups && groups[s.id(u)] != g) continue;
              if (dec > 0 || math::within_radius(s.exact(t, u).dist, radius, p.strict)) ++cnt;
            }
            p.counts[t] += cnt;
          }
        }
      },
      [](Work<T>&) {});
}

}  // namespace

int64_t knn(const KnnParams& p) {
  return p.space.x.dtype == DType::float64 ? knn_run<double>(p) : knn_run<float>(p);
}

void radius_count(const RadiusCountParams& p) {
  if (p.space.x.dtype == DType::float64)
    radius_run<double>(p);
  else
    radius_run<float>(p);
}

}  // namespace softent::cpu
