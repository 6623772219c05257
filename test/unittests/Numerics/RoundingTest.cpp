//===- RoundingTest.cpp - Named rounding modes ----------------------------===//
//
// Expected values are the definitions of the modes applied by hand.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Numerics/Rounding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace quant_eval::numerics;

namespace {
constexpr Rounding RNE = Rounding::HalfToEven;
constexpr Rounding RHAZ = Rounding::HalfAwayFromZero;
constexpr Rounding RHU = Rounding::HalfUp;

TEST(Rounding, PositiveTies) {
  EXPECT_EQ(roundWith(0.5, RNE), 0.0);
  EXPECT_EQ(roundWith(0.5, RHAZ), 1.0);
  EXPECT_EQ(roundWith(0.5, RHU), 1.0);
  EXPECT_EQ(roundWith(1.5, RNE), 2.0);
  EXPECT_EQ(roundWith(2.5, RNE), 2.0);
  EXPECT_EQ(roundWith(2.5, RHAZ), 3.0);
  EXPECT_EQ(roundWith(2.5, RHU), 3.0);
}

TEST(Rounding, NegativeTies) {
  EXPECT_EQ(roundWith(-0.5, RNE), 0.0);
  EXPECT_EQ(roundWith(-0.5, RHAZ), -1.0);
  EXPECT_EQ(roundWith(-0.5, RHU), 0.0);
  EXPECT_EQ(roundWith(-1.5, RNE), -2.0);
  EXPECT_EQ(roundWith(-1.5, RHAZ), -2.0);
  EXPECT_EQ(roundWith(-1.5, RHU), -1.0);
  EXPECT_EQ(roundWith(-2.5, RNE), -2.0);
  EXPECT_EQ(roundWith(-2.5, RHAZ), -3.0);
  EXPECT_EQ(roundWith(-2.5, RHU), -2.0);
}

TEST(Rounding, AwayFromTiesAllModesAgree) {
  for (Rounding mode : {RNE, RHAZ, RHU}) {
    EXPECT_EQ(roundWith(2.4999, mode), 2.0);
    EXPECT_EQ(roundWith(2.5001, mode), 3.0);
    EXPECT_EQ(roundWith(-2.6, mode), -3.0);
    EXPECT_EQ(roundWith(-2.4, mode), -2.0);
    EXPECT_EQ(roundWith(0.0, mode), 0.0);
    EXPECT_EQ(roundWith(7.0, mode), 7.0);
  }
}

TEST(Rounding, HalfUpIsExactBelowOneHalf) {
  // The largest double below 0.5: a naive floor(x + 0.5) rounds the sum to
  // 1.0 and returns 1.
  double below = std::nextafter(0.5, 0.0);
  EXPECT_EQ(roundWith(below, RHU), 0.0);
  EXPECT_EQ(roundWith(std::nextafter(0.5f, 0.0f), RHU), 0.0f);
}

TEST(Rounding, FloatOverload) {
  EXPECT_EQ(roundWith(2.5f, RNE), 2.0f);
  EXPECT_EQ(roundWith(2.5f, RHAZ), 3.0f);
  EXPECT_EQ(roundWith(-2.5f, RHU), -2.0f);
  EXPECT_EQ(roundWith(3.5f, RNE), 4.0f);
}

TEST(Rounding, NonFinitePassThrough) {
  double inf = std::numeric_limits<double>::infinity();
  for (Rounding mode : {RNE, RHAZ, RHU}) {
    EXPECT_TRUE(std::isnan(roundWith(std::nan(""), mode)));
    EXPECT_EQ(roundWith(inf, mode), inf);
    EXPECT_EQ(roundWith(-inf, mode), -inf);
  }
}

// The inline kernel must be bit-identical to std::nearbyint, the sign of
// zero included, at ties, near 2^52 where the trick's window ends, and on
// random values of every magnitude.
TEST(Rounding, InlineHalfToEvenMatchesNearbyint) {
  double inf = std::numeric_limits<double>::infinity();
  std::vector<double> values = {
      0.0,  -0.0,   0.5,     -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994,
      -0.3, 1e-300, -1e-300, inf,  -inf};
  for (double p : {0x1p51, 0x1p52, 0x1p53})
    for (double d : {-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5})
      for (double sign : {1.0, -1.0})
        values.push_back(sign * (p + d));
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    if (!std::isnan(v))
      values.push_back(v);
    values.push_back(
        std::ldexp(double(int64_t(rng() >> 11)), -int(rng() % 60)));
  }
  for (double v : values) {
    double expected = std::nearbyint(v);
    double got = roundHalfToEven(v);
    EXPECT_EQ(got, expected) << "x = " << v;
    EXPECT_EQ(std::signbit(got), std::signbit(expected)) << "x = " << v;
  }
  EXPECT_TRUE(std::isnan(roundHalfToEven(std::nan(""))));
}

TEST(Rounding, Names) {
  EXPECT_EQ(roundingName(RNE), "rne");
  EXPECT_EQ(roundingName(RHAZ), "rhaz");
  EXPECT_EQ(roundingName(RHU), "rhu");
  for (Rounding mode : {RNE, RHAZ, RHU})
    EXPECT_EQ(parseRounding(roundingName(mode)), mode);
  EXPECT_FALSE(parseRounding("nearest").has_value());
}
} // namespace
