//===- Rounding.h - Named rounding modes ------------------------*- C++ -*-===//
//
// Rounding to an integer decides bit-exactness against each framework, so
// quant-eval names the mode everywhere instead of calling whatever rounding
// function is at hand. See quantization-algorithms.md, "Rounding modes".
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_NUMERICS_ROUNDING_H
#define QUANT_EVAL_NUMERICS_ROUNDING_H

#include <cmath>
#include <optional>
#include <string_view>

namespace quant_eval::numerics {

enum class Rounding {
  /// Round half to even: std::nearbyint in the default FP mode (torch, ONNX).
  HalfToEven,
  /// Round half away from zero: std::round (TFLite converter, QKeras "auto").
  HalfAwayFromZero,
  /// Round half up, floor(x + 0.5) (TF FakeQuant, TOSA single-round rescale).
  HalfUp,
};

/// Rounds `x` to an integral value with `mode`. NaN and infinities pass
/// through unchanged.
double roundWith(double x, Rounding mode);
float roundWith(float x, Rounding mode);

/// Round half to even, the same value as std::nearbyint in the default FP
/// mode (NaN and infinities included), but inline and branch-free so that
/// loops over millions of weights vectorize: below 2^52, adding and
/// subtracting 2^52 leaves exactly the rounded magnitude; from 2^52 on,
/// every double is an integer already.
inline double roundHalfToEven(double x) {
  constexpr double kTwo52 = 4503599627370496.0;
  double magnitude = std::fabs(x);
  double rounded = std::copysign((magnitude + kTwo52) - kTwo52, x);
  return magnitude < kTwo52 ? rounded : x;
}

/// The mode's short name as used in the IR: "rne", "rhaz" or "rhu".
std::string_view roundingName(Rounding mode);
std::optional<Rounding> parseRounding(std::string_view name);

} // namespace quant_eval::numerics

#endif // QUANT_EVAL_NUMERICS_ROUNDING_H
