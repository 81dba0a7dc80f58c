// The work list of sx_local (params/pid.h), built on the host and shared by the CPU loops
// (cpu/pid.cpp) and the CUDA kernel (cuda/pid.cu): one item per distinct source outcome
// (i+) and one per row (i-) of the row range, with the weight, class and output rows each
// adds to; and the last step both backends share, turning raw sums of w ln P into the sums
// of i+ and i-.
// Runs on: the host.
#pragma once

#include <cstdint>
#include <vector>

#include "softent/params/pid.h"

namespace softent::cpu {

// One outcome's up-set sums and what they add to.
struct SxItem {
  int64_t row = 0;        // the row of masses read (its source marginals, or with its target)
  int64_t out_begin = 0;  // first output row (row - lo) of local_plus/local_minus
  int32_t out_count = 0;  // output rows written (the rows of one source outcome, for i+)
  int32_t part = 0;       // 0: i+ (masses[row, A]), 1: i- (masses[row, A | 2^n])
  int64_t cls = 0;        // the class (target code when per_target, else 0)
  double weight = 0.0;    // Σ probs of the rows it stands for
  double log_pt = 0.0;    // i-: ln p(t); i+: 0
};

struct SxPlan {
  std::vector<SxItem> items;
  std::vector<double> const_minus;   // [C]: Σ_{rows of class c} probs ln p(t)
  int64_t classes = 1;               // C
  bool plus = false, minus = false;  // which parts are wanted
  bool batched = false;              // no local outputs: items sorted by (part, class, weight)
};

// The items of p's row range [lo, hi), sorted by (part, class, weight, row) when batched.
SxPlan sx_plan(const SxLocalParams& p);

// sum_plus / sum_minus hold raw sums Σ w ln P per class and node: make them the sums of
// i+ = -ln P and i- = ln p(t) - ln P (math/pid.h sx_finalize_*), in place.
void sx_finalize(const SxLocalParams& p, const SxPlan& plan);

}  // namespace softent::cpu
