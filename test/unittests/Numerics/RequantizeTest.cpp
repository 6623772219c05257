//===- RequantizeTest.cpp - Integer requantization ------------------------===//
//
// Multipliers and shifts are worked by hand from frexp; rescaled values from
// the TOSA apply_scale definition. The sweep checks against upstream MLIR's
// computeMultiplierAndShift, an independent implementation.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Numerics/Requantize.h"

#include "mlir/Dialect/Tosa/Utils/QuantUtils.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace quant_eval::numerics;

namespace {
TEST(RescaleMultiplier, HandWorked) {
  auto half = computeRescaleMultiplier(0.5);
  ASSERT_TRUE(half.has_value());
  EXPECT_EQ(half->multiplier, 1 << 30);
  EXPECT_EQ(half->shift, 31);
  auto threeQuarters = computeRescaleMultiplier(0.75);
  EXPECT_EQ(threeQuarters->multiplier, 1610612736); // 0.75 * 2^31
  EXPECT_EQ(threeQuarters->shift, 31);
  auto one = computeRescaleMultiplier(1.0);
  EXPECT_EQ(one->multiplier, 1 << 30);
  EXPECT_EQ(one->shift, 30);
  auto tiny = computeRescaleMultiplier(std::ldexp(1.0, -20));
  EXPECT_EQ(tiny->multiplier, 1 << 30);
  EXPECT_EQ(tiny->shift, 50);
}

TEST(RescaleMultiplier, RenormalizesWhenMantissaRoundsToOne) {
  // (1 - 2^-40) / 8: the 31-bit mantissa rounds to 2^31, so it becomes 2^30
  // with the exponent one higher: 2^30 * 2^-33 = 1/8.
  auto m = computeRescaleMultiplier((1.0 - std::ldexp(1.0, -40)) / 8);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->multiplier, 1 << 30);
  EXPECT_EQ(m->shift, 33);
}

TEST(RescaleMultiplier, SixteenBit) {
  auto m = computeRescaleMultiplier(0.75, 16);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->multiplier, 24576); // 0.75 * 2^15
  EXPECT_EQ(m->shift, 15);
  EXPECT_FALSE(computeRescaleMultiplier(0.75, 8));
}

TEST(RescaleMultiplier, RejectsShiftsOutsideTwoToSixtyTwo) {
  EXPECT_TRUE(computeRescaleMultiplier(std::ldexp(1.0, 28)));  // shift 2
  EXPECT_FALSE(computeRescaleMultiplier(std::ldexp(1.0, 29))); // shift 1
  EXPECT_TRUE(computeRescaleMultiplier(std::ldexp(1.0, -32))); // shift 62
  EXPECT_FALSE(computeRescaleMultiplier(std::ldexp(1.0, -33)));
  EXPECT_FALSE(computeRescaleMultiplier(0.0));
  EXPECT_FALSE(computeRescaleMultiplier(-0.5));
  EXPECT_FALSE(computeRescaleMultiplier(NAN));
  EXPECT_FALSE(computeRescaleMultiplier(INFINITY));
}

TEST(RescaleMultiplier, AgreesWithUpstreamMLIR) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> logScale(-30.0, 27.0);
  for (int i = 0; i < 2000; ++i) {
    double scale = std::exp2(logScale(rng));
    auto ours = computeRescaleMultiplier(scale);
    ASSERT_TRUE(ours.has_value()) << scale;
    int32_t multiplier = 0, shift = 0;
    ASSERT_TRUE(
        mlir::tosa::computeMultiplierAndShift(scale, multiplier, shift, 32));
    EXPECT_EQ(ours->multiplier, multiplier) << scale;
    EXPECT_EQ(ours->shift, shift) << scale;
    // And the representation is within half a unit of the mantissa.
    EXPECT_NEAR(std::ldexp(double(ours->multiplier), -ours->shift), scale,
                std::ldexp(scale, -31));
  }
}

TEST(ApplyScale, RoundsHalfUp) {
  const int32_t half = 1 << 30; // with shift 31: times 0.5
  EXPECT_EQ(applyScale(100, half, 31, false), 50);
  EXPECT_EQ(applyScale(101, half, 31, false), 51);      // 50.5 -> 51
  EXPECT_EQ(applyScale(-101, half, 31, false), -50);    // -50.5 -> -50
  EXPECT_EQ(applyScale(-3, 1610612736, 31, false), -2); // -2.25
  EXPECT_EQ(applyScale(0, 1610612736, 31, false), 0);
  // A 48-bit value with a 32-bit multiplier is exact (the product needs 78
  // bits; requantize-fuzzer found it overflowing 64): (2^47 - 1) * 2^30 +
  // 2^30 = 2^77, >> 31 = 2^46; -2^47 * 2^30 + 2^30, >> 31 = floor(-2^46 +
  // 1/2) = -2^46.
  const int64_t v47 = int64_t(1) << 47;
  EXPECT_EQ(applyScale(v47 - 1, 1 << 30, 31, false), int64_t(1) << 46);
  EXPECT_EQ(applyScale(-v47, 1 << 30, 31, false), -(int64_t(1) << 46));
  // A result beyond 64 bits saturates: about 2^78 / 4.
  EXPECT_EQ(applyScale(v47 - 1, 2147483647, 2, false),
            std::numeric_limits<int64_t>::max());
  EXPECT_EQ(applyScale(-v47, 2147483647, 2, false),
            std::numeric_limits<int64_t>::min());
}

