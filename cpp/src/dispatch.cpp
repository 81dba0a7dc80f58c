// The one place that chooses the backend (CPU/CUDA) and re-validates a call's invariants in
// C++ (Python validates first, with friendlier messages; it can be bypassed). The only
// #if SOFTENT_WITH_CUDA of the library.
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu/common/gemm.h"
#include "cpu/common/tile_loop.h"
#include "softent/ops.h"

namespace softent {
namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("softent._core.soft_histogram: " + what);
}

bool valid_dtype(DType t) { return t == DType::float32 || t == DType::float64; }

// The invariants shared by the forward and backward calls; returns whether p is on the host.
bool check_params(const SoftHistParams& p) {
  const View2D &z = p.z, &c = p.centres;
  require(valid_dtype(z.dtype), "dtype must be 0 (float32) or 1 (float64)");
  require(z.data != nullptr && z.rows > 0 && z.cols > 0, "z must be a non-empty [N, D] array");
  require(c.data != nullptr && p.centre_sq != nullptr && c.rows > 0 && c.cols == z.cols,
          "centres must be a non-empty [B, D] array");
  require(c.dtype == z.dtype && c.device == z.device && c.contiguous(),
          "centres must be contiguous, in z's dtype and memory");
  require(p.hist_rows >= 1, "hist must have at least one row");
  require(p.n_sets >= 0 && (p.n_sets == 0 || p.slots != nullptr), "slots must be given");
  require(std::isfinite(p.inv_temperature) && p.inv_temperature > 0,
          "temperature must be finite and > 0");
  const int m = static_cast<int>(p.metric);
  require(m >= 0 && m <= 3, "metric must be 0..3, got " + std::to_string(m));
  require(p.origin == nullptr || math::translation_invariant(p.metric),
          "origin must be null for the metrics that are not translation-invariant");
  require(p.replicates >= 0 && p.row_offset >= 0 && p.replicate_offset >= 0,
          "replicates, row_offset and replicate_offset must be >= 0");
  require(p.perm_sets >= 0 && p.permutations >= 0 &&
              (p.perm_sets == 0 || p.permutations == 0 || p.perm_codes != nullptr),
          "perm_codes must be given");
  const int64_t pb = p.perm_code_bytes;
  const bool permuted = p.perm_sets > 0 && p.permutations > 0;
  if (permuted) {
    require(p.replicates == 0, "permuted label sets need replicates == 0");
    require(pb == 1 || pb == 2 || pb == 4, "perm_code_bytes must be 1, 2 or 4");
    require(p.perm_internal >= 1 && z.rows % p.perm_internal == 0,
            "perm_internal must be >= 1 and divide the rows");
    require(p.perm_first_row >= 1 && p.perm_block >= 0 && p.perm_internal_stride >= 0,
            "perm_first_row must be >= 1, perm_block and perm_internal_stride >= 0");
  }
  if (z.device >= 0) return false;
  if (permuted) {  // the largest slot any code reaches must be a row of hist
    const int64_t n_codes = p.perm_sets * p.permutations * (z.rows / p.perm_internal);
    const auto top_of = [&](auto zero) {
      using C = decltype(zero);
      const C* codes = static_cast<const C*>(p.perm_codes);
      C top = 0;  // the masked marker C(~0) excluded
      for (int64_t k = 0; k < n_codes; ++k) {
        const C c = codes[k];
        top = c != C(~C(0)) && c > top ? c : top;
      }
      return uint32_t(top);
    };
    const uint32_t top = pb == 1   ? top_of(uint8_t(0))
                         : pb == 2 ? top_of(uint16_t(0))
                                   : top_of(uint32_t(0));
    const int64_t last = p.perm_first_row + (p.permutations - 1) * p.perm_block + int64_t(top) +
                         (p.perm_internal - 1) * p.perm_internal_stride;
    require(last < p.hist_rows, "perm_codes reach histogram row " + std::to_string(last) + " of " +
                                    std::to_string(p.hist_rows));
  }
  // Host slots are cheap to scan; a bad slot would write outside hist. The message is built
  // only on failure: this loop runs over every row of every label set.
  // With permuted sets the ordinary slots must lie below them (the CPU kernel keeps the two
  // parts of hist apart).
  const int64_t slot_end = permuted ? p.perm_first_row : p.hist_rows;
  for (int64_t k = 0; k < p.n_sets * z.rows; ++k) {
    const int32_t s = p.slots[k];
    if (!(s == -1 || (s >= 1 && s < slot_end)))
      require(false, "slots must be -1 or in [1, " + std::to_string(slot_end) + "), got " +
                         std::to_string(s));
  }
  return true;
}

