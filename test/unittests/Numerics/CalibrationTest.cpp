//===- CalibrationTest.cpp - Activation range calibration -----------------===//
//
// Expected values are worked out by hand from the contract in Calibration.h.
// The data are chosen so that the hand computation is exact (bin edges and
// centers on round numbers) or so that a bound argued in the comment decides
// the result with a wide margin.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Numerics/Calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

using namespace quant_eval::numerics;

namespace {

/// Both calibration passes over one batch.
TensorStatistics collect(const std::vector<float> &values, int64_t bins) {
  TensorStatistics s;
  EXPECT_TRUE(s.addExtremes(values.data(), int64_t(values.size())));
  s.startHistogram(bins);
  s.addToHistogram(values.data(), int64_t(values.size()));
  return s;
}

CalibrationOptions with(CalibrationMethod method, int bits = 8,
                        double percentile = 99.99) {
  CalibrationOptions o;
  o.method = method;
  o.bits = bits;
  o.percentile = percentile;
  return o;
}

void append(std::vector<float> &values, float v, int64_t times) {
  values.insert(values.end(), size_t(times), v);
}

/// n values evenly inside [0, 1): (j + 0.5) / n.
std::vector<float> evenlyInUnitInterval(int64_t n) {
  std::vector<float> values;
  for (int64_t j = 0; j < n; ++j)
    values.push_back(float((double(j) + 0.5) / double(n)));
  return values;
}

constexpr CalibrationMethod kAllMethods[] = {
    CalibrationMethod::MinMax, CalibrationMethod::Percentile,
    CalibrationMethod::MSE, CalibrationMethod::Entropy};

//===----------------------------------------------------------------------===//
// Statistics
//===----------------------------------------------------------------------===//

TEST(CalibrationStatistics, ExtremesRejectNonFiniteBatchesWithoutTrace) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  float inf = std::numeric_limits<float>::infinity();
  TensorStatistics s;
  std::vector<float> first = {1.5f, -2.0f, 3.0f};
  EXPECT_TRUE(s.addExtremes(first.data(), 3));
  EXPECT_EQ(s.min, -2.0);
  EXPECT_EQ(s.max, 3.0);
  // The first pass bins nothing.
  EXPECT_EQ(s.count, 0);

  // 5 and -7 would move the extremes if the batch were recorded up to the
  // NaN or the infinity.
  std::vector<float> withNaN = {5.0f, -7.0f, nan};
  std::vector<float> withInf = {5.0f, inf};
  std::vector<float> withNegInf = {-7.0f, -inf};
  EXPECT_FALSE(s.addExtremes(withNaN.data(), 3));
  EXPECT_FALSE(s.addExtremes(withInf.data(), 2));
  EXPECT_FALSE(s.addExtremes(withNegInf.data(), 2));
  EXPECT_EQ(s.min, -2.0);
  EXPECT_EQ(s.max, 3.0);

  // Later batches extend the extremes.
  std::vector<float> second = {4.25f, 0.0f};
  EXPECT_TRUE(s.addExtremes(second.data(), 2));
  EXPECT_EQ(s.min, -2.0);
  EXPECT_EQ(s.max, 4.25);
  EXPECT_TRUE(s.addExtremes(nullptr, 0));
  EXPECT_EQ(s.max, 4.25);
}

TEST(CalibrationStatistics, BinsAreHalfOpenAndEndsClamp) {
  // Extremes 0 and 4, so 4 bins over [0, 4] of width 1: bin b holds
  // [b, b + 1), and 4 itself (== hi) the last bin.
  std::vector<float> extremes = {0.0f, 0.5f, 1.0f, 3.99f, 4.0f};
  TensorStatistics s;
  ASSERT_TRUE(s.addExtremes(extremes.data(), 5));
  s.startHistogram(4);
  EXPECT_EQ(s.lo, 0.0);
  EXPECT_EQ(s.hi, 4.0);
  // 0, 0.5 -> bin 0; 1 -> bin 1; 3.99, 4 -> bin 3; 7 (above hi) -> bin 3;
  // -1 (below lo) -> bin 0; the NaN is skipped.
  std::vector<float> values = {0.0f, 0.5f, 1.0f,  3.99f,
                               4.0f, 7.0f, -1.0f, std::nanf("")};
  s.addToHistogram(values.data(), int64_t(values.size()));
  EXPECT_EQ(s.counts, (std::vector<double>{3, 1, 0, 3}));
  EXPECT_EQ(s.count, 7);
}

