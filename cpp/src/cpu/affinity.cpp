// Computes: the spectral affinities of a set of rows (ops.h affinity): tiles of row pairs ->
// GEMM dots of the centred rows -> squared distances -> kernel values -> row sums, the dense
// matrix, or the product with V (matrix-free).
// Math: softent/math/affinity.h; loops: cpu/common/tile_loop.h; BLAS: cpu/common/gemm.h.
// Runs on: host memory, OpenMP threads over row tiles (dense: over tile pairs), one BLAS
// thread each.
#include "softent/math/affinity.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "cpu/common/gemm.h"
#include "cpu/common/tile_loop.h"
#include "softent/ops.h"

namespace softent::cpu {
namespace {

// The rows of x centred on their column means (the GEMM then never cancels a common offset)
// in T, with their squared norms in float64, and the kernel's parameters.
template <typename T>
struct Prepared {
  const AffinityParams& p;
  int64_t n, d;
  std::vector<T> xc;
  std::vector<double> norm;
  double inv_two_sigma_sq = 0.0;
  double unit = std::numeric_limits<T>::epsilon() / 2;

  Prepared(const AffinityParams& params, int threads) : p(params), n(p.x.rows), d(p.x.cols) {
    const T* x = p.x.ptr<T>();
    const int64_t sr = p.x.stride_row, sc = p.x.stride_col;
    std::vector<double> mean(d, 0.0);
    for (int64_t i = 0; i < n; ++i)  // serial: a fixed order of additions
      for (int64_t k = 0; k < d; ++k) mean[k] += double(x[i * sr + k * sc]);
    for (double& v : mean) v /= double(n);
    xc.resize(size_t(n * d));
    norm.resize(size_t(n));
    parallel_tiles(
        n, 1024, threads, [] { return 0; },
        [&](int&, int64_t i0, int64_t len) {
          for (int64_t i = i0; i < i0 + len; ++i) {
            double s = 0.0;
            for (int64_t k = 0; k < d; ++k) {
              const T c = T(double(x[i * sr + k * sc]) - mean[k]);
              xc[i * d + k] = c;
              s += double(c) * double(c);
            }
            norm[i] = s;
          }
        },
        [](int&) {});
    if (p.kernel == AffinityKernel::gaussian) inv_two_sigma_sq = 1.0 / (2.0 * p.sigma * p.sigma);
  }

  double exact_d2(int64_t i, int64_t j) const {
    const T* a = p.x.ptr<T>() + i * p.x.stride_row;
    const T* b = p.x.ptr<T>() + j * p.x.stride_row;
    const int64_t sc = p.x.stride_col;
    return math::exact_sq_distance(
        d, [a, sc](int64_t k) { return a[k * sc]; }, [b, sc](int64_t k) { return b[k * sc]; });
  }

  // a_ij from the GEMM dot of centred rows i and j.
  double value(int64_t i, int64_t j, double dot) const {
    double d2 = 0.0;
    if (i != j) {
      d2 = math::sq_distance_from_dot(norm[i], norm[j], dot);
      if (d2 <= math::sq_distance_bound(norm[i], norm[j], d, unit)) d2 = exact_d2(i, j);
    }
    const double g = p.kernel == AffinityKernel::gaussian
                         ? math::gaussian_affinity(d2, inv_two_sigma_sq)
                         : math::self_tuning_affinity(d2, p.scales[i], p.scales[j]);
    const double s = p.row_scale ? p.row_scale[i] * p.row_scale[j] : 1.0;
    return p.prefactor * g * s;
  }

