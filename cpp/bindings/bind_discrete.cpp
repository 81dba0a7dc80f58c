// Bindings of the counting kernels of softent.discrete: CodesView, EncodeRowsParams,
// CountParams, SparseCountParams, PairTablesParams and their four ops
// (cpp/include/softent/params/discrete.h). Filled by python/softent/discrete/_kernel.py only.
#include <pybind11/pybind11.h>

#include "bind.h"
#include "softent/ops.h"

namespace softent::bind {

namespace {

constexpr const char* kAdvice = "fewer rows, smaller alphabets or num_threads need less";

template <typename C>
void def_common(py::class_<C>& cls) {
  cls.def_readwrite("num_threads", &C::num_threads, "CPU: 0 = OpenMP default")
      .def_readwrite("stream", &C::stream, "CUDA: the caller's cudaStream_t");
}

}  // namespace

void bind_discrete(py::module_& m) {
  py::class_<CodesView> v(m, "CodesView",
                          "A strided [rows, cols] integer code array (params/discrete.h).");
  v.def(py::init<>())
      .def_readwrite("rows", &CodesView::rows)
      .def_readwrite("cols", &CodesView::cols)
      .def_readwrite("stride_row", &CodesView::stride_row, "in elements")
      .def_readwrite("stride_col", &CodesView::stride_col, "in elements")
      .def_readwrite("device", &CodesView::device, "-1: host memory, else the CUDA device");
  def_address(v, "data", &CodesView::data, "address of element (0, 0)");
  def_code(v, "dtype", &CodesView::dtype, "0..3 int8..int64, 4..7 uint8..uint64");

  py::class_<EncodeRowsParams> enc(m, "EncodeRowsParams",
                                   "Parameters of encode_rows (params/discrete.h).");
  enc.def(py::init<>()).def_readwrite("x", &EncodeRowsParams::x, "[n, m] codes");
  def_address(enc, "radix", &EncodeRowsParams::radix, "[m] int64 address");
  def_address(enc, "out", &EncodeRowsParams::out, "[n] int64 address");
  def_common(enc);

  py::class_<CountParams> cnt(m, "CountParams", "Parameters of count_dense (params/discrete.h).");
  cnt.def(py::init<>())
      .def_readwrite("x", &CountParams::x, "[n, 1] codes in [0, kx)")
      .def_readwrite("y", &CountParams::y, "[n, 1] codes in [0, ky), or data 0: none")
      .def_readwrite("kx", &CountParams::kx)
      .def_readwrite("ky", &CountParams::ky);
  def_address(cnt, "weights", &CountParams::weights, "[n] float64 address (0: none)");
  def_address(cnt, "table", &CountParams::table, "[kx * ky] int64/float64 address, +=");
  def_address(cnt, "counts_x", &CountParams::counts_x, "[kx] address, += (0: none)");
  def_address(cnt, "counts_y", &CountParams::counts_y, "[ky] address, += (0: none)");
  def_common(cnt);

  py::class_<SparseCountParams> sp(m, "SparseCountParams",
                                   "Parameters of count_sparse (params/discrete.h).");
  sp.def(py::init<>())
      .def_readwrite("x", &SparseCountParams::x, "[n, 1] codes in [0, kx)")
      .def_readwrite("y", &SparseCountParams::y, "[n, 1] codes in [0, ky)")
      .def_readwrite("kx", &SparseCountParams::kx)
      .def_readwrite("ky", &SparseCountParams::ky);
  def_address(sp, "weights", &SparseCountParams::weights, "[n] float64 address (0: none)");
  def_address(sp, "keys", &SparseCountParams::keys, "[n] int64 address, written");
  def_address(sp, "values", &SparseCountParams::values, "[n] int64/float64 address, written");
  def_address(sp, "counts_x", &SparseCountParams::counts_x, "[kx] address, += (0: none)");
  def_address(sp, "counts_y", &SparseCountParams::counts_y, "[ky] address, += (0: none)");
  def_common(sp);

  py::class_<PairTablesParams> pt(m, "PairTablesParams",
                                  "Parameters of pair_tables (params/discrete.h).");
  pt.def(py::init<>())
      .def_readwrite("x", &PairTablesParams::x, "[n, mx] codes")
      .def_readwrite("y", &PairTablesParams::y, "[n, my] codes")
      .def_readwrite("n_pairs", &PairTablesParams::n_pairs)
      .def_readwrite("ka", &PairTablesParams::ka)
      .def_readwrite("kb", &PairTablesParams::kb);
  def_address(pt, "pairs", &PairTablesParams::pairs, "[n_pairs, 2] int64 address");
  def_address(pt, "sizes_x", &PairTablesParams::sizes_x, "[mx] int64 address");
  def_address(pt, "sizes_y", &PairTablesParams::sizes_y, "[my] int64 address");
  def_address(pt, "weights", &PairTablesParams::weights, "[n] float64 address (0: none)");
  def_address(pt, "tables", &PairTablesParams::tables, "[n_pairs, ka, kb] address, +=");
  def_common(pt);

  m.def(
      "encode_rows",
      [](const EncodeRowsParams& p) {
        return call_released("encode_rows", kAdvice, [&] { return softent::encode_rows(p); });
      },
      py::arg("params"),
      "Mixed-radix codes of the rows of params.x into params.out. Returns the first row out "
      "of range, or -1.");
  m.def(
      "count_dense",
      [](const CountParams& p) {
        call_released("count_dense", kAdvice, [&] { softent::count_dense(p); });
      },
      py::arg("params"), "Add the dense joint histogram (and marginals) of params.x, params.y.");
  m.def(
      "count_sparse",
      [](const SparseCountParams& p) {
        return call_released("count_sparse", kAdvice, [&] { return softent::count_sparse(p); });
      },
      py::arg("params"),
      "Occupied joint cells of params.x, params.y (sorted keys, values). Returns their number.");
  m.def(
      "pair_tables",
      [](const PairTablesParams& p) {
        call_released("pair_tables", kAdvice, [&] { softent::pair_tables(p); });
      },
      py::arg("params"), "Add the joint tables of the column pairs params.pairs in one pass.");
}

}  // namespace softent::bind