TEST(CalibrationStatistics, HistogramRangeHoldsZero) {
  // All positive: [0, 6], width 1 with 6 bins; 2 -> bin 2, 5.5 -> bin 5, an
  // infinity -> the last bin.
  std::vector<float> positive = {2.0f, 6.0f};
  TensorStatistics p;
  ASSERT_TRUE(p.addExtremes(positive.data(), 2));
  p.startHistogram(6);
  EXPECT_EQ(p.lo, 0.0);
  EXPECT_EQ(p.hi, 6.0);
  std::vector<float> values = {2.0f, 5.5f,
                               std::numeric_limits<float>::infinity()};
  p.addToHistogram(values.data(), 3);
  EXPECT_EQ(p.counts, (std::vector<double>{0, 0, 1, 0, 0, 2}));

  // All negative: [-3, 0]; -3 -> bin 0, -0.5 -> bin 2 ((-0.5 + 3) / 1 = 2.5).
  std::vector<float> negative = {-3.0f, -1.0f};
  TensorStatistics n;
  ASSERT_TRUE(n.addExtremes(negative.data(), 2));
  n.startHistogram(3);
  EXPECT_EQ(n.lo, -3.0);
  EXPECT_EQ(n.hi, 0.0);
  std::vector<float> negValues = {-3.0f, -0.5f};
  n.addToHistogram(negValues.data(), 2);
  EXPECT_EQ(n.counts, (std::vector<double>{1, 0, 1}));
}

TEST(CalibrationStatistics, EmptyRangePutsEverythingInBinZero) {
  // Nothing seen: the range is [0, 0] and has no width to bin by.
  TensorStatistics s;
  s.startHistogram(16);
  EXPECT_EQ(s.lo, 0.0);
  EXPECT_EQ(s.hi, 0.0);
  ASSERT_EQ(s.counts.size(), 16u);
  std::vector<float> values = {0.0f, 0.0f, 5.0f};
  s.addToHistogram(values.data(), 3);
  EXPECT_EQ(s.counts[0], 3.0);
  EXPECT_EQ(s.count, 3);
  // At least one bin, whatever was asked for.
  s.startHistogram(0);
  EXPECT_EQ(s.counts, (std::vector<double>{0}));
  EXPECT_EQ(s.count, 0);
}

//===----------------------------------------------------------------------===//
// Methods
//===----------------------------------------------------------------------===//

TEST(CalibrationMethodNames, RoundTripAndRejectUnknown) {
  for (CalibrationMethod m : kAllMethods)
    EXPECT_EQ(parseCalibrationMethod(calibrationMethodName(m)), m);
  EXPECT_EQ(calibrationMethodName(CalibrationMethod::MinMax), "minmax");
  EXPECT_EQ(calibrationMethodName(CalibrationMethod::Percentile), "percentile");
  EXPECT_EQ(calibrationMethodName(CalibrationMethod::MSE), "mse");
  EXPECT_EQ(calibrationMethodName(CalibrationMethod::Entropy), "entropy");
  EXPECT_FALSE(parseCalibrationMethod("kl").has_value());
  EXPECT_FALSE(parseCalibrationMethod("min-max").has_value());
  EXPECT_FALSE(parseCalibrationMethod("").has_value());
}