[[noreturn, maybe_unused]] void no_cuda() {
  throw std::runtime_error(
      "softent: this build has no CUDA support (rebuild with SOFTENT_CUDA=ON and nvcc)");
}

// ---- counting codes ---------------------------------------------------------------------
void require_count(bool ok, const char* op, const std::string& what) {
  if (!ok) throw std::invalid_argument(std::string("softent._core.") + op + ": " + what);
}

bool fits_product(int64_t a, int64_t b) {
  return a >= 1 && b >= 1 && a <= std::numeric_limits<int64_t>::max() / b;
}

// A code column [n, 1] (or matrix [n, m] when cols > 1 is allowed); returns whether on host.
bool check_codes(const CodesView& v, const char* op, const char* name, bool matrix) {
  const int t = static_cast<int>(v.dtype);
  require_count(t >= 0 && t <= 7, op, std::string(name) + " dtype must be a CodeType 0..7");
  require_count(v.data != nullptr && v.rows > 0 && v.cols > 0 && (matrix || v.cols == 1), op,
                std::string(name) + (matrix ? " must be a non-empty [n, m] code array"
                                            : " must be a non-empty [n, 1] code column"));
  return v.device < 0;
}

void check_pair_of_codes(const CodesView& x, const CodesView& y, const char* op, bool matrix) {
  check_codes(x, op, "x", matrix);
  check_codes(y, op, "y", matrix);
  require_count(y.rows == x.rows && y.device == x.device, op, "y must have x's rows and memory");
  require_count(y.dtype == x.dtype || y.dtype == CodeType::int64, op,
                "y's dtype must be x's or int64");
}

}  // namespace

int64_t encode_rows(const EncodeRowsParams& p) {
  const bool host = check_codes(p.x, "encode_rows", "x", true);
  require_count(p.radix != nullptr && p.out != nullptr, "encode_rows",
                "radix and out must be given");
  if (host) {
    int64_t prod = 1;
    for (int64_t j = 0; j < p.x.cols; ++j) {
      require_count(fits_product(prod, p.radix[j]), "encode_rows",
                    "the radices must be >= 1 with a product that fits int64");
      prod *= p.radix[j];
    }
    return cpu::encode_rows(p);
  }
#if SOFTENT_WITH_CUDA
  return cuda::encode_rows(p);
#else
  no_cuda();
#endif
}

void count_dense(const CountParams& p) {
  const char* op = "count_dense";
  if (p.y.data != nullptr)
    check_pair_of_codes(p.x, p.y, op, false);
  else
    check_codes(p.x, op, "x", false);
  require_count(fits_product(p.kx, p.ky), op, "kx, ky must be >= 1 with kx * ky fitting int64");
  require_count(p.y.data != nullptr || p.ky == 1, op, "ky must be 1 without y");
  require_count(p.table || p.counts_x || p.counts_y, op, "an output must be given");
  if (p.x.device < 0) return cpu::count_dense(p);
#if SOFTENT_WITH_CUDA
  cuda::count_dense(p);
#else
  no_cuda();
#endif
}

int64_t count_sparse(const SparseCountParams& p) {
  const char* op = "count_sparse";
  check_pair_of_codes(p.x, p.y, op, false);
  require_count(fits_product(p.kx, p.ky), op, "kx, ky must be >= 1 with kx * ky fitting int64");
  require_count(p.keys != nullptr && p.values != nullptr, op, "keys and values must be given");
  if (p.x.device < 0) return cpu::count_sparse(p);
#if SOFTENT_WITH_CUDA
  return cuda::count_sparse(p);
#else
  no_cuda();
#endif
}

