//===- QKeras.cpp - QKeras quantizer semantics ----------------------------===//

#include "quant-eval/Numerics/QKeras.h"
#include "quant-eval/Numerics/Rounding.h"
#include "quant-eval/Numerics/UniformQuant.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace quant_eval::numerics {

std::optional<double> quantizedBits(double x, const QuantizedBitsConfig &config,
                                    double alpha) {
  unsigned keep = config.keepNegative ? 1 : 0;
  if (config.bits == 0 || config.bits < keep || config.bits - keep > 30 ||
      config.integer > 30)
    return std::nullopt;
  if (std::isnan(x))
    return x;
  unsigned u = config.bits - keep;
  if (u == 0)
    return alpha * (x < 0 ? -1.0 : 1.0);
  // m and mi are powers of two, so these scalings are exact.
  double m = std::ldexp(1.0, u), mi = std::ldexp(1.0, config.integer);
  double lo = config.keepNegative ? -m + (config.symmetric ? 1.0 : 0.0) : 0.0;
  double q = roundWith(x * m / mi, Rounding::HalfToEven);
  q = std::clamp(q, lo, m - 1);
  return alpha * mi * q / m;
}

namespace {
// The "auto" grid: symmetric, 2^(bits-1) - 1 levels each side, RHAZ.
int64_t quantizeAuto(double x, double scale, int64_t qmax) {
  double q = roundWith(std::fabs(x) / scale, Rounding::HalfAwayFromZero);
  q = std::min(q, static_cast<double>(qmax));
  return static_cast<int64_t>(x < 0 ? -q : q);
}

double po2RoundLog(double v) {
  return std::ldexp(
      1.0, static_cast<int>(roundWith(std::log2(v), Rounding::HalfToEven)));
}

enum class AutoScale { MaxAbs, PowerOfTwo };

std::optional<PerChannelResult>
quantizedBitsAutoImpl(const std::vector<double> &values,
                      const std::vector<int64_t> &shape, int64_t channelAxis,
                      unsigned bits, AutoScale kind) {
  if (bits < 2 || bits > 31)
    return std::nullopt;
  std::optional<AxisLayout> layout =
      getAxisLayout(shape, channelAxis, values.size());
  if (!layout)
    return std::nullopt;
  const int64_t qmax = (int64_t(1) << (bits - 1)) - 1;
  const int64_t n = static_cast<int64_t>(values.size());

  std::vector<double> absMax(layout->channels, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(values[i]))
      return std::nullopt;
    double &m = absMax[layout->channelOf(i)];
    m = std::max(m, std::fabs(values[i]));
  }

  PerChannelResult result;
  result.scales.resize(layout->channels);
  for (int64_t c = 0; c < layout->channels; ++c) {
    double s = absMax[c] / static_cast<double>(qmax);
    if (absMax[c] == 0)
      s = 1.0;
    else if (kind == AutoScale::PowerOfTwo)
      s = po2RoundLog(s);
    result.scales[c] = s;
  }

  if (kind == AutoScale::PowerOfTwo) {
    // Least-squares refinement, rounded to a power of two each time. The
    // means over a channel share one count, so sums suffice.
    for (int iter = 0; iter < 5; ++iter) {
      std::vector<double> xq(layout->channels, 0.0), qq(layout->channels, 0.0);
      for (int64_t i = 0; i < n; ++i) {
        int64_t c = layout->channelOf(i);
        double q = static_cast<double>(
            quantizeAuto(values[i], result.scales[c], qmax));
        xq[c] += values[i] * q;
        qq[c] += q * q;
      }
      for (int64_t c = 0; c < layout->channels; ++c)
        if (qq[c] > 0 && xq[c] > 0)
          result.scales[c] = po2RoundLog(xq[c] / qq[c]);
    }
  }

  result.values.resize(n);
  result.integers.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    double s = result.scales[layout->channelOf(i)];
    int64_t q = quantizeAuto(values[i], s, qmax);
    result.integers[i] = q;
    result.values[i] = s * static_cast<double>(q);
  }
  return result;
}
} // namespace

std::optional<PerChannelResult>
quantizedBitsAuto(const std::vector<double> &values,
                  const std::vector<int64_t> &shape, int64_t channelAxis,
                  unsigned bits) {
  return quantizedBitsAutoImpl(values, shape, channelAxis, bits,
                               AutoScale::MaxAbs);
}

std::optional<PerChannelResult>
quantizedBitsAutoPo2(const std::vector<double> &values,
                     const std::vector<int64_t> &shape, int64_t channelAxis,
                     unsigned bits) {
  return quantizedBitsAutoImpl(values, shape, channelAxis, bits,
                               AutoScale::PowerOfTwo);
}

std::optional<Po2ExponentRange>
getPo2ExponentRange(unsigned bits, std::optional<double> maxValue) {
  if (bits < 2 || bits > 16)
    return std::nullopt;
  if (maxValue && !(std::isfinite(*maxValue) && *maxValue > 0))
    return std::nullopt;
  unsigned t = (!maxValue || *maxValue > 1) ? 1 : 0;
  unsigned eb = bits - 1 - t;
  return Po2ExponentRange{-(int64_t(1) << eb), (int64_t(1) << eb) - 1};
}

double quantizedPo2(double x, Po2ExponentRange range,
                    std::optional<double> maxValue) {
  if (std::isnan(x))
    return x;
  double sign = x < 0 ? -1.0 : 1.0;
  double a = std::fabs(x);
  int64_t e;
  if (a < 1e-7) {
    e = range.minExp;
  } else {
    if (maxValue)
      a = std::min(a, *maxValue);
    double le = roundWith(std::log2(a), Rounding::HalfToEven);
    le = std::clamp(le, static_cast<double>(range.minExp),
                    static_cast<double>(range.maxExp));
    e = static_cast<int64_t>(le);
  }
  return sign * std::ldexp(1.0, static_cast<int>(e));
}

std::optional<double> quantizedRelu(double x, unsigned bits, unsigned integer) {
  if (bits == 0 || bits > 30 || integer > 30)
    return std::nullopt;
  if (std::isnan(x))
    return x;
  double m = std::ldexp(1.0, bits), mi = std::ldexp(1.0, integer);
  double v = roundWith(x * m / mi, Rounding::HalfToEven) / m;
  return mi * std::clamp(v, 0.0, 1.0 - 1.0 / m);
}

} // namespace quant_eval::numerics
