// Bindings of the partial information decomposition kernels of softent.pid: PidMassesParams,
// SxLocalParams and their two ops (cpp/include/softent/params/pid.h). Filled by
// python/softent/pid/_kernel.py only.
#include <pybind11/pybind11.h>

#include "bind.h"
#include "softent/ops.h"

namespace softent::bind {

namespace {

constexpr const char* kAdvice =
    "fewer outcomes (rows), fewer sources or a smaller row range (chunk) need less";

}  // namespace

void bind_pid(py::module_& m) {
  py::class_<PidMassesParams> pm(m, "PidMassesParams", "Parameters of pid_masses (params/pid.h).");
  pm.def(py::init<>())
      .def_readwrite("rows", &PidMassesParams::rows, "K outcomes")
      .def_readwrite("cols", &PidMassesParams::cols, "v = n + 1 variables")
      .def_readwrite("num_threads", &PidMassesParams::num_threads, "CPU: 0 = OpenMP default");
  def_address(pm, "codes", &PidMassesParams::codes, "[K, v] int64 address");
  def_address(pm, "probs", &PidMassesParams::probs, "[K] float64 address");
  def_address(pm, "sizes", &PidMassesParams::sizes, "[v] int64 address");
  def_address(pm, "masses", &PidMassesParams::masses, "[K, 2^v] float64 address, written");
  def_address(pm, "entropies", &PidMassesParams::entropies, "[2^v] float64 address (0: none)");

  py::class_<SxLocalParams> sx(m, "SxLocalParams", "Parameters of sx_local (params/pid.h).");
  sx.def(py::init<>())
      .def_readwrite("rows", &SxLocalParams::rows, "K outcomes")
      .def_readwrite("nodes", &SxLocalParams::nodes, "L lattice nodes")
      .def_readwrite("n_sources", &SxLocalParams::n_sources)
      .def_readwrite("n_targets", &SxLocalParams::n_targets)
      .def_readwrite("lo", &SxLocalParams::lo)
      .def_readwrite("hi", &SxLocalParams::hi)
      .def_readwrite("per_target", &SxLocalParams::per_target)
      .def_readwrite("device", &SxLocalParams::device, "-1: CPU, else the CUDA device")
      .def_readwrite("num_threads", &SxLocalParams::num_threads, "CPU: 0 = OpenMP default")
      .def_readwrite("stream", &SxLocalParams::stream, "CUDA: the caller's cudaStream_t");
  def_address(sx, "codes", &SxLocalParams::codes, "[K, n + 1] int64 address");
  def_address(sx, "probs", &SxLocalParams::probs, "[K] float64 address");
  def_address(sx, "masses", &SxLocalParams::masses, "[K, 2^(n+1)] float64 address");
  def_address(sx, "upsets", &SxLocalParams::upsets, "[L] uint64 address");
  def_address(sx, "sum_plus", &SxLocalParams::sum_plus, "[C, L] float64 address (0: none)");
  def_address(sx, "sum_minus", &SxLocalParams::sum_minus, "[C, L] float64 address (0: none)");
  def_address(sx, "local_plus", &SxLocalParams::local_plus,
              "[hi - lo, L] float64 address (0: none)");
  def_address(sx, "local_minus", &SxLocalParams::local_minus,
              "[hi - lo, L] float64 address (0: none)");

  m.def(
      "pid_masses",
      [](const PidMassesParams& p) {
        call_released("pid_masses", kAdvice, [&] { softent::pid_masses(p); });
      },
      py::arg("params"), "Every subset marginal of a pmf at each outcome, and their entropies.");
  m.def(
      "sx_local",
      [](const SxLocalParams& p) {
        call_released("sx_local", kAdvice, [&] { softent::sx_local(p); });
      },
      py::arg("params"), "SxPID's local redundancies of rows [lo, hi): sums and/or per row.");
}

}  // namespace softent::bind
