//===- Rounding.cpp - Named rounding modes --------------------------------===//

#include "quant-eval/Numerics/Rounding.h"

#include <cmath>

namespace quant_eval::numerics {

namespace {
// floor(x + 0.5) evaluated without the addition: x + 0.5 itself rounds for
// values like 0.49999999999999994, and would give 1 there.
template <typename T> T roundHalfUp(T x) {
  T f = std::floor(x);
  return (x - f >= T(0.5)) ? f + T(1) : f;
}

template <typename T> T roundWithImpl(T x, Rounding mode) {
  if (!std::isfinite(x))
    return x;
  switch (mode) {
  case Rounding::HalfToEven:
    // The default floating-point environment rounds to nearest-even, which
    // is what nearbyint uses. quant-eval never changes it.
    return std::nearbyint(x);
  case Rounding::HalfAwayFromZero:
    return std::round(x);
  case Rounding::HalfUp:
    return roundHalfUp(x);
  }
  return x;
}
} // namespace

double roundWith(double x, Rounding mode) { return roundWithImpl(x, mode); }
float roundWith(float x, Rounding mode) { return roundWithImpl(x, mode); }

std::string_view roundingName(Rounding mode) {
  switch (mode) {
  case Rounding::HalfToEven:
    return "rne";
  case Rounding::HalfAwayFromZero:
    return "rhaz";
  case Rounding::HalfUp:
    return "rhu";
  }
  return "";
}

std::optional<Rounding> parseRounding(std::string_view name) {
  for (Rounding r :
       {Rounding::HalfToEven, Rounding::HalfAwayFromZero, Rounding::HalfUp})
    if (roundingName(r) == name)
      return r;
  return std::nullopt;
}

} // namespace quant_eval::numerics
