//===- SQuantTest.cpp - SQuant data-free rounding -------------------------===//
//
// The CASE properties of quantization-algorithms.md section 5 on many random
// tensors, and small cases worked by hand.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Numerics/SQuant.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

using namespace quant_eval::numerics;

namespace {
const QuantRange kInt4{-7, 7};

std::vector<double> randomGrid(std::mt19937_64 &rng, int64_t n, double lo,
                               double hi) {
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> x(n);
  for (double &v : x)
    v = u(rng);
  return x;
}

double errorSum(const std::vector<double> &x, const std::vector<int64_t> &q,
                int64_t begin, int64_t end) {
  double s = 0;
  for (int64_t i = begin; i < end; ++i)
    s += double(q[i]) - x[i];
  return s;
}

struct Shape {
  int64_t channels, inputs, k;
};
const Shape kShapes[] = {{4, 3, 9},  {8, 16, 9}, {3, 5, 25},
                         {16, 8, 1}, {2, 1, 9},  {6, 7, 4}};

TEST(SQuant, ElementOnlyIsNearestRounding) {
  std::mt19937_64 rng(1);
  for (const Shape &s : kShapes) {
    int64_t n = s.channels * s.inputs * s.k;
    auto x = randomGrid(rng, n, -6.5, 6.5);
    auto q = squantRound(x, s.channels, s.inputs, s.k, kInt4, SQuantMode::E);
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(q[i], int64_t(std::nearbyint(x[i]))) << x[i];
  }
}

TEST(SQuant, EveryResultIsFloorOrCeil) {
  std::mt19937_64 rng(2);
  for (SQuantMode mode : {SQuantMode::K, SQuantMode::C, SQuantMode::KC}) {
    for (const Shape &s : kShapes) {
      int64_t n = s.channels * s.inputs * s.k;
      auto x = randomGrid(rng, n, -6.9, 6.9);
      auto q = squantRound(x, s.channels, s.inputs, s.k, kInt4, mode);
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_TRUE(q[i] == int64_t(std::floor(x[i])) ||
                    q[i] == int64_t(std::ceil(x[i])))
            << x[i] << " -> " << q[i];
        ASSERT_TRUE(kInt4.contains(q[i]));
      }
    }
  }
}

TEST(SQuant, KernelStageBoundsKernelErrors) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 50; ++trial)
    for (const Shape &s : kShapes) {
      if (s.k == 1)
        continue;
      int64_t n = s.channels * s.inputs * s.k;
      auto x = randomGrid(rng, n, -6.9, 6.9);
      auto q = squantRound(x, s.channels, s.inputs, s.k, kInt4, SQuantMode::K);
      for (int64_t kernel = 0; kernel < s.channels * s.inputs; ++kernel)
        ASSERT_LE(std::fabs(errorSum(x, q, kernel * s.k, (kernel + 1) * s.k)),
                  0.5 + 1e-9);
    }
}

TEST(SQuant, KernelAndChannelStagesBoundBoth) {
  std::mt19937_64 rng(4);
  for (int trial = 0; trial < 50; ++trial)
    for (const Shape &s : kShapes) {
      int64_t n = s.channels * s.inputs * s.k;
      auto x = randomGrid(rng, n, -6.9, 6.9);
      SQuantStats stats;
      auto q = squantRound(x, s.channels, s.inputs, s.k, kInt4, SQuantMode::KC,
                           &stats);
      int64_t per = s.inputs * s.k;
      for (int64_t c = 0; c < s.channels; ++c)
        ASSERT_LE(std::fabs(errorSum(x, q, c * per, (c + 1) * per)),
                  0.5 + 1e-9);
      for (int64_t kernel = 0; kernel < s.channels * s.inputs; ++kernel)
        ASSERT_LE(std::fabs(errorSum(x, q, kernel * s.k, (kernel + 1) * s.k)),
                  1.0 + 1e-9);
    }
}

