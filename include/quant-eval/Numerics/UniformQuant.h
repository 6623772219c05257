//===- UniformQuant.h - Uniform affine quantization -------------*- C++ -*-===//
//
// The core of every method: q = clamp(round(x / scale + zp), qmin, qmax) and
// x' = scale * (q - zp), and the TFLite-style computation of scale and zero
// point from observed ranges (quantization-algorithms.md section 1).
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_NUMERICS_UNIFORMQUANT_H
#define QUANT_EVAL_NUMERICS_UNIFORMQUANT_H

#include "quant-eval/Numerics/Rounding.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace quant_eval::numerics {

/// The inclusive integer range of a quantized storage type.
struct QuantRange {
  int64_t qmin;
  int64_t qmax;

  bool contains(int64_t q) const { return q >= qmin && q <= qmax; }
  bool operator==(const QuantRange &o) const {
    return qmin == o.qmin && qmax == o.qmax;
  }
};

/// The smallest and largest bit widths quant-eval's quantizers accept.
constexpr unsigned kMinBits = 2;
constexpr unsigned kMaxBits = 16;

/// The range of a `bits`-wide integer: signed [-2^(b-1), 2^(b-1)-1] or
/// unsigned [0, 2^b-1]; narrow range drops the lowest value. Returns nothing
/// for `bits` outside [kMinBits, kMaxBits].
std::optional<QuantRange> getQuantRange(unsigned bits, bool isSigned,
                                        bool narrowRange);

/// q = clamp(round(x / scale + zp), qmin, qmax). The division is done in the
/// type of `x`. NaN has no integer: callers must check it first (the fake
/// quantizers below pass it through).
int64_t quantize(float x, float scale, int64_t zeroPoint, QuantRange range,
                 Rounding mode);
int64_t quantize(double x, double scale, int64_t zeroPoint, QuantRange range,
                 Rounding mode);

/// scale * (q - zp), in the type of `scale`. Inline: weight passes call it
/// once per weight.
inline float dequantize(int64_t q, float scale, int64_t zeroPoint) {
  return scale * static_cast<float>(q - zeroPoint);
}
inline double dequantize(int64_t q, double scale, int64_t zeroPoint) {
  return scale * static_cast<double>(q - zeroPoint);
}

/// dequantize(quantize(x)): the value a fake-quant op produces. NaN stays NaN
/// and infinities saturate to the range ends.
float fakeQuantize(float x, float scale, int64_t zeroPoint, QuantRange range,
                   Rounding mode);
double fakeQuantize(double x, double scale, int64_t zeroPoint, QuantRange range,
                    Rounding mode);

/// How a row-major tensor splits into the channels of one axis: flat index i
/// belongs to channel (i / inner) % channels.
struct AxisLayout {
  int64_t channels = 0;
  int64_t inner = 1;
  int64_t channelOf(int64_t flatIndex) const {
    return (flatIndex / inner) % channels;
  }
};

/// The layout of `axis` in a tensor of dimensions `shape` holding
/// `numValues` elements. Returns nothing for an axis out of range, a
/// dimension that is not positive, or a shape whose element count is not
/// `numValues`.
std::optional<AxisLayout> getAxisLayout(const std::vector<int64_t> &shape,
                                        int64_t axis, size_t numValues);

/// Scale and zero point of one quantization grid.
struct AffineParams {
  double scale;
  int64_t zeroPoint;
};

/// TFLite symmetric weights: scale = max|x| / qmax, zp = 0. An all-zero
/// channel (absMax == 0) gets scale 1 so the parameters stay valid; its
/// values all quantize to 0. Returns nothing for a NaN, infinite or
/// negative absMax, or a range without positive values.
std::optional<AffineParams> computeSymmetricParams(double absMax,
                                                   QuantRange range);

/// Symmetric parameters per index of `axis` of a row-major tensor `values`
/// with dimensions `shape`. Returns nothing if any value is NaN or
/// infinite, or if the axis is out of range.
std::optional<std::vector<AffineParams>>
computeSymmetricPerAxisParams(const std::vector<float> &values,
                              const std::vector<int64_t> &shape, int64_t axis,
                              QuantRange range);

/// TFLite asymmetric activations. The range is first extended to include 0;
/// scale = (max - min) / (qmax - qmin) and
/// zp = clamp(RHAZ(qmin - min / scale), qmin, qmax), after which 0.0 is
/// exactly representable. An empty range [0, 0] gets scale 1. Returns
/// nothing for NaN or infinite bounds or min > max.
std::optional<AffineParams> computeAsymmetricParams(double min, double max,
                                                    QuantRange range);

} // namespace quant_eval::numerics

#endif // QUANT_EVAL_NUMERICS_UNIFORMQUANT_H
