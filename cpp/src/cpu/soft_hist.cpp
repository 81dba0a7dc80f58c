// Computes: soft-bin histograms (ops.h soft_histogram), fused tile -> GEMM -> softmax -> +=.
// Math: softent/math/soft_hist.h (softmax.h, metric.h, bootstrap.h); loops: cpu/common/;
// the row scale: cpu/soft_hist_scale.h (p here is the call it resolved).
// Runs on: host memory, OpenMP threads over row tiles, one BLAS thread each.
//
// The N x B assignment matrix never exists: each tile's dots are softmaxed and added into
// float64 histograms (and bootstrap replicates) while they are in cache.
#include "softent/math/soft_hist.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "cpu/common/gemm.h"
#include "cpu/common/hist_reduce.h"
#include "cpu/common/tile_loop.h"
#include "cpu/common/tile_reader.h"
#include "cpu/soft_hist_scale.h"
#include "softent/math/permute.h"
#include "softent/ops.h"

namespace softent::cpu {
namespace {

constexpr int64_t kNoRow = std::numeric_limits<int64_t>::max();

// Rows of a tile whose label-set masses are added set by set (add_tile): about this many
// bytes of their softmax terms, which stay in L1/L2 while each set's histogram rows are
// visited (64 KiB: 160 rows of B = 100 float32 terms).
constexpr int64_t kSetChunkBytes = int64_t(64) << 10;

// Rows of a tile whose masses are added into the R permuted label sets permutation by
// permutation: their softmax terms (32 KiB: 80 rows of B = 100 float32 terms) and one
// permutation's K x B float64 histogram rows (13.6 KB at K = 17) stay in L1 together.
constexpr int64_t kPermChunkBytes = int64_t(32) << 10;

// One finite row of a chunk that the permuted sets add: its sample (the column of
// perm_codes), the offset of its internal index's histogram rows, its softmax terms and
// their scale 1/sum e (its mass in bin k: math::mass(e[k], scale), as for the other sets).
template <typename T>
struct PermRow {
  int64_t sample, at;
  const T* e;
  double scale;
};

template <typename T>
struct ForwardThread {
  TileReader<T> reader;
  std::vector<T> e;  // softmax terms of the tile's rows (also the dots when not kept)
  LocalHist hist;
  std::vector<double> inv_sum;        // [tile] each row's 1/sum e; NaN: not finite (skipped)
  std::vector<PermRow<T>> perm_rows;  // [perm chunk] the chunk's finite rows
  // rows perm_first_row.. of hist, this thread's (empty when they are not private)
  std::vector<double> perm_hist;
  int64_t first_bad = kNoRow;
};

// The permuted label sets' masses of a chunk's finite rows (PermRow, in row order) into
// hist row perm_first_row + j * perm_block + code + internal * perm_internal_stride of
// every permutation j of every set, permutation by permutation: one permutation's K x B
// rows and the chunk's softmax terms stay in L1 while its rows are added. add(row, pr) adds
// row pr's masses into permuted row `row` (relative to perm_first_row).
template <typename C, typename T, typename Add>
void add_permuted(const SoftHistParams& p, const PermRow<T>* rows, int64_t count, Add&& add) {
  const int64_t samples = p.z.rows / p.perm_internal;
  constexpr C masked = C(~C(0));
  const C* all = static_cast<const C*>(p.perm_codes);
  for (int64_t set = 0; set < p.perm_sets; ++set) {
    for (int64_t j = 0; j < p.permutations; ++j) {
      const C* codes = all + (set * p.permutations + j) * samples;
      const int64_t first = j * p.perm_block;  // relative to perm_first_row
      for (int64_t r = 0; r < count; ++r) {
        const C code = codes[rows[r].sample];
        if (code != masked) add(first + int64_t(code) + rows[r].at, rows[r]);
      }
    }
  }
}

template <typename T, Metric M>
int64_t run(const SoftHistParams& p) {
  const int64_t n = p.z.rows, d = p.z.cols, b = p.centres.rows;
  const T scale = math::softmax_scale<T>(p.inv_temperature);
  T* dots_out = static_cast<T*>(p.dots_out);
  const int64_t tile = tile_height(p.tile_rows, n, b, d);
  constexpr bool row_norm = math::needs_row_norm(M);
  const int64_t blocks = 1 + p.replicates;
  // With permuted sets LocalHist covers only the rows before them (the ordinary sets' slots
  // are below perm_first_row: softent::soft_histogram checks it); the permuted rows have
  // their own private copy per thread (perm_hist) or atomics, below.
  const bool permuted = p.perm_sets > 0 && p.permutations > 0;
  const HistOutput out = hist_output(p.hist, permuted ? p.perm_first_row : blocks * p.hist_rows, b);
  std::vector<T> csq_buf(b);
  for (int64_t j = 0; j < b; ++j) csq_buf[j] = static_cast<T>(p.centre_sq[j]);
  const T* csq = csq_buf.data();
  const T* origin = static_cast<const T*>(p.origin);
  std::atomic<int64_t> first_bad{kNoRow};

  // One row: the softmax of its scores (into e) and its normaliser; false for a row that
  // is not finite (recorded, then skipped by every histogram).
  const auto softmax_row = [&](ForwardThread<T>& th, int64_t i, const T* dot, T zr, T* e,
                               double& inv_sum) {
    const auto s_of = [&](int64_t j) { return math::score(M, dot[j], zr, csq[j]); };
    math::LogSumExp<T> lse = math::lse_init<T>();
    math::lse_push_block(lse, b, s_of, e, e, scale);
    const math::SoftmaxNorm norm = math::row_softmax_norm(lse, zr);
    inv_sum = norm.inv_sum;
    if (!norm.finite) th.first_bad = std::min(th.first_bad, i);
    return norm.finite;
  };

  // With bootstrap replicates: a row's masses into every histogram block it reaches.
  const auto add_row_blocks = [&](ForwardThread<T>& th, int64_t i, const T* e, double inv_sum) {
    for (int64_t block = 0; block < blocks; ++block) {
      const int w = math::block_weight(p, i, block);
      if (w == 0) continue;
      const double scale = math::block_scale(inv_sum, w);
      const auto mass = [&](int64_t j) { return math::mass(e[j], scale); };
      th.hist.add(block * p.hist_rows, mass);
      for (int64_t set = 0; set < p.n_sets; ++set) {
        const int32_t slot = p.slots[set * n + i];
        if (slot >= 1) th.hist.add(block * p.hist_rows + slot, mass);
      }
    }
  };

  // Without replicates: rows [i0, i0 + m) of a tile (softmax terms e, normalisers inv_sum)
  // into the total, then into the label sets SET BY SET over a chunk of rows, every row of
  // the chunk adding into its slot of that set. Row by row, with many sets (R label
  // permutations are R sets), a row's adds scattered over all the sets' histograms
  // ((1 + R) x K x B doubles, MBs per thread: L3 traffic for each add); set by set, one
  // set's K x B rows stay in L1/L2 while the chunk's rows (in L1/L2 too) hit them.
  // Each histogram row still receives its rows in row order when no two sets share a slot
  // (every caller's sets have slots of their own; shared ones would get the same sum in
  // another order), and each add is the same expression as add_row_blocks' (h +=
  // double(e) * inv_sum, which the compiler may contract to one fma: precomputing the
  // float64 masses once per row would round the product and change the sums' last bits),
  // so the histograms are those of a row-by-row pass, bit for bit.
  const int64_t chunk = std::max<int64_t>(16, kSetChunkBytes / (b * int64_t(sizeof(T))));
  const int64_t perm_chunk = std::max<int64_t>(8, kPermChunkBytes / (b * int64_t(sizeof(T))));
  // The permuted rows (the tail of hist from perm_first_row) are summed in a private copy
  // per thread while they fit hist_reduce.h's bound for private rows, else atomically.
  const int64_t perm_rows = permuted ? p.hist_rows - p.perm_first_row : 0;
  const bool perm_private =
      permuted && perm_rows * b * int64_t(sizeof(double)) <= kPrivateHistBytes;
  const auto add_permuted_as = [&](const PermRow<T>* rows, int64_t count, auto&& add) {
    if (p.perm_code_bytes == 1)
      add_permuted<uint8_t, T>(p, rows, count, add);
    else if (p.perm_code_bytes == 2)
      add_permuted<uint16_t, T>(p, rows, count, add);
    else
      add_permuted<uint32_t, T>(p, rows, count, add);
  };
  const auto add_permuted_tile = [&](ForwardThread<T>& th, int64_t i0, int64_t m, const T* e,
                                     const double* inv_sum) {
    PermRow<T>* rows = th.perm_rows.data();
    for (int64_t c0 = 0; c0 < m; c0 += perm_chunk) {
      const int64_t c1 = std::min(m, c0 + perm_chunk);
      int64_t count = 0;
      for (int64_t r = c0; r < c1; ++r) {
        if (std::isnan(inv_sum[r])) continue;
        const int64_t i = i0 + r;
        rows[count++] = {i / p.perm_internal, (i % p.perm_internal) * p.perm_internal_stride,
                         e + r * b, math::block_scale(inv_sum[r], 1)};
      }
      // Private rows (the usual case): plain vectorised adds into this thread's copy of the
      // permuted rows (no division, no atomics); else atomic adds into hist (many rows:
      // threads rarely meet on one).
      if (double* priv = th.perm_hist.data()) {
        add_permuted_as(rows, count, [&](int64_t row, const PermRow<T>& pr) {
          double* h = priv + row * b;
          const T* er = pr.e;
          const double s = pr.scale;
#pragma omp simd
          for (int64_t k = 0; k < b; ++k) h[k] += math::mass(er[k], s);
        });
      } else {
        add_permuted_as(rows, count, [&](int64_t row, const PermRow<T>& pr) {
          double* h = p.hist + (p.perm_first_row + row) * b;
          for (int64_t k = 0; k < b; ++k)
            std::atomic_ref<double>(h[k]).fetch_add(math::mass(pr.e[k], pr.scale),
                                                    std::memory_order_relaxed);
        });
      }
    }
  };
  const auto add_tile = [&](ForwardThread<T>& th, int64_t i0, int64_t m, const T* e,
                            const double* inv_sum) {
    for (int64_t r = 0; r < m; ++r) {
      if (std::isnan(inv_sum[r])) continue;
      const T* er = e + r * b;
      const double s = math::block_scale(inv_sum[r], 1);
      th.hist.add(0, [&](int64_t j) { return math::mass(er[j], s); });
    }
    for (int64_t c0 = 0; c0 < m; c0 += chunk) {
      const int64_t c1 = std::min(m, c0 + chunk);
      for (int64_t set = 0; set < p.n_sets; ++set) {
        const int32_t* slots = p.slots + set * n + i0;
        for (int64_t r = c0; r < c1; ++r) {
          const int32_t slot = slots[r];
          if (slot < 1 || std::isnan(inv_sum[r])) continue;
          const T* er = e + r * b;
          const double s = math::block_scale(inv_sum[r], 1);
          th.hist.add(slot, [&](int64_t j) { return math::mass(er[j], s); });
        }
      }
    }
  };

  parallel_tiles(
      n, tile, p.num_threads,
      [&] {
        return ForwardThread<T>{TileReader<T>(p.z, tile, origin, T(p.row_scale)),
                                std::vector<T>(tile * b),
                                LocalHist(out),
                                std::vector<double>(tile),
                                std::vector<PermRow<T>>(permuted ? perm_chunk : 0),
                                std::vector<double>(perm_private ? perm_rows * b : 0)};
      },
      [&](ForwardThread<T>& th, int64_t i0, int64_t m) {
        th.reader.load(i0, m, M);
        // The dots go straight into the caller's buffer when it keeps them for a backward;
        // otherwise the softmax terms overwrite them in place.
        T* dots = dots_out ? dots_out + i0 * b : th.e.data();
        T* e = th.e.data();
        double* inv_sum = th.inv_sum.data();
        gemm_abt_rows(
            m, th.reader.rows(), th.reader.ld(), p.centres, dots, b, [&](int64_t r, const T* dot) {
              const bool ok = softmax_row(th, i0 + r, dot, row_norm ? th.reader.stat(r) : T(0),
                                          e + r * b, inv_sum[r]);
              if (ok && blocks > 1) add_row_blocks(th, i0 + r, e + r * b, inv_sum[r]);
            });
        if (blocks == 1) add_tile(th, i0, m, e, inv_sum);
        if (permuted) add_permuted_tile(th, i0, m, e, inv_sum);
      },
      [&](ForwardThread<T>& th) {
        th.hist.merge();
        double* dst = p.hist + p.perm_first_row * b;
        for (size_t k = 0; k < th.perm_hist.size(); ++k) dst[k] += th.perm_hist[k];
        if (th.first_bad < first_bad.load()) first_bad.store(th.first_bad);
      });
  const int64_t bad = first_bad.load();
  return bad == kNoRow ? -1 : bad;
}

// Permutations [j0, j0 + count) of the labelled codes (PermuteLabelsParams) into out.
template <typename C>
void permute_rows(const PermuteLabelsParams& p, const std::vector<C>& labelled,
                  const std::vector<uint32_t>& where, std::vector<C>& buf, int64_t j0,
                  int64_t count) {
  const int64_t n = p.n, len = int64_t(labelled.size());
  constexpr C masked = C(~C(0));
  for (int64_t j = j0; j < j0 + count; ++j) {
    C* row = static_cast<C*>(p.out) + j * n;
    const uint64_t key =
        math::permutation_key(p.seed, p.row_offset, p.set_key, uint64_t(p.first_permutation + j));
    // skip_code (after the shuffle: the permutation itself is unchanged) is written as
    // masked: the caller derives that label's histograms from the set's total
    const C skip = p.skip_code >= 0 ? C(p.skip_code) : masked;
    if (len == n) {  // every row labelled: shuffle in place
      std::copy(labelled.begin(), labelled.end(), row);
      math::shuffle(row, len, key);
      for (int64_t k = 0; k < n; ++k) row[k] = row[k] == skip ? masked : row[k];
      continue;
    }
    std::copy(labelled.begin(), labelled.end(), buf.begin());
    math::shuffle(buf.data(), len, key);
    std::fill(row, row + n, masked);
    for (int64_t k = 0; k < len; ++k) row[where[k]] = buf[k] == skip ? masked : buf[k];
  }
}

template <typename C>
void permute_labels_as(const PermuteLabelsParams& p) {
  std::vector<C> labelled;
  std::vector<uint32_t> where;
  labelled.reserve(size_t(p.n));
  for (int64_t i = 0; i < p.n; ++i) {
    if (p.codes[i] < 0) continue;
    labelled.push_back(C(p.codes[i]));
    where.push_back(uint32_t(i));
  }
  const bool all = int64_t(labelled.size()) == p.n;
  // one permutation per task, handed to threads as they come free: each permutation's
  // result depends on its own stream only
  parallel_dynamic(
      p.permutations, 1, p.num_threads, [&] { return std::vector<C>(all ? 0 : labelled.size()); },
      [&](std::vector<C>& buf, int64_t j0, int64_t count) {
        permute_rows<C>(p, labelled, where, buf, j0, count);
      },
      [](std::vector<C>&) {});
}

}  // namespace

void permute_labels(const PermuteLabelsParams& p) {
  if (p.n == 0 || p.permutations == 0) return;
  if (p.code_bytes == 1) return permute_labels_as<uint8_t>(p);
  if (p.code_bytes == 2) return permute_labels_as<uint16_t>(p);
  permute_labels_as<uint32_t>(p);
}

int64_t soft_histogram(const SoftHistParams& p) {
  return with_metric(p.metric, [&](auto metric) {
    constexpr Metric M = decltype(metric)::value;
    if (p.z.dtype == DType::float64) return run<double, M>(scaled_call<double>(p).p);
    return run<float, M>(scaled_call<float>(p).p);
  });
}

}  // namespace softent::cpu
