//===- QKerasTest.cpp - QKeras quantizer semantics ------------------------===//
//
// Expected values are worked by hand from quantization-algorithms.md
// section 3 (QKeras' documented forward pass); the auto_po2 case was also
// recomputed with numpy (python/ has no QKeras: it is not in Debian).
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Numerics/QKeras.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace quant_eval::numerics;

namespace {
double bits(double x, unsigned b, unsigned integer = 0, bool symmetric = false,
            bool keepNegative = true, double alpha = 1.0) {
  QuantizedBitsConfig c;
  c.bits = b;
  c.integer = integer;
  c.symmetric = symmetric;
  c.keepNegative = keepNegative;
  return *quantizedBits(x, c, alpha);
}

TEST(QuantizedBits, FourBitsSignedGrid) {
  // u = 3, m = 8: values k/8 with k in [-8, 7], RNE.
  EXPECT_EQ(bits(0.3, 4), 0.25);    // 2.4 -> 2
  EXPECT_EQ(bits(0.3125, 4), 0.25); // 2.5 -> 2 (tie to even)
  EXPECT_EQ(bits(0.4375, 4), 0.5);  // 3.5 -> 4 (tie to even)
  EXPECT_EQ(bits(0.0, 4), 0.0);
  EXPECT_EQ(bits(1.0, 4), 0.875); // 8 clips to 7
  EXPECT_EQ(bits(-1.5, 4), -1.0); // -12 clips to -8
  EXPECT_EQ(bits(-1.5, 4, 0, /*symmetric=*/true), -0.875);
}

TEST(QuantizedBits, IntegerBitsWidenTheRange) {
  // integer = 2: step 2^(2-3) = 0.5, range [-4, 3.5].
  EXPECT_EQ(bits(1.25, 4, 2), 1.0); // 2.5 -> 2
  EXPECT_EQ(bits(1.75, 4, 2), 2.0); // 3.5 -> 4
  EXPECT_EQ(bits(10.0, 4, 2), 3.5);
  EXPECT_EQ(bits(-10.0, 4, 2), -4.0);
}

TEST(QuantizedBits, UnsignedAndAlpha) {
  // keep_negative = 0: u = 4, m = 16, q in [0, 15].
  EXPECT_EQ(bits(-0.3, 4, 0, false, false), 0.0);
  EXPECT_EQ(bits(0.5, 4, 0, false, false), 0.5);
  EXPECT_EQ(bits(2.0, 4, 0, false, false), 0.9375);
  EXPECT_EQ(bits(0.3, 4, 0, false, true, /*alpha=*/2.0), 0.5);
}

TEST(QuantizedBits, OneSignedBitIsSign) {
  EXPECT_EQ(bits(0.0, 1), 1.0);
  EXPECT_EQ(bits(3.0, 1), 1.0);
  EXPECT_EQ(bits(-0.2, 1), -1.0);
  QuantizedBitsConfig zero;
  zero.bits = 0;
  EXPECT_FALSE(quantizedBits(1.0, zero).has_value());
}

TEST(QuantizedBitsAuto, PerChannelMaxAbsWithHalfAwayRounding) {
  // Channels on the last axis (Keras): channel 0 = {3.5, -7}, channel 1 =
  // {0.3125, -0.875}. qmax = 7, so the scales are 1 and 0.125.
  std::vector<double> x = {3.5, 0.3125, -7.0, -0.875};
  auto r = quantizedBitsAuto(x, {2, 2}, 1, 4);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->scales, (std::vector<double>{1.0, 0.125}));
  // 3.5 -> 4 and 2.5 -> 3: half away from zero, unlike RNE.
  EXPECT_EQ(r->integers, (std::vector<int64_t>{4, 3, -7, -7}));
  EXPECT_EQ(r->values, (std::vector<double>{4.0, 0.375, -7.0, -0.875}));
}

TEST(QuantizedBitsAuto, AllZeroChannelAndNegativeTies) {
  std::vector<double> x = {0.0, 0.0, 7.0, -2.5};
  auto r = quantizedBitsAuto(x, {2, 2}, 0, 4);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->scales, (std::vector<double>{1.0, 1.0}));
  EXPECT_EQ(r->values, (std::vector<double>{0.0, 0.0, 7.0, -3.0}));
}

TEST(QuantizedBitsAuto, RejectsBadShapes) {
  std::vector<double> x = {1.0, 2.0, 3.0};
  EXPECT_FALSE(quantizedBitsAuto(x, {2, 2}, 0, 4));
  EXPECT_FALSE(quantizedBitsAuto(x, {3}, 1, 4));
  EXPECT_FALSE(quantizedBitsAuto(x, {3}, 0, 1));
  x[1] = NAN;
  EXPECT_FALSE(quantizedBitsAuto(x, {3}, 0, 4));
}

TEST(QuantizedBitsAutoPo2, LeastSquaresMovesTheScale) {
  // One channel: 1.32 and a hundred 0.13. Start: 2^RNE(log2(1.32/7)) =
  // 2^RNE(-2.41) = 0.25. With q = {5, 1 x 100}, mean(xq)/mean(qq) =
  // 19.6/125 = 0.1568 = 2^-2.67 -> 0.125, which is then stable
  // (22.24/149 = 2^-2.74).
  std::vector<double> x(101, 0.13);
  x[0] = 1.32;
  auto r = quantizedBitsAutoPo2(x, {101, 1}, 1, 4);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->scales, (std::vector<double>{0.125}));
  EXPECT_EQ(r->values[0], 0.875); // 10.56 clips to 7
  EXPECT_EQ(r->integers[0], 7);
  for (size_t i = 1; i < x.size(); ++i)
    ASSERT_EQ(r->values[i], 0.125);
  // "auto" on the same data keeps the max: scale 1.32/7, no clipping.
  auto plain = quantizedBitsAuto(x, {101, 1}, 1, 4);
  EXPECT_DOUBLE_EQ(plain->values[0], 1.32);
}

