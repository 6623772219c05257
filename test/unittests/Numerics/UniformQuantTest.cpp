//===- UniformQuantTest.cpp - Uniform affine quantization -----------------===//
//
// Expected values are computed by hand from quantization-algorithms.md
// section 1; the scales are chosen so the hand computation is exact.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Numerics/UniformQuant.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace quant_eval::numerics;

namespace {
constexpr Rounding RNE = Rounding::HalfToEven;
constexpr Rounding RHAZ = Rounding::HalfAwayFromZero;
constexpr Rounding RHU = Rounding::HalfUp;

QuantRange range(unsigned bits, bool isSigned, bool narrow) {
  return *getQuantRange(bits, isSigned, narrow);
}

TEST(QuantRange, SignedUnsignedNarrow) {
  EXPECT_EQ(range(8, true, false), (QuantRange{-128, 127}));
  EXPECT_EQ(range(8, true, true), (QuantRange{-127, 127}));
  EXPECT_EQ(range(8, false, false), (QuantRange{0, 255}));
  EXPECT_EQ(range(8, false, true), (QuantRange{1, 255}));
  EXPECT_EQ(range(4, true, false), (QuantRange{-8, 7}));
  EXPECT_EQ(range(2, true, false), (QuantRange{-2, 1}));
  EXPECT_EQ(range(16, true, false), (QuantRange{-32768, 32767}));
  EXPECT_EQ(range(16, false, false), (QuantRange{0, 65535}));
}

TEST(QuantRange, RejectsBitsOutsideTwoToSixteen) {
  EXPECT_FALSE(getQuantRange(1, true, false).has_value());
  EXPECT_FALSE(getQuantRange(0, false, false).has_value());
  EXPECT_FALSE(getQuantRange(17, true, false).has_value());
}

TEST(Quantize, TiesFollowTheMode) {
  QuantRange r = range(8, true, false);
  // 1.25 / 0.5 = 2.5 exactly.
  EXPECT_EQ(quantize(1.25f, 0.5f, 0, r, RNE), 2);
  EXPECT_EQ(quantize(1.25f, 0.5f, 0, r, RHAZ), 3);
  EXPECT_EQ(quantize(1.25f, 0.5f, 0, r, RHU), 3);
  EXPECT_EQ(quantize(-1.25f, 0.5f, 0, r, RNE), -2);
  EXPECT_EQ(quantize(-1.25f, 0.5f, 0, r, RHAZ), -3);
  EXPECT_EQ(quantize(-1.25f, 0.5f, 0, r, RHU), -2);
  // 0.625 / 0.25 = 2.5, then + 10.
  EXPECT_EQ(quantize(0.625, 0.25, 10, r, RNE), 12);
  EXPECT_EQ(quantize(0.625, 0.25, 10, r, RHAZ), 13);
}

TEST(Quantize, ZeroPointIsAddedAfterRounding) {
  // ONNX QuantizeLinear: saturate(round(x / scale) + zp). 0.25 / 0.5 = 0.5
  // rounds (RNE) to 0, so q = zp = 3; rounding 0.5 + 3 = 3.5 would give 4.
  QuantRange r = range(8, false, false);
  EXPECT_EQ(quantize(0.25f, 0.5f, 3, r, RNE), 3);
  // -0.5 rounds (RHAZ) to -1, so q = 2; rounding 2.5 would give 3.
  EXPECT_EQ(quantize(-0.25f, 0.5f, 3, r, RHAZ), 2);
}

TEST(Quantize, ZeroIsExact) {
  for (Rounding mode : {RNE, RHAZ, RHU}) {
    EXPECT_EQ(quantize(0.0f, 0.37f, 0, range(8, true, true), mode), 0);
    EXPECT_EQ(quantize(0.0f, 0.37f, 77, range(8, false, false), mode), 77);
    EXPECT_EQ(quantize(-0.0, 0.37, -5, range(8, true, false), mode), -5);
  }
}

TEST(Quantize, SaturatesAtRangeEnds) {
  float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(quantize(200.0f, 1.0f, 0, range(8, true, false), RNE), 127);
  EXPECT_EQ(quantize(-200.0f, 1.0f, 0, range(8, true, false), RNE), -128);
  EXPECT_EQ(quantize(-200.0f, 1.0f, 0, range(8, true, true), RNE), -127);
  EXPECT_EQ(quantize(inf, 1.0f, 0, range(4, true, false), RNE), 7);
  EXPECT_EQ(quantize(-inf, 1.0f, 0, range(4, true, false), RNE), -8);
  EXPECT_EQ(quantize(1e30f, 1e-3f, 0, range(16, false, false), RNE), 65535);
  // Exactly at the ends: 127 and -128 survive, 127.5 (RNE 128) clamps.
  EXPECT_EQ(quantize(127.0f, 1.0f, 0, range(8, true, false), RNE), 127);
  EXPECT_EQ(quantize(-128.0f, 1.0f, 0, range(8, true, false), RNE), -128);
  EXPECT_EQ(quantize(127.5f, 1.0f, 0, range(8, true, false), RNE), 127);
  // With a zero point the clamp applies to q, not to round(x / scale).
  EXPECT_EQ(quantize(250.0f, 1.0f, 10, range(8, false, false), RNE), 255);
}

TEST(Quantize, NaNQuantizesToTheZeroPoint) {
  EXPECT_EQ(quantize(std::nanf(""), 0.1f, 5, range(8, false, false), RNE), 5);
}

TEST(Dequantize, ScaleTimesOffset) {
  EXPECT_EQ(dequantize(12, 0.25f, 10), 0.5f);
  EXPECT_EQ(dequantize(int64_t(-128), 0.5, 0), -64.0);
  EXPECT_EQ(dequantize(3, 0.5f, 3), 0.0f);
}

TEST(FakeQuantize, RoundTripsOnTheGrid) {
  QuantRange r = range(8, true, true);
  EXPECT_EQ(fakeQuantize(1.25f, 0.5f, 0, r, RNE), 1.0f);
  EXPECT_EQ(fakeQuantize(1.25f, 0.5f, 0, r, RHAZ), 1.5f);
  EXPECT_EQ(fakeQuantize(1000.0f, 0.5f, 0, r, RNE), 63.5f);
  EXPECT_EQ(fakeQuantize(-1000.0f, 0.5f, 0, r, RNE), -63.5f);
  EXPECT_EQ(fakeQuantize(2.0f, 0.5f, 0, r, RHU), 2.0f);
}

TEST(FakeQuantize, NaNStaysNaNAndInfinitySaturates) {
  QuantRange r = range(8, false, false);
  EXPECT_TRUE(std::isnan(fakeQuantize(std::nanf(""), 0.1f, 0, r, RNE)));
  EXPECT_EQ(
      fakeQuantize(std::numeric_limits<double>::infinity(), 0.5, 0, r, RNE),
      127.5);
}

TEST(FakeQuantize, DividesInTheElementPrecision) {
  // float(0.5) / float(0.2) is exactly 2.5 in f32 but 2.49999996... in f64,
  // so half-away rounding lands on 3 in f32 and on 2 in f64.
  QuantRange r = range(8, true, false);
  EXPECT_EQ(quantize(0.5f, 0.2f, 0, r, RHAZ), 3);
  EXPECT_EQ(quantize(double(0.5f), double(0.2f), 0, r, RHAZ), 2);
  EXPECT_EQ(fakeQuantize(0.5f, 0.2f, 0, r, RHAZ), 3.0f * 0.2f);
}

TEST(SymmetricParams, MaxAbsOverQmax) {
  auto p = computeSymmetricParams(2.54, range(8, true, true));
  ASSERT_TRUE(p.has_value());
  EXPECT_DOUBLE_EQ(p->scale, 0.02);
  EXPECT_EQ(p->zeroPoint, 0);
  // Full range still divides by qmax = 127, not 127.5 (that is PyTorch's).
  EXPECT_DOUBLE_EQ(computeSymmetricParams(2.54, range(8, true, false))->scale,
                   0.02);
  EXPECT_DOUBLE_EQ(computeSymmetricParams(7.0, range(4, true, true))->scale,
                   1.0);
}

TEST(SymmetricParams, AllZeroChannelGetsValidScale) {
  auto p = computeSymmetricParams(0.0, range(8, true, true));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->scale, 1.0);
  EXPECT_EQ(quantize(0.0, p->scale, p->zeroPoint, range(8, true, true), RNE),
            0);
}