TEST(CalibrationRange, MinMaxExtendsToZero) {
  auto range = [](std::vector<float> v) {
    return calibrationRange(collect(v, 8), with(CalibrationMethod::MinMax));
  };
  EXPECT_EQ(range({0.5f, 3.0f}), (std::pair<double, double>(0.0, 3.0)));
  EXPECT_EQ(range({-4.0f, -1.0f}), (std::pair<double, double>(-4.0, 0.0)));
  EXPECT_EQ(range({-1.0f, 2.5f}), (std::pair<double, double>(-1.0, 2.5)));
}

TEST(CalibrationRange, ZeroTensorAndNoDataGiveZeroRange) {
  TensorStatistics zeros = collect({0.0f, 0.0f, 0.0f}, 2048);
  TensorStatistics nothing;
  TensorStatistics nothingBinned;
  nothingBinned.startHistogram();
  for (CalibrationMethod m : kAllMethods) {
    for (const TensorStatistics *s : {&zeros, &nothing, &nothingBinned}) {
      auto [lo, hi] = calibrationRange(*s, with(m));
      EXPECT_EQ(lo, 0.0) << calibrationMethodName(m);
      EXPECT_EQ(hi, 0.0) << calibrationMethodName(m);
    }
  }
}

TEST(CalibrationRange, UnusableInputsGiveMinMax) {
  std::vector<float> values = {-1.0f, 0.25f, 3.0f};
  // Extremes only: no histogram for the histogram methods.
  TensorStatistics extremesOnly;
  ASSERT_TRUE(extremesOnly.addExtremes(values.data(), 3));
  std::pair<double, double> minMax(-1.0, 3.0);
  for (CalibrationMethod m : kAllMethods)
    EXPECT_EQ(calibrationRange(extremesOnly, with(m)), minMax)
        << calibrationMethodName(m);
  // Options outside the contract.
  TensorStatistics s = collect(values, 64);
  EXPECT_EQ(calibrationRange(s, with(CalibrationMethod::Percentile, 8, 50)),
            minMax);
  EXPECT_EQ(calibrationRange(s, with(CalibrationMethod::Percentile, 8, 100.5)),
            minMax);
  EXPECT_EQ(
      calibrationRange(s, with(CalibrationMethod::Percentile, 8, std::nan(""))),
      minMax);
  EXPECT_EQ(calibrationRange(s, with(CalibrationMethod::MSE, 1)), minMax);
  EXPECT_EQ(calibrationRange(s, with(CalibrationMethod::Entropy, 17)), minMax);
}

TEST(CalibrationRange, PercentileInterpolatesInsideTheCrossingBin) {
  // Values 0..999, 1000 bins over [0, 999] of width 0.999: value k lands in
  // bin k (k * 1000 / 999 = k + k / 999, and 999 is clamped into bin 999),
  // one count per bin.
  std::vector<float> values;
  for (int k = 0; k < 1000; ++k)
    values.push_back(float(k));
  TensorStatistics s = collect(values, 1000);

  // p = 99: the hi target is 990 values; bins 0..988 hold 989, so bin 989
  // crosses it, entirely: hi = (989 + 1) * 0.999 = 989.01. The lo target is
  // 10 values, reached at the top of bin 9: 9.99, and then min(9.99, 0) = 0.
  auto [lo, hi] =
      calibrationRange(s, with(CalibrationMethod::Percentile, 8, 99));
  EXPECT_EQ(lo, 0.0);
  EXPECT_NEAR(hi, 989.01, 1e-9);

  // p = 100 reaches the top of the last bin: the maximum.
  auto [lo100, hi100] =
      calibrationRange(s, with(CalibrationMethod::Percentile, 8, 100));
  EXPECT_EQ(lo100, 0.0);
  EXPECT_NEAR(hi100, 999.0, 1e-9);

  // The mirror image, -999..0 over [-999, 0]: lo is the top of bin 9,
  // -999 + 10 * 0.999 = -989.01, and hi = max(-999 + 990 * 0.999, 0) = 0.
  std::vector<float> negated;
  for (int k = 0; k < 1000; ++k)
    negated.push_back(float(-k));
  auto [nlo, nhi] = calibrationRange(
      collect(negated, 1000), with(CalibrationMethod::Percentile, 8, 99));
  EXPECT_NEAR(nlo, -989.01, 1e-9);
  EXPECT_EQ(nhi, 0.0);
}