TEST(SQuant, ChannelOnlyBoundsChannelErrors) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 50; ++trial)
    for (const Shape &s : kShapes) {
      int64_t n = s.channels * s.inputs * s.k;
      auto x = randomGrid(rng, n, -6.9, 6.9);
      auto q = squantRound(x, s.channels, s.inputs, s.k, kInt4, SQuantMode::C);
      int64_t per = s.inputs * s.k;
      for (int64_t c = 0; c < s.channels; ++c)
        ASSERT_LE(std::fabs(errorSum(x, q, c * per, (c + 1) * per)),
                  0.5 + 1e-9);
    }
}

TEST(SQuant, IsDeterministic) {
  std::mt19937_64 rng(6);
  auto x = randomGrid(rng, 8 * 16 * 9, -6.9, 6.9);
  EXPECT_EQ(squantRound(x, 8, 16, 9, kInt4, SQuantMode::KC),
            squantRound(x, 8, 16, 9, kInt4, SQuantMode::KC));
}

// Hand-worked: one kernel of three 0.3s. E = -0.3 each, sum -0.9: flip
// RNE(0.9) = 1 element up; equal priorities go to the lowest index.
TEST(SQuant, KernelFlipTieGoesToLowestIndex) {
  std::vector<double> x = {0.3, 0.3, 0.3};
  SQuantStats stats;
  auto q = squantRound(x, 1, 1, 3, kInt4, SQuantMode::K, &stats);
  EXPECT_EQ(q, (std::vector<int64_t>{1, 0, 0}));
  EXPECT_EQ(stats.kernelFlips, 1);
}

// Hand-worked: one channel, two kernels of [0.3, 0.3].
// K: each kernel sums to -0.6 and flips its first element up (E 0.7, sum
//    0.4: it overshot, so its undo is registered as a down-candidate with
//    priority 0.7): q = [1, 0, 1, 0].
// C: the channel sums to 0.8, so RNE(0.8) = 1 element goes down; the two
//    undos tie at 0.7 and the lower index wins: q = [0, 0, 1, 0], channel
//    error -0.2, kernel errors -0.6 and 0.4.
TEST(SQuant, ChannelStageUndoesAKernelFlip) {
  std::vector<double> x = {0.3, 0.3, 0.3, 0.3};
  EXPECT_EQ(squantRound(x, 1, 2, 2, kInt4, SQuantMode::K),
            (std::vector<int64_t>{1, 0, 1, 0}));
  SQuantStats stats;
  EXPECT_EQ(squantRound(x, 1, 2, 2, kInt4, SQuantMode::KC, &stats),
            (std::vector<int64_t>{0, 0, 1, 0}));
  EXPECT_EQ(stats.kernelFlips, 2);
  EXPECT_EQ(stats.channelFlips, 1);
  // C alone: sum -1.2 flips one element up, the lowest index of the ties.
  EXPECT_EQ(squantRound(x, 1, 2, 2, kInt4, SQuantMode::C),
            (std::vector<int64_t>{1, 0, 0, 0}));
}

// Hand-worked: [0.4, 0.4 | 0.4, 0.4]. K flips each kernel's first element
// (sum -0.8 -> 0.2); the channel then sums to 0.4, RNE(0.4) = 0: no flip.
TEST(SQuant, SmallChannelSumFlipsNothing) {
  std::vector<double> x = {0.4, 0.4, 0.4, 0.4};
  EXPECT_EQ(squantRound(x, 1, 2, 2, kInt4, SQuantMode::KC),
            (std::vector<int64_t>{1, 0, 1, 0}));
}

// A kernel whose error sum rounds to zero flips nothing but still offers
// its first candidate: three kernels [0.2, 0.2] each sum to -0.4 (no K
// flip) and offer their first element (priority 0.2). The channel sums to
// -1.2, so one goes up, the lowest index: error -0.2. Offering nothing
// would leave the channel at -1.2.
TEST(SQuant, KernelWithoutFlipsStillOffersACandidate) {
  std::vector<double> x = {0.2, 0.2, 0.2, 0.2, 0.2, 0.2};
  SQuantStats stats;
  EXPECT_EQ(squantRound(x, 1, 3, 2, kInt4, SQuantMode::KC, &stats),
            (std::vector<int64_t>{1, 0, 0, 0, 0, 0}));
  EXPECT_EQ(stats.kernelFlips, 0);
  EXPECT_EQ(stats.channelFlips, 1);
}

