// Computes: the partial information decomposition ops of softent.pid (ops.h pid_masses,
// sx_local): the subset marginals of a pmf, and SxPID's local redundancies summed or per row.
// Math: softent/math/pid.h (Möbius transform, chunk tables, logarithm, log of a product);
// loops: cpu/common/tile_loop.h. Runs on: host memory, OpenMP threads over projections
// (pid_masses) or over work items (sx_local), each thread with its own sums, combined in
// thread order (deterministic for a given thread count).
#include "softent/math/pid.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "cpu/common/tile_loop.h"
#include "cpu/pid_plan.h"
#include "softent/ops.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace softent::cpu {
namespace {

// ---- pid_masses ---------------------------------------------------------------------------------
// A projection's group ids come from its parent's (the projection without its highest
// column): id(P)[k] = rank of (id(parent)[k], code_i[k]) in order of first appearance. The
// pair keys fit a dense table of G_parent x size_i cells while that is at most a few times
// K (zeroing it costs less than hashing); beyond that an open-addressing hash table.
constexpr int64_t kDenseCellsMin = int64_t(1) << 16;
constexpr int64_t kDenseCellsPerRow = 4;

class GroupIds {
 public:
  // ids[k] for the keys key(k) < cells; returns the number of groups.
  template <typename Key>
  int32_t assign(int64_t rows, int64_t cells, Key&& key, int32_t* ids) {
    int32_t groups = 0;
    if (cells <= std::max(kDenseCellsMin, kDenseCellsPerRow * rows)) {
      dense_.assign(cells, -1);
      for (int64_t k = 0; k < rows; ++k) {
        int32_t& slot = dense_[key(k)];
        if (slot < 0) slot = groups++;
        ids[k] = slot;
      }
      return groups;
    }
    int bits = 1;
    while ((int64_t(1) << bits) < 2 * rows) ++bits;
    const uint64_t mask = (uint64_t(1) << bits) - 1;
    keys_.assign(mask + 1, -1);
    vals_.resize(mask + 1);
    for (int64_t k = 0; k < rows; ++k) {
      const int64_t kk = key(k);
      uint64_t h = (static_cast<uint64_t>(kk) * 0x9E3779B97F4A7C15ULL) >> (64 - bits);
      while (keys_[h] >= 0 && keys_[h] != kk) h = (h + 1) & mask;
      if (keys_[h] < 0) {
        keys_[h] = kk;
        vals_[h] = groups++;
      }
      ids[k] = vals_[h];
    }
    return groups;
  }

 private:
  std::vector<int32_t> dense_;
  std::vector<int64_t> keys_;
  std::vector<int32_t> vals_;
};

}  // namespace

