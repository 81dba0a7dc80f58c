// pybind11 module softent._core: binds View2D and each op's params struct (filled by
// python/softent/_kernel.py from the array handles of python/softent/_interop.py) and the
// ops, which release the GIL and go through softent/ops.h. No torch headers here.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "bind.h"
#include "softent/ops.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace py = pybind11;
using namespace softent;

namespace {

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

// The interrupt poll of the CPU ops (ops.h set_interrupt_poll), called from the thread that
// released the GIL for the op: take the GIL back briefly and run Python's signal handlers;
// true when one raised (KeyboardInterrupt stays set for the binding to raise).
bool poll_python_signals() {
  const PyGILState_STATE gil = PyGILState_Ensure();
  const bool raised = PyErr_CheckSignals() != 0;
  PyGILState_Release(gil);
  return raised;
}

void bind_view(py::module_& m) {
  py::class_<View2D> v(m, "View2D",
                       "A strided [rows, cols] float array (cpp/include/softent/types.h).");
  v.def(py::init<>())
      .def_readwrite("rows", &View2D::rows)
      .def_readwrite("cols", &View2D::cols)
      .def_readwrite("stride_row", &View2D::stride_row, "in elements")
      .def_readwrite("stride_col", &View2D::stride_col, "in elements")
      .def_readwrite("device", &View2D::device, "-1: host memory, else the CUDA device");
  bind::def_address(v, "data", &View2D::data, "address of element (0, 0)");
  bind::def_code(v, "dtype", &View2D::dtype, "0 float32, 1 float64");
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "softent compiled kernels (use the Python API in softent, not this module)";
  softent::initialize();
  softent::set_interrupt_poll(&poll_python_signals);
  m.def("build_info", &build_info, "Build configuration: version, cuda, archs, openmp, threads.");
  bind_view(m);
  bind::bind_soft(m);
  bind::bind_discrete(m);
  bind::bind_knn(m);       // nearest neighbours
  bind::bind_pid(m);       // partial information decomposition
  bind::bind_spectral(m);  // spectral affinities
}