// A kernel whose errors sum to exactly zero offers nothing (the guard):
// [0.25, -0.25] rounds to [0, 0] with errors -0.25 and 0.25. With a second
// kernel [0.4, 0.4] (flips its first, overshoots to 0.2, offers the undo)
// the channel sums to 0.2: nothing flips.
TEST(SQuant, ZeroSumKernelOffersNothing) {
  std::vector<double> x = {0.25, -0.25, 0.4, 0.4};
  EXPECT_EQ(squantRound(x, 1, 2, 2, kInt4, SQuantMode::KC),
            (std::vector<int64_t>{0, 0, 1, 0}));
}

// Values at the range end are not candidates in the outward direction.
TEST(SQuant, NeverFlipsOutOfRange) {
  // 6.8 and 6.8 round to 7 (E 0.2 each, sum 0.4: nothing); 7.4 is beyond
  // qmax: it rounds to 7 and may not go up.
  std::vector<double> x = {7.4, 7.4, 7.4};
  auto q = squantRound(x, 1, 1, 3, kInt4, SQuantMode::KC);
  EXPECT_EQ(q, (std::vector<int64_t>{7, 7, 7}));
  std::vector<double> y = {-7.3, -7.3};
  EXPECT_EQ(squantRound(y, 1, 1, 2, kInt4, SQuantMode::KC),
            (std::vector<int64_t>{-7, -7}));
}

// Section 5 written out plainly: every candidate list built and sorted in
// full, marginals registered as the kernel stage ends. The kernel under
// test selects only the few candidates it needs and looks for marginals
// lazily; both must agree element for element and flip for flip.
std::vector<int64_t> plainSQuant(const std::vector<double> &x, Shape s,
                                 QuantRange range, SQuantMode mode,
                                 SQuantStats &stats) {
  struct Candidate {
    int64_t index;
    int dir; // +1 up, -1 down
    double priority;
  };
  const double qmin = double(range.qmin), qmax = double(range.qmax);
  const int64_t n = s.inputs * s.k;
  std::vector<int64_t> q(x.size());
  for (int64_t ch = 0; ch < s.channels; ++ch) {
    const double *xc = x.data() + ch * n;
    std::vector<double> e(n);
    for (int64_t i = 0; i < n; ++i)
      e[i] = std::nearbyint(xc[i]) - xc[i];
    auto sorted = [](std::vector<Candidate> c) {
      std::sort(c.begin(), c.end(), [](const Candidate &a, const Candidate &b) {
        return a.priority != b.priority ? a.priority > b.priority
                                        : a.index < b.index;
      });
      return c;
    };
    auto candidates = [&](int64_t begin, int64_t end, int dir) {
      std::vector<Candidate> c;
      for (int64_t i = begin; i < end; ++i) {
        if (dir > 0 && e[i] < 0 && xc[i] < qmax)
          c.push_back({i, dir, -e[i]});
        if (dir < 0 && e[i] > 0 && xc[i] > qmin)
          c.push_back({i, dir, e[i]});
      }
      return sorted(c);
    };
    // Flips RNE(|sum|) of `c`; returns how many and whether that overshot.
    auto flip = [&](const std::vector<Candidate> &c, double sum) {
      auto need = int64_t(std::nearbyint(std::fabs(sum)));
      int64_t flipped = std::min(need, int64_t(c.size()));
      for (int64_t t = 0; t < flipped; ++t)
        e[c[t].index] += c[t].dir;
      return std::pair{flipped, double(flipped) >= std::fabs(sum)};
    };
    bool kernelStage =
        (mode == SQuantMode::K || mode == SQuantMode::KC) && s.k > 1;
    std::vector<Candidate> marginal;
    if (kernelStage)
      for (int64_t kernel = 0; kernel < s.inputs; ++kernel) {
        int64_t begin = kernel * s.k, end = begin + s.k;
        double sum = 0;
        for (int64_t i = begin; i < end; ++i)
          sum += e[i];
        int dir = sum < 0 ? 1 : -1;
        std::vector<Candidate> c = candidates(begin, end, dir);
        auto [flipped, over] = flip(c, sum);
        stats.kernelFlips += flipped;
        if (over && flipped > 0) {
          int64_t j = c[flipped - 1].index;
          marginal.push_back({j, -dir, std::fabs(e[j])});
        } else if (!over && flipped < int64_t(c.size())) {
          marginal.push_back(c[flipped]);
        }
      }
    if (mode == SQuantMode::C || mode == SQuantMode::KC) {
      double sum = 0;
      for (double v : e)
        sum += v;
      int dir = sum < 0 ? 1 : -1;
      std::vector<Candidate> c;
      if (kernelStage) {
        for (const Candidate &m : marginal)
          if (m.dir == dir)
            c.push_back(m);
        c = sorted(c);
      } else {
        c = candidates(0, n, dir);
      }
      stats.channelFlips += flip(c, sum).first;
    }
    for (int64_t i = 0; i < n; ++i)
      q[ch * n + i] =
          int64_t(std::clamp(std::nearbyint(xc[i] + e[i]), qmin, qmax));
  }
  return q;
}