void pair_tables(const PairTablesParams& p) {
  const char* op = "pair_tables";
  check_pair_of_codes(p.x, p.y, op, true);
  require_count(p.n_pairs >= 1 && p.pairs && p.sizes_x && p.sizes_y && p.tables, op,
                "pairs, sizes_x, sizes_y and tables must be given (n_pairs >= 1)");
  require_count(fits_product(p.ka, p.kb) && fits_product(p.n_pairs, p.ka * p.kb), op,
                "n_pairs * ka * kb must fit int64");
  if (p.x.device < 0) {
    // Host pairs and sizes are cheap to scan; a bad one would write outside tables.
    for (int64_t q = 0; q < p.n_pairs; ++q) {
      const int64_t a = p.pairs[2 * q], b = p.pairs[2 * q + 1];
      if (!(a >= 0 && a < p.x.cols && b >= 0 && b < p.y.cols))
        require_count(false, op,
                      "pairs must index columns of x and y, got (" + std::to_string(a) + ", " +
                          std::to_string(b) + ")");
      require_count(
          p.sizes_x[a] >= 1 && p.sizes_x[a] <= p.ka && p.sizes_y[b] >= 1 && p.sizes_y[b] <= p.kb,
          op, "sizes must be in [1, ka] (x) and [1, kb] (y)");
    }
    return cpu::pair_tables(p);
  }
#if SOFTENT_WITH_CUDA
  cuda::pair_tables(p);
#else
  no_cuda();
#endif
}

// ---- partial information decomposition (params/pid.h) ----------------------------------
namespace {

void require_pid(bool ok, const char* op, const std::string& what) {
  if (!ok) throw std::invalid_argument(std::string("softent._core.") + op + ": " + what);
}

// codes [K, v] in [0, sizes[j]) (a cheap host scan: a bad code would index outside a table)
void check_pid_codes(const int64_t* codes, const int64_t* sizes, int64_t rows, int v,
                     const char* op) {
  for (int64_t k = 0; k < rows; ++k)
    for (int j = 0; j < v; ++j) {
      const int64_t c = codes[k * v + j];
      // the message is built only on failure: this loop runs over every code
      if (c < 0 || c >= sizes[j])
        require_pid(false, op,
                    "codes must lie in [0, sizes[j]), got " + std::to_string(c) + " at row " +
                        std::to_string(k) + ", column " + std::to_string(j));
    }
}

}  // namespace

void pid_masses(const PidMassesParams& p) {
  const char* op = "pid_masses";
  require_pid(p.cols >= 2 && p.cols <= kPidMaxSources + 1, op,
              "cols must be 2 .. " + std::to_string(kPidMaxSources + 1));
  require_pid(p.rows >= 1 && p.rows < (int64_t(1) << 31), op, "rows must be in [1, 2^31)");
  require_pid(p.codes && p.probs && p.sizes && p.masses, op,
              "codes, probs, sizes and masses must be given");
  for (int j = 0; j < p.cols; ++j)
    require_pid(p.sizes[j] >= 1 && p.sizes[j] <= (int64_t(1) << 31), op,
                "sizes must be in [1, 2^31]");
  check_pid_codes(p.codes, p.sizes, p.rows, p.cols, op);
  cpu::pid_masses(p);
}

void sx_local(const SxLocalParams& p) {
  const char* op = "sx_local";
  const int n = p.n_sources;
  require_pid(n >= 1 && n <= kPidMaxSources, op,
              "n_sources must be 1 .. " + std::to_string(kPidMaxSources));
  require_pid(p.rows >= 1 && p.nodes >= 1 && p.n_targets >= 1, op,
              "rows, nodes and n_targets must be >= 1");
  require_pid(p.lo >= 0 && p.lo < p.hi && p.hi <= p.rows, op, "0 <= lo < hi <= rows required");
  require_pid(p.codes && p.probs && p.masses && p.upsets, op,
              "codes, probs, masses and upsets must be given");
  require_pid(p.sum_plus || p.sum_minus || p.local_plus || p.local_minus, op,
              "an output must be given");
  const uint64_t outside = n == 6 ? 0 : ~((uint64_t(1) << (1 << n)) - 1);
  for (int64_t j = 0; j < p.nodes; ++j)
    if (p.upsets[j] == 0 || (p.upsets[j] & (outside | 1)) != 0)
      require_pid(false, op, "upsets must be non-empty sets of the masks 1 .. 2^n - 1");
  std::vector<int64_t> sizes(n + 1, std::numeric_limits<int64_t>::max());
  sizes[n] = p.n_targets;
  // only the rows [lo, hi) are read (a streamed chunk need not rescan the whole pmf)
  check_pid_codes(p.codes + p.lo * (n + 1), sizes.data(), p.hi - p.lo, n + 1, op);
  if (p.device < 0) return cpu::sx_local(p);
#if SOFTENT_WITH_CUDA
  cuda::sx_local(p);
#else
  no_cuda();
#endif
}

