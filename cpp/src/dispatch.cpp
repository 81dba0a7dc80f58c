// The one place that chooses the backend (CPU/CUDA) and re-validates a call's invariants in
// C++ (Python validates first, with friendlier messages; it can be bypassed). The only
// #if SOFTENT_WITH_CUDA of the library.
#include <cmath>
#include <stdexcept>
#include <string>

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
  if (z.device >= 0) return false;
  // Host slots are cheap to scan; a bad slot would write outside hist.
  for (int64_t k = 0; k < p.n_sets * z.rows; ++k) {
    const int32_t s = p.slots[k];
    require(s == -1 || (s >= 1 && s < p.hist_rows),
            "slots must be -1 or in [1, hist_rows), got " + std::to_string(s));
  }
  return true;
}

[[noreturn, maybe_unused]] void no_cuda() {
  throw std::runtime_error(
      "softent: this build has no CUDA support (rebuild with SOFTENT_CUDA=ON and nvcc)");
}

}  // namespace

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
}  // namespace cuda
#endif

}  // namespace softent
