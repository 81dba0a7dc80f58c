// The per-pair and per-row math of the nearest-neighbour kernels (params/knn.h), shared by
// the CPU loops (cpp/src/cpu/knn.cpp) and the CUDA kernels (cpp/src/cuda/knn.cu): the
// exact distance of two rows, the screened (GEMM / float) distance and its rounding bound,
// the decisions a screen can certify, and sorted top-k lists (insert, merge).
//
// Screen units: squared distance (euclidean) or distance (chebyshev). A screened value s of
// rows a, b read relative to a common origin satisfies |s - exact| <= c * (n_a + n_b), with
// n the row's centred squared norm (euclidean) or largest |value| (chebyshev) and
// c = screen_factor<T>(metric, d): the GEMM's classical bound gamma_d |a||b| plus the
// centring, the norms' and the subtraction's roundings, with a factor of safety.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "softent/hd.h"
#include "softent/params/knn.h"

namespace softent::math {

// The exact distance of two rows (the one every result and decision uses) and its value in
// screen units.
struct Exact {
  double dist;    // the distance
  double screen;  // dist^2 (euclidean: the largest block's sum of squares) or dist (chebyshev)
};

// v * v rounded on its own, never fused into the following add (nvcc fuses by default; the
// CPU file is compiled with -ffp-contract=off): a distance is then the same sum of squares,
// to the bit, on either device and in a plain NumPy reference.
SOFTENT_HD double square_rn(double v) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(v, v);
#else
  return v * v;
#endif
}

// a(k), b(k): the rows' values (any float type); blocks as KnnSpace (ends[n_blocks - 1] = d).
// Differences and sums in float64, in column order, block by block (the same on every
// device, and a block's distance is the distance of the block's columns alone). per_block
// [n_blocks] (or null) receives each block's distance.
template <typename A, typename B>
SOFTENT_HD Exact exact_distance(KnnMetric metric, int n_blocks, const int64_t* ends, A&& a, B&& b,
                                double* per_block = nullptr) {
  const bool cheb = metric == KnnMetric::chebyshev;
  double worst = 0.0;
  int64_t k = 0;
  for (int blk = 0; blk < n_blocks; ++blk) {
    double acc = 0.0;
    for (; k < ends[blk]; ++k) {
      const double v = double(a(k)) - double(b(k));
      if (cheb) {
        const double av = std::fabs(v);
        acc = av > acc ? av : acc;
      } else {
        acc += square_rn(v);
      }
    }
    if (per_block) per_block[blk] = cheb ? acc : std::sqrt(acc);
    worst = acc > worst ? acc : worst;
  }
  return {cheb ? worst : std::sqrt(worst), worst};
}

// The compared rows of a KnnSpace (by value in every CUDA kernel): position t of the set is
// row id(t) of x, its values x[id(t) * sr + k * sc]. Built on the host; rows and x live in
// the memory of the space (host or one CUDA device).
template <typename T>
struct RowSet {
  const T* x;
  int64_t sr, sc, d, m;
  const int64_t* rows;
  KnnMetric metric;
  int nb;
  int64_t ends[kKnnMaxBlocks];

  explicit RowSet(const KnnSpace& s)
      : x(s.x.ptr<T>()),
        sr(s.x.stride_row),
        sc(s.x.stride_col),
        d(s.x.cols),
        m(s.rows ? s.n_rows : s.x.rows),
        rows(s.rows),
        metric(s.metric),
        nb(s.n_blocks),
        ends{} {
    for (int b = 0; b < kKnnMaxBlocks; ++b) ends[b] = s.block_ends[b];
  }
  SOFTENT_HD int64_t id(int64_t t) const { return rows ? rows[t] : t; }
  SOFTENT_HD const T* row(int64_t t) const { return x + id(t) * sr; }
  // The exact distance of positions t and u (exact_distance; per_block as there).
  SOFTENT_HD Exact exact(int64_t t, int64_t u, double* per_block = nullptr) const {
    const T* a = row(t);
    const T* b = row(u);
    const int64_t s = sc;
    return exact_distance(
        metric, nb, ends, [a, s](int64_t k) { return a[k * s]; },
        [b, s](int64_t k) { return b[k * s]; }, per_block);
  }
};

// c of the screen bound |s - exact| <= c (n_a + n_b) for rows of d columns held as T.
template <typename T>
SOFTENT_HD double screen_factor(KnnMetric metric, int64_t d) {
  const double u = double(std::numeric_limits<T>::epsilon()) / 2;
  return metric == KnnMetric::euclidean ? (3.0 * double(d) + 32.0) * u : 8.0 * u;
}