void initialize() { cpu::use_single_threaded_blas(); }

void set_interrupt_poll(InterruptPoll poll) { cpu::interrupt_poll.store(poll); }

int64_t soft_histogram(const SoftHistParams& p) {
  require(p.hist != nullptr, "hist must be given");
  if (check_params(p)) return cpu::soft_histogram(p);
#if SOFTENT_WITH_CUDA
  return cuda::soft_histogram(p);
#else
  no_cuda();
#endif
}

void permute_labels(const PermuteLabelsParams& p) {
  const auto fail = [](const std::string& what) {
    throw std::invalid_argument("softent._core.permute_labels: " + what);
  };
  if (p.n < 0 || p.n >= (int64_t(1) << 32)) fail("n must be in [0, 2^32)");
  if (p.permutations < 0 || p.first_permutation < 0) fail("permutations must be >= 0");
  if (!(p.code_bytes == 1 || p.code_bytes == 2 || p.code_bytes == 4))
    fail("code_bytes must be 1, 2 or 4");
  if (p.n > 0 && p.permutations > 0 && (p.codes == nullptr || p.out == nullptr))
    fail("codes and out must be given");
  const int64_t top = p.code_bytes == 4 ? int64_t(0xFFFFFFFF) : (int64_t(1) << (8 * p.code_bytes));
  for (int64_t i = 0; i < p.n; ++i)
    if (p.codes[i] < -1 || int64_t(p.codes[i]) >= top - 1)
      fail("codes must be -1 or in [0, " + std::to_string(top - 1) + "), got " +
           std::to_string(p.codes[i]));
  if (p.skip_code < -1 || p.skip_code >= top - 1)
    fail("skip_code must be -1 or in [0, " + std::to_string(top - 1) + ")");
  cpu::permute_labels(p);
}

void soft_histogram_backward(const SoftHistGradParams& g) {
  require(g.grad_hist != nullptr, "grad_hist must be given");
  require(g.fwd.replicates == 0, "the backward has no bootstrap replicates");
  if (check_params(g.fwd)) return cpu::soft_histogram_backward(g);
#if SOFTENT_WITH_CUDA
  cuda::soft_histogram_backward(g);
#else
  no_cuda();
#endif
}

#if !SOFTENT_WITH_CUDA
namespace cuda {
bool available() { return false; }
int device_count() { return 0; }
const char* runtime_version() { return ""; }
int64_t soft_histogram(const SoftHistParams&) { no_cuda(); }
void soft_histogram_backward(const SoftHistGradParams&) { no_cuda(); }
int64_t encode_rows(const EncodeRowsParams&) { no_cuda(); }
void count_dense(const CountParams&) { no_cuda(); }
int64_t count_sparse(const SparseCountParams&) { no_cuda(); }
void pair_tables(const PairTablesParams&) { no_cuda(); }
// pid
void sx_local(const SxLocalParams&) { no_cuda(); }
}  // namespace cuda
#endif

}  // namespace softent

