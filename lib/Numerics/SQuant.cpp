//===- SQuant.cpp - SQuant data-free rounding -----------------------------===//
//
// Both flipping stages work within one output channel, so channels are
// rounded one at a time in scratch buffers of inputs x k elements: that
// keeps the working set in cache for layers of millions of weights.
//
// A stage never needs a full ordering of its candidates, only the first n
// (the flips), and n is small: |sum of errors| grows like the square root of
// the element count. So candidates are not collected and sorted; the best
// few are selected from branch-free priorities. A kernel's marginal
// candidate is only looked for once the channel's direction is known, and
// only if it points that way. ResNet-50 has 25 M weights, and this is what
// keeps SQuant within the paper's GPU time on one CPU core.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Numerics/SQuant.h"

#include "quant-eval/Numerics/Rounding.h"

#include <algorithm>
#include <cmath>

namespace quant_eval::numerics {

namespace {
enum class Direction { Up, Down };

/// A candidate flip: element, direction and priority (|E| at the time the
/// candidate tables were made). Candidates have priority > 0. `index` is
/// the element's linear index in [inputs][k] order, which breaks ties
/// whatever the layout; `at` is where it is stored.
struct Candidate {
  int64_t index;
  int64_t at;
  Direction dir;
  double priority;
};

/// Highest priority first, ties to the lower index (the reference's sort is
/// not stable; a compiler must be deterministic).
bool before(const Candidate &a, const Candidate &b) {
  return a.priority != b.priority ? a.priority > b.priority : a.index < b.index;
}

/// Flips of one stage: RNE(|sum|) of the candidates in `dir`, the
/// direction that moves the error sum towards zero, and whether that
/// overshot. c.chosen holds the flipped candidates in order; `last` is the
/// last of them (if any flipped).
struct Balance {
  Direction dir;
  int64_t flipped;
  Candidate last;
  bool over;
};

/// Scratch buffers of one channel, reused across channels. No candidate
/// tables are stored: a candidate's priority follows from the error it had
/// when the tables would have been made, which unflipped elements still
/// have.
struct Channel {
  std::vector<double> e; ///< rounding errors, E = value - x
  /// The values: RNE(x) clamped to one step beyond the range, plus the
  /// flips. An element flips at most once each way (a C-stage flip can only
  /// undo a K-stage one), so clamping the end result to the range gives
  /// clamp(RNE(x) + flips) exactly.
  int32_t *q = nullptr;
  std::vector<double> kernelSum;
  std::vector<Balance> kernels; ///< the K stage's result per kernel
  std::vector<Candidate> marginal, chosen;
};

/// Beyond this many flips, a stage sorts its candidates outright instead of
/// keeping a running selection (whose insertions cost O(n) each).
constexpr int64_t kMaxSelection = 64;

/// Small groups (kernels of up to this many elements) select by repeated
/// arg-max, which compiles to conditional moves: the signs of E are coin
/// flips, and branching on them would mispredict half the time.
constexpr int64_t kMaxArgMaxGroup = 64;
constexpr int64_t kMaxArgMaxPicks = 4;

/// The first `m` candidates, in `before` order, of `count` elements whose
/// priorities `priorityOf(i)` come in ascending index order (priority <= 0:
/// not a candidate); `candidateOf(i, priority)` makes the candidate of
/// element i.
template <typename PriorityOf, typename CandidateOf>
void selectFirst(int64_t count, int64_t m, PriorityOf priorityOf,
                 CandidateOf candidateOf, std::vector<Candidate> &chosen) {
  chosen.clear();
  if (m <= 0)
    return;
  if (m <= kMaxArgMaxPicks && count <= kMaxArgMaxGroup) {
    double p[kMaxArgMaxGroup];
    for (int64_t i = 0; i < count; ++i)
      p[i] = priorityOf(i);
    for (int64_t t = 0; t < m; ++t) {
      // Strictly greater: ties go to the lower index.
      double best = 0;
      int64_t at = -1;
      for (int64_t i = 0; i < count; ++i) {
        bool better = p[i] > best;
        best = better ? p[i] : best;
        at = better ? i : at;
      }
      if (at < 0)
        return;
      chosen.push_back(candidateOf(at, best));
      p[at] = 0;
    }
    return;
  }
  if (m <= kMaxSelection) {
    // A running selection: once m are held, few elements beat the last.
    double threshold = 0;
    for (int64_t i = 0; i < count; ++i) {
      double p = priorityOf(i);
      if (p <= threshold)
        continue;
      // An equal priority already held has the lower index: insert after.
      auto pos = std::upper_bound(
          chosen.begin(), chosen.end(), p,
          [](double p, const Candidate &held) { return p > held.priority; });
      chosen.insert(pos, candidateOf(i, p));
      if (int64_t(chosen.size()) > m)
        chosen.pop_back();
      if (int64_t(chosen.size()) == m)
        threshold = chosen.back().priority;
    }
    return;
  }
  for (int64_t i = 0; i < count; ++i)
    if (double p = priorityOf(i); p > 0)
      chosen.push_back(candidateOf(i, p));
  int64_t prefix = std::min(m, static_cast<int64_t>(chosen.size()));
  std::partial_sort(chosen.begin(), chosen.begin() + prefix, chosen.end(),
                    before);
  chosen.resize(prefix);
}

/// Balances one group of elements (a kernel or a channel) whose error sum
/// is `sum`; `select(dir, m)` puts the group's first m candidates in `dir`
/// into c.chosen.
template <typename Select>
Balance balance(Channel &c, double sum, Select select) {
  Balance b;
  b.dir = sum < 0 ? Direction::Up : Direction::Down;
  auto need = static_cast<int64_t>(roundHalfToEven(std::fabs(sum)));
  select(b.dir, need);
  b.flipped = std::min(need, static_cast<int64_t>(c.chosen.size()));
  double step = b.dir == Direction::Up ? 1.0 : -1.0;
  for (int64_t t = 0; t < b.flipped; ++t)
    c.e[c.chosen[t].at] += step;
  for (int64_t t = 0; t < b.flipped; ++t)
    c.q[c.chosen[t].at] += int32_t(step);
  if (b.flipped > 0)
    b.last = c.chosen[b.flipped - 1];
  b.over = static_cast<double>(b.flipped) >= std::fabs(sum);
  return b;
}

Direction opposite(Direction d) {
  return d == Direction::Up ? Direction::Down : Direction::Up;
}

void roundChannel(Channel &c, const double *x, int64_t inputs, int64_t k,
                  double qmin, double qmax, SQuantMode mode, int32_t *q,
                  SQuantStats *stats, ChannelLayout layout) {
  const int64_t n = inputs * k;
  if (mode == SQuantMode::E) {
    for (int64_t i = 0; i < n; ++i)
      q[i] =
          static_cast<int32_t>(std::clamp(roundHalfToEven(x[i]), qmin, qmax));
    return;
  }
  // Element (i, p) is stored at i * inputStride + p * kStride.
  const bool inputMajor =
      layout == ChannelLayout::InputMajor || inputs == 1 || k == 1;
  const int64_t inputStride = inputMajor ? k : 1;
  const int64_t kStride = inputMajor ? 1 : inputs;

  c.e.resize(n);
  c.q = q;
  for (int64_t i = 0; i < n; ++i) {
    double r = roundHalfToEven(x[i]);
    c.e[i] = r - x[i];
    q[i] = static_cast<int32_t>(std::clamp(r, qmin - 1, qmax + 1));
  }
  // Selects among `count` elements, none flipped yet, whose linear indices
  // start at `first` and which are stored at storedAt(0..count), by the
  // candidate tables of step 2: up when E < 0 and x < qmax, down when
  // E > 0 and x > qmin (E == 0 never). Priorities are computed
  // branch-free, since the signs of E are coin flips.
  auto initial = [&](int64_t first, int64_t count, auto storedAt) {
    return
        [&c, x, qmin, qmax, first, count, storedAt](Direction dir, int64_t m) {
          const double *e = c.e.data();
          // Up: x < qmax and -E > 0; down: x > qmin and E > 0. Both as
          // sign * x > sign * bound, with no branch on the direction either.
          double sign = dir == Direction::Up ? -1.0 : 1.0;
          double bound = sign * (dir == Direction::Up ? qmax : qmin);
          selectFirst(
              count, m,
              [&](int64_t j) {
                int64_t at = storedAt(j);
                return sign * x[at] > bound ? sign * e[at] : 0.0;
              },
              [&](int64_t j, double priority) {
                return Candidate{first + j, storedAt(j), dir, priority};
              },
              c.chosen);
        };
  };
  auto kernelElements = [&](int64_t kernel) {
    int64_t base = kernel * inputStride;
    return initial(kernel * k, k,
                   [base, kStride](int64_t p) { return base + p * kStride; });
  };
  // A channel's errors are summed in four interleaved partial sums, a fixed
  // order: one running sum over thousands of elements is a chain of
  // dependent additions that costs more than the rest of the C stage.
  auto channelErrorSum = [&]() {
    double partial[4] = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
      for (int lane = 0; lane < 4; ++lane)
        partial[lane] += c.e[i + lane];
    double tail = 0;
    for (; i < n; ++i)
      tail += c.e[i];
    return ((partial[0] + partial[1]) + (partial[2] + partial[3])) + tail;
  };

  bool kernelStage = (mode == SQuantMode::K || mode == SQuantMode::KC) && k > 1;
  if (kernelStage) {
    // All kernel sums first, each in position order as the reference sums
    // them. Independent short sums overlap, where summing inside the
    // flipping loop would wait on each; position-major, they vectorize.
    c.kernelSum.assign(inputs, 0.0);
    for (int64_t p = 0; p < k; ++p)
      for (int64_t i = 0; i < inputs; ++i)
        c.kernelSum[i] += c.e[i * inputStride + p * kStride];
    c.kernels.resize(inputs);
    for (int64_t kernel = 0; kernel < inputs; ++kernel) {
      Balance b = balance(c, c.kernelSum[kernel], kernelElements(kernel));
      c.kernels[kernel] = b;
      if (stats)
        stats->kernelFlips += b.flipped;
    }
  }

  if (mode == SQuantMode::C || mode == SQuantMode::KC) {
    double sum = channelErrorSum();
    if (kernelStage) {
      // The one marginal candidate each kernel offers the C stage: the undo
      // of its last flip if it overshot, else its next flip. A zero sum
      // (nothing flipped, "overshot" by 0) offers nothing; that is the
      // guard where the reference kernel reads index -1. A kernel that
      // flipped nothing but has a non-zero sum offers its first candidate
      // like any under-shooting kernel: without it, channels of small
      // kernel sums would keep errors above 1/2 (the CASE bound).
      //
      // Only candidates in the channel's direction can flip, so only those
      // are looked for. A next flip is the kernel's best candidate left:
      // its unflipped elements still have their initial errors, and flipped
      // ones now have errors of the other sign, which are no candidates.
      Direction dir = sum < 0 ? Direction::Up : Direction::Down;
      c.marginal.assign(inputs, Candidate{-1, -1, dir, 0.0});
      for (int64_t kernel = 0; kernel < inputs; ++kernel) {
        const Balance &b = c.kernels[kernel];
        if (b.over && b.flipped > 0) {
          if (opposite(b.dir) == dir)
            c.marginal[kernel] = {b.last.index, b.last.at, dir,
                                  std::fabs(c.e[b.last.at])};
        } else if (!b.over && b.dir == dir) {
          kernelElements(kernel)(dir, 1);
          if (!c.chosen.empty())
            c.marginal[kernel] = c.chosen.front();
        }
      }
      // Marginals are in ascending index order, as selectFirst needs.
      auto marginals = [&c](Direction, int64_t m) {
        selectFirst(
            int64_t(c.marginal.size()), m,
            [&](int64_t i) { return c.marginal[i].priority; },
            [&](int64_t i, double) { return c.marginal[i]; }, c.chosen);
      };
      Balance b = balance(c, sum, marginals);
      if (stats)
        stats->channelFlips += b.flipped;
    } else {
      // Every element is a candidate, visited in linear index order.
      Balance b =
          inputMajor
              ? balance(c, sum, initial(0, n, [](int64_t j) { return j; }))
              : balance(c, sum, initial(0, n, [inputs, k](int64_t j) {
                          return j / k + (j % k) * inputs;
                        }));
      if (stats)
        stats->channelFlips += b.flipped;
    }
  }

  const auto lo = static_cast<int32_t>(qmin), hi = static_cast<int32_t>(qmax);
  for (int64_t i = 0; i < n; ++i)
    q[i] = std::clamp(q[i], lo, hi);
}
} // namespace

struct SQuantRounder::Impl {
  Channel channel;
};

SQuantRounder::SQuantRounder() : impl(std::make_unique<Impl>()) {}
SQuantRounder::~SQuantRounder() = default;

void SQuantRounder::roundChannel(const double *x, int64_t inputs, int64_t k,
                                 QuantRange range, SQuantMode mode, int32_t *q,
                                 SQuantStats *stats, ChannelLayout layout) {
  quant_eval::numerics::roundChannel(
      impl->channel, x, inputs, k, static_cast<double>(range.qmin),
      static_cast<double>(range.qmax), mode, q, stats, layout);
}

std::vector<int64_t> squantRound(const std::vector<double> &x, int64_t channels,
                                 int64_t inputs, int64_t k, QuantRange range,
                                 SQuantMode mode, SQuantStats *stats) {
  std::vector<int32_t> q(x.size());
  SQuantRounder rounder;
  const int64_t perChannel = inputs * k;
  for (int64_t ch = 0; ch < channels; ++ch)
    rounder.roundChannel(x.data() + ch * perChannel, inputs, k, range, mode,
                         q.data() + ch * perChannel, stats);
  return std::vector<int64_t>(q.begin(), q.end());
}

} // namespace quant_eval::numerics
