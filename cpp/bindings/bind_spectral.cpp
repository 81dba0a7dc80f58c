// Bindings of the spectral affinity kernel: AffinityParams and the op affinity
// (cpp/include/softent/params/spectral.h). Filled by python/softent/spectral/_kernel.py only.
// And of the dense symmetric eigensolve: SymmetricEigenvaluesParams and the op
// symmetric_eigenvalues (params/eigen.h), filled by python/softent/spectral/_blas.py only.
#include <pybind11/pybind11.h>

#include "bind.h"
#include "softent/ops.h"

namespace softent::bind {

void bind_spectral(py::module_& m) {
  py::class_<AffinityParams> ap(m, "AffinityParams", "Parameters of affinity (params/spectral.h).");
  ap.def(py::init<>())
      .def_readwrite("x", &AffinityParams::x, "[n, d] float32/float64")
      .def_readwrite("sigma", &AffinityParams::sigma, "gaussian bandwidth, > 0")
      .def_readwrite("prefactor", &AffinityParams::prefactor, "every kernel value times this")
      .def_readwrite("m", &AffinityParams::m, "product: columns of v")
      .def_readwrite("num_threads", &AffinityParams::num_threads, "CPU: 0 = OpenMP default")
      .def_readwrite("tile_rows", &AffinityParams::tile_rows, "rows per tile; 0 = automatic")
      .def_readwrite("stream", &AffinityParams::stream, "CUDA: the caller's cudaStream_t");
  def_code(ap, "kernel", &AffinityParams::kernel, "0 gaussian, 1 self_tuning");
  def_code(ap, "output", &AffinityParams::output, "0 degrees, 1 dense, 2 product, 3 dense32");
  def_address(ap, "scales", &AffinityParams::scales, "[n] float64 address (self_tuning)");
  def_address(ap, "row_scale", &AffinityParams::row_scale, "[n] float64 address (0: all 1)");
  def_address(ap, "out", &AffinityParams::out,
              "[n] / [n, n] / [n, m] float64 (dense32 float32), written");
  def_address(ap, "v", &AffinityParams::v, "[n, m] float64 address (product)");

  m.def(
      "affinity",
      [](const AffinityParams& p) {
        call_released("affinity", "a smaller tile_rows needs less", [&] { softent::affinity(p); });
      },
      py::arg("params"),
      "Kernel affinities of the rows of params.x: row sums, the dense matrix or the product "
      "with params.v, into params.out (params/spectral.h).");

  py::class_<SymmetricEigenvaluesParams> ep(
      m, "SymmetricEigenvaluesParams", "Parameters of symmetric_eigenvalues (params/eigen.h).");
  ep.def(py::init<>())
      .def_readwrite("n", &SymmetricEigenvaluesParams::n, "rows = columns of a, >= 1")
      .def_readwrite("num_threads", &SymmetricEigenvaluesParams::num_threads,
                     "OpenBLAS threads for the call; 0 = leave the count as it is");
  def_address(ep, "a", &SymmetricEigenvaluesParams::a,
              "[n, n] float64 contiguous symmetric address, overwritten");
  def_address(ep, "w", &SymmetricEigenvaluesParams::w, "[n] float64 address, written ascending");

  m.def(
      "symmetric_eigenvalues",
      [](const SymmetricEigenvaluesParams& p) {
        call_released("symmetric_eigenvalues", "LAPACK's workspace is O(n * block)",
                      [&] { softent::symmetric_eigenvalues(p); });
      },
      py::arg("params"),
      "Every eigenvalue of the symmetric float64 matrix params.a (destroyed) into params.w, "
      "ascending, by LAPACK dsyevd_2stage on params.num_threads OpenBLAS threads "
      "(params/eigen.h).");
}

}  // namespace softent::bind