TEST(CalibrationRange, PercentileIsTwoSided) {
  // 2000 bins over [-1000, 1000] of width 1. One value at each bin center
  // -999.5 + b, and the extremes -1000 (bin 0) and 1000 (clamped into bin
  // 1999): bins 0 and 1999 hold 2, the others 1; 2002 values in all, and
  // the histogram is symmetric.
  std::vector<float> values = {-1000.0f, 1000.0f};
  for (int b = 0; b < 2000; ++b)
    values.push_back(-999.5f + float(b));
  TensorStatistics s = collect(values, 2000);
  ASSERT_EQ(s.lo, -1000.0);
  ASSERT_EQ(s.hi, 1000.0);

  // p = 99. The cumulative count below bin b >= 1 is b + 1.
  // lo target 0.01 * 2002 = 20.02: bin 19 (20 below it, 21 through it),
  // 0.02 into it: -1000 + 19.02 = -980.98.
  // hi target 0.99 * 2002 = 1981.98: bin 1980 (1981 below it), 0.98 into
  // it: -1000 + 1980.98 = 980.98.
  auto [lo, hi] =
      calibrationRange(s, with(CalibrationMethod::Percentile, 8, 99));
  EXPECT_NEAR(lo, -980.98, 1e-6);
  EXPECT_NEAR(hi, 980.98, 1e-6);
}

TEST(CalibrationRange, MseClipsAFarOutlierAtTwoBits) {
  // 200000 values evenly in [0, 1) and one at 100; 2 bits. L = 0 and
  // H = 100, so the candidates are [0, k] for k = 1..100, with the grid
  // {0, k/3, 2k/3, k}. The histogram bins have width 100/2048 ~ 0.0488; the
  // bulk's centers lie in (0, 1.001], the outlier's at 99.976.
  //
  // k = 1: each bulk center is at most 1/6 from a grid value (the 1.001 one
  // is clamped to 1, an error of 0.001), so the bulk error is at most
  // 200000 / 36 = 5556; the outlier clamps to 1: (98.976)^2 = 9796. Total
  // at most 15352.
  //
  // k >= 7: the lowest non-zero grid value k/3 >= 2.33 is more than twice
  // every bulk center, so the whole bulk rounds to 0 and errs by c^2. The
  // 100000 values >= 0.5 lie in bins >= 10, centers >= 10.5 * 0.0488 =
  // 0.513, so that error alone is at least 100000 * 0.263 = 26300 > 15352.
  //
  // So k <= 6: the outlier is clipped to a few percent of its value.
  std::vector<float> values = evenlyInUnitInterval(200000);
  values.push_back(100.0f);
  auto [lo, hi] =
      calibrationRange(collect(values, 2048), with(CalibrationMethod::MSE, 2));
  EXPECT_EQ(lo, 0.0);
  EXPECT_GE(hi, 1.0 - 1e-9);
  EXPECT_LE(hi, 6.0 + 1e-9);
}

TEST(CalibrationRange, MseKeepsALoneOutlierAtEightBits) {
  // 1000 values evenly in [0, 1) and one at 100; 8 bits. The squared error
  // of clipping one value far outweighs the rounding error of a thousand:
  // at k = 100 (scale 100/255) every bulk center errs by at most half a
  // step, (0.196)^2 = 0.0384, 38.5 in all, and the outlier (center 99.976,
  // 254.94 steps) rounds to 100. Any k <= 93 clamps the outlier to at most
  // 93: (6.976)^2 = 48.7 > 38.5. So hi >= 94.
  std::vector<float> values = evenlyInUnitInterval(1000);
  values.push_back(100.0f);
  auto [lo, hi] =
      calibrationRange(collect(values, 2048), with(CalibrationMethod::MSE, 8));
  EXPECT_EQ(lo, 0.0);
  EXPECT_GE(hi, 94.0 - 1e-9);
  EXPECT_LE(hi, 100.0);
}

