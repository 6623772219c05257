//===- DotPacking.h - Weight layouts for dot products -----------*- C++ -*-===//
//
// x86 vpdpbusd and AArch64 sdot add, in each 32-bit lane, the products of
// four adjacent bytes of one operand with four adjacent bytes of the other;
// x86 pmaddwd (SSE2, AVX2, AVX-512BW) those of two adjacent i16 values.
// For a convolution or matmul tile, one operand is the broadcast group of
// input channels of an activation, the other the weights of those input
// channels for each output channel in the lanes. Packing the weights so that
// these come from one contiguous load, once at compile time, keeps the shuffles
// out of the inner loop.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_NUMERICS_DOTPACKING_H
#define QUANT_EVAL_NUMERICS_DOTPACKING_H

#include <cstdint>
#include <vector>

namespace quant_eval::numerics {

/// The filter `weights`, row-major [outer, channels, outputs] (e.g. HWCF
/// with outer = H * W), repacked for dot products over `group` adjacent
/// input channels (4 bytes for vpdpbusd and sdot, 2 for pmaddwd once
/// widened to i16) as [outer, groups, outputs, group] with groups =
/// ceil(channels / group): the weight of input channel c and output f lands
/// at ((o * groups + c / group) * outputs + f) * group + c % group, and the
/// values of channels past the last (a 3-channel image's fourth) are 0.
/// `weights` must hold outer * channels * outputs values and `group` be
/// positive; otherwise the result is empty.
std::vector<int8_t> packForDotProducts(const std::vector<int8_t> &weights,
                                       int64_t outer, int64_t channels,
                                       int64_t outputs, int64_t group = 4);

/// What vpdpbusd adds when the signed activations x enter it as the
/// unsigned bytes x + 128: 128 times the sum of the weights of each run of
/// `block` input channels, per output, as [outer, channels / block,
/// outputs]. `block` must divide `channels`; otherwise the result is empty.
std::vector<int32_t>
unsignedOffsetCorrections(const std::vector<int8_t> &weights, int64_t outer,
                          int64_t channels, int64_t outputs, int64_t block);

/// `weights`, row-major [outer, outputs] (a filter [..., C, F] with outer
/// the product of its leading dimensions), repacked as [outputs / block,
/// outer, block]: the value of row o and output f lands at
/// ((f / block) * outer + o) * block + f % block. A register tile of
/// `block` outputs then reads its weights of consecutive input channels
/// and taps from consecutive memory, instead of one short piece of each
/// filter-wide row. Empty unless `block` divides `outputs` and `weights`
/// holds outer * outputs values.
template <typename T>
std::vector<T> packOutputBlocks(const std::vector<T> &weights, int64_t outer,
                                int64_t outputs, int64_t block) {
  if (outer <= 0 || outputs <= 0 || block <= 0 || outputs % block != 0 ||
      int64_t(weights.size()) != outer * outputs)
    return {};
  std::vector<T> packed(weights.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t f = 0; f < outputs; ++f)
      packed[((f / block) * outer + o) * block + f % block] =
          weights[o * outputs + f];
  return packed;
}

} // namespace quant_eval::numerics

#endif // QUANT_EVAL_NUMERICS_DOTPACKING_H
