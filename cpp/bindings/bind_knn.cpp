// Bindings of the nearest-neighbour kernels: KnnSpace, KnnParams, RadiusCountParams and the
// ops knn and radius_count (cpp/include/softent/params/knn.h). Filled by
// python/softent/knn/_kernel.py only.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bind.h"
#include "softent/ops.h"

namespace softent::bind {

namespace {

constexpr const char* kAdvice = "a smaller tile_rows or k needs less";

template <typename C>
void def_common(py::class_<C>& cls) {
  cls.def_readwrite("num_threads", &C::num_threads, "CPU: 0 = OpenMP default")
      .def_readwrite("tile_rows", &C::tile_rows, "rows per query tile; 0 = automatic")
      .def_readwrite("stream", &C::stream, "CUDA: the caller's cudaStream_t");
}

}  // namespace

void bind_knn(py::module_& m) {
  py::class_<KnnSpace> s(m, "KnnSpace", "The rows compared and their distance (params/knn.h).");
  s.def(py::init<>())
      .def_readwrite("x", &KnnSpace::x, "[n, d] float32/float64")
      .def_readwrite("n_rows", &KnnSpace::n_rows, "m, the number of rows ids (rows given)")
      .def_readwrite("n_blocks", &KnnSpace::n_blocks, "column blocks, 1..4")
      .def_readwrite("block_ends", &KnnSpace::block_ends, "[4] int64, increasing, last = d");
  def_address(s, "rows", &KnnSpace::rows, "[m] int64 address (0: every row)");
  def_code(s, "metric", &KnnSpace::metric, "0 euclidean, 1 chebyshev");

  py::class_<KnnParams> kp(m, "KnnParams", "Parameters of knn (params/knn.h).");
  kp.def(py::init<>())
      .def_readwrite("space", &KnnParams::space, "the rows and their distance")
      .def_readwrite("k", &KnnParams::k, "neighbours per row, in [1, m - 1]");
  def_address(kp, "distances", &KnnParams::distances, "[m, k] float64 address, written");
  def_address(kp, "indices", &KnnParams::indices, "[m, k] int64 address, written (0: none)");
  def_address(kp, "block_distances", &KnnParams::block_distances,
              "[m, k, n_blocks] float64 address, written (0: none)");
  def_common(kp);

  py::class_<RadiusCountParams> rp(m, "RadiusCountParams",
                                   "Parameters of radius_count (params/knn.h).");
  rp.def(py::init<>())
      .def_readwrite("space", &RadiusCountParams::space, "the rows and their distance")
      .def_readwrite("strict", &RadiusCountParams::strict, "count d < r (True) or d <= r")
      .def_readwrite("include_self", &RadiusCountParams::include_self, "count the row itself");
  def_address(rp, "radii", &RadiusCountParams::radii, "[m] float64 address");
  def_address(rp, "groups", &RadiusCountParams::groups, "[n] int64 address (0: no groups)");
  def_address(rp, "counts", &RadiusCountParams::counts, "[m] int64 address, written");
  def_common(rp);

  py::class_<KnnGroupCountParams> gp(m, "KnnGroupCountParams",
                                     "Parameters of knn_group_count (params/knn.h).");
  gp.def(py::init<>())
      .def_readwrite("space", &KnnGroupCountParams::space, "the rows and their distance")
      .def_readwrite("k", &KnnGroupCountParams::k, "neighbours within the group, >= 1")
      .def_readwrite("overall", &KnnGroupCountParams::overall,
                     "candidates of any group kept per row; 0 = automatic");
  def_address(gp, "groups", &KnnGroupCountParams::groups, "[n] int64 address (host)");
  def_address(gp, "radii", &KnnGroupCountParams::radii, "[m] float64 address, written");
  def_address(gp, "counts", &KnnGroupCountParams::counts, "[m] int64 address, written");
  def_common(gp);

  py::class_<Sorted1dParams> sp(m, "Sorted1dParams", "Parameters of sorted_1d (params/knn.h).");
  sp.def(py::init<>())
      .def_readwrite("x", &Sorted1dParams::x, "[n, f] float32/float64 columns")
      .def_readwrite("y", &Sorted1dParams::y, "[n, f] joint partner columns (data 0: none)")
      .def_readwrite("k", &Sorted1dParams::k, "k-th neighbour wanted (0: none)")
      .def_readwrite("num_threads", &Sorted1dParams::num_threads, "CPU: 0 = OpenMP default")
      .def_readwrite("stream", &Sorted1dParams::stream, "CUDA: the caller's cudaStream_t");
  def_address(sp, "groups", &Sorted1dParams::groups, "[n] int64 address (0: one group)");
  def_address(sp, "kth", &Sorted1dParams::kth, "[n, f] float64 address, written");
  def_address(sp, "radii", &Sorted1dParams::radii, "[n, f] float64 address (0: from kth)");
  def_address(sp, "counts", &Sorted1dParams::counts, "[n, f] int64 address, written (0: none)");

  m.def(
      "knn",
      [](const KnnParams& p) {
        return call_released("knn", kAdvice, [&] { return softent::knn(p); });
      },
      py::arg("params"),
      "The k nearest other rows of every row of params.space into params.distances and "
      "params.indices. Returns the rows measured exactly against every row.");
  m.def(
      "radius_count",
      [](const RadiusCountParams& p) {
        call_released("radius_count", kAdvice, [&] { softent::radius_count(p); });
      },
      py::arg("params"), "The number of rows within each row's radius into params.counts.");
  m.def(
      "knn_group_count",
      [](const KnnGroupCountParams& p) {
        return call_released("knn_group_count", kAdvice,
                             [&] { return softent::knn_group_count(p); });
      },
      py::arg("params"),
      "Each row's k-th neighbour distance within its group into params.radii and the rows of "
      "any group closer than it into params.counts, in one pass. Returns the rows counted "
      "again.");
  m.def(
      "sorted_1d",
      [](const Sorted1dParams& p) {
        call_released("sorted_1d", kAdvice, [&] { softent::sorted_1d(p); });
      },
      py::arg("params"),
      "k-th neighbour distances and radius counts of 1-D columns by sorting (params/knn.h).");
}

}  // namespace softent::bind
