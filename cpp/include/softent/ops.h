// Index of every entry point of the softent kernel library, with shapes (the bindings in
// cpp/bindings/ call only these). Each op takes one params struct (params/<family>.h);
// softent::<op> validates and routes to softent::cpu::<op> or softent::cuda::<op>.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "softent/params/discrete.h"
#include "softent/params/eigen.h"
#include "softent/params/knn.h"
#include "softent/params/pid.h"
#include "softent/params/soft.h"
#include "softent/params/spectral.h"
#include "softent/types.h"

namespace softent {

// ---- soft bins (params/soft.h) -------------------------------------------------------
// z [n, d], centres [b, d], centre_sq [b], slots [n_sets, n] -> hist [(1+R) hist_rows, b] +=
// Returns the first row whose scores are not finite (NaN/Inf in z), or -1.
int64_t soft_histogram(const SoftHistParams& p);
// grad_hist [hist_rows, b] -> grad_z [n, d], grad_centres [b, d] +=, grad_centre_sq [b] +=,
// grad_inv_temperature [1] +=
void soft_histogram_backward(const SoftHistGradParams& g);
// codes [n] int32 (-1 masked) -> out [permutations, n] compact permuted codes (host memory)
void permute_labels(const PermuteLabelsParams& p);

// ---- counting codes (params/discrete.h) -------------------------------------------------
// x [n, m] integer codes, radix [m] -> out [n] int64 mixed-radix codes. Returns the first
// row with a value outside its column's range, or -1.
int64_t encode_rows(const EncodeRowsParams& p);
// x [n], y [n] (optional) codes -> table [kx * ky], counts_x [kx], counts_y [ky] +=
void count_dense(const CountParams& p);
// x [n], y [n] codes -> keys [U] sorted, values [U] (first U of n entries), counts_x,
// counts_y +=. Returns U, the number of occupied joint cells.
int64_t count_sparse(const SparseCountParams& p);
// x [n, mx], y [n, my] codes, pairs [P, 2] -> tables [P, ka, kb] +=
void pair_tables(const PairTablesParams& p);

// ---- partial information decomposition (params/pid.h) ---------------------------------------
// codes [K, v], probs [K], sizes [v] -> masses [K, 2^v] (every subset marginal at every
// outcome), entropies [2^v] nats
void pid_masses(const PidMassesParams& p);
// codes [K, n + 1], probs [K], masses [K, 2^(n+1)], upsets [L] -> sum_plus, sum_minus [C, L],
// local_plus, local_minus [hi - lo, L]: SxPID's local redundancies of rows [lo, hi)
void sx_local(const SxLocalParams& p);

// ---- library ---------------------------------------------------------------------------
// Once, when the module loads: BLAS runs one thread per OpenMP thread (no oversubscription).
void initialize();

// ---- interrupts --------------------------------------------------------------------------
// A function the CPU ops call between tiles, from the calling thread only and at most every
// ~50 ms; when it returns true the op stops and throws Interrupted (its outputs are then
// partial: discard them). The bindings install one that runs Python's signal handlers, so
// Ctrl-C stops a kernel. Null (the default): never interrupted.
using InterruptPoll = bool (*)();
void set_interrupt_poll(InterruptPoll poll);

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("softent: interrupted") {}
};

// ---- nearest neighbours (params/knn.h) ---------------------------------------------------
// space.x [n, d] (rows [m] or all) -> distances [m, k] float64, indices [m, k] int64 (row
// ids), ordered by (exact distance, position). Returns the rows measured against every row
// because their screen could not certify the k-th neighbour (a diagnostic).
int64_t knn(const KnnParams& p);
// space.x [n, d], radii [m], groups [n] (optional) -> counts [m] int64 of the rows within
// each row's radius (strict or not), in its group.
void radius_count(const RadiusCountParams& p);
// space.x [n, d], groups [n] -> radii [m] (k-th neighbour within the group), counts [m] (rows
// of any group within that radius): CPU in one pass over the pairs, CUDA as knn per group then
// radius_count. Returns the rows counted in a second pass (a diagnostic; 0 on CUDA).
int64_t knn_group_count(const KnnGroupCountParams& p);
// f 1-D columns -> k-th neighbour distances and/or radius counts by sorting (CPU or CUDA).
void sorted_1d(const Sorted1dParams& p);

// ---- spectral affinities (params/spectral.h) ----------------------------------------------
// x [n, d], scales [n] (self_tuning), row_scale [n] (optional), v [n, m] (product) ->
// out: degrees [n] | dense [n, n] | product [n, m] float64 of a_ij = s_i g(x_i, x_j) s_j
void affinity(const AffinityParams& p);
// a [n, n] symmetric float64 (host, overwritten) -> w [n] its eigenvalues ascending, by
// LAPACK dsyevd_2stage on p.num_threads OpenBLAS threads (params/eigen.h). Host only: no
// CUDA route (a CUDA tensor's spectrum is cuSOLVER's, through torch).
void symmetric_eigenvalues(const SymmetricEigenvaluesParams& p);

namespace cpu {
void affinity(const AffinityParams& p);
}  // namespace cpu

namespace cuda {
void affinity(const AffinityParams& p);
}  // namespace cuda

namespace cpu {
int64_t knn(const KnnParams& p);
void radius_count(const RadiusCountParams& p);
int64_t knn_group_count(const KnnGroupCountParams& p);
void sorted_1d(const Sorted1dParams& p);
}  // namespace cpu

namespace cuda {
int64_t knn(const KnnParams& p);
void radius_count(const RadiusCountParams& p);
int64_t knn_group_count(const KnnGroupCountParams& p);
void sorted_1d(const Sorted1dParams& p);
// The row ids space.rows [n_rows] (in the space's device memory) copied to the host.
std::vector<int64_t> knn_rows_to_host(const KnnSpace& space);
}  // namespace cuda

namespace cpu {
int64_t encode_rows(const EncodeRowsParams& p);
void count_dense(const CountParams& p);
int64_t count_sparse(const SparseCountParams& p);
void pair_tables(const PairTablesParams& p);
int64_t soft_histogram(const SoftHistParams& p);
void soft_histogram_backward(const SoftHistGradParams& g);
void permute_labels(const PermuteLabelsParams& p);
// pid (params/pid.h)
void pid_masses(const PidMassesParams& p);
void sx_local(const SxLocalParams& p);
}  // namespace cpu

namespace cuda {
bool available();  // a driver and at least one device are present
int device_count();
const char* runtime_version();  // "13.0" or "" when built without CUDA
int64_t encode_rows(const EncodeRowsParams& p);
void count_dense(const CountParams& p);
int64_t count_sparse(const SparseCountParams& p);
void pair_tables(const PairTablesParams& p);
int64_t soft_histogram(const SoftHistParams& p);
void soft_histogram_backward(const SoftHistGradParams& g);
void permute_labels(const PermuteLabelsParams& p);
// pid (params/pid.h): host pointers; copies to p.device and back
void sx_local(const SxLocalParams& p);
}  // namespace cuda

}  // namespace softent
