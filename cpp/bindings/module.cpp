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

int64_t py_soft_histogram(std::uintptr_t z, int64_t n, int64_t d, int64_t z_stride_row,
                       int64_t z_stride_col, int dtype, std::uintptr_t centres,
                       std::uintptr_t centre_sq, int64_t b, std::uintptr_t slots, int64_t n_sets,
                       std::uintptr_t hist, int64_t hist_rows, int metric,
                       double inv_temperature, int num_threads, int64_t tile_rows, int device,
                       std::uintptr_t stream) {
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
  p.hist = as_ptr<double>(hist);
  p.hist_rows = hist_rows;
  p.metric = static_cast<Metric>(metric);
  p.inv_temperature = inv_temperature;
  p.num_threads = num_threads;
  p.tile_rows = tile_rows;
  p.device = device;
  p.stream = stream;
  HistStatus status;
  {
    py::gil_scoped_release release;
    status = softent::soft_histogram(p);
  }
  return status.first_nonfinite_row;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "softent compiled kernels (use the Python API in softent, not this module)";
  cpu::use_single_threaded_blas();
  m.def("build_info", &build_info, "Build configuration: version, cuda, archs, openmp, threads.");
  m.def("soft_histogram", &py_soft_histogram, py::arg("z"), py::arg("n"), py::arg("d"),
        py::arg("z_stride_row"), py::arg("z_stride_col"), py::arg("dtype"), py::arg("centres"),
        py::arg("centre_sq"), py::arg("b"), py::arg("slots"), py::arg("n_sets"),
        py::arg("hist"), py::arg("hist_rows"), py::arg("metric"), py::arg("inv_temperature"),
        py::arg("num_threads"), py::arg("tile_rows"), py::arg("device"), py::arg("stream"),
        "Accumulate soft-bin histograms (see cpp/include/softent/problem.h). Returns the "
        "first row with non-finite scores, or -1.");
}
