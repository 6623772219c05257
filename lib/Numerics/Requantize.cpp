//===- Requantize.cpp - Integer requantization (tosa.rescale) -------------===//

#include "quant-eval/Numerics/Requantize.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace quant_eval::numerics {

std::optional<RescaleMultiplier> computeRescaleMultiplier(double scale,
                                                          unsigned width) {
  if (!(std::isfinite(scale) && scale > 0) || (width != 16 && width != 32))
    return std::nullopt;
  int exponent = 0;
  double mantissa = std::frexp(scale, &exponent); // in [0.5, 1)
  const int64_t one = int64_t(1) << (width - 1);
  auto multiplier =
      static_cast<int64_t>(std::round(mantissa * static_cast<double>(one)));
  if (multiplier == one) {
    // The mantissa rounded up to 1.0: renormalize.
    multiplier /= 2;
    ++exponent;
  }
  int64_t shift = static_cast<int64_t>(width) - 1 - exponent;
  if (shift < 2 || shift > 62)
    return std::nullopt;
  return RescaleMultiplier{static_cast<int32_t>(multiplier),
                           static_cast<int32_t>(shift)};
}

namespace {
// Arithmetic right shift, spelled so it is floor division for negative values
// regardless of how the compiler shifts signed integers.
__int128 floorShiftRight(__int128 v, int32_t shift) {
  return v >= 0 ? (v >> shift) : ~((~v) >> shift);
}
} // namespace

int64_t quantizeBias(double bias, double scale, unsigned bits) {
  if (std::isnan(bias))
    return 0;
  // 2^(bits-1) - 1 is not a double for 64 bits; clamp below it.
  double hi = std::ldexp(1.0, int(bits) - 1);
  double r = std::round(bias / scale);
  // 0/0 or inf/inf: no grid point; converting NaN to an integer is
  // undefined behaviour (found by requantize-fuzzer).
  if (std::isnan(r))
    return 0;
  if (r >= hi)
    return bits >= 64 ? std::numeric_limits<int64_t>::max() : int64_t(hi) - 1;
  if (r < -hi)
    return bits >= 64 ? std::numeric_limits<int64_t>::min() : -int64_t(hi);
  return int64_t(r);
}

int64_t applyScale(int64_t value, int32_t multiplier, int32_t shift,
                   bool doubleRound) {
  // A 48-bit value times a 32-bit multiplier needs 80 bits; in 64 the
  // product overflowed (found by requantize-fuzzer).
  __int128 round = __int128(1) << (shift - 1);
  if (doubleRound && shift > 31)
    round += value >= 0 ? (__int128(1) << 30) : -(__int128(1) << 30);
  __int128 r = floorShiftRight(__int128(value) * multiplier + round, shift);
  return int64_t(std::clamp<__int128>(r, std::numeric_limits<int64_t>::min(),
                                      std::numeric_limits<int64_t>::max()));
}

int64_t rescale(int64_t value, RescaleMultiplier m, int64_t inputZeroPoint,
                int64_t outputZeroPoint, QuantRange outputRange,
                bool doubleRound) {
  // In 128 bits: a saturated applyScale plus the zero point must not wrap.
  __int128 r = __int128(applyScale(value - inputZeroPoint, m.multiplier,
                                   m.shift, doubleRound)) +
               outputZeroPoint;
  return int64_t(std::clamp<__int128>(r, outputRange.qmin, outputRange.qmax));
}

std::optional<int32_t> applyScaleHigh32(int32_t value, int32_t multiplier,
                                        int32_t shift) {
  if (shift < 33 || shift > 63 || multiplier < 0)
    return std::nullopt;
  // 0 <= multiplier < 2^31: |value * multiplier| <= 2^62 - 2^31, so the
  // high half is within [-2^30, 2^30) and adding at most 2^30 does not
  // overflow.
  int64_t product = int64_t(value) * int64_t(multiplier);
  int32_t high = int32_t(product >> 32);
  int32_t rounded = high + (int32_t(1) << (shift - 33));
  return rounded >> (shift - 32);
}

} // namespace quant_eval::numerics
