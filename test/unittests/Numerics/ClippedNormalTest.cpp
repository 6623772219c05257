//===- ClippedNormalTest.cpp - Expectations for bias correction -----------===//
//
// Closed forms checked by hand at simple points, and everywhere against a
// numerical integration of the clamped density (an independent route).
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Numerics/ClippedNormal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

using namespace quant_eval::numerics;

namespace {
const double kInf = std::numeric_limits<double>::infinity();

/// E[clamp(x, lo, hi)] by the trapezoid rule over mean +- 12 sigma.
double integrate(double mean, double sigma, double lo, double hi) {
  const int steps = 200000;
  double a = mean - 12 * sigma, b = mean + 12 * sigma, h = (b - a) / steps;
  double sum = 0;
  for (int i = 0; i <= steps; ++i) {
    double x = a + i * h;
    double z = (x - mean) / sigma;
    double f = std::clamp(x, lo, hi) * std::exp(-0.5 * z * z) /
               (sigma * std::sqrt(2 * M_PI));
    sum += (i == 0 || i == steps) ? f / 2 : f;
  }
  return sum * h;
}

TEST(ClippedNormal, HandWorked) {
  // Identity: the mean.
  EXPECT_DOUBLE_EQ(clippedNormalMean(1.5, 2.0), 1.5);
  // ReLU of N(0, 1): E = phi(0) = 1/sqrt(2 pi).
  EXPECT_NEAR(clippedNormalMean(0.0, 1.0, 0.0), 0.3989422804014327, 1e-15);
  // ReLU of N(1, 1): phi(-1) + 1 - Phi(-1) = 0.2419707 + 0.8413447.
  EXPECT_NEAR(clippedNormalMean(1.0, 1.0, 0.0), 1.0833154705876864, 1e-12);
  // sigma 0: the clamped mean; a negative gamma counts as |gamma|.
  EXPECT_EQ(clippedNormalMean(-2.0, 0.0, 0.0), 0.0);
  EXPECT_EQ(clippedNormalMean(7.0, 0.0, 0.0, 6.0), 6.0);
  EXPECT_DOUBLE_EQ(clippedNormalMean(1.0, -1.0, 0.0),
                   clippedNormalMean(1.0, 1.0, 0.0));
}

TEST(ClippedNormal, AgreesWithNumericalIntegration) {
  const double cases[][4] = {
      {0.0, 1.0, 0.0, kInf}, {2.0, 0.5, 0.0, kInf}, {-1.0, 2.0, 0.0, kInf},
      {3.0, 2.0, 0.0, 6.0},  {5.5, 1.0, 0.0, 6.0},  {-0.5, 3.0, -1.0, 1.0},
      {0.2, 0.05, 0.0, 6.0}, {8.0, 1.0, 0.0, 6.0},  {1.0, 1.0, -kInf, 0.5},
  };
  for (const auto &c : cases)
    EXPECT_NEAR(clippedNormalMean(c[0], c[1], c[2], c[3]),
                integrate(c[0], c[1], c[2], c[3]), 1e-6)
        << c[0] << " " << c[1] << " [" << c[2] << ", " << c[3] << "]";
}
} // namespace