TEST(SQuant, MatchesAPlainSortingImplementation) {
  // Shapes for every selection path: kernels of 9 (arg-max), of 81 (a
  // running selection), channels of thousands; biased values make kernel
  // and channel sums large (beyond 64 flips, the sorting fallback).
  const Shape shapes[] = {{6, 32, 9},  {3, 4, 81}, {4, 3000, 1},
                          {3, 40, 49}, {5, 7, 4},  {2, 1, 9}};
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal(0, 2.5);
  for (int kind = 0; kind < 4; ++kind) {
    for (const Shape &s : shapes) {
      std::vector<double> x(s.channels * s.inputs * s.k);
      for (double &v : x) {
        v = normal(rng);
        if (kind == 1) // ties: half-integers, equal priorities
          v = std::round(v * 2) / 2;
        if (kind == 2) // beyond the range ends
          v *= 2;
        if (kind == 3) // biased: every error about -0.3
          v = std::round(v) + 0.3;
      }
      for (SQuantMode mode : {SQuantMode::K, SQuantMode::C, SQuantMode::KC}) {
        SQuantStats expectedStats, stats;
        std::vector<int64_t> expected =
            plainSQuant(x, s, kInt4, mode, expectedStats);
        std::vector<int64_t> q =
            squantRound(x, s.channels, s.inputs, s.k, kInt4, mode, &stats);
        ASSERT_EQ(q, expected)
            << "kind " << kind << ", shape " << s.channels << "x" << s.inputs
            << "x" << s.k << ", mode " << int(mode);
        EXPECT_EQ(stats.kernelFlips, expectedStats.kernelFlips);
        EXPECT_EQ(stats.channelFlips, expectedStats.channelFlips);

        // The same channels stored position-major ([k][inputs], as OHWI
        // weights are) give the same values, transposed.
        const int64_t n = s.inputs * s.k;
        std::vector<double> xt(n);
        std::vector<int32_t> qt(n);
        SQuantRounder rounder;
        SQuantStats transposedStats;
        for (int64_t ch = 0; ch < s.channels; ++ch) {
          for (int64_t i = 0; i < s.inputs; ++i)
            for (int64_t p = 0; p < s.k; ++p)
              xt[p * s.inputs + i] = x[ch * n + i * s.k + p];
          rounder.roundChannel(xt.data(), s.inputs, s.k, kInt4, mode, qt.data(),
                               &transposedStats, ChannelLayout::PositionMajor);
          for (int64_t i = 0; i < s.inputs; ++i)
            for (int64_t p = 0; p < s.k; ++p)
              ASSERT_EQ(qt[p * s.inputs + i], expected[ch * n + i * s.k + p])
                  << "position-major, kind " << kind << ", mode " << int(mode);
        }
        EXPECT_EQ(transposedStats.kernelFlips, expectedStats.kernelFlips);
        EXPECT_EQ(transposedStats.channelFlips, expectedStats.channelFlips);
      }
    }
  }
}
} // namespace