  // C [ti, tj] = xc[i0 : i0 + ti] xc[j0 : j0 + tj]^T
  void dots(int64_t i0, int64_t ti, int64_t j0, int64_t tj, T* c) const {
    gemm_abt(ti, tj, d, xc.data() + i0 * d, d, xc.data() + j0 * d, d, c, tj);
  }
};

// O: the output's element type (double, or float for dense32: values rounded once).
template <typename T, typename O>
void dense(const Prepared<T>& pr, O* out, int64_t tile, int threads) {
  const int64_t n = pr.n, nb = (n + tile - 1) / tile;
  // Upper-triangle tile pairs (bi <= bj), each written to both halves: the matrix is exactly
  // symmetric (LAPACK's eigh reads one triangle; a drift between the halves would be lost).
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (int64_t bi = 0; bi < nb; ++bi)
    for (int64_t bj = bi; bj < nb; ++bj) pairs.emplace_back(bi, bj);
  parallel_tiles(
      int64_t(pairs.size()), 1, threads, [&] { return std::vector<T>(size_t(tile * tile)); },
      [&](std::vector<T>& c, int64_t q, int64_t) {
        const auto [bi, bj] = pairs[size_t(q)];
        const int64_t i0 = bi * tile, j0 = bj * tile;
        const int64_t ti = std::min(tile, n - i0), tj = std::min(tile, n - j0);
        pr.dots(i0, ti, j0, tj, c.data());
        for (int64_t r = 0; r < ti; ++r) {
          const int64_t i = i0 + r;
          for (int64_t s = 0; s < tj; ++s) {
            const int64_t j = j0 + s;
            if (bi == bj && j < i) continue;  // the diagonal tile's lower half: mirrored
            const O a = O(pr.value(i, j, double(c[r * tj + s])));
            out[i * n + j] = a;
            out[j * n + i] = a;
          }
        }
      },
      [](std::vector<T>&) {});
}

// Row sums (v null, m = 1) or A V, one row tile per task, column tiles in a fixed order.
template <typename T>
void rows(const Prepared<T>& pr, int64_t tile, int threads) {
  const int64_t n = pr.n;
  const bool product = pr.p.output == AffinityOutput::product;
  const int64_t m = product ? pr.p.m : 1;
  const double* v = pr.p.v;
  double* out = pr.p.out;
  struct State {
    std::vector<T> c;
    std::vector<double> w, acc;
  };
  parallel_tiles(
      n, tile, threads,
      [&] {
        return State{std::vector<T>(size_t(tile * tile)),
                     std::vector<double>(product ? size_t(tile * tile) : 0),
                     std::vector<double>(size_t(tile * m))};
      },
      [&](State& st, int64_t i0, int64_t ti) {
        std::fill(st.acc.begin(), st.acc.end(), 0.0);
        for (int64_t j0 = 0; j0 < n; j0 += tile) {
          const int64_t tj = std::min(tile, n - j0);
          pr.dots(i0, ti, j0, tj, st.c.data());
          for (int64_t r = 0; r < ti; ++r) {
            const int64_t i = i0 + r;
            const T* crow = st.c.data() + r * tj;
            if (product) {
              double* wrow = st.w.data() + r * tj;
              for (int64_t s = 0; s < tj; ++s) wrow[s] = pr.value(i, j0 + s, double(crow[s]));
            } else {
              double sum = 0.0;
              for (int64_t s = 0; s < tj; ++s) sum += pr.value(i, j0 + s, double(crow[s]));
              st.acc[r] += sum;
            }
          }
          // acc [ti, m] += W [ti, tj] V[j0 : j0 + tj] [tj, m]
          if (product)
            gemm_ab(false, ti, m, tj, 1.0, st.w.data(), tj, v + j0 * m, m, 1.0, st.acc.data(), m);
        }
        std::copy(st.acc.begin(), st.acc.begin() + ti * m, out + i0 * m);
      },
      [](State&) {});
}

template <typename T>
void run(const AffinityParams& p) {
  const int64_t n = p.x.rows;
  const int64_t tile = std::clamp<int64_t>(p.tile_rows > 0 ? p.tile_rows : 256, 1, n);
  const int threads = p.num_threads;
  const Prepared<T> pr(p, threads);
  if (p.output == AffinityOutput::dense)
    dense(pr, p.out, tile, threads);
  else if (p.output == AffinityOutput::dense32)
    dense(pr, reinterpret_cast<float*>(p.out), tile, threads);
  else
    rows(pr, tile, threads);
}

}  // namespace

void affinity(const AffinityParams& p) {
  if (p.x.dtype == DType::float32)
    run<float>(p);
  else
    run<double>(p);
}

}  // namespace softent::cpu
