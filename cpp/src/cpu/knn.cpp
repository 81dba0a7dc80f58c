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
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu/common/gemm.h"
#include "cpu/common/tile_loop.h"
#include "softent/math/sorted.h"
#include "softent/math/topk.h"
#include "softent/ops.h"

namespace softent::cpu {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The compared rows: position t of the set is row id(t) of x (shared with the CUDA kernels).
template <typename T>
using Set = math::RowSet<T>;

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

  // Positions t0 + r of the set, or pos[r] when pos is given.
  void load(const Set<T>& s, const T* origin, int64_t t0_, int64_t len_, bool col_major, double c,
            const int64_t* pos = nullptr) {
    t0 = t0_;
    len = len_;
    cn_max = 0.0;
    const int64_t d = s.d;
    for (int64_t r = 0; r < len; ++r) {
      const T* src = s.row(pos ? pos[r] : t0 + r);
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
      // rows whose squared norm overflows T would be screened on an Inf: refuse. The public
      // functions never get here: python/softent/knn/_kernel.py screens float32 data beyond
      // 1e15 in float64 and refuses, naming the argument, data whose squared distances do not
      // fit in float64 (check_distances_fit); this is the check for a direct _core caller.
      if (!std::isfinite(static_cast<T>(n)))
        throw std::invalid_argument(
            "softent._core.knn: x must have rows whose centred squared norms fit in its float "
            "type, got a row beyond it at set position " +
            std::to_string(pos ? pos[r] : t0 + r));
      cn[r] = c * n;
      cn_max = std::max(cn_max, cn[r]);
    }
  }

  // As load, with each row's norms taken from known (rows_norms: the values load computes,
  // once per call rather than once per tile pair), so only the centred values are copied.
  template <typename Known>
  void load(const Set<T>& s, const T* origin, int64_t t0_, int64_t len_, bool col_major,
            const Known& known, const int64_t* pos = nullptr) {
    t0 = t0_;
    len = len_;
    cn_max = 0.0;
    const int64_t d = s.d, sc = s.sc;
    for (int64_t r = 0; r < len; ++r) {
      const int64_t t = pos ? pos[r] : t0 + r;
      const T* src = s.row(t);
      if (col_major) {
        // copied below, 16 rows at a time (consecutive stores per column)
      } else if (sc == 1) {
        T* dst = v.data() + r * d;
#pragma omp simd
        for (int64_t k = 0; k < d; ++k) dst[k] = src[k] - origin[k];
      } else {
        for (int64_t k = 0; k < d; ++k) v[r * d + k] = src[k * sc] - origin[k];
      }
      for (int b = 0; b < s.nb; ++b) bnorm[b * cap + r] = known.bnorm[t * s.nb + b];
      cn[r] = known.cn[t];
      cn_max = std::max(cn_max, cn[r]);
    }
    if (!col_major) return;
    for (int64_t r0 = 0; r0 < len; r0 += 16) {
      const int64_t r1 = std::min(r0 + 16, len);
      const T* srcs[16];
      for (int64_t r = r0; r < r1; ++r) srcs[r - r0] = s.row(pos ? pos[r] : t0 + r);
      for (int64_t k = 0; k < d; ++k) {
        T* dst = v.data() + k * len;
        for (int64_t r = r0; r < r1; ++r) dst[r] = srcs[r - r0][k * sc] - origin[k];
      }
    }
  }
};

// Every row's block norms and slack share, as Tile::load computes them.
template <typename T>
struct RowNorms {
  std::vector<T> bnorm;    // [m, nb]
  std::vector<double> cn;  // [m]
  double cn_max = 0.0;
};

template <typename T>
RowNorms<T> row_norms(const Set<T>& s, const T* origin, double c, int threads) {
  RowNorms<T> out{std::vector<T>(s.m * s.nb), std::vector<double>(s.m), 0.0};
  const int64_t step = 256;
  parallel_tiles(
      s.m, step, threads, [&] { return Tile<T>(std::min(step, s.m), s.d, s.nb); },
      [&](Tile<T>& tile, int64_t t0, int64_t len) {
        tile.load(s, origin, t0, len, false, c);
        for (int64_t r = 0; r < len; ++r) {
          out.cn[t0 + r] = tile.cn[r];
          for (int b = 0; b < s.nb; ++b)
            out.bnorm[(t0 + r) * s.nb + b] = tile.bnorm[b * tile.cap + r];
        }
      },
      [](Tile<T>&) {});
  for (const double v : out.cn) out.cn_max = std::max(out.cn_max, v);
  return out;
}