TEST(CalibrationRange, MseKeepsTheFullRangeWhenValuesSitOnTheGrid) {
  // 1000 each of -1, 0, 1, 2 (uniform over those levels); 2 bits. At t = 1
  // the grid is exactly {-1, 0, 1, 2} (scale 1, zero point -1), and every
  // bin center is within half a bin (3/4096 = 0.00073) of its value, so the
  // error is at most 4000 * 0.00073^2 = 0.0021. Any t <= 0.99 has its top
  // grid value at 2t <= 1.98 (the zero point stays -1), and the center of
  // the bin holding 2 (1.99927) errs by at least 0.0193: 1000 * 0.0193^2 =
  // 0.37 > 0.0021.
  std::vector<float> values;
  for (float v : {-1.0f, 0.0f, 1.0f, 2.0f})
    append(values, v, 1000);
  auto [lo, hi] =
      calibrationRange(collect(values, 2048), with(CalibrationMethod::MSE, 2));
  EXPECT_EQ(lo, -1.0);
  EXPECT_EQ(hi, 2.0);
}

TEST(CalibrationRange, MseTiesKeepTheWiderRange) {
  // Statistics as a file may hold them: 5 values in bin 0 of [0, 3] (3 bins
  // of width 1), so every count sits at the center 0.5. 2 bits: the
  // candidate [0, 3t] has the grid {0, t, 2t, 3t}, which holds 0.5 exactly
  // for t = 0.5 and t = 0.25 (error 0); every other t = k/100 misses it.
  // The tie goes to the wider range: hi = 3 * 0.5.
  TensorStatistics s;
  s.min = 0, s.max = 3, s.lo = 0, s.hi = 3;
  s.counts = {5, 0, 0};
  s.count = 5;
  auto [lo, hi] = calibrationRange(s, with(CalibrationMethod::MSE, 2));
  EXPECT_EQ(lo, 0.0);
  EXPECT_DOUBLE_EQ(hi, 1.5);
}

// 8 bins of width 1 over [0, 8]: 64 at 0.5, 1 at 1.5, 64 at 2.5, and a
// sparse tail of 1 each at 3.5, 4.5, 5.5, 6.5 and 8 (bin 7).
// Bin counts [64, 1, 64, 1, 1, 1, 1, 1], S = 134.
std::vector<float> peakedWithSparseTail(float sign) {
  std::vector<float> values;
  append(values, sign * 0.5f, 64);
  append(values, sign * 1.5f, 1);
  append(values, sign * 2.5f, 64);
  for (float v : {3.5f, 4.5f, 5.5f, 6.5f, 8.0f})
    values.push_back(sign * v);
  return values;
}

TEST(CalibrationRange, EntropyClipsASparseTail) {
  // 2 bits, all values >= 0: target = 4 levels, thresholds i = 4..8.
  // With D the clipped count and S_Q = S - D the total of Q,
  // KL = ln(S_Q / S) + (1/S) sum_j P_j ln(P_j / Q_j) (unnormalized P, Q).
  //
  // i = 4: groups of one bin, Q = [64, 1, 64, 1]; P = [64, 1, 64, 1 + 4].
  //   KL = ln(130/134) + (5/134) ln 5 = -0.03030 + 0.06005 = 0.02975.
  // i = 5: groups [0] [1] [2] [3, 4]; P = [64, 1, 64, 1, 1 + 3]; the last
  //   group's total 2 spreads as Q = 1, 1.
  //   KL = ln(131/134) + (4/134) ln 4 = -0.02264 + 0.04138 = 0.01874.
  // i = 6: groups [0] [1, 2] [3] [4, 5]; P = [64, 1, 64, 1, 1, 1 + 2];
  //   Q = [64, 32.5, 32.5, 1, 1, 1].
  //   KL = ln(132/134) + (ln(1/32.5) + 64 ln(64/32.5) + 3 ln 3) / 134
  //      = -0.01504 + (-3.481 + 43.368 + 3.296) / 134 = 0.3072.
  // i = 7: groups [0] [1, 2] [3, 4] [5, 6]; P[6] = 1 + 1.
  //   KL = ln(133/134) + (-3.481 + 43.368 + 2 ln 2) / 134 = 0.3005.
  // i = 8: pairs, nothing clipped; Q = [32.5, 32.5, 32.5, 32.5, 1, 1, 1, 1].
  //   KL = 2 (64 ln(64/32.5) + ln(1/32.5)) / 134 = 0.5953.
  // i = 5 wins: T = 5 and the range is [0, min(8, 5)].
  auto [lo, hi] = calibrationRange(collect(peakedWithSparseTail(1), 8),
                                   with(CalibrationMethod::Entropy, 2));
  EXPECT_EQ(lo, 0.0);
  EXPECT_DOUBLE_EQ(hi, 5.0);
}

