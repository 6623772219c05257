//===- requantize-fuzzer.cpp - Checks requantization against its contract -===//
//
// Random scales, accumulators, multipliers, shifts and zero points against
// what Requantize.h states, with 128-bit integer arithmetic as the
// reference:
//   - computeRescaleMultiplier: a normalized multiplier and a shift in
//     [2, 62] with |multiplier - scale * 2^shift| <= 1/2, or nothing exactly
//     when the scale is not finite and positive or the shift falls outside;
//   - applyScale: (value * multiplier + 2^(shift-1) [+-2^30]) >> shift,
//     saturated to 64 bits;
//   - rescale: applyScale of value - zp_in, plus zp_out, clamped;
//   - quantizeBias: round half away from zero, saturated; NaN gives 0.
//
//===----------------------------------------------------------------------===//

#include "FuzzerSupport.h"

#include "quant-eval/Numerics/Requantize.h"

#include <cmath>
#include <cstring>

using namespace quant_eval::numerics;
using quant_eval::fuzz::violated;

namespace {
/// Reads fixed-size fields from the input, zero-padded past its end.
struct Reader {
  const uint8_t *p, *end;
  template <typename T> T read() {
    T v{};
    size_t n = std::min<size_t>(sizeof(T), end - p);
    std::memcpy(&v, p, n);
    p += n;
    return v;
  }
};
} // namespace

static void checkMultiplier(double scale, unsigned width) {
  std::optional<RescaleMultiplier> m = computeRescaleMultiplier(scale, width);
  if (!(std::isfinite(scale) && scale > 0)) {
    if (m)
      violated("a multiplier for a scale that is not finite and positive");
    return;
  }
  // The reference: scale = f * 2^e with f in [0.5, 1); the multiplier is
  // f * 2^(width-1) rounded half away from zero, halved if it reached
  // 2^(width-1).
  int e = 0;
  double f = std::frexp(scale, &e);
  double top = std::ldexp(1.0, int(width) - 1);
  double rounded = std::round(f * top);
  int64_t shift = int64_t(width) - 1 - e - (rounded == top ? 1 : 0);
  if (shift < 2 || shift > 62) {
    if (m)
      violated("a multiplier whose shift is outside [2, 62]");
    return;
  }
  if (!m)
    violated("no multiplier for a representable scale");
  if (m->shift != shift)
    violated("wrong shift");
  if (m->multiplier < std::ldexp(1.0, int(width) - 2) || m->multiplier >= top)
    violated("multiplier not normalized");
  if (std::fabs(m->multiplier - std::ldexp(scale, m->shift)) > 0.5)
    violated("multiplier * 2^-shift is not the scale");
}

static __int128 referenceApplyScale(int64_t value, int32_t multiplier,
                                    int32_t shift, bool doubleRound) {
  __int128 r = __int128(value) * multiplier + (__int128(1) << (shift - 1));
  if (doubleRound && shift > 31)
    r += value >= 0 ? (__int128(1) << 30) : -(__int128(1) << 30);
  return r >> shift; // arithmetic on this compiler, as for int64_t
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Reader in{data, data + size};
  uint8_t flags = in.read<uint8_t>();
  unsigned width = flags & 1 ? 32 : 16;
  bool doubleRound = flags & 2;
  checkMultiplier(in.read<double>(), width);

  // An accumulator of up to 48 bits, as the contract allows.
  int64_t value = int64_t(in.read<uint64_t>() << 16) >> 16;
  int32_t multiplier = in.read<int32_t>();
  int32_t shift = 2 + in.read<uint8_t>() % 61;
  __int128 expected =
      referenceApplyScale(value, multiplier, shift, doubleRound);
  expected = std::min<__int128>(std::max<__int128>(expected, INT64_MIN),
                                INT64_MAX); // saturated, as stated
  if (applyScale(value, multiplier, shift, doubleRound) != int64_t(expected))
    violated("applyScale differs from the exact result");

  int64_t zpIn = in.read<int16_t>(), zpOut = in.read<int16_t>();
  QuantRange out{-32768, 32767};
  if (flags & 4)
    out = {-128, 127};
  __int128 shifted =
      referenceApplyScale(value - zpIn, multiplier, shift, doubleRound) + zpOut;
  int64_t clamped = int64_t(
      std::min<__int128>(std::max<__int128>(shifted, out.qmin), out.qmax));
  if (rescale(value, RescaleMultiplier{multiplier, shift}, zpIn, zpOut, out,
              doubleRound) != clamped)
    violated("rescale differs from the exact result");

  double bias = in.read<double>(), biasScale = in.read<double>();
  unsigned bits = flags & 8 ? 64 : flags & 16 ? 48 : 32;
  int64_t q = quantizeBias(bias, biasScale, bits);
  if (std::isnan(bias)) {
    if (q != 0)
      violated("NaN bias is not 0");
    return 0;
  }
  double hi = std::ldexp(1.0, int(bits) - 1);
  if (q < -hi || (bits < 64 && q > hi - 1))
    violated("bias outside its bits");
  double r = std::round(bias / biasScale);
  if (std::fabs(r) < hi - 1 && double(q) != r)
    violated("bias is not rounded half away from zero");
  if (r >= hi - 1 && q < hi - 2)
    violated("large positive bias not saturated");
  // -2^(bits-1) is exact as a double, also for 64 bits (where -int64(hi)
  // would overflow: the fuzzer's first version did that).
  if (r <= -hi && double(q) != -hi)
    violated("large negative bias not saturated");
  return 0;
}