void pid_masses(const PidMassesParams& p) {
  InterruptCheck interrupt;
  const int v = p.cols;
  const int64_t rows = p.rows, width = int64_t(1) << v;
  for (int64_t k = 0; k < rows; ++k) p.masses[k * width] = 1.0;
  if (p.entropies) p.entropies[0] = 0.0;
  // Level by level (number of columns): a level's projections only read the level below,
  // so the group ids of two levels are kept, in two buffers allocated once (per-projection
  // allocations cost as much as the grouping itself in a busy process's heap).
  std::vector<std::vector<int>> levels(v + 1);
  std::vector<int64_t> slot(width, 0);
  std::vector<int32_t> groups(width, 0);
  groups[0] = 1;
  size_t widest = 1;
  for (int proj = 1; proj < width; ++proj) {
    std::vector<int>& level = levels[__builtin_popcount(proj)];
    slot[proj] = int64_t(level.size());
    level.push_back(proj);
    widest = std::max(widest, level.size());
  }
  std::vector<int32_t> below(widest * rows, 0), here(widest * rows);
  const int nt = thread_count(p.num_threads, int64_t(widest));
  RegionError error;
#pragma omp parallel num_threads(nt)
  {
    GroupIds grouping;
    std::vector<double> mass, comp;
    for (int level = 1; level <= v; ++level) {
      const std::vector<int>& todo = levels[level];
#pragma omp for schedule(dynamic, 1)
      for (int64_t q = 0; q < int64_t(todo.size()); ++q) {
        error.run([&] {
          const int proj = todo[q];
          const int col = 31 - __builtin_clz(static_cast<unsigned>(proj));
          const int parent = proj ^ (1 << col);
          const int32_t* up = below.data() + slot[parent] * rows;
          int32_t* own = here.data() + slot[proj] * rows;
          const int64_t size = p.sizes[col];
          const int64_t* codes = p.codes + col;
          const int32_t g = grouping.assign(
              rows, int64_t(groups[parent]) * size,
              [&](int64_t k) { return int64_t(up[k]) * size + codes[k * v]; }, own);
          mass.assign(g, 0.0);
          comp.assign(g, 0.0);
          for (int64_t k = 0; k < rows; ++k) math::sum_push(mass[own[k]], comp[own[k]], p.probs[k]);
          for (int32_t u = 0; u < g; ++u) mass[u] += comp[u];
          for (int64_t k = 0; k < rows; ++k) p.masses[k * width + proj] = mass[own[k]];
          if (p.entropies) {
            double h = 0.0, hc = 0.0;
            for (int32_t u = 0; u < g; ++u) math::sum_push(h, hc, -mass[u] * std::log(mass[u]));
            p.entropies[proj] = h + hc;
          }
          groups[proj] = g;
        });
      }  // implicit barrier: the level is done
#pragma omp single
      std::swap(below, here);  // implicit barrier: every thread sees the swap
    }
  }
  error.rethrow();
  if (interrupt.due_and_set()) throw Interrupted();  // milliseconds of work: one poll
}

// ---- sx_local: the plan
// ---------------------------------------------------------------------------
namespace {

// The items regrouped so that those of equal (part, class, weight) are consecutive (in row
// order within a group, groups in order of first appearance): a counting sort by group id,
// the ids from a hash table. O(items), deterministic; only equality matters, not order.
std::vector<SxItem> runs_of_equal_weight(const std::vector<SxItem>& items) {
  const int64_t count = int64_t(items.size());
  int bits = 1;
  while ((int64_t(1) << bits) < 2 * count) ++bits;
  const uint64_t mask = (uint64_t(1) << bits) - 1;
  std::vector<int64_t> slot_item(mask + 1, -1);  // a representative item of each slot's group
  std::vector<int32_t> slot_group(mask + 1, -1);
  std::vector<int32_t> group(count);
  std::vector<int64_t> sizes;
  const auto same = [](const SxItem& a, const SxItem& b) {
    return a.part == b.part && a.cls == b.cls && a.weight == b.weight;
  };
  for (int64_t i = 0; i < count; ++i) {
    const SxItem& it = items[i];
    const uint64_t key = math::pid_bits(it.weight) ^ (uint64_t(it.cls) * 0x9E3779B97F4A7C15ULL) ^
                         (uint64_t(it.part) << 63);
    uint64_t h = (key * 0xD6E8FEB86659FD93ULL) >> (64 - bits);
    while (slot_item[h] >= 0 && !same(items[slot_item[h]], it)) h = (h + 1) & mask;
    if (slot_item[h] < 0) {
      slot_item[h] = i;
      slot_group[h] = int32_t(sizes.size());
      sizes.push_back(0);
    }
    group[i] = slot_group[h];
    ++sizes[group[i]];
  }
  std::vector<int64_t> start(sizes.size(), 0);
  for (size_t g = 1; g < sizes.size(); ++g) start[g] = start[g - 1] + sizes[g - 1];
  std::vector<SxItem> out(count);
  for (int64_t i = 0; i < count; ++i) out[start[group[i]]++] = items[i];
  return out;
}

}  // namespace