// ---- nearest neighbours (params/knn.h) ----------------------------------------------------
namespace softent {
namespace {

void require_knn(bool ok, const char* op, const std::string& what) {
  if (!ok) throw std::invalid_argument(std::string("softent._core.") + op + ": " + what);
}

// The invariants of a KnnSpace; returns the set's size m. Host row ids are scanned (a bad
// or repeated id would read outside x or count a row twice).
int64_t check_space(const KnnSpace& s, const char* op) {
  const View2D& x = s.x;
  require_knn(valid_dtype(x.dtype), op, "dtype must be 0 (float32) or 1 (float64)");
  require_knn(x.data != nullptr && x.rows > 0 && x.cols > 0, op,
              "x must be a non-empty [n, d] array");
  const int metric = static_cast<int>(s.metric);
  require_knn(metric == 0 || metric == 1, op,
              "metric must be 0 (euclidean) or 1 (chebyshev), got " + std::to_string(metric));
  require_knn(s.n_blocks >= 1 && s.n_blocks <= kKnnMaxBlocks, op,
              "n_blocks must be in [1, " + std::to_string(kKnnMaxBlocks) + "]");
  int64_t prev = 0;
  for (int b = 0; b < s.n_blocks; ++b) {
    require_knn(s.block_ends[b] > prev, op, "block_ends must be increasing and > 0");
    prev = s.block_ends[b];
  }
  require_knn(prev == x.cols, op, "the last block end must be x's column count");
  const int64_t m = s.rows ? s.n_rows : x.rows;
  require_knn(m >= 1, op, "the set must hold at least one row");
  if (s.rows != nullptr && x.device < 0) {
    std::vector<bool> seen(static_cast<size_t>(x.rows), false);
    for (int64_t t = 0; t < m; ++t) {
      const int64_t id = s.rows[t];
      if (!(id >= 0 && id < x.rows && !seen[id]))
        require_knn(false, op, "rows must be distinct row ids of x, got " + std::to_string(id));
      seen[id] = true;
    }
  }
  return m;
}

}  // namespace

int64_t knn(const KnnParams& p) {
  const char* op = "knn";
  const int64_t m = check_space(p.space, op);
  require_knn(
      p.k >= 1 && p.k <= m - 1, op,
      "k must be in [1, m - 1] (m = " + std::to_string(m) + " rows), got " + std::to_string(p.k));
  require_knn(p.distances != nullptr, op, "distances must be given");
  if (p.space.x.device < 0) return cpu::knn(p);
#if SOFTENT_WITH_CUDA
  return cuda::knn(p);
#else
  no_cuda();
#endif
}

void radius_count(const RadiusCountParams& p) {
  const char* op = "radius_count";
  const int64_t m = check_space(p.space, op);
  require_knn(p.radii != nullptr && p.counts != nullptr, op, "radii and counts must be given");
  if (p.space.x.device < 0) {
    for (int64_t t = 0; t < m; ++t)
      require_knn(std::isfinite(p.radii[t]) && p.radii[t] >= 0, op,
                  "radii must be finite and >= 0");
    return cpu::radius_count(p);
  }
#if SOFTENT_WITH_CUDA
  cuda::radius_count(p);
#else
  no_cuda();
#endif
}

int64_t knn_group_count(const KnnGroupCountParams& p) {
  const char* op = "knn_group_count";
  const int64_t m = check_space(p.space, op);
  const bool on_device = p.space.x.device >= 0;
#if !SOFTENT_WITH_CUDA
  if (on_device) no_cuda();
#endif
  require_knn(m < (int64_t(1) << 31), op, "the set must hold fewer than 2**31 rows");
  require_knn(p.groups != nullptr && p.radii != nullptr && p.counts != nullptr, op,
              "groups, radii and counts must be given");
  require_knn(p.k >= 1, op, "k must be >= 1, got " + std::to_string(p.k));
  require_knn(p.overall >= 0, op, "overall must be >= 0, got " + std::to_string(p.overall));
  const int64_t n = p.space.x.rows;
  // groups are host memory; device row ids are read through a host copy
  std::vector<int64_t> ids;
  const int64_t* rows = p.space.rows;
  if (rows && on_device) {
    ids = cuda::knn_rows_to_host(p.space);
    rows = ids.data();
  }
  std::vector<int64_t> size;
  for (int64_t t = 0; t < m; ++t) {
    const int64_t g = p.groups[rows ? rows[t] : t];
    if (!(g >= 0 && g < n))
      require_knn(false, op, "groups must be in [0, n), got " + std::to_string(g));
    if (g >= int64_t(size.size())) size.resize(g + 1, 0);
    ++size[g];
  }
  for (int64_t g = 0; g < int64_t(size.size()); ++g)
    if (size[g] == 1)
      require_knn(false, op,
                  "every group of the set needs >= 2 rows (group " + std::to_string(g) + ")");
  if (!on_device) return cpu::knn_group_count(p);
#if SOFTENT_WITH_CUDA
  return cuda::knn_group_count(p);
#else
  no_cuda();
#endif
}

void sorted_1d(const Sorted1dParams& p) {
  const char* op = "sorted_1d";
  const View2D& x = p.x;
  require_knn(valid_dtype(x.dtype), op, "dtype must be 0 (float32) or 1 (float64)");
  require_knn(x.data != nullptr && x.rows > 0 && x.cols > 0, op,
              "x must be a non-empty [n, f] array");
  const bool on_device = x.device >= 0;
#if !SOFTENT_WITH_CUDA
  if (on_device) no_cuda();
#endif
  const int64_t n = x.rows;
  if (p.y.data != nullptr) {
    require_knn(
        p.y.dtype == x.dtype && p.y.rows == n && p.y.cols == x.cols && p.y.device == x.device, op,
        "y must match x's shape, dtype and device");
    require_knn(p.groups == nullptr, op, "groups are not taken with y");
  }
  require_knn(p.k >= 0, op, "k must be >= 0");
  if (p.k > 0) {
    require_knn(p.kth != nullptr, op, "kth must be given when k > 0");
    if (p.groups == nullptr) {
      require_knn(p.k <= n - 1, op, "k must be <= n - 1");
    } else {
      std::vector<int64_t> size;
      for (int64_t t = 0; t < n; ++t) {
        const int64_t g = p.groups[t];
        require_knn(g >= 0 && g < n, op, "groups must be in [0, n)");
        if (g >= int64_t(size.size())) size.resize(g + 1, 0);
        ++size[g];
      }
      for (const int64_t z : size) require_knn(z != 1, op, "every group needs >= 2 rows");
    }
  }
  if (p.counts != nullptr)
    require_knn(p.radii != nullptr || p.k > 0, op, "counts need radii or k > 0");
  if (p.radii != nullptr && !on_device)  // device radii: checked by the caller (Python)
    for (int64_t i = 0; i < n * x.cols; ++i)
      require_knn(std::isfinite(p.radii[i]) && p.radii[i] >= 0, op,
                  "radii must be finite and >= 0");
  if (!on_device) return cpu::sorted_1d(p);
#if SOFTENT_WITH_CUDA
  cuda::sorted_1d(p);
#else
  no_cuda();
#endif
}

#if !SOFTENT_WITH_CUDA
namespace cuda {
int64_t knn(const KnnParams&) { no_cuda(); }
void radius_count(const RadiusCountParams&) { no_cuda(); }
int64_t knn_group_count(const KnnGroupCountParams&) { no_cuda(); }
void sorted_1d(const Sorted1dParams&) { no_cuda(); }
std::vector<int64_t> knn_rows_to_host(const KnnSpace&) { no_cuda(); }
}  // namespace cuda
#endif

}  // namespace softent

