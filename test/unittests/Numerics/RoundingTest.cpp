//===- RoundingTest.cpp - Named rounding modes ----------------------------===//
//
// Expected values are the definitions of the modes applied by hand.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Numerics/Rounding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

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

TEST(Rounding, Names) {
  EXPECT_EQ(roundingName(RNE), "rne");
  EXPECT_EQ(roundingName(RHAZ), "rhaz");
  EXPECT_EQ(roundingName(RHU), "rhu");
  for (Rounding mode : {RNE, RHAZ, RHU})
    EXPECT_EQ(parseRounding(roundingName(mode)), mode);
  EXPECT_FALSE(parseRounding("nearest").has_value());
}
} // namespace
