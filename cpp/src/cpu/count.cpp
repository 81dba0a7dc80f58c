// Computes: the counting ops of softent.discrete (ops.h encode_rows, count_dense,
// count_sparse, pair_tables): samples of integer codes -> histograms.
// Math: softent/math/codes.h (codes, mixed radix, joint keys, init/push/combine); loops:
// cpu/common/tile_loop.h. Runs on: host memory, OpenMP threads over row or pair tiles.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "cpu/common/tile_loop.h"
#include "softent/math/codes.h"
#include "softent/ops.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace softent::cpu {
namespace {

constexpr int64_t kNoRow = std::numeric_limits<int64_t>::max();
// Rows per tile of the row loops: big enough that a tile costs far more than its scheduling,
// small enough that the interrupt poll runs often.
constexpr int64_t kRowTile = int64_t(1) << 16;
// Private per-thread copies of a dense table of weighted sums while all copies together
// stay below this (deterministic float sums); larger tables are shared and updated with
// relaxed atomics (contention is low when the cells outnumber the threads by far).
constexpr int64_t kPrivateTableBytes = int64_t(64) << 20;
// Integer counts keep private copies only up to a cache-sized table: measured (N = 10^6,
// 10^6 cells, 2 threads) zeroing and merging 8 MB copies cost more than relaxed atomic
// increments of one shared table.
constexpr int64_t kPrivateCountBytes = int64_t(1) << 20;
// Bytes of pair tables one pair tile keeps hot (about an L2 cache).
constexpr int64_t kPairTileBytes = int64_t(512) << 10;

[[noreturn]] void bad_row(const char* op, int64_t row, const char* what) {
  throw std::invalid_argument(std::string("softent._core.") + op + ": row " + std::to_string(row) +
                              " has " + what);
}

// ---- encode_rows ------------------------------------------------------------------------------
template <typename T>
int64_t encode_rows_run(const EncodeRowsParams& p) {
  int64_t first_bad = kNoRow;
  parallel_tiles(
      p.x.rows, kRowTile, p.num_threads, [] { return kNoRow; },
      [&](int64_t& bad, int64_t i0, int64_t m) {
        for (int64_t i = i0; i < i0 + m; ++i) {
          const int64_t code = math::mixed_radix_code<T>(p.x, p.radix, i);
          p.out[i] = code;
          if (code < 0) bad = std::min(bad, i);
        }
      },
      [&](int64_t& bad) { first_bad = std::min(first_bad, bad); });
  return first_bad == kNoRow ? -1 : first_bad;
}

// ---- count_dense ------------------------------------------------------------------------------
enum class TableMode { direct, private_copy, shared };

template <typename C>
struct DenseThread {
  std::vector<C> table, cx, cy;
  int64_t bad = kNoRow;
};

template <typename C, typename TX, typename TY, TableMode Mode>
void dense_run(const CountParams& p, int nt) {
  const int64_t n = p.x.rows, kx = p.kx, ky = p.ky, cells = kx * ky;
  const bool has_y = p.y.data != nullptr;
  C* table = static_cast<C*>(p.table);
  C* counts_x = static_cast<C*>(p.counts_x);
  C* counts_y = static_cast<C*>(p.counts_y);
  const TX* x = static_cast<const TX*>(p.x.data);
  const TY* y = static_cast<const TY*>(p.y.data);
  const int64_t sx = p.x.stride_row, sy = p.y.stride_row;
  // One thread: everything is counted straight into the outputs (no copies to zero and merge).
  constexpr bool direct = Mode == TableMode::direct;
  int64_t first_bad = kNoRow;
  parallel_tiles(
      n, kRowTile, nt,
      [&] {
        DenseThread<C> s;
        if (Mode == TableMode::private_copy && table) s.table.assign(cells, C(0));
        if (counts_x && !direct) s.cx.assign(kx, C(0));
        if (counts_y && !direct) s.cy.assign(ky, C(0));
        return s;
      },
      [&](DenseThread<C>& s, int64_t i0, int64_t m) {
        C* t = Mode == TableMode::private_copy ? s.table.data() : table;
        C* hx = direct ? counts_x : s.cx.data();
        C* hy = direct ? counts_y : s.cy.data();
        // Values, not the captured references: a store into an int64 table may alias any
        // int64 the lambda refers to, so the compiler would reload each of them every row.
        const int64_t kxv = kx, kyv = ky, sxv = sx, syv = sy;
        const double* weights = p.weights;
        const bool want_x = counts_x != nullptr, want_y = counts_y != nullptr;
        for (int64_t i = i0; i < i0 + m; ++i) {
          const int64_t cx = math::checked_code(x[i * sxv], kxv);
          const int64_t cy = has_y ? math::checked_code(y[i * syv], kyv) : 0;
          if ((cx | cy) < 0) {
            s.bad = std::min(s.bad, i);
            continue;
          }
          const C w = math::row_weight<C>(weights, i);
          if (t) {
            if constexpr (Mode == TableMode::shared)
              math::hist_push_shared(t, math::joint_key(cx, cy, kyv), w);
            else
              math::hist_push(t, math::joint_key(cx, cy, kyv), w);
          }
          if (want_x) math::hist_push(hx, cx, w);
          if (want_y) math::hist_push(hy, cy, w);
        }
      },
      [&](DenseThread<C>& s) {
        if (Mode == TableMode::private_copy && table)
          math::hist_combine(table, s.table.data(), cells);
        if (counts_x && !direct) math::hist_combine(counts_x, s.cx.data(), kx);
        if (counts_y && !direct) math::hist_combine(counts_y, s.cy.data(), ky);
        first_bad = std::min(first_bad, s.bad);
      });
  if (first_bad != kNoRow) bad_row("count_dense", first_bad, "a code outside [0, K)");
}

template <typename C, typename TX, typename TY>
void dense_dispatch(const CountParams& p) {
  const int nt = thread_count(p.num_threads, (p.x.rows + kRowTile - 1) / kRowTile);
  const int64_t bytes = p.kx * p.ky * int64_t(sizeof(C));
  if constexpr (std::is_integral_v<C>) {
    // Integer counts are exact in any order. Private copies (of the table, or of the
    // marginals alone) pay while they stay cache-sized; beyond that one thread counting
    // straight into the outputs beats both the copies (zeroing and merging) and a shared
    // table with atomics. Measured (N = 10^6, a 1000 x 1000 table of 8 MB, 2 cores): 3.5 ms
    // on one thread, 14.3 ms on two with relaxed atomic increments.
    const int64_t copy = (p.table ? bytes : 0) +
                         ((p.counts_x ? p.kx : 0) + (p.counts_y ? p.ky : 0)) * int64_t(sizeof(C));
    if (nt == 1 || copy > kPrivateCountBytes)
      dense_run<C, TX, TY, TableMode::direct>(p, 1);
    else
      dense_run<C, TX, TY, TableMode::private_copy>(p, nt);
  } else {
    // Weighted sums keep private copies while they fit, merged in thread order:
    // bit-identical run to run (for a given number of threads).
    if (nt == 1)
      dense_run<C, TX, TY, TableMode::direct>(p, nt);
    else if (bytes * nt <= kPrivateTableBytes)
      dense_run<C, TX, TY, TableMode::private_copy>(p, nt);
    else
      dense_run<C, TX, TY, TableMode::shared>(p, nt);
  }
}

// ---- count_sparse -----------------------------------------------------------------------------
// Stable LSD radix sort of keys (and their values when V is not void) in [0, limit), on nt
// threads, each owning one contiguous block of the array in every pass (so the order of
// equal keys is the original row order: a weighted run is summed in row order whatever nt).
// Returns whether the sorted data ended in the scratch buffers (an odd number of swaps).
template <typename V>
bool radix_sort(int64_t* keys, V* vals, int64_t* keys2, V* vals2, int64_t n, int64_t limit,
                int nt) {
  const int passes = math::radix_passes(limit);
  const int64_t B = math::kRadixBuckets;
  std::vector<int64_t> hist(int64_t(nt) * B);
  bool swapped = false;
  for (int pass = 0; pass < passes; ++pass) {
    bool skip = false;
#pragma omp parallel num_threads(nt)
    {
#ifdef _OPENMP
      const int t = omp_get_thread_num(), team = omp_get_num_threads();
#else
      const int t = 0, team = 1;
#endif
      const int64_t lo = n * t / team, hi = n * (t + 1) / team;
      int64_t* h = hist.data() + int64_t(t) * B;
      std::fill(h, h + B, int64_t(0));
      for (int64_t i = lo; i < hi; ++i) ++h[math::radix_digit(keys[i], pass)];
#pragma omp barrier
#pragma omp single
      {
        // Exclusive offsets in (digit, thread) order: stable across the threads' blocks.
        int64_t run = 0;
        for (int64_t d = 0; d < B; ++d) {
          int64_t total = 0;
          for (int k = 0; k < team; ++k) {
            const int64_t c = hist[int64_t(k) * B + d];
            hist[int64_t(k) * B + d] = run;
            run += c;
            total += c;
          }
          if (total == n) skip = true;  // every key has this digit: the pass moves nothing
        }
      }
      if (!skip) {
        for (int64_t i = lo; i < hi; ++i) {
          const int64_t dst = h[math::radix_digit(keys[i], pass)]++;
          keys2[dst] = keys[i];
          if constexpr (!std::is_void_v<V>) vals2[dst] = vals[i];
        }
      }
    }
    if (!skip) {
      std::swap(keys, keys2);
      if constexpr (!std::is_void_v<V>) std::swap(vals, vals2);
      swapped = !swapped;
    }
  }
  return swapped;
}

template <typename C, typename TX, typename TY>
int64_t sparse_run(const SparseCountParams& p) {
  const int64_t n = p.x.rows, kx = p.kx, ky = p.ky;
  const int nt = thread_count(p.num_threads, (n + kRowTile - 1) / kRowTile);
  const bool weighted = p.weights != nullptr;
  C* values = static_cast<C*>(p.values);
  C* counts_x = static_cast<C*>(p.counts_x);
  C* counts_y = static_cast<C*>(p.counts_y);
  int64_t* keys = p.keys;
  const bool direct = nt == 1;  // one thread counts the marginals straight into the outputs
  int64_t first_bad = kNoRow;
  // Pass 1: the joint keys (and the weights beside them) and the marginals.
  parallel_tiles(
      n, kRowTile, nt,
      [&] {
        DenseThread<C> s;
        if (counts_x && !direct) s.cx.assign(kx, C(0));
        if (counts_y && !direct) s.cy.assign(ky, C(0));
        return s;
      },
      [&](DenseThread<C>& s, int64_t i0, int64_t m) {
        C* hx = direct ? counts_x : s.cx.data();
        C* hy = direct ? counts_y : s.cy.data();
        for (int64_t i = i0; i < i0 + m; ++i) {
          const int64_t cx = math::checked_code(math::code_at<TX>(p.x, i, 0), kx);
          const int64_t cy = math::checked_code(math::code_at<TY>(p.y, i, 0), ky);
          if ((cx | cy) < 0) {
            s.bad = std::min(s.bad, i);
            keys[i] = 0;
            continue;
          }
          const C w = math::row_weight<C>(p.weights, i);
          keys[i] = math::joint_key(cx, cy, ky);
          if (weighted) values[i] = w;
          if (counts_x) math::hist_push(hx, cx, w);
          if (counts_y) math::hist_push(hy, cy, w);
        }
      },
      [&](DenseThread<C>& s) {
        if (counts_x && !direct) math::hist_combine(counts_x, s.cx.data(), kx);
        if (counts_y && !direct) math::hist_combine(counts_y, s.cy.data(), ky);
        first_bad = std::min(first_bad, s.bad);
      });
  if (first_bad != kNoRow) bad_row("count_sparse", first_bad, "a code outside [0, K)");
  // Pass 2: sort by key (O(n) scratch), then one run per distinct key.
  std::vector<int64_t> keys2(n);
  const int64_t* sk = keys;
  const C* sv = values;
  if (weighted) {
    std::vector<C> vals2(n);
    if (radix_sort<C>(keys, values, keys2.data(), vals2.data(), n, kx * ky, nt)) {
      std::copy(keys2.begin(), keys2.end(), keys);
      std::copy(vals2.begin(), vals2.end(), values);
    }
  } else if (radix_sort<void>(keys, nullptr, keys2.data(), nullptr, n, kx * ky, nt)) {
    std::copy(keys2.begin(), keys2.end(), keys);
  }
  int64_t u = 0;
  for (int64_t i = 0; i < n;) {
    const int64_t key = sk[i];
    C total = weighted ? sv[i] : C(1);
    int64_t j = i + 1;
    for (; j < n && sk[j] == key; ++j) total += weighted ? sv[j] : C(1);
    keys[u] = key;
    values[u] = total;
    ++u;
    i = j;
  }
  return u;
}

// ---- pair_tables ------------------------------------------------------------------------------
// Column tables of consecutive columns a0 .. a0 + P - 1 of x against one label column y,
// unweighted (the layer-vs-labels case): the rows are split over the threads (each reads
// whole rows: one sequential stream), and every thread counts into a private table laid out
// [kb][P][ka] of uint32 cells. A row then updates one contiguous block of P * ka cells (its
// label's), instead of P cells a table apart in the output layout [P, ka, kb], and rows are
// taken label by label (below) so that block stays in L1: measured (N = 10^5, P = 1000,
// ka = 8, kb = 10, uint8 codes, a shared 2-core machine, best of 5) 145 -> 78 ms on one
// thread, 113 -> 40..60 ms on two (was: columns split over threads). The uint32 cells
// are added into a private int64 copy after every tile (a tile has < 2^32 rows, so no cell
// can wrap) and the copies are transposed into the output in thread order at the end;
// integer sums are exact, so the result is the same for any number of threads.
constexpr int64_t kColumnTileRowsMin = 1024;
constexpr int64_t kColumnTileRowsMax = (int64_t(1) << 32) - 1;
// Rows ordered by label at a time (at most), and the bytes of their codes (pass 2 re-reads
// them: from L2, not memory; measured N = 10^5, m = 1000 int64: 137 -> 97 ms on one thread).
constexpr int64_t kColumnSubRows = 1024;
constexpr int64_t kSubTileBytes = int64_t(1) << 20;

template <typename TX, typename TY>
void column_counts_run(const PairTablesParams& p, int64_t a0, int nt) {
  const int64_t n = p.x.rows, np_ = p.n_pairs, ka = p.ka, kb = p.kb;
  const int64_t block = np_ * ka, cells = block * kb;
  // Rows a sub-tile: their codes within kSubTileBytes (pass 2 re-reads them from L2), and at
  // least as many as labels (pass 1's O(kb) offsets stay a small share).
  const int64_t sub = std::max(
      std::clamp<int64_t>(kSubTileBytes / (np_ * int64_t(sizeof(TX))), 16, kColumnSubRows), kb);
  const TX* x = static_cast<const TX*>(p.x.data) + a0 * p.x.stride_col;
  const TY* y = static_cast<const TY*>(p.y.data);
  const int64_t sx = p.x.stride_row, sy = p.y.stride_row, ky = p.sizes_y[0];
  int64_t* tables = static_cast<int64_t*>(p.tables);
  // Unsigned limits: one compare rejects negative codes too (math::checked_code).
  std::vector<uint64_t> lim(np_);
  for (int64_t q = 0; q < np_; ++q) lim[q] = static_cast<uint64_t>(p.sizes_x[a0 + q]);
  // Several tiles a thread (balance, interrupt polls), each long enough to repay its flush.
  const int64_t tile =
      std::clamp<int64_t>((n + 4 * int64_t(nt) - 1) / (4 * int64_t(nt)),
                          std::max(kColumnTileRowsMin, cells / 16), kColumnTileRowsMax);
  struct State {
    std::vector<uint32_t> c32;
    std::vector<int64_t> c64;
    std::vector<int64_t> label, order, start;  // pass 1's label counting sort of a sub-tile
    int64_t bad_row = kNoRow, bad_pair = 0;
  };
  int64_t first_row = kNoRow, first_pair = 0;
  parallel_tiles(
      n, tile, nt,
      [&] {
        State s;
        s.c32.assign(cells, 0);
        s.c64.assign(cells, 0);
        s.label.resize(sub);
        s.order.resize(sub);
        s.start.resize(kb + 1);
        return s;
      },
      [&](State& s, int64_t i0, int64_t m) {
        uint32_t* c32 = s.c32.data();
        const uint64_t* lq = lim.data();
        std::vector<int64_t>& order = s.order;
        std::vector<int64_t>& start = s.start;
        for (int64_t r0 = i0; r0 < i0 + m; r0 += sub) {
          const int64_t r1 = std::min(r0 + sub, i0 + m);
          // Pass 1: check the rows, and order the good ones by label (a counting sort), so
          // that pass 2 fills one label's block of P * ka cells at a time while it is hot in
          // L1, instead of a random label's block every row.
          std::fill(start.begin(), start.end(), int64_t(0));
          for (int64_t i = r0; i < r1; ++i) {
            const TX* xi = x + i * sx;
            const int64_t cy = math::checked_code(y[i * sy], ky);
            // The range check in its own (vectorised) loop: pass 2 indexes without a branch.
            bool bad = cy < 0;
            for (int64_t q = 0; q < np_; ++q)
              bad |= static_cast<uint64_t>(static_cast<int64_t>(xi[q])) >= lq[q];
            if (bad) {
              if (i < s.bad_row) {
                s.bad_row = i;
                s.bad_pair = 0;
                for (int64_t q = 0; cy >= 0 && q < np_; ++q)
                  if (math::checked_code(xi[q], p.sizes_x[a0 + q]) < 0) {
                    s.bad_pair = q;
                    break;
                  }
              }
              s.label[i - r0] = -1;
              continue;
            }
            s.label[i - r0] = cy;
            ++start[cy + 1];
          }
          for (int64_t b = 0; b < kb; ++b) start[b + 1] += start[b];
          for (int64_t i = r0; i < r1; ++i)
            if (s.label[i - r0] >= 0) order[start[s.label[i - r0]]++] = i;
          // Pass 2 (start[b] is now the end of label b's rows).
          int64_t k = 0;
          for (int64_t b = 0; b < kb; ++b) {
            uint32_t* row = c32 + b * block;
            for (; k < start[b]; ++k) {
              const TX* xi = x + order[k] * sx;
              for (int64_t q = 0; q < np_; ++q) ++row[q * ka + static_cast<int64_t>(xi[q])];
            }
          }
        }
        int64_t* c64 = s.c64.data();
        for (int64_t c = 0; c < cells; ++c) c64[c] += c32[c];
        std::fill(s.c32.begin(), s.c32.end(), uint32_t(0));
      },
      [&](State& s) {
        const int64_t* c64 = s.c64.data();
        for (int64_t b = 0; b < kb; ++b)
          for (int64_t q = 0; q < np_; ++q)
            for (int64_t a = 0; a < ka; ++a)
              tables[(q * ka + a) * kb + b] += c64[(b * np_ + q) * ka + a];
        if (s.bad_row < first_row) {
          first_row = s.bad_row;
          first_pair = s.bad_pair;
        }
      });
  if (first_row != kNoRow)
    bad_row("pair_tables", first_row,
            ("a code outside its column's range in pair " + std::to_string(first_pair)).c_str());
}

// Whether pair_tables(p) is the unweighted column-tables case column_counts_run handles (and
// its private tables fit the budget): every pair (a0 + q, 0), x's columns contiguous.
bool column_counts_case(const PairTablesParams& p, int nt, int64_t* a0) {
  if (p.weights || p.y.cols != 1 || p.x.stride_col != 1 || p.n_pairs < 1) return false;
  const int64_t cells = p.n_pairs * p.ka * p.kb;
  if (cells * int64_t(12) * nt > kPrivateTableBytes) return false;
  *a0 = p.pairs[0];
  for (int64_t q = 0; q < p.n_pairs; ++q)
    if (p.pairs[2 * q] != *a0 + q || p.pairs[2 * q + 1] != 0) return false;
  return true;
}

template <typename C, typename TX, typename TY, bool OneY>
void pairs_run(const PairTablesParams& p) {
  const int64_t n = p.x.rows, cell = p.ka * p.kb;
  const int64_t per_tile =
      std::clamp<int64_t>(kPairTileBytes / (cell * int64_t(sizeof(C))), 1, 256);
  const int nt = thread_count(p.num_threads, p.n_pairs);
  // Enough pair tiles for every thread to get several (balance), each within the cache budget.
  const int64_t tile =
      std::clamp<int64_t>((p.n_pairs + 4 * int64_t(nt) - 1) / (4 * int64_t(nt)), 1, per_tile);
  C* tables = static_cast<C*>(p.tables);
  const TX* x = static_cast<const TX*>(p.x.data);
  const TY* y = static_cast<const TY*>(p.y.data);
  struct Bad {
    int64_t row = kNoRow, pair = 0;
  };
  Bad first;
  struct PairCol {
    int64_t xoff, yoff, kx, ky;
  };
  parallel_tiles(
      p.n_pairs, tile, nt, [&] { return std::pair<Bad, std::vector<PairCol>>{}; },
      [&](std::pair<Bad, std::vector<PairCol>>& s, int64_t q0, int64_t m) {
        std::vector<PairCol>& cols = s.second;
        cols.resize(m);
        for (int64_t q = 0; q < m; ++q) {
          const int64_t a = p.pairs[2 * (q0 + q)], b = p.pairs[2 * (q0 + q) + 1];
          cols[q] = {a * p.x.stride_col, b * p.y.stride_col, p.sizes_x[a], p.sizes_y[b]};
        }
        C* t0 = tables + q0 * cell;
        // Column tables of consecutive columns against one label column (the layer-vs-
        // labels case): row i's codes are one contiguous slice and its label cell is fixed,
        // so the inner loop is load, compare, add.
        bool run = OneY && p.x.stride_col == 1;
        for (int64_t q = 1; run && q < m; ++q) run = cols[q].xoff == cols[0].xoff + q;
        if (run) {
          for (int64_t i = 0; i < n; ++i) {
            const TX* xi = x + i * p.x.stride_row + cols[0].xoff;
            const C w = math::row_weight<C>(p.weights, i);
            const int64_t cy = math::checked_code(y[i * p.y.stride_row], cols[0].ky);
            if (cy < 0) {
              if (i < s.first.row) s.first = {i, q0};
              continue;
            }
            C* base = t0 + cy;
            for (int64_t q = 0; q < m; ++q) {
              const int64_t ca = math::checked_code(xi[q], cols[q].kx);
              if (ca < 0) {
                if (i < s.first.row) s.first = {i, q0 + q};
                continue;
              }
              math::hist_push(base + q * cell, ca * p.kb, w);
            }
          }
          return;
        }
        for (int64_t i = 0; i < n; ++i) {
          const TX* xi = x + i * p.x.stride_row;
          const TY* yi = y + i * p.y.stride_row;
          const C w = math::row_weight<C>(p.weights, i);
          int64_t cy1 = 0;
          if constexpr (OneY) cy1 = math::checked_code(yi[0], cols[0].ky);
          for (int64_t q = 0; q < m; ++q) {
            const PairCol& c = cols[q];
            const int64_t ca = math::checked_code(xi[c.xoff], c.kx);
            const int64_t cb = OneY ? cy1 : math::checked_code(yi[c.yoff], c.ky);
            if ((ca | cb) < 0) {
              if (i < s.first.row) s.first = {i, q0 + q};
              continue;
            }
            math::hist_push(t0 + q * cell, math::joint_key(ca, cb, p.kb), w);
          }
        }
      },
      [&](std::pair<Bad, std::vector<PairCol>>& s) {
        if (s.first.row < first.row) first = s.first;
      });
  if (first.row != kNoRow)
    bad_row("pair_tables", first.row,
            ("a code outside its column's range in pair " + std::to_string(first.pair)).c_str());
}

}  // namespace