// The screened values S [a.len, b.len] (leading dimension ld) of a query tile a (row-major)
// against a reference tile b (row-major for euclidean, column-major for chebyshev); dots
// [nb > 1 ? a.len * ld : 0] is scratch for the blocks' GEMMs.
template <typename T>
void screen_block(const Set<T>& s, const Tile<T>& a, const Tile<T>& b, T* S, int64_t ld, T* dots) {
  const int64_t d = s.d;
  if (s.metric == KnnMetric::chebyshev) {
    // Register blocks: kRows query rows x kCols reference rows held in registers through
    // all d columns (each column value of b loaded once for kRows rows, no store per
    // column); the edges take the plain loop below. Same values: max is exact.
    constexpr int64_t kRows = 4, kCols = 64 / sizeof(T) * 2;
    const int64_t r_full = a.len - a.len % kRows, j_full = b.len - b.len % kCols;
    for (int64_t r = 0; r < r_full; r += kRows) {
      const T* q = a.v.data() + r * d;
      for (int64_t j0 = 0; j0 < j_full; j0 += kCols) {
        T acc[kRows][kCols] = {};
        for (int64_t k = 0; k < d; ++k) {
          const T* col = b.v.data() + k * b.len + j0;
          for (int64_t rr = 0; rr < kRows; ++rr) {
            const T qk = q[rr * d + k];
#pragma omp simd
            for (int64_t j = 0; j < kCols; ++j) {
              const T diff = std::fabs(qk - col[j]);
              acc[rr][j] = diff > acc[rr][j] ? diff : acc[rr][j];
            }
          }
        }
        for (int64_t rr = 0; rr < kRows; ++rr)
          std::copy(acc[rr], acc[rr] + kCols, S + (r + rr) * ld + j0);
      }
    }
    for (int64_t r = 0; r < a.len; ++r) {
      const int64_t j_start = r < r_full ? j_full : 0;  // the full blocks are done
      if (j_start == b.len) continue;
      T* out = S + r * ld;
      std::fill(out + j_start, out + b.len, T(0));
      const T* q = a.v.data() + r * d;
      for (int64_t k = 0; k < d; ++k) {
        const T qk = q[k];
        const T* col = b.v.data() + k * b.len;
#pragma omp simd
        for (int64_t j = j_start; j < b.len; ++j) {
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
  const RowNorms<T> known = row_norms(s, origin.data(), c, p.num_threads);
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

  parallel_dynamic(
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
        w.a.load(s, origin.data(), t0, len, false, known);
        std::fill(th.count.begin(), th.count.begin() + len, 0);
        std::fill(th.lb_min.begin(), th.lb_min.begin() + len, kInf);
        for (int64_t u0 = 0; u0 < m; u0 += tiles.r) {
          const int64_t ulen = std::min(tiles.r, m - u0);
          w.b.load(s, origin.data(), u0, ulen, cheb, known);
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
              // A chunk whose smallest value is farther than every candidate is passed over
              // whole (a vectorised min, not a branch per value).
              if ((j & 63) == 0 && j + 64 <= ulen) {
                T lo = std::numeric_limits<T>::infinity();
#pragma omp simd reduction(min : lo)
                for (int64_t q = j; q < j + 64; ++q) lo = std::min(lo, srow[q]);
                if (!(lo <= worst)) {
                  rejected = true;
                  j += 63;
                  continue;
                }
              }
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
  const RowNorms<T> known = row_norms(s, origin.data(), c, p.num_threads);
  const Tiles tiles = tile_sizes(p.tile_rows, m);
  const bool cheb = s.metric == KnnMetric::chebyshev;
  const int64_t* groups = p.groups;

  parallel_dynamic(
      m, tiles.q, p.num_threads, [&] { return Work<T>(s, tiles); },
      [&](Work<T>& w, int64_t t0, int64_t len) {
        w.a.load(s, origin.data(), t0, len, false, known);
        for (int64_t r = 0; r < len; ++r) {
          const int64_t t = t0 + r;
          p.counts[t] = (p.include_self && math::within_radius(0.0, p.radii[t], p.strict)) ? 1 : 0;
        }
        for (int64_t u0 = 0; u0 < m; u0 += tiles.r) {
          const int64_t ulen = std::min(tiles.r, m - u0);
          w.b.load(s, origin.data(), u0, ulen, cheb, known);
          screen_block(s, w.a, w.b, w.S.data(), ulen, w.dots.data());
          for (int64_t r = 0; r < len; ++r) {
            const int64_t t = t0 + r;
            const double radius = p.radii[t];
            const double rs = math::radius_screen(s.metric, radius);
            const double cn_t = w.a.cn[r];
            const int64_t g = groups ? groups[s.id(t)] : 0;
            const T* srow = w.S.data() + r * ulen;
            int64_t cnt = 0;
            if (!groups) {
              // Vectorised first: with the tile's largest slack, a value below lo is
              // certainly inside (radius_screen_decision would say +1 for every row of the
              // tile), above hi certainly outside; only the narrow band between is decided
              // row by row as below. The same counts, fewer branches.
              const double slack = cn_t + w.b.cn_max;
              const double lo = rs * (1.0 - 1e-12) - slack;
              const double hi = rs * (1.0 + 1e-12) + 1e-300 + slack;
              int64_t in = 0, band = 0;
#pragma omp simd reduction(+ : in, band)
              for (int64_t j = 0; j < ulen; ++j) {
                const double v = double(srow[j]);
                in += v < lo ? 1 : 0;
                band += (v >= lo && v <= hi) ? 1 : 0;
              }
              if (t >= u0 && t < u0 + ulen && double(srow[t - u0]) < lo) --in;  // not itself
              cnt = in;
              if (band > 0) {
                for (int64_t j = 0; j < ulen; ++j) {
                  const double v = double(srow[j]);
                  const int64_t u = u0 + j;
                  if (v < lo || v > hi || u == t) continue;
                  const int dec = math::radius_screen_decision(v, cn_t + w.b.cn[j], rs);
                  if (dec > 0 ||
                      (dec == 0 && math::within_radius(s.exact(t, u).dist, radius, p.strict)))
                    ++cnt;
                }
              }
              p.counts[t] += cnt;
              continue;
            }
            for (int64_t j = 0; j < ulen; ++j) {
              const int64_t u = u0 + j;
              const int dec = math::radius_screen_decision(double(srow[j]), cn_t + w.b.cn[j], rs);
              if (dec < 0 || u == t) continue;
              if (groups[s.id(u)] != g) continue;
              if (dec > 0 || math::within_radius(s.exact(t, u).dist, radius, p.strict)) ++cnt;
            }
            p.counts[t] += cnt;
          }
        }
      },
      [](Work<T>&) {});
}

// ---- knn_group_count ---------------------------------------------------------------------
// A screened candidate of the pair pass, compact (the lists of every row live through the
// whole pass): screened value and position in the set; its slack share c n lives in cn[id].
template <typename T>
struct Cand {
  T s;
  int32_t id;
};

template <typename T>
struct GroupLists {
  int64_t m;
  int kc, mc;                   // group list and overall buffer capacities
  std::vector<Cand<T>> g, o;    // [m, kc] sorted; [m, mc] unsorted
  std::vector<int32_t> gn, on;  // [m] entries held (on < 0: the buffer overflowed)
  std::vector<double> glb;      // [m] lower bound of the group rows passed over (see knn_run)
  std::vector<int32_t> kt;      // [m] the row's k
  double margin_all = 0.0;      // 2 max_u c n_u
  GroupLists(int64_t m_, int kc_, int mc_)
      : m(m_),
        kc(kc_),
        mc(mc_),
        g(m_ * kc_),
        o(m_ * mc_),
        gn(m_, 0),
        on(m_, 0),
        glb(m_, kInf),
        kt(m_, 1) {}
};

// Feeds row t the screened values v[j] of positions pos0 + j (j < len; slack shares cnu[j],
// largest cn_max). Same-group rows go to its sorted group list (as knn_run's candidates).
// Rows of any group go to its overall buffer when they may lie within the final radius:
// with G the k-th screened value of the group list now, the exact k-th neighbour's screen
// value is at most G + c n_t + max c n, so a row u whose screened value exceeds
// G + 2 c n_t + 2 max c n (c n_u <= max c n) is certainly farther, now and later (G only
// decreases). A full buffer is compacted against the current bound; one still 3/4 full
// overflows (the row is counted again in a second pass).
template <typename T>
void feed_row(GroupLists<T>& L, int64_t t, const T* v, int64_t len, int64_t pos0, const double* cnu,
              double cn_max, const int32_t* grp, const double* cn_all) {
  Cand<T>* gl = L.g.data() + t * L.kc;
  Cand<T>* ol = L.o.data() + t * L.mc;
  int gc = L.gn[t], oc = L.on[t];
  double gb = L.glb[t];
  const int32_t mine = grp[t];
  const int k = L.kt[t];
  const double slack = 2.0 * cn_all[t] + L.margin_all;
  constexpr T inf = std::numeric_limits<T>::infinity();
  T gw = gc == L.kc ? gl[L.kc - 1].s : inf;
  // The admission bound of the overall buffer, in T rounded up (a T compare in the loop).
  const auto bound = [&](int cnt) -> T {
    if (cnt < k) return inf;
    const double b = double(gl[k - 1].s) + slack;
    const T bt = static_cast<T>(b);
    return double(bt) >= b ? bt : std::nextafter(bt, inf);
  };
  T ob = oc < 0 ? -inf : bound(gc);
  T thr = std::max(gw, ob);
  bool passed = false;
  constexpr int64_t kChunk = 64;
  for (int64_t j = 0; j < len; ++j) {
    // Most values lie beyond both lists: a chunk whose smallest value does is passed over
    // whole (a vectorised min instead of a branch per value).
    if ((j & (kChunk - 1)) == 0 && j + kChunk <= len) {
      T lo = inf;
#pragma omp simd reduction(min : lo)
      for (int64_t q = j; q < j + kChunk; ++q) lo = std::min(lo, v[q]);
      if (!(lo <= thr)) {
        passed = true;
        j += kChunk - 1;
        continue;
      }
    }
    const T sv = v[j];
    if (!(sv <= thr)) {
      passed = true;
      continue;
    }
    const int64_t u = pos0 + j;
    if (u == t) continue;
    if (sv <= ob) {
      if (oc == L.mc) {  // full: drop what the bound now excludes
        int kept = 0;
        for (int q = 0; q < oc; ++q)
          if (ol[q].s <= ob) ol[kept++] = ol[q];
        oc = kept;
        if (oc > (3 * L.mc) / 4) {  // still mostly full: give up, count again later
          oc = -1;
          ob = -inf;
        }
      }
      if (oc >= 0) ol[oc++] = Cand<T>{sv, int32_t(u)};
    }
    if (grp[u] == mine) {
      if (sv <= gw) {
        Cand<T> dropped{};
        bool has = false;
        gc = math::topk_insert(gl, gc, L.kc, Cand<T>{sv, int32_t(u)}, &dropped, &has);
        if (has) gb = std::min(gb, double(dropped.s) - cn_all[dropped.id]);
        if (gc == L.kc) gw = gl[L.kc - 1].s;
        if (oc >= 0) ob = bound(gc);
      } else {
        gb = std::min(gb, double(sv) - cnu[j]);
      }
    }
    thr = std::max(gw, ob);
  }
  // A group row passed over had a value above the list's last then, so above its last now
  // (the list only tightens); rows of other groups are bounded too (harmless: lower still).
  if (passed) gb = std::min(gb, double(gw) - cn_max);
  L.gn[t] = gc;
  L.on[t] = oc;
  L.glb[t] = gb;
}

template <typename T>
struct PairWork {
  Work<T> w;
  std::vector<T> st;    // [r, q] the transposed screened block (the reference tile's rows)
  int64_t loaded = -1;  // the tile held in w.a
  PairWork(const Set<T>& s, Tiles t) : w(s, t), st(t.q * t.r) {}
};

template <typename T>
int64_t group_count_run(const KnnGroupCountParams& p) {
  const Set<T> s(p.space);
  const int64_t m = s.m;
  const double c = math::screen_factor<T>(s.metric, s.d);
  const std::vector<T> origin = column_means(s, p.num_threads);
  const bool cheb = s.metric == KnnMetric::chebyshev;

  // Groups as dense codes by position, their sizes, each row's k and its slack share c n.
  std::vector<int32_t> grp(m);
  std::vector<int64_t> size;
  {
    std::vector<int64_t> code_of;  // group id -> dense code
    for (int64_t t = 0; t < m; ++t) {
      const int64_t g = p.groups[s.id(t)];
      if (g >= int64_t(code_of.size())) code_of.resize(g + 1, -1);
      if (code_of[g] < 0) {
        code_of[g] = int64_t(size.size());
        size.push_back(0);
      }
      grp[t] = int32_t(code_of[g]);
      ++size[code_of[g]];
    }
  }
  int64_t largest = 0;
  for (const int64_t z : size) largest = std::max(largest, z);
  const int64_t k_max = std::min<int64_t>(p.k, largest - 1);
  const int kc = math::candidate_count(k_max, largest);
  // Overall candidates: room for the rows of every group inside a radius (about k per group
  // when the groups are spread alike) with a margin; rows beyond it are counted again.
  int64_t want =
      p.overall > 0 ? p.overall : std::min<int64_t>(4 * k_max * int64_t(size.size()) + 16, 512);
  const int mc = int(std::clamp<int64_t>(want, 1, std::max<int64_t>(m - 1, 1)));

  // Square tiles (each pair of tiles screened once): ~384 rows keep the block in L2.
  const int64_t b = std::clamp<int64_t>(p.tile_rows > 0 ? p.tile_rows : 384, 1, m);
  const Tiles tiles{b, b};
  const int64_t nb = (m + b - 1) / b;

  const RowNorms<T> known = row_norms(s, origin.data(), c, p.num_threads);
  const std::vector<double>& cn_all = known.cn;

  GroupLists<T> L(m, kc, mc);
  for (int64_t t = 0; t < m; ++t) L.kt[t] = int32_t(std::min<int64_t>(p.k, size[grp[t]] - 1));
  L.margin_all = 2.0 * known.cn_max;
  std::vector<std::mutex> locks(nb);
  const int64_t n_pairs = nb * (nb + 1) / 2;
  // Pair index -> (I, J), I <= J, row-major over the upper triangle, in fixed blocks per
  // thread (parallel_tiles): consecutive pairs share tile I, whose rows' lists stay in cache
  // (measured: by diagonals, handed out one at a time, 20% slower on a quiet machine).
  std::vector<int64_t> first(nb + 1, 0);
  for (int64_t i = 0; i < nb; ++i) first[i + 1] = first[i] + (nb - i);

  parallel_tiles(
      n_pairs, 1, p.num_threads, [&] { return PairWork<T>(s, tiles); },
      [&](PairWork<T>& pw, int64_t pr, int64_t) {
        const int64_t I = std::upper_bound(first.begin(), first.end(), pr) - first.begin() - 1;
        const int64_t J = I + (pr - first[I]);
        Work<T>& w = pw.w;
        const int64_t i0 = I * b, ilen = std::min(b, m - i0);
        const int64_t j0 = J * b, jlen = std::min(b, m - j0);
        if (pw.loaded != I) w.a.load(s, origin.data(), i0, ilen, false, known);
        pw.loaded = I;
        w.b.load(s, origin.data(), j0, jlen, cheb, known);
        screen_block(s, w.a, w.b, w.S.data(), jlen, w.dots.data());
        {
          std::lock_guard<std::mutex> hold(locks[I]);
          for (int64_t r = 0; r < ilen; ++r)
            feed_row(L, i0 + r, w.S.data() + r * jlen, jlen, j0, w.b.cn.data(), w.b.cn_max,
                     grp.data(), cn_all.data());
        }
        if (J == I) return;
        // The same block read down its columns: the rows of tile J against tile I.
        T* st = pw.st.data();
        for (int64_t r0 = 0; r0 < ilen; r0 += 16)
          for (int64_t j0b = 0; j0b < jlen; j0b += 16)
            for (int64_t r = r0; r < std::min(r0 + 16, ilen); ++r)
              for (int64_t j = j0b; j < std::min(j0b + 16, jlen); ++j)
                st[j * ilen + r] = w.S[r * jlen + j];
        std::lock_guard<std::mutex> hold(locks[J]);
        for (int64_t j = 0; j < jlen; ++j)
          feed_row(L, j0 + j, st + j * ilen, ilen, i0, w.a.cn.data(), w.a.cn_max, grp.data(),
                   cn_all.data());
      },
      [](PairWork<T>&) {});

  // Per row: the exact k-th neighbour of its group (every group row exactly when the screen
  // cannot certify it), then its count from the overall list when the list reaches past the
  // radius; the other rows are collected for a second pass.
  std::vector<uint8_t> again(m, 0);
  parallel_dynamic(
      m, 256, p.num_threads,
      [&] { return std::vector<math::Neighbour>(std::max<int64_t>(kc, k_max)); },
      [&](std::vector<math::Neighbour>& best, int64_t t0, int64_t len) {
        for (int64_t t = t0; t < t0 + len; ++t) {
          const int64_t kt = L.kt[t];
          const Cand<T>* gl = L.g.data() + t * kc;
          // Candidates in screened order: one whose lower bound exceeds the exact k-th of
          // those measured cannot enter, nor can any after it (their screened values are
          // larger, their slack at most cn_max): the rest count as passed over.
          const int held = L.gn[t];
          int cnt = 0;
          double glb = L.glb[t];
          for (int q = 0; q < held; ++q) {
            if (cnt >= kt) {
              math::topk_sort(best.data(), cnt);
              const double lb = double(gl[q].s) - known.cn_max;
              if (lb - cn_all[t] > best[kt - 1].screen) {
                glb = std::min(glb, lb);
                break;
              }
            }
            const math::Exact e = s.exact(t, gl[q].id);
            best[cnt++] = math::Neighbour{e.dist, e.screen, gl[q].id};
          }
          math::topk_sort(best.data(), cnt);
          if (cnt < kt || !math::topk_certified(glb, cn_all[t], best[kt - 1].screen)) {
            int n_best = 0;
            math::Neighbour dropped{};
            bool has = false;
            for (int64_t u = 0; u < m; ++u) {
              if (u == t || grp[u] != grp[t]) continue;
              const math::Exact e = s.exact(t, u);
              n_best = math::topk_insert(best.data(), n_best, int(kt),
                                         math::Neighbour{e.dist, e.screen, u}, &dropped, &has);
            }
          }
          const double radius = best[kt - 1].dist;
          p.radii[t] = radius;
          if (L.on[t] < 0) {
            again[t] = 1;
            continue;
          }
          const double rs = math::radius_screen(s.metric, radius);
          const double below = std::nextafter(radius, 0.0);
          const Cand<T>* ol = L.o.data() + t * mc;
          int64_t n_in = 1;  // the row itself
          for (int q = 0; q < L.on[t]; ++q) {
            const int64_t u = ol[q].id;
            const int dec =
                math::radius_screen_decision(double(ol[q].s), cn_all[t] + cn_all[u], rs);
            if (dec > 0 || (dec == 0 && math::within_radius(s.exact(t, u).dist, below, false)))
              ++n_in;
          }
          p.counts[t] = n_in;
        }
      },
      [](std::vector<math::Neighbour>&) {});

  // Second pass: the rows whose radius reached past their overall list, against every row.
  std::vector<int64_t> redo;
  for (int64_t t = 0; t < m; ++t)
    if (again[t]) redo.push_back(t);
  const int64_t n_redo = int64_t(redo.size());
  if (n_redo == 0) return 0;
  const Tiles rt = tile_sizes(0, m);
  parallel_dynamic(
      n_redo, rt.q, p.num_threads, [&] { return Work<T>(s, Tiles{std::min(rt.q, n_redo), rt.r}); },
      [&](Work<T>& w, int64_t q0, int64_t qlen) {
        const int64_t* pos = redo.data() + q0;
        w.a.load(s, origin.data(), 0, qlen, false, known, pos);
        std::vector<int64_t> n_in(qlen, 1);
        for (int64_t u0 = 0; u0 < m; u0 += rt.r) {
          const int64_t ulen = std::min(rt.r, m - u0);
          w.b.load(s, origin.data(), u0, ulen, cheb, known);
          screen_block(s, w.a, w.b, w.S.data(), ulen, w.dots.data());
          for (int64_t r = 0; r < qlen; ++r) {
            const int64_t t = pos[r];
            const double radius = p.radii[t];
            const double rs = math::radius_screen(s.metric, radius);
            const double below = std::nextafter(radius, 0.0);
            const T* srow = w.S.data() + r * ulen;
            for (int64_t j = 0; j < ulen; ++j) {
              const int64_t u = u0 + j;
              const int dec =
                  math::radius_screen_decision(double(srow[j]), w.a.cn[r] + w.b.cn[j], rs);
              if (dec < 0 || u == t) continue;
              if (dec > 0 || math::within_radius(s.exact(t, u).dist, below, false)) ++n_in[r];
            }
          }
        }
        for (int64_t r = 0; r < qlen; ++r) p.counts[pos[r]] = n_in[r];
      },
      [](Work<T>&) {});
  return n_redo;
}

// ---- sorted_1d -------------------------------------------------------------------------------
template <typename T>
struct Column {
  const T* base;
  int64_t sr;
  double operator[](int64_t t) const { return double(base[t * sr]); }
};

template <typename T>
void sorted_column(const Sorted1dParams& p, int64_t c, const std::vector<int64_t>& gcode,
                   const std::vector<int64_t>& gsize, std::vector<int64_t>& order,
                   std::vector<double>& sv, std::vector<int64_t>& bucket) {
  const int64_t n = p.x.rows, f = p.x.cols;
  const Column<T> x{p.x.ptr<T>() + c * p.x.stride_col, p.x.stride_row};
  const bool joint = p.y.data != nullptr;
  const Column<T> y{joint ? p.y.ptr<T>() + c * p.y.stride_col : nullptr, p.y.stride_row};
  for (int64_t t = 0; t < n; ++t) order[t] = t;
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    const double va = x[a], vb = x[b];
    return va < vb || (va == vb && a < b);
  });
  for (int64_t q = 0; q < n; ++q) sv[q] = x[order[q]];

  if (p.k > 0 && !joint) {
    // Each group's rows in sorted order (a stable bucket pass), then each row's k-th
    // nearest of its group by a walk outwards (math::sorted_kth).
    const int64_t ng = int64_t(gsize.size());
    std::vector<int64_t> start(ng + 1, 0);
    for (int64_t g = 0; g < ng; ++g) start[g + 1] = start[g] + gsize[g];
    std::vector<int64_t> fill(start.begin(), start.end() - 1);
    for (int64_t q = 0; q < n; ++q) bucket[fill[gcode[order[q]]]++] = q;  // sorted positions
    for (int64_t g = 0; g < ng; ++g) {
      const int64_t* b = bucket.data() + start[g];
      const int64_t len = gsize[g];
      const int64_t kt = std::min<int64_t>(p.k, len - 1);
      const auto v = [&](int64_t j) { return sv[b[j]]; };
      for (int64_t i = 0; i < len; ++i)
        p.kth[order[b[i]] * f + c] = math::sorted_kth(v, len, i, kt);
    }
  }
  if (p.k > 0 && joint) {
    std::vector<double> best(p.k);
    const auto v = [&](int64_t j) { return sv[j]; };
    const auto yv = [&](int64_t j) { return y[order[j]]; };
    for (int64_t q = 0; q < n; ++q)
      p.kth[order[q] * f + c] = math::sorted_joint_kth(v, yv, n, q, p.k, best.data());
  }
  if (p.counts) {
    const auto v = [&](int64_t j) { return sv[j]; };
    for (int64_t q = 0; q < n; ++q) {
      const int64_t t = order[q];
      const double r = p.radii ? p.radii[t * f + c] : std::nextafter(p.kth[t * f + c], 0.0);
      p.counts[t * f + c] = math::sorted_count_within(v, n, q, r);
    }
  }
}

template <typename T>
void sorted_run(const Sorted1dParams& p) {
  const int64_t n = p.x.rows, f = p.x.cols;
  // One group (code 0 for every row) when the call has none.
  const math::GroupCodes groups =
      p.groups ? math::dense_group_codes(n, [&](int64_t t) { return p.groups[t]; })
               : math::GroupCodes{std::vector<int64_t>(n, 0), {n}, {0, n}};
  const auto& gcode = groups.code;
  const auto& gsize = groups.size;
  struct Scratch {
    std::vector<int64_t> order, bucket;
    std::vector<double> sv;
  };
  parallel_dynamic(
      f, 1, p.num_threads,
      [&] {
        return Scratch{std::vector<int64_t>(n), std::vector<int64_t>(n), std::vector<double>(n)};
      },
      [&](Scratch& sc, int64_t c, int64_t) {
        sorted_column<T>(p, c, gcode, gsize, sc.order, sc.sv, sc.bucket);
      },
      [](Scratch&) {});
}

}  // namespace

void sorted_1d(const Sorted1dParams& p) {
  if (p.x.dtype == DType::float64)
    sorted_run<double>(p);
  else
    sorted_run<float>(p);
}

int64_t knn_group_count(const KnnGroupCountParams& p) {
  return p.space.x.dtype == DType::float64 ? group_count_run<double>(p) : group_count_run<float>(p);
}

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
