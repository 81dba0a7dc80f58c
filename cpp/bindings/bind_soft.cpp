// Bindings of the soft-bin family: SoftHistParams, SoftHistGradParams and their two ops
// (cpp/include/softent/params/soft.h). Filled by python/softent/_kernel.py only.
#include <pybind11/pybind11.h>

#include "bind.h"
#include "softent/ops.h"

namespace softent::bind {

namespace {

// what a failed allocation in the soft kernels tells the user to shrink (call_released)
constexpr const char* kShrink = "fewer bins, num_threads or tile_rows need less";

}  // namespace

void bind_soft(py::module_& m) {
  py::class_<SoftHistParams> fwd(
      m, "SoftHistParams", "Parameters of soft_histogram (cpp/include/softent/params/soft.h).");
  fwd.def(py::init<>())
      .def_readwrite("z", &SoftHistParams::z, "[n, d] rows")
      .def_readwrite("centres", &SoftHistParams::centres, "[b, d] contiguous, z's dtype")
      .def_readwrite("n_sets", &SoftHistParams::n_sets)
      .def_readwrite("hist_rows", &SoftHistParams::hist_rows)
      .def_readwrite("replicates", &SoftHistParams::replicates)
      .def_readwrite("replicate_seed", &SoftHistParams::replicate_seed)
      .def_readwrite("row_offset", &SoftHistParams::row_offset)
      .def_readwrite("replicate_offset", &SoftHistParams::replicate_offset)
      .def_readwrite("inv_temperature", &SoftHistParams::inv_temperature)
      .def_readwrite("num_threads", &SoftHistParams::num_threads)
      .def_readwrite("tile_rows", &SoftHistParams::tile_rows)
      .def_readwrite("stream", &SoftHistParams::stream)
      .def_readwrite("perm_code_bytes", &SoftHistParams::perm_code_bytes)
      .def_readwrite("perm_sets", &SoftHistParams::perm_sets)
      .def_readwrite("permutations", &SoftHistParams::permutations)
      .def_readwrite("perm_internal", &SoftHistParams::perm_internal)
      .def_readwrite("perm_first_row", &SoftHistParams::perm_first_row)
      .def_readwrite("perm_block", &SoftHistParams::perm_block)
      .def_readwrite("perm_internal_stride", &SoftHistParams::perm_internal_stride);
  def_address(fwd, "perm_codes", &SoftHistParams::perm_codes,
              "[perm_sets, permutations, n / perm_internal] compact codes address (0: none)");
  def_address(fwd, "centre_sq", &SoftHistParams::centre_sq, "[b] float64 address");
  def_address(fwd, "origin", &SoftHistParams::origin,
              "[d] z's dtype address (0: none): rows read as z_i - origin");
  def_address(fwd, "slots", &SoftHistParams::slots, "[n_sets, n] int32 address (0: none)");
  def_address(fwd, "hist", &SoftHistParams::hist, "[(1+replicates) hist_rows, b] float64 address");
  def_address(fwd, "dots_out", &SoftHistParams::dots_out, "[n, b] z's dtype address (0: none)");
  def_code(fwd, "metric", &SoftHistParams::metric, "0 euclidean, 1 sqeuclidean, 2 cosine, 3 dot");

  py::class_<SoftHistGradParams> grad(
      m, "SoftHistGradParams",
      "Parameters of soft_histogram_backward (cpp/include/softent/params/soft.h).");
  grad.def(py::init<>()).def_readwrite("fwd", &SoftHistGradParams::fwd, "the forward's params");
  def_address(grad, "grad_hist", &SoftHistGradParams::grad_hist, "[hist_rows, b] float64");
  def_address(grad, "dots", &SoftHistGradParams::dots, "[n, b] kept by the forward (0: none)");
  def_address(grad, "grad_z", &SoftHistGradParams::grad_z, "[n, d] z's dtype (0: not needed)");
  def_address(grad, "grad_centres", &SoftHistGradParams::grad_centres, "[b, d] float64, +=");
  def_address(grad, "grad_centre_sq", &SoftHistGradParams::grad_centre_sq, "[b] float64, +=");
  def_address(grad, "grad_inv_temperature", &SoftHistGradParams::grad_inv_temperature,
              "[1] float64, +=");

  m.def(
      "soft_histogram",
      [](const SoftHistParams& p) {
        return call_released("soft_histogram", kShrink, [&] { return softent::soft_histogram(p); });
      },
      py::arg("params"),
      "Accumulate soft-bin histograms into params.hist. Returns the first row with non-finite "
      "scores, or -1.");
  py::class_<PermuteLabelsParams> perm(
      m, "PermuteLabelsParams",
      "Parameters of permute_labels (cpp/include/softent/params/soft.h).");
  perm.def(py::init<>())
      .def_readwrite("n", &PermuteLabelsParams::n)
      .def_readwrite("code_bytes", &PermuteLabelsParams::code_bytes)
      .def_readwrite("permutations", &PermuteLabelsParams::permutations)
      .def_readwrite("first_permutation", &PermuteLabelsParams::first_permutation)
      .def_readwrite("seed", &PermuteLabelsParams::seed)
      .def_readwrite("row_offset", &PermuteLabelsParams::row_offset)
      .def_readwrite("set_key", &PermuteLabelsParams::set_key)
      .def_readwrite("skip_code", &PermuteLabelsParams::skip_code)
      .def_readwrite("num_threads", &PermuteLabelsParams::num_threads);
  def_address(perm, "codes", &PermuteLabelsParams::codes, "[n] int32 host address");
  def_address(perm, "out", &PermuteLabelsParams::out, "[permutations, n] host address");
  m.def(
      "permute_labels",
      [](const PermuteLabelsParams& p) {
        call_released("permute_labels", kShrink, [&] { softent::permute_labels(p); });
      },
      py::arg("params"), "R permutations of the labelled codes into params.out.");
  m.def(
      "soft_histogram_backward",
      [](const SoftHistGradParams& g) {
        call_released("soft_histogram_backward", kShrink,
                      [&] { softent::soft_histogram_backward(g); });
      },
      py::arg("params"), "Backward of soft_histogram for the cotangent params.grad_hist.");
}

}  // namespace softent::bind
