//===- SQuant.cpp - SQuant data-free rounding -----------------------------===//
//
// Both flipping stages work within one output channel, so channels are
// rounded one at a time in scratch buffers of inputs x k elements: that
// keeps the working set in cache for layers of millions of weights.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Numerics/SQuant.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace quant_eval::numerics {

namespace {
enum class Direction { Up, Down };

/// A candidate flip: element, direction and priority (|E| at the time the
/// candidate tables were made).
struct Candidate {
  int64_t index;
  Direction dir;
  double priority;
};

/// Scratch buffers of one channel, reused across channels. Only the errors
/// are stored: values are x + e, and a candidate's priority follows from
/// the error it had when the tables were made, so no tables are stored.
struct Channel {
  std::vector<double> e;
  std::vector<Candidate> order, marginal;
};

/// Highest priority first, ties to the lower index (the reference's sort is
/// not stable; a compiler must be deterministic).
bool before(const Candidate &a, const Candidate &b) {
  return a.priority != b.priority ? a.priority > b.priority : a.index < b.index;
}

/// Flips RNE(|sum|) of `candidates` (all in the direction that moves the
/// error sum towards zero) and reports how many it flipped and whether it
/// overshot. `candidates` comes back ordered up to the first unflipped one.
struct Balance {
  Direction dir;
  int64_t flipped;
  bool over;
};
Balance flipTowardsZero(std::vector<double> &e, double sum,
                        std::vector<Candidate> &candidates) {
  Balance b;
  b.dir = sum < 0 ? Direction::Up : Direction::Down;
  auto need = static_cast<int64_t>(std::nearbyint(std::fabs(sum)));
  int64_t available = static_cast<int64_t>(candidates.size());
  b.flipped = std::min(need, available);
  int64_t prefix = std::min(b.flipped + 1, available);
  std::partial_sort(candidates.begin(), candidates.begin() + prefix,
                    candidates.end(), before);
  double step = b.dir == Direction::Up ? 1.0 : -1.0;
  for (int64_t t = 0; t < b.flipped; ++t)
    e[candidates[t].index] += step;
  b.over = static_cast<double>(b.flipped) >= std::fabs(sum);
  return b;
}

void roundChannel(Channel &c, const double *x, int64_t inputs, int64_t k,
                  double qmin, double qmax, SQuantMode mode, int64_t *q,
                  SQuantStats *stats) {
  const int64_t n = inputs * k;
  if (mode == SQuantMode::E) {
    for (int64_t i = 0; i < n; ++i)
      q[i] = static_cast<int64_t>(std::clamp(std::nearbyint(x[i]), qmin, qmax));
    return;
  }
  c.e.resize(n);
  for (int64_t i = 0; i < n; ++i)
    c.e[i] = std::nearbyint(x[i]) - x[i];
  // The candidate of element i in direction d, from the initial errors: up
  // when E < 0 and x < qmax, down when E > 0 and x > qmin (E == 0 never).
  auto initial = [&](int64_t i, Direction d) -> std::optional<Candidate> {
    double e = c.e[i];
    if (d == Direction::Up && e < 0 && x[i] < qmax)
      return Candidate{i, d, -e};
    if (d == Direction::Down && e > 0 && x[i] > qmin)
      return Candidate{i, d, e};
    return std::nullopt;
  };
  auto errorSum = [&](int64_t begin, int64_t end) {
    double sum = 0;
    for (int64_t i = begin; i < end; ++i)
      sum += c.e[i];
    return sum;
  };

  bool kernelStage = (mode == SQuantMode::K || mode == SQuantMode::KC) && k > 1;
  if (kernelStage) {
    c.marginal.clear();
    for (int64_t kernel = 0; kernel < inputs; ++kernel) {
      int64_t begin = kernel * k, end = begin + k;
      double sum = errorSum(begin, end);
      Direction dir = sum < 0 ? Direction::Up : Direction::Down;
      c.order.clear();
      for (int64_t i = begin; i < end; ++i)
        if (auto cand = initial(i, dir))
          c.order.push_back(*cand);
      Balance b = flipTowardsZero(c.e, sum, c.order);
      if (stats)
        stats->kernelFlips += b.flipped;
      // The one marginal candidate this kernel offers the C stage: the undo
      // of its last flip if it overshot, else its next flip. A zero sum
      // (nothing flipped, "overshot" by 0) offers nothing; that is the
      // guard where the reference kernel reads index -1. A kernel that
      // flipped nothing but has a non-zero sum offers its first candidate
      // like any under-shooting kernel: without it, channels of small
      // kernel sums would keep errors above 1/2 (the CASE bound).
      if (b.over && b.flipped > 0) {
        int64_t j = c.order[b.flipped - 1].index;
        Direction undo = dir == Direction::Up ? Direction::Down : Direction::Up;
        c.marginal.push_back({j, undo, std::fabs(c.e[j])});
      } else if (!b.over && b.flipped < int64_t(c.order.size())) {
        c.marginal.push_back(c.order[b.flipped]);
      }
    }
  }

  if (mode == SQuantMode::C || mode == SQuantMode::KC) {
    double sum = errorSum(0, n);
    Direction dir = sum < 0 ? Direction::Up : Direction::Down;
    c.order.clear();
    if (kernelStage) {
      for (const Candidate &cand : c.marginal)
        if (cand.dir == dir)
          c.order.push_back(cand);
    } else {
      for (int64_t i = 0; i < n; ++i)
        if (auto cand = initial(i, dir))
          c.order.push_back(*cand);
    }
    Balance b = flipTowardsZero(c.e, sum, c.order);
    if (stats)
      stats->channelFlips += b.flipped;
  }

  // x + e is an integer up to the rounding of e = r - x: round it back.
  for (int64_t i = 0; i < n; ++i)
    q[i] = static_cast<int64_t>(
        std::clamp(std::nearbyint(x[i] + c.e[i]), qmin, qmax));
}
} // namespace

struct SQuantRounder::Impl {
  Channel channel;
};

SQuantRounder::SQuantRounder() : impl(std::make_unique<Impl>()) {}
SQuantRounder::~SQuantRounder() = default;

void SQuantRounder::roundChannel(const double *x, int64_t inputs, int64_t k,
                                 QuantRange range, SQuantMode mode, int64_t *q,
                                 SQuantStats *stats) {
  quant_eval::numerics::roundChannel(
      impl->channel, x, inputs, k, static_cast<double>(range.qmin),
      static_cast<double>(range.qmax), mode, q, stats);
}

std::vector<int64_t> squantRound(const std::vector<double> &x, int64_t channels,
                                 int64_t inputs, int64_t k, QuantRange range,
                                 SQuantMode mode, SQuantStats *stats) {
  std::vector<int64_t> q(x.size());
  SQuantRounder rounder;
  const int64_t perChannel = inputs * k;
  for (int64_t ch = 0; ch < channels; ++ch)
    rounder.roundChannel(x.data() + ch * perChannel, inputs, k, range, mode,
                         q.data() + ch * perChannel, stats);
  return q;
}

} // namespace quant_eval::numerics