TEST(CalibrationRange, EntropyMirrorsNegativeValues) {
  // The same values negated, over [-8, 0]: the bin centers -7.5..-0.5 fold
  // onto |x| bins 7..0 of width 1, giving the histogram above. One side
  // only: 2 bits have target = 4 levels, so the candidates and KLs are the
  // ones above: T = 5, and the range is [-5, 0].
  TensorStatistics s = collect(peakedWithSparseTail(-1), 8);
  auto [lo, hi] = calibrationRange(s, with(CalibrationMethod::Entropy, 2));
  EXPECT_DOUBLE_EQ(lo, -5.0);
  EXPECT_EQ(hi, 0.0);
}

TEST(CalibrationRange, EntropyThresholdsEachSide) {
  // Both histograms above side by side: 16 bins of width 1 over [-8, 8].
  // Each side has 8 bins of width 1 over [0, 8] holding the counts above,
  // and with values on both sides 3 bits give 2^2 = 4 levels per side: the
  // KLs above again, T = 5 on each side.
  std::vector<float> values = peakedWithSparseTail(-1);
  for (float v : peakedWithSparseTail(1))
    values.push_back(v);
  TensorStatistics s = collect(values, 16);
  auto [lo, hi] = calibrationRange(s, with(CalibrationMethod::Entropy, 3));
  EXPECT_DOUBLE_EQ(lo, -5.0);
  EXPECT_DOUBLE_EQ(hi, 5.0);
  // A side's spike at its far end is never clipped, whatever the other
  // side holds: a dark background at -8 keeps the negative range whole.
  std::vector<float> image(1000, -8.0f);
  for (float v : peakedWithSparseTail(1))
    image.push_back(v);
  TensorStatistics t = collect(image, 16);
  auto [ilo, ihi] = calibrationRange(t, with(CalibrationMethod::Entropy, 3));
  EXPECT_DOUBLE_EQ(ilo, -8.0);
  EXPECT_DOUBLE_EQ(ihi, 5.0);
}

TEST(CalibrationRange, EntropyNeedsTargetBins) {
  // 8 bits want 256 levels; 8 bins cannot hold them: min/max.
  auto [lo, hi] = calibrationRange(collect(peakedWithSparseTail(1), 8),
                                   with(CalibrationMethod::Entropy, 8));
  EXPECT_EQ(lo, 0.0);
  EXPECT_EQ(hi, 8.0);
}

TEST(CalibrationRange, EntropyTiesKeepTheSmallerThreshold) {
  // Statistics as a file may hold them: [64, 1, 64, 1, 0, 0, 0, 0] over
  // [0, 8], nothing in the top half. 2 bits, target 4. Nothing is clipped
  // at any i, so P is the histogram itself and KL = 0 exactly when every
  // group's non-zero bins are equal: i = 4 (groups of one bin) and i = 5
  // (groups [0] [1] [2] [3, 4], bin 4 empty). i = 6, 7 group bins 1 and 2
  // (1 and 64) and i = 8 bins 0 and 1: KL > 0. The tie goes to i = 4.
  TensorStatistics s;
  s.min = 0, s.max = 8, s.lo = 0, s.hi = 8;
  s.counts = {64, 1, 64, 1, 0, 0, 0, 0};
  s.count = 130;
  auto [lo, hi] = calibrationRange(s, with(CalibrationMethod::Entropy, 2));
  EXPECT_EQ(lo, 0.0);
  EXPECT_DOUBLE_EQ(hi, 4.0);
}

