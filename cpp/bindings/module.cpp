// pybind11 module softent._core: receives array descriptors (pointer, shape, strides,
// dtype, device, stream) made by python/softent/_interop.py, releases the GIL, dispatches.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "softent/cpu_gemm.h"
#include "softent/problem.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace py = pybind11;
using namespace softent;

namespace {

template <typename P>
P* as_ptr(std::uintptr_t address) {
  return reinterpret_cast<P*>(address);
}

py::dict build_info() {
  py::dict info;
  info["version"] = SOFTENT_VERSION;
  info["cuda"] = bool(SOFTENT_WITH_CUDA);
  info["cuda_archs"] = std::string(SOFTENT_WITH_CUDA ? SOFTENT_CUDA_ARCHS : "");
  info["cuda_runtime"] = std::string(cuda::runtime_version());
  info["cuda_available"] = cuda::available();
  info["cuda_device_count"] = cuda::device_count();
#ifdef _OPENMP
  info["openmp"] = true;
  info["threads"] = omp_get_max_threads();
#else
  info["openmp"] = false;
  info["threads"] = 1;
#endif
  info["blas"] = std::string("scipy-openblas32");
  return info;
}

HistProblem make_problem(std::uintptr_t z, int64_t n, int64_t d, int64_t z_stride_row,
                         int64_t z_stride_col, int dtype, std::uintptr_t centres,
                         std::uintptr_t centre_sq, int64_t b, std::uintptr_t slots, int64_t n_sets,
                         int64_t hist_rows, int metric, double inv_temperature, int num_threads,
                         int64_t tile_rows, int device, std::uintptr_t stream) {
  if (dtype != 0 && dtype != 1)
    throw py::type_error("softent._core.soft_histogram: dtype must be 0 (float32) or 1 (float64)");
  HistProblem p;
  p.z = as_ptr<const void>(z);
  p.n = n;
  p.d = d;
  p.z_stride_row = z_stride_row;
  p.z_stride_col = z_stride_col;
  p.dtype = static_cast<DType>(dtype);
  p.centres = as_ptr<const void>(centres);
  p.centre_sq = as_ptr<const double>(centre_sq);
  p.b = b;
  p.slots = as_ptr<const int32_t>(slots);
  p.n_sets = n_sets;
  p.hist_rows = hist_rows;
  p.metric = static_cast<Metric>(metric);
  p.inv_temperature = inv_temperature;
  p.num_threads = num_threads;
  p.tile_rows = tile_rows;
  p.device = device;
  p.stream = stream;
  return p;
}

int64_t py_soft_histogram(std::uintptr_t z, int64_t n, int64_t d, int64_t z_stride_row,
                          int64_t z_stride_col, int dtype, std::uintptr_t centres,
                          std::uintptr_t centre_sq, int64_t b, std::uintptr_t slots, int64_t n_sets,
                          std::uintptr_t hist, int64_t hist_rows, int metric,
                          double inv_temperature, int num_threads, int64_t tile_rows, int device,
                          std::uintptr_t stream, int64_t replicates, uint64_t replicate_seed,
                          int64_t row_offset, int64_t replicate_offset, std::uintptr_t dots_out) {
  HistProblem p =
      make_problem(z, n, d, z_stride_row, z_stride_col, dtype, centres, centre_sq, b, slots, n_sets,
                   hist_rows, metric, inv_temperature, num_threads, tile_rows, device, stream);
  p.hist = as_ptr<double>(hist);
  p.replicates = replicates;
  p.replicate_seed = replicate_seed;
  p.row_offset = row_offset;
  p.replicate_offset = replicate_offset;
  p.dots_out = as_ptr<void>(dots_out);
  HistStatus status;
  {
    py::gil_scoped_release release;
    status = softent::soft_histogram(p);
  }
  return status.first_nonfinite_row;
}

void py_soft_histogram_backward(std::uintptr_t z, int64_t n, int64_t d, int64_t z_stride_row,
                                int64_t z_stride_col, int dtype, std::uintptr_t centres,
                                std::uintptr_t centre_sq, int64_t b, std::uintptr_t slots,
                                int64_t n_sets, int64_t hist_rows, int metric,
                                double inv_temperature, int num_threads, int64_t tile_rows,
                                int device, std::uintptr_t stream, std::uintptr_t grad_hist,
                                std::uintptr_t grad_z, std::uintptr_t grad_centres,
                                std::uintptr_t grad_centre_sq, std::uintptr_t grad_inv_temperature,
                                std::uintptr_t dots) {
  HistGradProblem g;
  g.fwd =
      make_problem(z, n, d, z_stride_row, z_stride_col, dtype, centres, centre_sq, b, slots, n_sets,
                   hist_rows, metric, inv_temperature, num_threads, tile_rows, device, stream);
  g.grad_hist = as_ptr<const double>(grad_hist);
  g.grad_z = as_ptr<void>(grad_z);
  g.grad_centres = as_ptr<double>(grad_centres);
  g.grad_centre_sq = as_ptr<double>(grad_centre_sq);
  g.grad_inv_temperature = as_ptr<double>(grad_inv_temperature);
  g.dots = as_ptr<const void>(dots);
  py::gil_scoped_release release;
  softent::soft_histogram_backward(g);
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "softent compiled kernels (use the Python API in softent, not this module)";
  cpu::use_single_threaded_blas();
  m.def("build_info", &build_info, "Build configuration: version, cuda, archs, openmp, threads.");
  m.def("soft_histogram", &py_soft_histogram, py::arg("z"), py::arg("n"), py::arg("d"),
        py::arg("z_stride_row"), py::arg("z_stride_col"), py::arg("dtype"), py::arg("centres"),
        py::arg("centre_sq"), py::arg("b"), py::arg("slots"), py::arg("n_sets"), py::arg("hist"),
        py::arg("hist_rows"), py::arg("metric"), py::arg("inv_temperature"), py::arg("num_threads"),
        py::arg("tile_rows"), py::arg("device"), py::arg("stream"), py::arg("replicates") = 0,
        py::arg("replicate_seed") = 0, py::arg("row_offset") = 0, py::arg("replicate_offset") = 0,
        py::arg("dots_out") = 0,
        "Accumulate soft-bin histograms (see cpp/include/softent/problem.h). Returns the "
        "first row with non-finite scores, or -1.");
  m.def("soft_histogram_backward", &py_soft_histogram_backward, py::arg("z"), py::arg("n"),
        py::arg("d"), py::arg("z_stride_row"), py::arg("z_stride_col"), py::arg("dtype"),
        py::arg("centres"), py::arg("centre_sq"), py::arg("b"), py::arg("slots"), py::arg("n_sets"),
        py::arg("hist_rows"), py::arg("metric"), py::arg("inv_temperature"), py::arg("num_threads"),
        py::arg("tile_rows"), py::arg("device"), py::arg("stream"), py::arg("grad_hist"),
        py::arg("grad_z"), py::arg("grad_centres"), py::arg("grad_centre_sq"),
        py::arg("grad_inv_temperature"), py::arg("dots") = 0,
        "Backward of soft_histogram for the cotangent grad_hist (see HistGradProblem in "
        "cpp/include/softent/problem.h); pointers of 0 mark gradients not wanted.");
}
