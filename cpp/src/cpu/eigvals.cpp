// Computes: every eigenvalue of a dense symmetric float64 matrix (ops.h symmetric_eigenvalues),
// in place, by LAPACK's dsyevd (n < 2500) or dsyevd_2stage (JOBZ = 'N') from scipy-openblas32:
// no eigensolver of ours.
// Math: LAPACK (reference algorithms); no softent/math header.
// Runs on: host memory, the calling thread plus p.num_threads OpenBLAS threads for the call.
#include <cblas.h>
#include <lapacke.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>

#include "softent/ops.h"

// The prototype is OpenBLAS's own (scipy-openblas32's lapacke.h declares the driver with the
// scipy_ prefix its library exports: BLAS_SYMBOL_PREFIX of CMakeLists.txt), with its 32-bit
// LAPACK integers, which the bound on n below relies on.
static_assert(sizeof(lapack_int) == 4, "scipy-openblas32's LAPACK takes 32-bit integers");

namespace softent {
namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("softent._core.symmetric_eigenvalues: " + what);
}

// OpenBLAS's thread count is one process-wide setting, which softent keeps at 1 so that its
// OpenMP kernels (one BLAS call per tile and thread, cpu/common/gemm.h) never oversubscribe.
// An eigensolve is one big LAPACK call that wants the threads instead: it raises the count
// for the call and puts back what it found. The mutex serialises the eigensolves that change
// the count (the GIL is released), so that one call's restore never cuts another's threads
// short and the count always returns to the value before the first of them. A solve that
// keeps the current count (one thread each: spectral MI runs its many small spectra side by
// side) neither takes the mutex nor touches the count; OpenBLAS's LAPACK is reentrant. If a
// count-changing solve starts meanwhile, the other solve may use its threads: the cores are
// shared for a while, the values are the same.
std::mutex eigensolve_mutex;

// The order from which the 2-stage driver is used (see the call below).
constexpr lapack_int kTwoStageFrom = 2500;

class BlasThreads {
 public:
  explicit BlasThreads(int n) : previous_(scipy_openblas_get_num_threads()) {
    if (n > 0 && n != previous_) scipy_openblas_set_num_threads(n);
  }
  ~BlasThreads() {
    if (scipy_openblas_get_num_threads() != previous_) scipy_openblas_set_num_threads(previous_);
  }
  BlasThreads(const BlasThreads&) = delete;
  BlasThreads& operator=(const BlasThreads&) = delete;

 private:
  int previous_;
};

}  // namespace

void symmetric_eigenvalues(const SymmetricEigenvaluesParams& p) {
  require(p.a != nullptr && p.w != nullptr, "a and w must be given");
  require(p.n >= 1 && p.n <= int64_t(std::numeric_limits<lapack_int>::max()),
          "n must be in [1, 2^31 - 1] (32-bit LAPACK integers), got " + std::to_string(p.n));
  require(p.num_threads >= 0, "num_threads must be >= 0, got " + std::to_string(p.num_threads));
  const lapack_int n = lapack_int(p.n);
  // The triangle LAPACK reads (the lower of the column-major matrix): a NaN or an infinity
  // there would come back as NaN eigenvalues or a failed convergence, never a clear error.
  // One pass over n^2 / 2 values, ~1% of the solve.
  for (int64_t j = 0; j < p.n; ++j) {
    const double* col = p.a + j * p.n;
    for (int64_t i = j; i < p.n; ++i)
      if (!std::isfinite(col[i]))
        require(false, "a must be finite, got a non-finite value in row " + std::to_string(i) +
                           ", column " + std::to_string(j) + " (column-major)");
  }
  lapack_int info = 0;
  const auto solve = [&]() {
    // Column-major with uplo 'L' on the caller's buffer: a symmetric matrix is its own
    // transpose, so a C-contiguous one needs no copy. JOBZ = 'N' is the only job the 2-stage
    // drivers implement, and exactly ours (eigenvalues only). The 2-stage reduction (BLAS-3
    // to a band, then bulge chasing) wins only on large matrices: measured on a 2-core Zen 4
    // with this OpenBLAS (eigenvalues only, 2 threads), one-stage dsyevd was 1.5-2x faster
    // at n = 500-1000, the two were even at n = 2500, and 2-stage was faster above (0.79 s
    // vs 0.91 s at n = 3000, 3.0 s vs 5.2 s at n = 5000).
    info = n < kTwoStageFrom
               ? scipy_LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'N', 'L', n, p.a, n, p.w)
               : scipy_LAPACKE_dsyevd_2stage(LAPACK_COL_MAJOR, 'N', 'L', n, p.a, n, p.w);
  };
  if (p.num_threads > 0 && p.num_threads != scipy_openblas_get_num_threads()) {
    const std::lock_guard<std::mutex> lock(eigensolve_mutex);
    const BlasThreads threads(p.num_threads);
    solve();
  } else {
    solve();
  }
  if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
    throw std::bad_alloc();  // LAPACKE could not allocate its workspace: a MemoryError
  if (info < 0)
    throw std::invalid_argument(
        "softent._core.symmetric_eigenvalues: LAPACK dsyevd "
        "rejected its argument " +
        std::to_string(-info));
  if (info > 0)
    throw std::runtime_error(
        "softent._core.symmetric_eigenvalues: LAPACK dsyevd did not converge (info = " +
        std::to_string(info) +
        ": that many off-diagonal elements of the tridiagonal form did "
        "not reach 0)");
}

}  // namespace softent
