//===- DotPacking.cpp - Weight layouts for dot-product instructions -------===//

#include "quant-eval/Numerics/DotPacking.h"

namespace quant_eval::numerics {

namespace {
bool validShape(const std::vector<int8_t> &weights, int64_t outer,
                int64_t channels, int64_t outputs, int64_t block) {
  return outer > 0 && channels > 0 && outputs > 0 && block > 0 &&
         channels % block == 0 &&
         int64_t(weights.size()) == outer * channels * outputs;
}
} // namespace

std::vector<int8_t> packForDotProducts(const std::vector<int8_t> &weights,
                                       int64_t outer, int64_t channels,
                                       int64_t outputs, int64_t group) {
  if (!validShape(weights, outer, channels, outputs, 1) || group <= 0)
    return {};
  int64_t groups = (channels + group - 1) / group;
  std::vector<int8_t> packed(outer * groups * outputs * group, 0);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t f = 0; f < outputs; ++f)
        packed[((o * groups + c / group) * outputs + f) * group + c % group] =
            weights[(o * channels + c) * outputs + f];
  return packed;
}

std::vector<int32_t>
unsignedOffsetCorrections(const std::vector<int8_t> &weights, int64_t outer,
                          int64_t channels, int64_t outputs, int64_t block) {
  if (!validShape(weights, outer, channels, outputs, block))
    return {};
  // |sum| <= 128 * 128 * block stays inside int32 for block <= 2^16.
  if (block > (int64_t(1) << 16))
    return {};
  std::vector<int32_t> sums(outer * (channels / block) * outputs, 0);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t f = 0; f < outputs; ++f)
        sums[(o * (channels / block) + c / block) * outputs + f] +=
            128 * int32_t(weights[(o * channels + c) * outputs + f]);
  return sums;
}

} // namespace quant_eval::numerics
