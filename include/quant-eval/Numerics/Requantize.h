//===- Requantize.h - Integer requantization (tosa.rescale) -----*- C++ -*-===//
//
// An integer layer's accumulator is brought to the output's scale by the
// real multiplier M = scale_in * scale_w / scale_out, which integer code
// represents as M = m * 2^-s with a normalized integer m
// (quantization-algorithms.md section 1, "Requantization").
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_NUMERICS_REQUANTIZE_H
#define QUANT_EVAL_NUMERICS_REQUANTIZE_H

#include "quant-eval/Numerics/UniformQuant.h"

#include <cstdint>
#include <optional>

namespace quant_eval::numerics {

struct RescaleMultiplier {
  int32_t multiplier;
  int32_t shift;
};

/// Represents `scale` as multiplier * 2^-shift with a multiplier normalized
/// to `width` bits (32 for tosa.rescale scale32, 16 otherwise):
/// frexp(scale) = f * 2^e, multiplier = RHAZ(f * 2^(width-1)) (renormalized
/// when it reaches 2^(width-1)), shift = width - 1 - e. Returns nothing for
/// a scale that is not finite and positive, a width other than 16 or 32, or
/// a shift outside [2, 62], the range TOSA accepts.
std::optional<RescaleMultiplier> computeRescaleMultiplier(double scale,
                                                          unsigned width = 32);

/// A layer bias on its accumulator's grid (scale Δ_in·Δ_w[c], zero point
/// 0): round half away from zero, saturated to a signed `bits`-wide integer
/// (32 for int8 layers, 48 or 64 for 16x8). A NaN bias, or a NaN quotient
/// (0/0, inf/inf), gives 0.
int64_t quantizeBias(double bias, double scale, unsigned bits = 32);

/// TOSA apply_scale: (value * multiplier + 2^(shift-1)) >> shift with an
/// arithmetic shift (round half up). With doubleRound and shift > 31, the
/// rounding term moves by +2^30 for non-negative values and -2^30 for
/// negative ones. `value` must fit 48 bits; the arithmetic is exact, and a
/// result beyond 64 bits saturates (TOSA requires it to fit 32).
int64_t applyScale(int64_t value, int32_t multiplier, int32_t shift,
                   bool doubleRound);

/// applyScale of a 32-bit value, single round, with 33 <= shift <= 63, in
/// 32-bit arithmetic: ((high 32 bits of value * multiplier) + 2^(shift-33))
/// >> (shift - 32). Equal to applyScale for every such input: the rounding
/// term 2^(shift-1) is a multiple of 2^32, so the low half of the product
/// cannot carry into the result. This is the form vector code can use (a
/// 32-bit multiply-high instead of 64-bit lanes). Returns nothing for a
/// shift outside [33, 63] or a negative multiplier (TOSA's are not).
std::optional<int32_t> applyScaleHigh32(int32_t value, int32_t multiplier,
                                        int32_t shift);

/// A whole tosa.rescale of one element: subtract the input zero point,
/// applyScale, add the output zero point, clamp to `outputRange`.
int64_t rescale(int64_t value, RescaleMultiplier m, int64_t inputZeroPoint,
                int64_t outputZeroPoint, QuantRange outputRange,
                bool doubleRound);

} // namespace quant_eval::numerics

#endif // QUANT_EVAL_NUMERICS_REQUANTIZE_H
