// The CPU traversal every estimator shares: rows [0, n) cut into tiles, the tiles spread
// over OpenMP threads, each thread with its own state (buffers, partial sums) that is
// reduced once at the end. Memory is bounded by the tile, never by n.
// Device: host memory; OpenMP threads (OMP_NUM_THREADS unless the call says otherwise).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>

#include "softent/math/metric.h"
#include "softent/ops.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace softent::cpu {

// Tile height for a tile producing `out_cols` values per row from `d` features: measured
// best (N=100k, out_cols in {100, 1000}, D in {64, 768}, 2 cores) with an output block of up
// to ~1 MB (rows x out_cols floats): large enough that the per-call packing of the other
// GEMM operand is amortised, small enough to stay in L2/L3 while the epilogue reads it; the
// gathered input tile (rows x d) is kept within a few MB too.
inline int64_t auto_tile_rows(int64_t out_cols, int64_t d) {
  int64_t rows = (int64_t(256) << 10) / std::max<int64_t>(out_cols, 1);
  rows =
      std::min<int64_t>(rows, std::max<int64_t>((int64_t(1) << 20) / std::max<int64_t>(d, 1), 16));
  return std::clamp<int64_t>(rows, 16, 512);
}

// The tile height of a call over n rows: the caller's (tile_rows > 0), else automatic; never
// more than n (a larger tile would only allocate rows that are never read).
inline int64_t tile_height(int64_t tile_rows, int64_t n, int64_t out_cols, int64_t d) {
  const int64_t tile = tile_rows > 0 ? tile_rows : auto_tile_rows(out_cols, d);
  return std::clamp<int64_t>(tile, 1, std::max<int64_t>(n, 1));
}

// OpenMP threads for a call: the caller's choice, else OMP_NUM_THREADS; never more than the
// CPUs this process may use (more only cost memory and thread creation, and thousands make
// libgomp fail) nor than tiles.
inline int thread_count(int requested, int64_t n_tiles) {
  int nt = requested > 0 ? requested : 1;
#ifdef _OPENMP
  if (requested <= 0) nt = omp_get_max_threads();
  nt = std::min(nt, std::max(omp_get_num_procs(), 1));
  nt = static_cast<int>(std::min<int64_t>(nt, std::max<int64_t>(n_tiles, 1)));
#endif
  return nt;
}

// The first exception thrown by any thread of a parallel region, kept to be rethrown after
// it: an exception must not leave an OpenMP region (that is std::terminate), so a failed
// allocation becomes a MemoryError in Python instead of an abort. failed() lets the other
// threads skip their remaining tiles.
class RegionError {
 public:
  template <typename F>
  void run(F&& f) noexcept {
    if (failed()) return;
    try {
      f();
    } catch (...) {
      record(std::current_exception());
    }
  }
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void record(std::exception_ptr e) noexcept {
#pragma omp critical(softent_region_error)
    if (!error_) error_ = e;
    failed_.store(true, std::memory_order_relaxed);
  }
  std::atomic<bool> failed_{false};
  std::exception_ptr error_;
};

// set_interrupt_poll's function (ops.h), read once per call.
inline std::atomic<InterruptPoll> interrupt_poll{nullptr};

// Whether to stop: asks the installed poll at most every 50 ms, from the thread that called
// the op (OpenMP thread 0: the bindings' poll takes the GIL with that thread's state).
class InterruptCheck {
 public:
  bool due_and_set() {
    if (poll_ == nullptr) return false;
#ifdef _OPENMP
    if (omp_get_thread_num() != 0) return false;
#endif
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(50)) return false;
    last_ = now;
    return poll_();
  }

 private:
  InterruptPoll poll_ = interrupt_poll.load();
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// The tiles of n rows (at least 1 row each, at most n) and the threads that run them; run()
// does tile t of a thread's loop: the body, then the interrupt poll, any exception kept in
// the region's error (the tile loops below share it).
struct TilePlan {
  int64_t n, tile, n_tiles;
  int threads;
  TilePlan(int64_t rows, int64_t tile_rows, int requested)
      : n(rows),
        tile(std::clamp<int64_t>(tile_rows, 1, std::max<int64_t>(rows, 1))),
        n_tiles((rows + tile - 1) / tile),
        threads(thread_count(requested, n_tiles)) {}
  template <typename Body, typename State>
  void run(RegionError& error, InterruptCheck& interrupt, Body& body, State& state,
           int64_t t) const {
    const int64_t i0 = t * tile;
    error.run([&] {
      body(state, i0, std::min(tile, n - i0));
      if (interrupt.due_and_set()) throw Interrupted();
    });
  }
};