TEST(CalibrationRange, EntropyKeepsAUniformRange) {
  // 2048 * 50 values evenly over [0, 10] (the first and last replaced by 0
  // and 10 so that they set the range): exactly 50 in each bin of width
  // 10/2048. 8 bits, all >= 0: target 256.
  //
  // i = 2048: groups of 8 bins of 50, so Q = P and KL = 0.
  // i < 2048: D = 50 (2048 - i) >= 50 counts are clipped into bin i - 1, so
  //   P(i-1) = (50 + D) / S, while Q(i-1) = 50 / (S - D). Their difference
  //   grows with D (S - D >= 12800 > sqrt(50 S)), so it is at least
  //   100/102400 - 50/102350 = 4.9e-4, and by Pinsker's inequality
  //   KL >= 2 (4.9e-4)^2 = 4.8e-7 > 0.
  // So T = 2048 * 10/2048 = 10: nothing is clipped.
  const int64_t m = 2048 * 50;
  std::vector<float> values;
  for (int64_t j = 0; j < m; ++j)
    values.push_back(float((double(j) + 0.5) * 10.0 / double(m)));
  values.front() = 0.0f;
  values.back() = 10.0f;
  TensorStatistics s = collect(values, 2048);
  ASSERT_EQ(s.counts.front(), 50.0);
  ASSERT_EQ(s.counts.back(), 50.0);
  auto [lo, hi] = calibrationRange(s, with(CalibrationMethod::Entropy, 8));
  EXPECT_EQ(lo, 0.0);
  EXPECT_DOUBLE_EQ(hi, 10.0);
}

TEST(CalibrationRange, EntropyKeepsAnOutlierIsolatedByEmptyBins) {
  // 10000 values evenly in [0, 1) and 5 at 50; 8 bits, target 256. The
  // bins have width 50/2048, so the bulk fills bins 0..40 and the outliers
  // sit in bin 2047. For every i < 2048 the last group of Q,
  // [floor(255 i / 256), i), starts at bin 255 or later: it holds none of
  // the bulk, while P puts the 5 clipped values in its bin i - 1. Q is 0
  // where P is not, KL = +infinity, and only i = 2048 is finite: the
  // outliers are kept (Q leaves out the clipped counts; see the header).
  std::vector<float> values = evenlyInUnitInterval(10000);
  append(values, 50.0f, 5);
  auto [lo, hi] = calibrationRange(collect(values, 2048),
                                   with(CalibrationMethod::Entropy, 8));
  EXPECT_EQ(lo, 0.0);
  EXPECT_DOUBLE_EQ(hi, 50.0);
}

TEST(CalibrationRange, EntropyLeavesOutExactZeros) {
  // A ReLU-like tensor: 200000 exact zeros and 20 values in each of the
  // 2048 bins over [0, 6] (bin centres). The zeros are counted apart.
  // Without them the histogram is the uniform one of
  // EntropyKeepsAUniformRange (20 per bin instead of 50: the same
  // argument), so nothing is clipped: hi = 6.
  std::vector<float> values(200000, 0.0f);
  for (int64_t b = 0; b < 2048; ++b)
    for (int r = 0; r < 20; ++r)
      values.push_back(float((double(b) + 0.5) * 6.0 / 2048));
  values.back() = 6.0f;
  TensorStatistics s = collect(values, 2048);
  EXPECT_EQ(s.zeros, 200000);
  EXPECT_EQ(s.counts.front(), 200020.0);
  auto [lo, hi] = calibrationRange(s, with(CalibrationMethod::Entropy, 8));
  EXPECT_EQ(lo, 0.0);
  EXPECT_DOUBLE_EQ(hi, 6.0);
}

} // namespace