// ---- spectral affinities (params/spectral.h) ------------------------------------------------
namespace softent {
namespace {

void require_affinity(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("softent._core.affinity: " + what);
}

}  // namespace

void affinity(const AffinityParams& p) {
  const View2D& x = p.x;
  require_affinity(valid_dtype(x.dtype), "dtype must be 0 (float32) or 1 (float64)");
  require_affinity(x.data != nullptr && x.rows > 0 && x.cols > 0,
                   "x must be a non-empty [n, d] array");
  const int kernel = static_cast<int>(p.kernel), output = static_cast<int>(p.output);
  require_affinity(kernel == 0 || kernel == 1,
                   "kernel must be 0 (gaussian) or 1 (self_tuning), got " + std::to_string(kernel));
  require_affinity(output >= 0 && output <= 3,
                   "output must be 0 (degrees), 1 (dense), 2 (product) or 3 (dense32), got " +
                       std::to_string(output));
  if (p.kernel == AffinityKernel::gaussian)
    require_affinity(std::isfinite(p.sigma) && p.sigma > 0, "sigma must be finite and > 0");
  else
    require_affinity(p.scales != nullptr, "scales must be given for the self_tuning kernel");
  require_affinity(std::isfinite(p.prefactor) && p.prefactor > 0,
                   "prefactor must be finite and > 0");
  require_affinity(p.out != nullptr, "out must be given");
  if (p.output == AffinityOutput::product)
    require_affinity(p.v != nullptr && p.m >= 1, "v and m >= 1 must be given for a product");
  if (x.device < 0) {
    if (p.scales != nullptr && p.kernel == AffinityKernel::self_tuning)
      for (int64_t i = 0; i < x.rows; ++i)
        if (!(std::isfinite(p.scales[i]) && p.scales[i] >= 0))
          require_affinity(false, "scales must be finite and >= 0");
    return cpu::affinity(p);
  }
#if SOFTENT_WITH_CUDA
  cuda::affinity(p);
#else
  no_cuda();
#endif
}

#if !SOFTENT_WITH_CUDA
namespace cuda {
void affinity(const AffinityParams&) { no_cuda(); }
}  // namespace cuda
#endif

}  // namespace softent