SxPlan sx_plan(const SxLocalParams& p) {
  SxPlan plan;
  const int n = p.n_sources;
  const int64_t cols = n + 1, width = int64_t(2) << n, lo = p.lo, hi = p.hi;
  plan.plus = p.sum_plus || p.local_plus;
  plan.minus = p.sum_minus || p.local_minus;
  plan.batched = !p.local_plus && !p.local_minus;
  plan.classes = p.per_target ? p.n_targets : 1;
  plan.const_minus.assign(plan.classes, 0.0);
  std::vector<double> const_comp(plan.classes, 0.0);
  const auto cls_of = [&](int64_t k) { return p.per_target ? p.codes[k * cols + n] : int64_t(0); };
  plan.items.reserve((plan.plus ? hi - lo : 0) + (plan.minus ? hi - lo : 0));
  if (plan.plus) {
    if (p.per_target) {
      // i+ depends on s alone, but each row adds to its own target's class
      for (int64_t k = lo; k < hi; ++k)
        plan.items.push_back({k, k - lo, 1, 0, cls_of(k), p.probs[k], 0.0});
    } else {
      // one item per run of rows with the same source outcome (consecutive when sorted; an
      // unsorted pmf only splits runs, which stays correct)
      int64_t a = lo;
      while (a < hi) {
        int64_t b = a + 1;
        double w = p.probs[a];
        while (b < hi &&
               std::memcmp(p.codes + b * cols, p.codes + a * cols, sizeof(int64_t) * size_t(n)) ==
                   0 &&
               b - a < (int64_t(1) << 30)) {
          w += p.probs[b];
          ++b;
        }
        plan.items.push_back({a, a - lo, int32_t(b - a), 0, 0, w, 0.0});
        a = b;
      }
    }
  }
  if (plan.minus) {
    for (int64_t k = lo; k < hi; ++k) {
      const double log_pt = math::log_positive(p.masses[k * width + (width >> 1)]);
      const int64_t c = cls_of(k);
      math::sum_push(plan.const_minus[c], const_comp[c], p.probs[k] * log_pt);
      plan.items.push_back({k, k - lo, 1, 1, c, p.probs[k], log_pt});
    }
  }
  for (int64_t c = 0; c < plan.classes; ++c) plan.const_minus[c] += const_comp[c];
  if (plan.batched) plan.items = runs_of_equal_weight(plan.items);
  return plan;
}

void sx_finalize(const SxLocalParams& p, const SxPlan& plan) {
  const int64_t total = plan.classes * p.nodes;
  if (p.sum_plus)
    for (int64_t i = 0; i < total; ++i) p.sum_plus[i] = math::sx_finalize_plus(p.sum_plus[i]);
  if (p.sum_minus)
    for (int64_t i = 0; i < total; ++i)
      p.sum_minus[i] = math::sx_finalize_minus(plan.const_minus[i / p.nodes], p.sum_minus[i]);
}