TEST(SymmetricParams, RejectsNonFinite) {
  EXPECT_FALSE(computeSymmetricParams(std::nan(""), range(8, true, true)));
  EXPECT_FALSE(computeSymmetricParams(INFINITY, range(8, true, true)));
  EXPECT_FALSE(computeSymmetricParams(-1.0, range(8, true, true)));
}

TEST(SymmetricParams, PerAxis) {
  // [[1, -2, 0.5], [0, 0, 0]]
  std::vector<float> w = {1.0f, -2.0f, 0.5f, 0.0f, 0.0f, 0.0f};
  QuantRange r = range(8, true, true);
  auto rows = computeSymmetricPerAxisParams(w, {2, 3}, 0, r);
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_DOUBLE_EQ((*rows)[0].scale, 2.0 / 127);
  EXPECT_EQ((*rows)[1].scale, 1.0); // all-zero channel
  auto cols = computeSymmetricPerAxisParams(w, {2, 3}, 1, r);
  ASSERT_TRUE(cols.has_value());
  ASSERT_EQ(cols->size(), 3u);
  EXPECT_DOUBLE_EQ((*cols)[0].scale, 1.0 / 127);
  EXPECT_DOUBLE_EQ((*cols)[1].scale, 2.0 / 127);
  EXPECT_DOUBLE_EQ((*cols)[2].scale, 0.5 / 127);
  EXPECT_FALSE(computeSymmetricPerAxisParams(w, {2, 3}, 2, r));
  EXPECT_FALSE(computeSymmetricPerAxisParams(w, {3, 3}, 0, r));
  w[4] = std::nanf("");
  EXPECT_FALSE(computeSymmetricPerAxisParams(w, {2, 3}, 0, r));
}

