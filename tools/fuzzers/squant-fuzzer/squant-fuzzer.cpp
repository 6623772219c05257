//===- squant-fuzzer.cpp - Checks SQuant rounding against its contract ----===//
//
// Random grids (bits, signedness, mode, layout, shape, values near zero or
// near either end of the range, with exact ties) against the properties
// SQuant.h and quantization-algorithms.md section 5 state:
//   - every result is floor or ceil of its x, clamped to the range;
//   - E alone is round-to-nearest-even;
//   - the two channel layouts and two calls give the same values;
//   - with every x strictly inside the range (so that no flip is refused for
//     lack of candidates): |sum of errors| <= 0.5 per kernel after K,
//     <= 0.5 per channel after C alone (or after K and C with k = 1), and
//     <= 1 per kernel after K and C.
//
//===----------------------------------------------------------------------===//

#include "FuzzerSupport.h"

#include "quant-eval/Numerics/Rounding.h"
#include "quant-eval/Numerics/SQuant.h"

#include <cmath>

using namespace quant_eval::numerics;
using quant_eval::fuzz::violated;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 5)
    return 0;
  unsigned bits = kMinBits + data[0] % (kMaxBits - kMinBits + 1);
  bool isSigned = data[1] & 1, narrow = data[1] & 2;
  SQuantMode mode = static_cast<SQuantMode>((data[1] >> 2) & 3);
  int64_t channels = 1 + data[2] % 3, inputs = 1 + (data[2] >> 2) % 8;
  int64_t k = 1 + data[3] % 9;
  std::optional<QuantRange> range = getQuantRange(bits, isSigned, narrow);
  if (!range)
    violated("no range for a supported bit width");
  // Values: a base (zero, or one of the range ends) plus a signed offset in
  // 1/64 steps, so exact ties and both range edges come up often.
  double base = data[4] % 3 == 0   ? 0.0
                : data[4] % 3 == 1 ? double(range->qmax)
                                   : double(range->qmin);
  int64_t n = channels * inputs * k;
  std::vector<double> x(n);
  const uint8_t *p = data + 5, *end = data + size;
  for (int64_t i = 0; i < n; ++i) {
    int16_t offset = 0;
    if (end - p >= 2) {
      offset = int16_t(p[0] | (p[1] << 8));
      p += 2;
    }
    x[i] = base + offset / 64.0;
  }

  std::vector<int64_t> q = squantRound(x, channels, inputs, k, *range, mode);
  if (int64_t(q.size()) != n)
    violated("result size");
  if (squantRound(x, channels, inputs, k, *range, mode) != q)
    violated("not deterministic");
  auto clamp = [&](double v) {
    return std::min<double>(std::max<double>(v, range->qmin), range->qmax);
  };
  bool inside = true;
  for (int64_t i = 0; i < n; ++i) {
    if (!range->contains(q[i]))
      violated("result outside the range");
    if (q[i] != clamp(std::floor(x[i])) && q[i] != clamp(std::ceil(x[i])))
      violated("result is neither floor nor ceil");
    if (mode == SQuantMode::E && q[i] != clamp(roundHalfToEven(x[i])))
      violated("E is not round-to-nearest-even");
    inside &= x[i] > range->qmin && x[i] < range->qmax;
  }

  // The position-major layout of each channel must round to the same values.
  SQuantRounder rounder;
  std::vector<double> xt(inputs * k);
  std::vector<int32_t> qt(inputs * k);
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t i = 0; i < inputs; ++i)
      for (int64_t j = 0; j < k; ++j)
        xt[j * inputs + i] = x[(c * inputs + i) * k + j];
    rounder.roundChannel(xt.data(), inputs, k, *range, mode, qt.data(), nullptr,
                         ChannelLayout::PositionMajor);
    for (int64_t i = 0; i < inputs; ++i)
      for (int64_t j = 0; j < k; ++j)
        if (qt[j * inputs + i] != q[(c * inputs + i) * k + j])
          violated("the two layouts give different values");
  }

  if (!inside)
    return 0;
  const double eps = 1e-9;
  bool kStage = mode == SQuantMode::K || mode == SQuantMode::KC;
  bool cStage = mode == SQuantMode::C || mode == SQuantMode::KC;
  for (int64_t c = 0; c < channels; ++c) {
    double channelSum = 0;
    for (int64_t i = 0; i < inputs; ++i) {
      double kernelSum = 0;
      for (int64_t j = 0; j < k; ++j) {
        int64_t at = (c * inputs + i) * k + j;
        kernelSum += double(q[at]) - x[at];
      }
      channelSum += kernelSum;
      if (mode == SQuantMode::K && k > 1 && std::fabs(kernelSum) > 0.5 + eps)
        violated("|kernel error sum| > 0.5 after K");
      if (mode == SQuantMode::KC && std::fabs(kernelSum) > 1 + eps)
        violated("|kernel error sum| > 1 after K and C");
    }
    bool everyElementCandidate = mode == SQuantMode::C || k == 1;
    if (cStage && everyElementCandidate && std::fabs(channelSum) > 0.5 + eps)
      violated("|channel error sum| > 0.5 after C");
  }
  (void)kStage;
  return 0;
}