// The euclidean screen of one block from its GEMM dot: ||a||^2 + ||b||^2 - 2 a.b.
template <typename T>
SOFTENT_HD T euclidean_screen(T norm_a, T norm_b, T dot) {
  return norm_a + norm_b - T(2) * dot;
}

// A radius in screen units.
SOFTENT_HD double radius_screen(KnnMetric metric, double r) {
  return metric == KnnMetric::euclidean ? r * r : r;
}

// What a screened value s (slack: its bound c (n_a + n_b)) says of dist vs the radius whose
// screen value is rs: +1 certainly dist < r, -1 certainly dist > r, 0 undecided (measure
// exactly). The relative 1e-12 covers the float64 roundings of sqrt and r^2.
SOFTENT_HD int radius_screen_decision(double s, double slack, double rs) {
  if (s + slack < rs * (1.0 - 1e-12)) return 1;
  if (s - slack > rs * (1.0 + 1e-12) + 1e-300) return -1;
  return 0;
}

// Whether dist (exact) counts for radius r.
SOFTENT_HD bool within_radius(double dist, double r, bool strict) {
  return strict ? dist < r : dist <= r;
}

// ---- sorted top-k lists ------------------------------------------------------------------
// Entries ordered by (key, id) ascending: of equal keys the lower id first.

// A candidate of the screen: its screened value, row id and screen slack factor c * n_id.
template <typename T>
struct Candidate {
  T s;
  int64_t id;
  double cn;
};

// A final neighbour: exact distance (and screen value), row id.
struct Neighbour {
  double dist, screen;
  int64_t id;
};

template <typename E>
SOFTENT_HD bool entry_before(const E& a, const E& b) {
  return a.s < b.s || (a.s == b.s && a.id < b.id);
}

SOFTENT_HD bool entry_before(const Neighbour& a, const Neighbour& b) {
  return a.dist < b.dist || (a.dist == b.dist && a.id < b.id);
}

// Insert e into the sorted list [0, count) of capacity cap (shifting the later entries).
// Returns the new count; when the list was full, the entry that fell off (e itself when it
// does not come before the last) is written to *dropped and *has_dropped set.
template <typename E>
SOFTENT_HD int topk_insert(E* list, int count, int cap, const E& e, E* dropped, bool* has_dropped) {
  *has_dropped = false;
  if (count == cap) {
    if (!entry_before(e, list[cap - 1])) {
      *dropped = e;
      *has_dropped = true;
      return count;
    }
    *dropped = list[cap - 1];
    *has_dropped = true;
    --count;
  }
  int pos = count;
  while (pos > 0 && entry_before(e, list[pos - 1])) {
    list[pos] = list[pos - 1];
    --pos;
  }
  list[pos] = e;
  return count + 1;
}

// The first min(cap, na + nb) entries of two sorted lists, sorted, into out (not aliasing).
template <typename E>
SOFTENT_HD int topk_merge(const E* a, int na, const E* b, int nb, E* out, int cap) {
  int i = 0, j = 0, o = 0;
  while (o < cap && (i < na || j < nb)) {
    if (j >= nb || (i < na && !entry_before(b[j], a[i])))
      out[o++] = a[i++];
    else
      out[o++] = b[j++];
  }
  return o;
}

// Sort a short list in place (insertion sort: lists hold k + a few entries).
template <typename E>
SOFTENT_HD void topk_sort(E* list, int count) {
  for (int i = 1; i < count; ++i) {
    const E e = list[i];
    int pos = i;
    while (pos > 0 && entry_before(e, list[pos - 1])) {
      list[pos] = list[pos - 1];
      --pos;
    }
    list[pos] = e;
  }
}

// Candidates kept per row by the screen: k plus room for the rows a rounding might swap
// with the k-th, so that the exact re-measurement rarely has to scan every row.
SOFTENT_HD int candidate_count(int64_t k, int64_t m) {
  const int64_t want = 2 * k + 8;
  return int(want < m - 1 ? want : m - 1);
}

// Whether the exact k-th neighbour (screen value ek) is certainly the k-th of all rows:
// every row outside the candidates had a screened value s_u >= its lower bound lb_u = s_u -
// c n_u, so its exact value is >= lb_min - c n_t; strictly above ek, none can tie or beat.
SOFTENT_HD bool topk_certified(double lb_min, double cn_t, double ek) { return lb_min - cn_t > ek; }

}  // namespace softent::math