TEST(QuantizedBitsAutoPo2, ScalesArePowersOfTwo) {
  std::vector<double> x = {0.9, 0.1, -3.0, 0.7};
  auto r = quantizedBitsAutoPo2(x, {2, 2}, 0, 4);
  ASSERT_TRUE(r.has_value());
  for (double s : r->scales) {
    int e;
    EXPECT_EQ(std::frexp(s, &e), 0.5) << s;
  }
  // Channel 0 = {0.9, 0.1}: 2^RNE(log2(0.9/7)) = 0.125, q = {7, 1}.
  EXPECT_EQ(r->scales[0], 0.125);
  EXPECT_EQ(r->values[0], 0.875);
  EXPECT_EQ(r->values[1], 0.125);
}

TEST(QuantizedPo2, ExponentRange) {
  auto r4 = getPo2ExponentRange(4, std::nullopt);
  ASSERT_TRUE(r4.has_value());
  EXPECT_EQ(r4->minExp, -4);
  EXPECT_EQ(r4->maxExp, 3);
  auto r2 = getPo2ExponentRange(2, std::nullopt);
  EXPECT_EQ(r2->minExp, -1);
  EXPECT_EQ(r2->maxExp, 0);
  // max_value <= 1 frees the bit: eb = bits - 1.
  auto r8 = getPo2ExponentRange(8, 1.0);
  EXPECT_EQ(r8->minExp, -128);
  EXPECT_EQ(r8->maxExp, 127);
  auto r4m = getPo2ExponentRange(4, 4.0);
  EXPECT_EQ(r4m->minExp, -4);
  EXPECT_EQ(r4m->maxExp, 3);
  EXPECT_FALSE(getPo2ExponentRange(1, std::nullopt));
  EXPECT_FALSE(getPo2ExponentRange(4, 0.0));
  EXPECT_FALSE(getPo2ExponentRange(4, NAN));
}

TEST(QuantizedPo2, RoundsInTheLogDomainAndClips) {
  Po2ExponentRange r{-4, 3};
  EXPECT_EQ(quantizedPo2(1.0, r, std::nullopt), 1.0);
  EXPECT_EQ(quantizedPo2(0.3, r, std::nullopt), 0.25); // log2 = -1.74
  EXPECT_EQ(quantizedPo2(-0.3, r, std::nullopt), -0.25);
  EXPECT_EQ(quantizedPo2(100.0, r, std::nullopt), 8.0);     // 6.64 -> 3
  EXPECT_EQ(quantizedPo2(-0.01, r, std::nullopt), -0.0625); // -6.64 -> -4
  EXPECT_EQ(quantizedPo2(0.75, r, std::nullopt), 1.0);      // -0.415 -> 0
}

TEST(QuantizedPo2, ZeroIsNotRepresentable) {
  Po2ExponentRange r{-4, 3};
  EXPECT_EQ(quantizedPo2(0.0, r, std::nullopt), 0.0625);
  EXPECT_EQ(quantizedPo2(5e-8, r, std::nullopt), 0.0625);
  EXPECT_EQ(quantizedPo2(-5e-8, r, std::nullopt), -0.0625);
  EXPECT_TRUE(std::isnan(quantizedPo2(NAN, r, std::nullopt)));
}

TEST(QuantizedPo2, MaxValueClipsTheMagnitude) {
  Po2ExponentRange r = *getPo2ExponentRange(4, 1.0); // [-8, 7]
  EXPECT_EQ(quantizedPo2(5.0, r, 1.0), 1.0);
  EXPECT_EQ(quantizedPo2(-5.0, r, 1.0), -1.0);
  EXPECT_EQ(quantizedPo2(0.003, r, 1.0), 0.00390625); // -8.38 -> -8
  Po2ExponentRange r4 = *getPo2ExponentRange(4, 4.0);
  EXPECT_EQ(quantizedPo2(100.0, r4, 4.0), 4.0);
}

TEST(QuantizedRelu, UnsignedGridBelowOne) {
  // bits = 4: m = 16, values k/16 up to 15/16.
  EXPECT_EQ(*quantizedRelu(0.5, 4), 0.5);
  EXPECT_EQ(*quantizedRelu(0.53125, 4), 0.5);   // 8.5 -> 8
  EXPECT_EQ(*quantizedRelu(0.59375, 4), 0.625); // 9.5 -> 10
  EXPECT_EQ(*quantizedRelu(-0.3, 4), 0.0);
  EXPECT_EQ(*quantizedRelu(0.0, 4), 0.0);
  EXPECT_EQ(*quantizedRelu(2.0, 4), 0.9375);
}

TEST(QuantizedRelu, IntegerBits) {
  // integer = 1: step 2^(1-4) = 0.125, max 2 * 15/16 = 1.875.
  EXPECT_EQ(*quantizedRelu(1.5, 4, 1), 1.5);
  EXPECT_EQ(*quantizedRelu(3.0, 4, 1), 1.875);
  EXPECT_EQ(*quantizedRelu(0.1875, 4, 1), 0.25); // 1.5 -> 2
  EXPECT_FALSE(quantizedRelu(1.0, 0).has_value());
}
} // namespace