int64_t encode_rows(const EncodeRowsParams& p) {
  return math::with_code_type(p.x.dtype, [&](auto t) { return encode_rows_run<decltype(t)>(p); });
}

void count_dense(const CountParams& p) {
  const CodeType ty = p.y.data ? p.y.dtype : p.x.dtype;
  math::with_code_types(p.x.dtype, ty, [&](auto tx, auto tyv) {
    using TX = decltype(tx);
    using TY = decltype(tyv);
    if (p.weights)
      dense_dispatch<double, TX, TY>(p);
    else
      dense_dispatch<int64_t, TX, TY>(p);
  });
}

int64_t count_sparse(const SparseCountParams& p) {
  return math::with_code_types(p.x.dtype, p.y.dtype, [&](auto tx, auto tyv) {
    using TX = decltype(tx);
    using TY = decltype(tyv);
    return p.weights ? sparse_run<double, TX, TY>(p) : sparse_run<int64_t, TX, TY>(p);
  });
}

void pair_tables(const PairTablesParams& p) {
  // Column tables against one label column (y [n, 1], every pair's b = 0) read y once a row.
  const bool one_y = p.y.cols == 1;
  const int nt =
      thread_count(p.num_threads, (p.x.rows + kColumnTileRowsMin - 1) / kColumnTileRowsMin);
  int64_t a0 = 0;
  if (column_counts_case(p, nt, &a0)) {
    math::with_code_types(p.x.dtype, p.y.dtype, [&](auto tx, auto tyv) {
      column_counts_run<decltype(tx), decltype(tyv)>(p, a0, nt);
    });
    return;
  }
  math::with_code_types(p.x.dtype, p.y.dtype, [&](auto tx, auto tyv) {
    using TX = decltype(tx);
    using TY = decltype(tyv);
    if (p.weights)
      one_y ? pairs_run<double, TX, TY, true>(p) : pairs_run<double, TX, TY, false>(p);
    else
      one_y ? pairs_run<int64_t, TX, TY, true>(p) : pairs_run<int64_t, TX, TY, false>(p);
  });
}

}  // namespace softent::cpu
