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
#include <cstdint>
#include <limits>
#include <vector>

#include "cpu/common/gemm.h"
#include "cpu/common/hist_reduce.h"
#include "cpu/common/tile_loop.h"
#include "cpu/common/tile_reader.h"
#include "cpu/soft_hist_scale.h"
#include "softent/ops.h"

namespace softent::cpu {
namespace {

constexpr int64_t kNoRow = std::numeric_limits<int64_t>::max();

template <typename T>
struct ForwardThread {
  TileReader<T> reader;
  std::vector<T> e;  // softmax terms of the tile's rows (also the dots when not kept)
  LocalHist hist;
  int64_t first_bad = kNoRow;
};

template <typename T, Metric M>
int64_t run(const SoftHistParams& p) {
  const int64_t n = p.z.rows, d = p.z.cols, b = p.centres.rows;
  const T scale = math::softmax_scale<T>(p.inv_temperature);
  T* dots_out = static_cast<T*>(p.dots_out);
  const int64_t tile = tile_height(p.tile_rows, n, b, d);
  constexpr bool row_norm = math::needs_row_norm(M);
  const int64_t blocks = 1 + p.replicates;
  const HistOutput out = hist_output(p.hist, blocks * p.hist_rows, b);
  std::vector<T> csq_buf(b);
  for (int64_t j = 0; j < b; ++j) csq_buf[j] = static_cast<T>(p.centre_sq[j]);
  const T* csq = csq_buf.data();
  const T* origin = static_cast<const T*>(p.origin);
  std::atomic<int64_t> first_bad{kNoRow};

  // One row: the softmax of its scores, then its masses into every histogram block it reaches.
  const auto add_row = [&](ForwardThread<T>& th, int64_t i, const T* dot, T zr, T* e) {
    const auto s_of = [&](int64_t j) { return math::score(M, dot[j], zr, csq[j]); };
    math::LogSumExp<T> lse = math::lse_init<T>();
    math::lse_push_block(lse, b, s_of, e, e, scale);
    const math::SoftmaxNorm norm = math::row_softmax_norm(lse, zr);
    if (!norm.finite) {
      th.first_bad = std::min(th.first_bad, i);
      return;
    }
    for (int64_t block = 0; block < blocks; ++block) {
      const int w = math::block_weight(p, i, block);
      if (w == 0) continue;
      const double scale = math::block_scale(norm.inv_sum, w);
      const auto mass = [&](int64_t j) { return math::mass(e[j], scale); };
      th.hist.add(block * p.hist_rows, mass);
      for (int64_t set = 0; set < p.n_sets; ++set) {
        const int32_t slot = p.slots[set * n + i];
        if (slot >= 1) th.hist.add(block * p.hist_rows + slot, mass);
      }
    }
  };

  parallel_tiles(
      n, tile, p.num_threads,
      [&] {
        return ForwardThread<T>{TileReader<T>(p.z, tile, origin, T(p.row_scale)),
                                std::vector<T>(tile * b), LocalHist(out)};
      },
      [&](ForwardThread<T>& th, int64_t i0, int64_t m) {
        th.reader.load(i0, m, M);
        // The dots go straight into the caller's buffer when it keeps them for a backward;
        // otherwise the softmax terms overwrite them in place.
        T* dots = dots_out ? dots_out + i0 * b : th.e.data();
        gemm_abt_rows(
            m, th.reader.rows(), th.reader.ld(), p.centres, dots, b, [&](int64_t r, const T* dot) {
              add_row(th, i0 + r, dot, row_norm ? th.reader.stat(r) : T(0), th.e.data() + r * b);
            });
      },
      [&](ForwardThread<T>& th) {
        th.hist.merge();
        if (th.first_bad < first_bad.load()) first_bad.store(th.first_bad);
      });
  const int64_t bad = first_bad.load();
  return bad == kNoRow ? -1 : bad;
}

}  // namespace

int64_t soft_histogram(const SoftHistParams& p) {
  return with_metric(p.metric, [&](auto metric) {
    constexpr Metric M = decltype(metric)::value;
    if (p.z.dtype == DType::float64) return run<double, M>(scaled_call<double>(p).p);
    return run<float, M>(scaled_call<float>(p).p);
  });
}

}  // namespace softent::cpu
