// The parameters of the counting kernels of softent.discrete (samples of discrete codes ->
// histograms): one struct per op, filled by name in python/softent/discrete/_kernel.py,
// bound in cpp/bindings/bind_discrete.cpp, listed in python/softent/_core.pyi. Plain
// pointers and sizes: no framework types. Every pointer lives in the memory of x.device
// (-1: host, else that CUDA device) unless its comment says otherwise.
#pragma once

#include <cstdint>

namespace softent {

// Element type of an integer code array; the codes are CODE_TYPES in
// python/softent/discrete/_kernel.py (bool arrays are read as uint8).
enum class CodeType : int32_t {
  int8 = 0,
  int16 = 1,
  int32 = 2,
  int64 = 3,
  uint8 = 4,
  uint16 = 5,
  uint32 = 6,
  uint64 = 7
};

// A strided [rows, cols] integer array the counting kernels read: element (i, j) is at
// data + i * stride_row + j * stride_col elements. No ownership: the caller keeps it alive.
struct CodesView {
  const void* data = nullptr;
  int64_t rows = 0, cols = 0;
  int64_t stride_row = 1, stride_col = 1;  // in elements, not bytes
  CodeType dtype = CodeType::int64;
  int device = -1;  // -1: host memory, else the CUDA device index
};

// encode_rows: the mixed-radix code of every row of x (math/codes.h mixed_radix_code):
//   out[i] = (((x[i,0]) * radix[1] + x[i,1]) * radix[2] + ...) + x[i,m-1]
// Every x[i, j] must lie in [0, radix[j]) and the product of the radices must fit int64
// (the caller checks it). Returns the first row with a value outside its range, or -1
// (on CUDA: out of range rows give out[i] = -1 and the return value is -1; the Python
// caller has checked the ranges).
struct EncodeRowsParams {
  CodesView x;                     // [n, m] any CodeType, any element strides
  const int64_t* radix = nullptr;  // [m] int64, each >= 1: in x's memory
  int64_t* out = nullptr;          // [n] int64 contiguous, written
  int num_threads = 0;             // CPU: 0 = OpenMP default
  std::uintptr_t stream = 0;       // CUDA: the caller's cudaStream_t
};

// count_dense: the dense joint histogram of two code columns (or the histogram of one):
//   table[x_i * ky + y_i] += w_i,  counts_x[x_i] += w_i,  counts_y[y_i] += w_i
// for every row i (w_i = weights[i], or 1 without weights). Without y (y.data null), ky = 1
// and y_i = 0: table is the histogram of x. Counts are int64 without weights, float64 with.
// Every output is zeroed by the caller and added into (+=); an output pointer may be null
// (not wanted). y.dtype is x.dtype or int64. Throws std::invalid_argument naming the first
// row with a code outside [0, kx) x [0, ky) (CPU; on CUDA such rows are skipped).
struct CountParams {
  CodesView x;  // [n, 1] codes in [0, kx)
  CodesView y;  // [n, 1] codes in [0, ky), or data == null: none
  int64_t kx = 1, ky = 1;
  const double* weights = nullptr;  // [n] float64 contiguous, finite and >= 0; null: all 1
  void* table = nullptr;            // [kx * ky] int64 (no weights) / float64 (weights), +=
  void* counts_x = nullptr;         // [kx] same dtype, +=; null: not wanted
  void* counts_y = nullptr;         // [ky] same dtype, +=; null: not wanted
  int num_threads = 0;
  std::uintptr_t stream = 0;
};

// count_sparse: the occupied cells of the joint histogram of x and y, in O(n) memory
// independent of kx * ky: keys[u] (sorted ascending) are the distinct x_i * ky + y_i and
// values[u] their summed weights (int64 counts without weights, float64 with), u < U, where
// U is the return value; counts_x/counts_y as in count_dense (+=). keys and values have
// room for n entries (only the first U are meaningful). kx * ky must fit int64.
struct SparseCountParams {
  CodesView x;  // [n, 1] codes in [0, kx)
  CodesView y;  // [n, 1] codes in [0, ky), x.dtype or int64
  int64_t kx = 1, ky = 1;
  const double* weights = nullptr;  // [n] float64 or null
  int64_t* keys = nullptr;          // [n] int64, written (first U entries)
  void* values = nullptr;           // [n] int64 / float64, written (first U entries)
  void* counts_x = nullptr;         // [kx], +=; null: not wanted
  void* counts_y = nullptr;         // [ky], +=; null: not wanted
  int num_threads = 0;
  std::uintptr_t stream = 0;
};

// pair_tables: for every pair p of columns (a = pairs[2p], b = pairs[2p + 1]) the joint
// histogram of x[:, a] and y[:, b], in ONE pass over the rows:
//   tables[p, x[i, a], y[i, b]] += w_i
// tables is [n_pairs, ka, kb] (ka >= every sizes_x[a], kb >= every sizes_y[b]; cells beyond
// a column's size stay 0). y may be x itself (pair tables of one matrix) or another matrix
// (column tables against labels: y [n, 1], pairs (j, 0)). y.dtype is x.dtype or int64.
// Throws std::invalid_argument naming the first bad row and column (CPU; CUDA skips it).
struct PairTablesParams {
  CodesView x;                       // [n, mx] codes, column a in [0, sizes_x[a])
  CodesView y;                       // [n, my] codes, column b in [0, sizes_y[b])
  const int64_t* pairs = nullptr;    // [n_pairs, 2] int64 (a < mx, b < my), x's memory
  const int64_t* sizes_x = nullptr;  // [mx] int64 alphabet sizes, x's memory
  const int64_t* sizes_y = nullptr;  // [my] int64 alphabet sizes, x's memory
  int64_t n_pairs = 0;
  int64_t ka = 1, kb = 1;
  const double* weights = nullptr;  // [n] float64 or null
  void* tables = nullptr;           // [n_pairs, ka, kb] int64 / float64, zeroed, +=
  int num_threads = 0;
  std::uintptr_t stream = 0;
};

}  // namespace softent
