//===- SQuant.cpp - SQuant data-free rounding -----------------------------===//

#include "quant-eval/Numerics/SQuant.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace quant_eval::numerics {

namespace {
enum class Direction { Up, Down };

/// The rounding state: values, errors (r - x) and the two candidate
/// priority tables (0 = not a candidate).
struct State {
  std::vector<double> r, e, up, down;

  void flip(int64_t i, Direction d) {
    double step = d == Direction::Up ? 1.0 : -1.0;
    r[i] += step;
    e[i] += step;
  }
  std::vector<double> &table(Direction d) {
    return d == Direction::Up ? up : down;
  }
};

/// The candidates among [begin, end), highest priority first, ties to the
/// lower index (the reference's sort is not stable; a compiler must be
/// deterministic).
std::vector<int64_t> order(const std::vector<double> &priority, int64_t begin,
                           int64_t end) {
  std::vector<int64_t> idx;
  for (int64_t i = begin; i < end; ++i)
    if (priority[i] > 0)
      idx.push_back(i);
  std::sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) {
    return priority[a] != priority[b] ? priority[a] > priority[b] : a < b;
  });
  return idx;
}

double errorSum(const State &s, int64_t begin, int64_t end) {
  return std::accumulate(s.e.begin() + begin, s.e.begin() + end, 0.0);
}

/// What balancing one kernel or channel did.
struct Balance {
  Direction dir;
  std::vector<int64_t> candidates; // in flipping order
  int64_t flipped;                 // the first `flipped` were flipped
  bool over;                       // |flips| >= |sum|: it overshot zero
};

/// Flips RNE(|sum|) candidates of [begin, end) in the direction that moves
/// the error sum towards zero.
Balance balance(State &s, int64_t begin, int64_t end) {
  Balance b;
  double sum = errorSum(s, begin, end);
  b.dir = sum < 0 ? Direction::Up : Direction::Down;
  b.candidates = order(s.table(b.dir), begin, end);
  auto need = static_cast<int64_t>(std::nearbyint(std::fabs(sum)));
  b.flipped = std::min<int64_t>(need, b.candidates.size());
  for (int64_t t = 0; t < b.flipped; ++t)
    s.flip(b.candidates[t], b.dir);
  b.over = static_cast<double>(b.flipped) >= std::fabs(sum);
  return b;
}
} // namespace

std::vector<int64_t> squantRound(const std::vector<double> &x, int64_t channels,
                                 int64_t inputs, int64_t k, QuantRange range,
                                 SQuantMode mode, SQuantStats *stats) {
  const int64_t n = channels * inputs * k;
  State s;
  s.r.resize(n);
  s.e.resize(n);
  s.up.assign(n, 0.0);
  s.down.assign(n, 0.0);
  const double qmin = static_cast<double>(range.qmin);
  const double qmax = static_cast<double>(range.qmax);
  for (int64_t i = 0; i < n; ++i) {
    s.r[i] = std::nearbyint(x[i]);
    s.e[i] = s.r[i] - x[i];
    // E == 0 is never a candidate; flips may not leave the range.
    if (s.e[i] < 0 && x[i] < qmax)
      s.up[i] = -s.e[i];
    if (s.e[i] > 0 && x[i] > qmin)
      s.down[i] = s.e[i];
  }

  if ((mode == SQuantMode::K || mode == SQuantMode::KC) && k > 1) {
    std::vector<double> nextUp(n, 0.0), nextDown(n, 0.0);
    for (int64_t kernel = 0; kernel < channels * inputs; ++kernel) {
      Balance b = balance(s, kernel * k, (kernel + 1) * k);
      if (stats)
        stats->kernelFlips += b.flipped;
      // The one marginal candidate this kernel offers the C stage: the undo
      // of its last flip if it overshot, else its next flip. A zero sum
      // (nothing flipped, "overshot" by 0) offers nothing; that is the
      // guard where the reference kernel reads index -1. A kernel that
      // flipped nothing but has a non-zero sum offers its first candidate
      // like any under-shooting kernel: without it, channels of small
      // kernel sums would keep errors above 1/2 (the CASE bound).
      Direction opposite =
          b.dir == Direction::Up ? Direction::Down : Direction::Up;
      if (b.over && b.flipped > 0) {
        // Undoing the last flip, at the priority of its new error.
        int64_t j = b.candidates[b.flipped - 1];
        (opposite == Direction::Up ? nextUp : nextDown)[j] = std::fabs(s.e[j]);
      } else if (b.flipped < static_cast<int64_t>(b.candidates.size())) {
        // Flipping one more, at its own priority.
        int64_t j = b.candidates[b.flipped];
        (b.dir == Direction::Up ? nextUp : nextDown)[j] = s.table(b.dir)[j];
      }
    }
    s.up = std::move(nextUp);
    s.down = std::move(nextDown);
  }

  if (mode == SQuantMode::C || mode == SQuantMode::KC) {
    const int64_t perChannel = inputs * k;
    for (int64_t ch = 0; ch < channels; ++ch) {
      Balance b = balance(s, ch * perChannel, (ch + 1) * perChannel);
      if (stats)
        stats->channelFlips += b.flipped;
    }
  }

  std::vector<int64_t> q(n);
  for (int64_t i = 0; i < n; ++i)
    q[i] = static_cast<int64_t>(std::clamp(s.r[i], qmin, qmax));
  return q;
}

} // namespace quant_eval::numerics