namespace {

// ---- sx_local: the loops
// --------------------------------------------------------------------------- Items per tile: a
// tile is what a thread does between interrupt polls.
constexpr int64_t kItemTile = 32;
// Items whose up-set sums share one pass over the nodes: each node's offsets are loaded
// once for all of them. The node loop is bound by loads (measured at n = 5, one thread:
// 8 loads per node and item with one item, 4.25 with four).
constexpr int kItemBlock = 4;

struct SxThread {
  std::vector<double> raw;       // [2, C, L]: Σ w ln P per part, class and node
  std::vector<double> comp;      // [2, C, L]: their compensation (math::sum_push)
  std::vector<double> h;         // [2^n] agreement histogram
  std::vector<double> tables;    // [kItemBlock, chunks, 2^W]
  std::vector<double> x;         // [kItemBlock, L] up-set sums of the current items
  std::vector<double> mantissa;  // [L] the current run's LogProduct
  std::vector<double> exponent;  // [L]
  // the current run (batched): its key and length
  int32_t part = -1;
  int64_t cls = -1;
  double weight = 0.0;
  int count = 0;
};

// x[b, j] = Σ_{m in U_j} h_b(m) for the B items' tables [B, table_size]. Scalar on purpose:
// measured faster than the compiler's gather vectorisation (AVX-512, n = 5: 455 ms vs 623).
template <int Chunks, int B>
__attribute__((optimize("no-tree-vectorize"))) void upset_sums(const double* tables,
                                                               int64_t table_size,
                                                               const uint16_t* off, int64_t nodes,
                                                               double* x) {
  for (int64_t j = 0; j < nodes; ++j) {
    uint16_t o[Chunks];
    std::memcpy(o, off + j * Chunks, sizeof o);  // one load of all the node's offsets
    for (int b = 0; b < B; ++b)
      x[b * nodes + j] = math::upset_sum<Chunks>(tables + b * table_size, o);
  }
}

template <int Chunks>
class SxRun {
 public:
  SxRun(const SxLocalParams& p, const SxPlan& plan, double* out_comp)
      : p_(p),
        plan_(plan),
        out_comp_(out_comp),
        n_(p.n_sources),
        size_(int64_t(1) << p.n_sources),
        nodes_(p.nodes),
        table_size_(int64_t(Chunks) << math::pid_chunk_bits(p.n_sources)),
        offsets_(size_t(Chunks) * size_t(p.nodes)) {
    for (int64_t j = 0; j < nodes_; ++j)
      for (int c = 0; c < Chunks; ++c)
        offsets_[j * Chunks + c] = math::upset_offset(p.upsets[j], n_, c);
  }

  SxThread make_state() const {
    SxThread s;
    s.raw.assign(2 * plan_.classes * nodes_, 0.0);
    s.comp.assign(2 * plan_.classes * nodes_, 0.0);
    s.h.resize(size_);
    s.tables.resize(kItemBlock * table_size_);
    s.x.resize(kItemBlock * nodes_);
    if (plan_.batched) {
      s.mantissa.assign(nodes_, 1.0);
      s.exponent.assign(nodes_, 0.0);
    }
    return s;
  }

  void body(SxThread& s, int64_t i0, int64_t m) const {
    int64_t i = i0;
    for (; i + kItemBlock <= i0 + m; i += kItemBlock) block<kItemBlock>(s, i);
    for (; i < i0 + m; ++i) block<1>(s, i);
  }

  // The thread's last run, then its sums into the outputs (called in thread order).
  void finish(SxThread& s) const {
    flush(s);
    const int64_t total = plan_.classes * nodes_;
    if (p_.sum_plus) combine(p_.sum_plus, out_comp_, s, 0, total);
    if (p_.sum_minus) combine(p_.sum_minus, out_comp_ + total, s, total, total);
  }

 private:
  static void combine(double* out, double* out_comp, const SxThread& s, int64_t at, int64_t k) {
    for (int64_t j = 0; j < k; ++j)
      math::sx_combine(out[j], out_comp[j], s.raw[at + j], s.comp[at + j]);
  }

  // Items i .. i + B - 1: their tables, their up-set sums in one pass, then each one's logs.
  template <int B>
  void block(SxThread& s, int64_t i) const {
    for (int b = 0; b < B; ++b) {
      const SxItem& it = plan_.items[i + b];
      const double* g = p_.masses + it.row * (2 * size_) + it.part * size_;
      double* h = s.h.data();
      for (int64_t a = 0; a < size_; ++a) h[a] = g[a];  // 2^n values: no memmove call
      math::superset_mobius(s.h.data(), n_);
      math::upset_tables(s.h.data(), n_, s.tables.data() + b * table_size_);
    }
    upset_sums<Chunks, B>(s.tables.data(), table_size_, offsets_.data(), nodes_, s.x.data());
    for (int b = 0; b < B; ++b) logs(s, plan_.items[i + b], s.x.data() + b * nodes_);
  }