TEST(ApplyScale, DoubleRoundOnlyAboveShift31) {
  const int32_t m = 1 << 30; // with shift 33: times 0.125
  // 3 * 0.125 = 0.375: single rounding gives 0; double rounding first
  // rounds at bit 31 (0.375 * 4 = 1.5 -> 2), then 2/4 = 0.5 -> 1.
  EXPECT_EQ(applyScale(3, m, 33, false), 0);
  EXPECT_EQ(applyScale(3, m, 33, true), 1);
  // -4 * 0.125 = -0.5: half up gives 0, double rounding -1.
  EXPECT_EQ(applyScale(-4, m, 33, false), 0);
  EXPECT_EQ(applyScale(-4, m, 33, true), -1);
  // With shift <= 31 double rounding changes nothing.
  EXPECT_EQ(applyScale(101, 1 << 30, 31, true), 51);
}

TEST(ApplyScaleHigh32, HandWorked) {
  // 1000 * 2^30 * 2^-35 = 31.25 -> 31; high half of 1000 * 2^30 is 250,
  // (250 + 2^2) >> 3 = 31.
  EXPECT_EQ(applyScaleHigh32(1000, 1 << 30, 35), 31);
  // -1000 * 2^30 * 2^-35 = -31.25 -> -31 (round half up); high half is
  // -250, (-250 + 4) >> 3 = -31 (arithmetic shift).
  EXPECT_EQ(applyScaleHigh32(-1000, 1 << 30, 35), -31);
  // 12 * 2^30 * 2^-35 = 0.375 -> 0; 20 * 2^30 * 2^-35 = 0.625 -> 1.
  EXPECT_EQ(applyScaleHigh32(12, 1 << 30, 35), 0);
  EXPECT_EQ(applyScaleHigh32(20, 1 << 30, 35), 1);
  EXPECT_FALSE(applyScaleHigh32(1, 1 << 30, 32).has_value());
  EXPECT_FALSE(applyScaleHigh32(1, -5, 40).has_value());
}

TEST(ApplyScaleHigh32, EqualsApplyScaleEverywhereItApplies) {
  const int32_t lo = std::numeric_limits<int32_t>::min(),
                hi = std::numeric_limits<int32_t>::max();
  std::vector<int32_t> values = {lo, lo + 1, -1, 0, 1, hi - 1, hi};
  std::vector<int32_t> multipliers = {0, 1, 1 << 30, hi - 1, hi};
  std::mt19937 rng(11);
  std::uniform_int_distribution<int32_t> any(lo, hi), positive(0, hi);
  for (int i = 0; i < 200; ++i) {
    values.push_back(any(rng));
    multipliers.push_back(positive(rng));
  }
  for (int32_t shift = 33; shift <= 63; ++shift)
    for (int32_t v : values)
      for (int32_t m : multipliers) {
        std::optional<int32_t> fast = applyScaleHigh32(v, m, shift);
        ASSERT_TRUE(fast.has_value());
        ASSERT_EQ(*fast, applyScale(v, m, shift, /*doubleRound=*/false))
            << v << " * " << m << " >> " << shift;
      }
}

TEST(Rescale, ZeroPointsAndSaturation) {
  RescaleMultiplier half{1 << 30, 31};
  QuantRange i8{-128, 127};
  // (130 - 2) * 0.5 - 5 = 59
  EXPECT_EQ(rescale(130, half, 2, -5, i8, false), 59);
  EXPECT_EQ(rescale(1000, half, 2, -5, i8, false), 127);
  EXPECT_EQ(rescale(-1000, half, 2, -5, i8, false), -128);
  QuantRange u8{0, 255};
  EXPECT_EQ(rescale(-10, half, 0, 3, u8, false), 0); // -5 + 3 = -2 -> 0
}
} // namespace

// Bias on the accumulator grid (exact binary fractions): 0.5 / 0.25 = 2;
// 0.625 / 0.25 = 2.5 rounds away from zero to 3 (half to even would give
// 2), -2.5 to -3; 1e10 / 1e-3 saturates int32 but not int64; NaN is 0.
TEST(QuantizeBias, RoundsHalfAwayAndSaturates) {
  EXPECT_EQ(quantizeBias(0.5, 0.25), 2);
  EXPECT_EQ(quantizeBias(0.625, 0.25), 3);
  EXPECT_EQ(quantizeBias(-0.625, 0.25), -3);
  EXPECT_EQ(quantizeBias(1e10, 1e-3), 2147483647);
  EXPECT_EQ(quantizeBias(-1e10, 1e-3), -2147483648LL);
  EXPECT_EQ(quantizeBias(1e10, 1e-3, 64), 10000000000000LL);
  EXPECT_EQ(quantizeBias(1e300, 1e-300, 64),
            std::numeric_limits<int64_t>::max());
  EXPECT_EQ(quantizeBias(std::nan(""), 0.1), 0);
  // A NaN quotient has no grid point either (requantize-fuzzer found the
  // 0/0 case converting NaN to an integer).
  EXPECT_EQ(quantizeBias(0.0, 0.0), 0);
  EXPECT_EQ(quantizeBias(std::numeric_limits<double>::infinity(),
                         std::numeric_limits<double>::infinity(), 64),
            0);
  // A non-zero bias over a zero scale saturates.
  EXPECT_EQ(quantizeBias(1.0, 0.0), 2147483647);
}
