//===- QKeras.h - QKeras quantizer semantics --------------------*- C++ -*-===//
//
// Forward values of QKeras' quantized_bits, quantized_po2 and quantized_relu
// (quantization-algorithms.md section 3). `bits` includes the sign bit;
// `integer` excludes it. Gradients are the training framework's business.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_NUMERICS_QKERAS_H
#define QUANT_EVAL_NUMERICS_QKERAS_H

#include <cstdint>
#include <optional>
#include <vector>

namespace quant_eval::numerics {

struct QuantizedBitsConfig {
  unsigned bits = 8;
  unsigned integer = 0;
  bool symmetric = false;
  bool keepNegative = true;
};

/// quantized_bits with alpha None (alpha = 1) or a fixed number:
/// u = bits - keep_negative, m = 2^u, mi = 2^integer,
/// q = clip(RNE(x * m / mi), lo, m - 1) with lo = -m + symmetric (or 0 when
/// negatives are not kept); the result is alpha * mi * q / m. With u == 0
/// (one signed bit) the result is alpha * sign(x), zero counting as +1.
/// Returns nothing for bits == 0, bits < keep_negative, or u > 30.
std::optional<double> quantizedBits(double x, const QuantizedBitsConfig &config,
                                    double alpha = 1.0);

/// The result of a per-channel quantizer: dequantized values in the input's
/// layout, the integer of every value, and one scale per channel.
struct PerChannelResult {
  std::vector<double> values;
  std::vector<int64_t> integers;
  std::vector<double> scales;
};

/// quantized_bits with alpha "auto": symmetric per channel of `channelAxis`
/// (reducing over all other axes), scale = max|x| / (2^(bits-1) - 1),
/// q = sign(x) * min(floor(|x| / scale + 0.5), 2^(bits-1) - 1) (RHAZ). An
/// all-zero channel gives zeros and scale 1. Returns nothing for bits < 2,
/// a bad axis or shape, or a NaN/infinite input.
std::optional<PerChannelResult>
quantizedBitsAuto(const std::vector<double> &values,
                  const std::vector<int64_t> &shape, int64_t channelAxis,
                  unsigned bits);

/// quantized_bits with alpha "auto_po2": the "auto" grid with power-of-two
/// scales. Start at 2^RNE(log2(max|x| / qmax)), then five times: quantize,
/// and set the scale to the least-squares scale mean(x*q) / mean(q*q)
/// rounded to a power of two in the log domain.
std::optional<PerChannelResult>
quantizedBitsAutoPo2(const std::vector<double> &values,
                     const std::vector<int64_t> &shape, int64_t channelAxis,
                     unsigned bits);

/// The exponent range [minExp, maxExp] of quantized_po2: t = 1 if maxValue
/// is absent or > 1, else 0; eb = bits - 1 - t; [-2^eb, 2^eb - 1].
/// Returns nothing for bits < 2 or bits > 16, or a maxValue that is not a
/// finite positive number.
struct Po2ExponentRange {
  int64_t minExp;
  int64_t maxExp;
};
std::optional<Po2ExponentRange>
getPo2ExponentRange(unsigned bits, std::optional<double> maxValue);

/// quantized_po2: sign(x) * 2^clip(RNE(log2(min(|x|, maxValue))), range),
/// zero counting as positive and |x| < 1e-7 giving the smallest exponent.
/// NaN stays NaN. `range` must come from getPo2ExponentRange.
double quantizedPo2(double x, Po2ExponentRange range,
                    std::optional<double> maxValue);

/// quantized_relu: mi * clip(RNE(x * m / mi) / m, 0, 1 - 1/m) with
/// m = 2^bits, mi = 2^integer. Returns nothing for bits == 0 or bits > 30.
std::optional<double> quantizedRelu(double x, unsigned bits,
                                    unsigned integer = 0);

} // namespace quant_eval::numerics

#endif // QUANT_EVAL_NUMERICS_QKERAS_H