  void logs(SxThread& s, const SxItem& it, double* x) const {
    const int64_t nodes = nodes_;
    if (plan_.batched) {
      if (it.part != s.part || it.cls != s.cls || it.weight != s.weight ||
          s.count == math::kLogProductMax) {
        flush(s);
        s.part = it.part;
        s.cls = it.cls;
        s.weight = it.weight;
      }
      double* mant = s.mantissa.data();
      double* expo = s.exponent.data();
      for (int64_t j = 0; j < nodes; ++j) math::log_product_push(mant[j], expo[j], x[j]);
      ++s.count;
      return;
    }
    // one logarithm per node: the local values are wanted
    const int64_t at = (it.part * plan_.classes + it.cls) * nodes;
    double* raw = s.raw.data() + at;
    double* comp = s.comp.data() + at;
    double* local = it.part == 0 ? p_.local_plus : p_.local_minus;
    const double w = it.weight;
    const double shift = it.part == 0 ? 0.0 : it.log_pt;
    for (int64_t j = 0; j < nodes; ++j) x[j] = math::log_positive(x[j]);
    for (int64_t j = 0; j < nodes; ++j) math::sx_push(raw[j], comp[j], w, x[j]);
    if (local) {
      // i+ = -ln P; i- = ln p(t) - ln P(., t)
      double* out = local + it.out_begin * nodes;
      for (int64_t j = 0; j < nodes; ++j) out[j] = shift - x[j];
      for (int32_t r = 1; r < it.out_count; ++r) std::copy(out, out + nodes, out + r * nodes);
    }
  }

  void flush(SxThread& s) const {
    if (s.count == 0) return;
    const int64_t at = (s.part * plan_.classes + s.cls) * nodes_;
    double* raw = s.raw.data() + at;
    double* comp = s.comp.data() + at;
    double* mant = s.mantissa.data();
    double* expo = s.exponent.data();
    const double w = s.weight;
    for (int64_t j = 0; j < nodes_; ++j) {
      math::sx_push(raw[j], comp[j], w, math::log_product_value(mant[j], expo[j]));
      mant[j] = 1.0;
      expo[j] = 0.0;
    }
    s.count = 0;
  }

  const SxLocalParams& p_;
  const SxPlan& plan_;
  double* out_comp_;  // [2, C, L] the outputs' compensation (finish runs one thread at a time)
  const int n_;
  const int64_t size_, nodes_, table_size_;
  std::vector<uint16_t> offsets_;  // [L, Chunks] node-major: math::upset_sum
};

template <int Chunks>
void sx_run(const SxLocalParams& p, const SxPlan& plan) {
  std::vector<double> out_comp(2 * plan.classes * p.nodes, 0.0);
  const SxRun<Chunks> run(p, plan, out_comp.data());
  parallel_tiles(
      int64_t(plan.items.size()), kItemTile, p.num_threads, [&] { return run.make_state(); },
      [&](SxThread& s, int64_t i0, int64_t m) { run.body(s, i0, m); },
      [&](SxThread& s) { run.finish(s); });
  const int64_t total = plan.classes * p.nodes;
  if (p.sum_plus)
    for (int64_t j = 0; j < total; ++j) p.sum_plus[j] += out_comp[j];
  if (p.sum_minus)
    for (int64_t j = 0; j < total; ++j) p.sum_minus[j] += out_comp[total + j];
}

}  // namespace

void sx_local(const SxLocalParams& p) {
  const SxPlan plan = sx_plan(p);
  const int64_t total = plan.classes * p.nodes;
  if (p.sum_plus) std::fill(p.sum_plus, p.sum_plus + total, 0.0);
  if (p.sum_minus) std::fill(p.sum_minus, p.sum_minus + total, 0.0);
  switch (math::pid_chunks(p.n_sources)) {
    case 1:
      sx_run<1>(p, plan);
      break;
    case 2:
      sx_run<2>(p, plan);
      break;
    case 4:
      sx_run<4>(p, plan);
      break;
    default:
      sx_run<8>(p, plan);
      break;
  }
  sx_finalize(p, plan);
}

}  // namespace softent::cpu
