// The per-row math of the sorted 1-D kernels (params/knn.h sorted_1d), shared by the CPU loop
// (cpp/src/cpu/knn.cpp) and the CUDA kernels (cpp/src/cuda/knn.cu): on one column sorted
// ascending, the k-th nearest other value by a walk outwards, the k-th nearest in the
// max-norm of (x, y) by a walk in x order, and the rows within a radius by bisection.
//
// Distances are float64 differences of the values as stored (the exact distance of knn in
// one column). Subtraction in float64 is monotone, so along a sorted column the distance to
// a fixed value grows away from it on each side: walks and bisections need no other order.
// Accessors are callables: v(j) the j-th sorted value (float64), y(j) the partner value of
// the row at sorted position j.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "softent/hd.h"

namespace softent::math {

// The distance from the value at sorted position i of a column of len values to its kt-th
// nearest other value (1 <= kt <= len - 1): a walk outwards, the nearer side first (the left
// on a tie). The kt-th step's distance is the kt-th smallest.
template <typename V>
SOFTENT_HD double sorted_kth(V&& v, int64_t len, int64_t i, int64_t kt) {
  const double inf = std::numeric_limits<double>::infinity();
  const double vi = v(i);
  int64_t l = i - 1, r = i + 1;
  double dist = 0.0;
  for (int64_t step = 0; step < kt; ++step) {
    const double dl = l >= 0 ? vi - v(l) : inf;
    const double dr = r < len ? v(r) - vi : inf;
    if (dl <= dr) {
      dist = dl;
      --l;
    } else {
      dist = dr;
      ++r;
    }
  }
  return dist;
}

// The k-th smallest max(|dx|, |dy|) from the row at sorted position q of n rows to the
// others (1 <= k <= n - 1); best [k] is scratch. Walks outwards in x order keeping the k
// smallest joint distances; a side stops once its |dx| alone exceeds the current k-th.
template <typename V, typename Y>
SOFTENT_HD double sorted_joint_kth(V&& v, Y&& y, int64_t n, int64_t q, int64_t k, double* best) {
  const double vx = v(q), vy = y(q);
  int64_t cnt = 0;
  const auto offer = [&](double d) {
    if (cnt == k && !(d < best[cnt - 1])) return;
    int64_t pos = cnt == k ? cnt - 1 : cnt++;
    while (pos > 0 && best[pos - 1] > d) {
      best[pos] = best[pos - 1];
      --pos;
    }
    best[pos] = d;
  };
  int64_t l = q - 1, r = q + 1;
  bool go_l = l >= 0, go_r = r < n;
  while (go_l || go_r) {
    if (go_l) {
      const double dx = vx - v(l);
      if (cnt == k && dx > best[cnt - 1]) {
        go_l = false;
      } else {
        const double dy = std::fabs(vy - y(l));
        offer(dx > dy ? dx : dy);
        go_l = --l >= 0;
      }
    }
    if (go_r) {
      const double dx = v(r) - vx;
      if (cnt == k && dx > best[cnt - 1]) {
        go_r = false;
      } else {
        const double dy = std::fabs(vy - y(r));
        offer(dx > dy ? dx : dy);
        go_r = ++r < n;
      }
    }
  }
  return best[k - 1];
}

// #{j : |v(j) - v(q)| <= r} over the n sorted values, q itself included: the first position
// lo <= q with v(q) - v(lo) <= r and the last hi >= q with v(hi) - v(q) <= r, by bisection
// with the float64 difference itself as the predicate (exact).
template <typename V>
SOFTENT_HD int64_t sorted_count_within(V&& v, int64_t n, int64_t q, double r) {
  const double vq = v(q);
  int64_t a = 0, b = q;
  while (a < b) {
    const int64_t mid = a + (b - a) / 2;
    if (vq - v(mid) <= r)
      b = mid;
    else
      a = mid + 1;
  }
  const int64_t lo = a;
  a = q;
  b = n - 1;
  while (a < b) {
    const int64_t mid = b - (b - a) / 2;
    if (v(mid) - vq <= r)
      a = mid;
    else
      b = mid - 1;
  }
  return a - lo + 1;
}

// Dense codes of the groups of n positions (host memory), numbered in order of first
// appearance: code[t] of position t, whose group id group_of(t) is >= 0, each code's size,
// and start[c] = the first slot of code c when the positions are laid out group by group
// (start has one more entry: n). The grouped 1-D and kNN-count ops of both skeletons sort,
// search or count per group with them.
struct GroupCodes {
  std::vector<int64_t> code, size, start;
};

template <typename G>
inline GroupCodes dense_group_codes(int64_t n, G&& group_of) {
  GroupCodes out;
  out.code.resize(n);
  std::vector<int64_t> code_of;  // group id -> its code, -1 before it first appears
  for (int64_t t = 0; t < n; ++t) {
    const int64_t g = group_of(t);
    if (g >= int64_t(code_of.size())) code_of.resize(g + 1, -1);
    if (code_of[g] < 0) {
      code_of[g] = int64_t(out.size.size());
      out.size.push_back(0);
    }
    out.code[t] = code_of[g];
    ++out.size[code_of[g]];
  }
  out.start.assign(out.size.size() + 1, 0);
  for (size_t c = 0; c < out.size.size(); ++c) out.start[c + 1] = out.start[c] + out.size[c];
  return out;
}

}  // namespace softent::math