TEST(AsymmetricParams, NudgedSoZeroIsExact) {
  // [-1, 3] on uint8: scale 4/255, zp = RHAZ(0 + 63.75) = 64.
  auto u8 = computeAsymmetricParams(-1.0, 3.0, range(8, false, false));
  ASSERT_TRUE(u8.has_value());
  EXPECT_DOUBLE_EQ(u8->scale, 4.0 / 255);
  EXPECT_EQ(u8->zeroPoint, 64);
  EXPECT_EQ(dequantize(u8->zeroPoint, u8->scale, u8->zeroPoint), 0.0);
  // On int8 the same range gives zp = RHAZ(-128 + 63.75) = -64.
  auto i8 = computeAsymmetricParams(-1.0, 3.0, range(8, true, false));
  ASSERT_TRUE(i8.has_value());
  EXPECT_EQ(i8->zeroPoint, -64);
}

TEST(AsymmetricParams, ZeroPointTiesRoundAwayFromZero) {
  // [-1, 509]: scale 2, qmin - min/scale = 0.5 -> 1 (RNE would give 0).
  auto u8 = computeAsymmetricParams(-1.0, 509.0, range(8, false, false));
  ASSERT_TRUE(u8.has_value());
  EXPECT_EQ(u8->scale, 2.0);
  EXPECT_EQ(u8->zeroPoint, 1);
  // [-3, 507] on int8: -128 + 1.5 = -126.5 -> -127 (RNE would give -126).
  auto i8 = computeAsymmetricParams(-3.0, 507.0, range(8, true, false));
  ASSERT_TRUE(i8.has_value());
  EXPECT_EQ(i8->zeroPoint, -127);
}

TEST(AsymmetricParams, RangeIsExtendedToZero) {
  auto pos = computeAsymmetricParams(2.0, 6.0, range(8, false, false));
  ASSERT_TRUE(pos.has_value());
  EXPECT_DOUBLE_EQ(pos->scale, 6.0 / 255);
  EXPECT_EQ(pos->zeroPoint, 0);
  auto neg = computeAsymmetricParams(-4.0, -2.0, range(8, false, false));
  ASSERT_TRUE(neg.has_value());
  EXPECT_DOUBLE_EQ(neg->scale, 4.0 / 255);
  EXPECT_EQ(neg->zeroPoint, 255);
}

TEST(AsymmetricParams, DegenerateAndInvalidRanges) {
  auto empty = computeAsymmetricParams(0.0, 0.0, range(8, true, false));
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->scale, 1.0);
  EXPECT_EQ(dequantize(quantize(0.0, empty->scale, empty->zeroPoint,
                                range(8, true, false), RNE),
                       empty->scale, empty->zeroPoint),
            0.0);
  EXPECT_FALSE(computeAsymmetricParams(1.0, -1.0, range(8, true, false)));
  EXPECT_FALSE(
      computeAsymmetricParams(std::nan(""), 1.0, range(8, true, false)));
  EXPECT_FALSE(computeAsymmetricParams(0.0, INFINITY, range(8, true, false)));
}
} // namespace

namespace {
TEST(AxisLayout, ChannelOfFlatIndex) {
  // Shape [2, 3, 4], axis 1: index (n, c, k) is at 12n + 4c + k.
  auto layout = getAxisLayout({2, 3, 4}, 1, 24);
  ASSERT_TRUE(layout.has_value());
  EXPECT_EQ(layout->channels, 3);
  EXPECT_EQ(layout->inner, 4);
  EXPECT_EQ(layout->channelOf(5), 1);  // (0, 1, 1)
  EXPECT_EQ(layout->channelOf(13), 0); // (1, 0, 1)
  EXPECT_EQ(layout->channelOf(23), 2); // (1, 2, 3)
  EXPECT_FALSE(getAxisLayout({2, 3, 4}, 3, 24));
  EXPECT_FALSE(getAxisLayout({2, 3, 4}, -1, 24));
  EXPECT_FALSE(getAxisLayout({2, 3, 4}, 0, 23));
  EXPECT_FALSE(getAxisLayout({2, 0, 4}, 0, 0));
}
} // namespace
