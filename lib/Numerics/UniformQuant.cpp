//===- UniformQuant.cpp - Uniform affine quantization ---------------------===//

#include "quant-eval/Numerics/UniformQuant.h"

#include <algorithm>
#include <cmath>

namespace quant_eval::numerics {

std::optional<QuantRange> getQuantRange(unsigned bits, bool isSigned,
                                        bool narrowRange) {
  if (bits < kMinBits || bits > kMaxBits)
    return std::nullopt;
  QuantRange r;
  if (isSigned) {
    r.qmin = -(int64_t(1) << (bits - 1));
    r.qmax = (int64_t(1) << (bits - 1)) - 1;
  } else {
    r.qmin = 0;
    r.qmax = (int64_t(1) << bits) - 1;
  }
  if (narrowRange)
    r.qmin += 1;
  return r;
}

namespace {
// The zero point is an integer, so round(x / scale) + zp equals
// round(x / scale + zp) mathematically; adding it after rounding keeps the
// addition exact, as ONNX, TFLite and PyTorch do. Clamping happens in the
// floating-point domain so that huge values and infinities never reach an
// integer conversion.
template <typename T>
int64_t quantizeImpl(T x, T scale, int64_t zeroPoint, QuantRange range,
                     Rounding mode) {
  if (std::isnan(x))
    return std::clamp(zeroPoint, range.qmin, range.qmax);
  T r = roundWith(T(x / scale), mode);
  T lo = T(range.qmin - zeroPoint), hi = T(range.qmax - zeroPoint);
  r = std::min(std::max(r, lo), hi);
  return static_cast<int64_t>(r) + zeroPoint;
}

template <typename T>
T fakeQuantizeImpl(T x, T scale, int64_t zeroPoint, QuantRange range,
                   Rounding mode) {
  if (std::isnan(x))
    return x;
  return dequantize(quantizeImpl(x, scale, zeroPoint, range, mode), scale,
                    zeroPoint);
}
} // namespace

int64_t quantize(float x, float scale, int64_t zeroPoint, QuantRange range,
                 Rounding mode) {
  return quantizeImpl(x, scale, zeroPoint, range, mode);
}
int64_t quantize(double x, double scale, int64_t zeroPoint, QuantRange range,
                 Rounding mode) {
  return quantizeImpl(x, scale, zeroPoint, range, mode);
}


float fakeQuantize(float x, float scale, int64_t zeroPoint, QuantRange range,
                   Rounding mode) {
  return fakeQuantizeImpl(x, scale, zeroPoint, range, mode);
}
double fakeQuantize(double x, double scale, int64_t zeroPoint, QuantRange range,
                    Rounding mode) {
  return fakeQuantizeImpl(x, scale, zeroPoint, range, mode);
}

std::optional<AffineParams> computeSymmetricParams(double absMax,
                                                   QuantRange range) {
  if (!std::isfinite(absMax) || absMax < 0 || range.qmax <= 0)
    return std::nullopt;
  // An all-zero channel still needs a valid (positive, finite) scale.
  if (absMax == 0)
    return AffineParams{1.0, 0};
  return AffineParams{absMax / static_cast<double>(range.qmax), 0};
}

std::optional<AxisLayout> getAxisLayout(const std::vector<int64_t> &shape,
                                        int64_t axis, size_t numValues) {
  int64_t rank = static_cast<int64_t>(shape.size());
  if (axis < 0 || axis >= rank)
    return std::nullopt;
  AxisLayout layout;
  int64_t numel = 1;
  for (int64_t d = 0; d < rank; ++d) {
    if (shape[d] <= 0)
      return std::nullopt;
    numel *= shape[d];
    if (d > axis)
      layout.inner *= shape[d];
  }
  if (numel != static_cast<int64_t>(numValues))
    return std::nullopt;
  layout.channels = shape[axis];
  return layout;
}

std::optional<std::vector<AffineParams>>
computeSymmetricPerAxisParams(const std::vector<float> &values,
                              const std::vector<int64_t> &shape, int64_t axis,
                              QuantRange range) {
  std::optional<AxisLayout> layout = getAxisLayout(shape, axis, values.size());
  if (!layout)
    return std::nullopt;
  std::vector<double> absMax(layout->channels, 0.0);
  for (size_t i = 0; i < values.size(); ++i) {
    double v = values[i];
    if (!std::isfinite(v))
      return std::nullopt;
    double &m = absMax[layout->channelOf(static_cast<int64_t>(i))];
    m = std::max(m, std::fabs(v));
  }
  std::vector<AffineParams> params;
  params.reserve(absMax.size());
  for (double m : absMax) {
    auto p = computeSymmetricParams(m, range);
    if (!p)
      return std::nullopt;
    params.push_back(*p);
  }
  return params;
}

std::optional<AffineParams> computeAsymmetricParams(double min, double max,
                                                    QuantRange range) {
  if (!std::isfinite(min) || !std::isfinite(max) || min > max ||
      range.qmax <= range.qmin)
    return std::nullopt;
  min = std::min(min, 0.0);
  max = std::max(max, 0.0);
  double scale = (max - min) / static_cast<double>(range.qmax - range.qmin);
  if (scale == 0)
    scale = 1.0;
  double zp = static_cast<double>(range.qmin) - min / scale;
  zp = std::clamp(std::round(zp), static_cast<double>(range.qmin),
                  static_cast<double>(range.qmax));
  return AffineParams{scale, static_cast<int64_t>(zp)};
}

} // namespace quant_eval::numerics