// body(state, i0, m) for every tile [i0, i0 + m) of n rows, on thread_count(requested)
// threads; each thread first builds its state = make_state() (allocations happen here,
// outside the loop) and at the end runs finish(state), one thread at a time, to reduce its
// partial results. Deterministic for a given thread count: tiles go to threads in fixed
// contiguous blocks (static schedule; the tiles of an op cost alike) and the threads finish
// in thread order, so a float sum is added in the same order on every run — two calls on
// the same data give bit-identical results, however the threads are timed.
// An exception in any thread (a failed allocation, say) stops the others at their next tile
// and is rethrown here after the region; nothing is finished then (the caller's outputs are
// partial and must not be used). So is Interrupted, when the interrupt poll says stop.
template <typename MakeState, typename Body, typename Finish>
void parallel_tiles(int64_t n, int64_t tile, int requested, MakeState&& make_state, Body&& body,
                    Finish&& finish) {
  const TilePlan plan(n, tile, requested);
  using State = decltype(make_state());
  RegionError error;
  InterruptCheck interrupt;
#pragma omp parallel num_threads(plan.threads)
  {
    std::optional<State> state;
    error.run([&] { state.emplace(make_state()); });
#pragma omp for schedule(static)
    for (int64_t t = 0; t < plan.n_tiles; ++t) plan.run(error, interrupt, body, *state, t);
    // One iteration per thread of the team actually started, in thread order
    // (static, 1: thread k runs iteration k).
#ifdef _OPENMP
    const int team = omp_get_num_threads();
#else
    const int team = 1;
#endif
#pragma omp for ordered schedule(static, 1)
    for (int k = 0; k < team; ++k) {
#pragma omp ordered
      error.run([&] { finish(*state); });
    }
  }
  error.rethrow();
}

// parallel_tiles with the tiles handed out one at a time as threads come free instead of in
// fixed blocks: on a shared machine a thread that loses its core to another process would
// otherwise hold the whole call back by its share. Only for ops whose results do not depend on
// which thread runs a tile (per-row results, integer sums: the kNN passes), so they stay the
// same to the bit; finish() runs one thread at a time, in no fixed order.
template <typename MakeState, typename Body, typename Finish>
void parallel_dynamic(int64_t n, int64_t tile, int requested, MakeState&& make_state, Body&& body,
                      Finish&& finish) {
  const TilePlan plan(n, tile, requested);
  using State = decltype(make_state());
  RegionError error;
  InterruptCheck interrupt;
  std::atomic<int64_t> next{0};
#pragma omp parallel num_threads(plan.threads)
  {
    std::optional<State> state;
    error.run([&] { state.emplace(make_state()); });
    for (;;) {
      const int64_t t = next.fetch_add(1, std::memory_order_relaxed);
      if (t >= plan.n_tiles || error.failed()) break;
      plan.run(error, interrupt, body, *state, t);
    }
#pragma omp critical(softent_dynamic_finish)
    error.run([&] { finish(*state); });
  }
  error.rethrow();
}

// f(std::integral_constant<Metric, M>{}) for the run-time metric: kernels are templated on
// the metric so its switch leaves the inner loops.
template <typename F>
auto with_metric(Metric m, F&& f) {
  switch (m) {
    case Metric::euclidean:
      return f(std::integral_constant<Metric, Metric::euclidean>{});
    case Metric::sqeuclidean:
      return f(std::integral_constant<Metric, Metric::sqeuclidean>{});
    case Metric::cosine:
      return f(std::integral_constant<Metric, Metric::cosine>{});
    case Metric::dot:
      return f(std::integral_constant<Metric, Metric::dot>{});
  }
  throw std::invalid_argument("softent: unknown metric");
}

}  // namespace softent::cpu
