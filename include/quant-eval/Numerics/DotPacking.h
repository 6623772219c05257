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

} // namespace quant_eval::numerics

#endif // QUANT_EVAL_NUMERICS_DOTPACKING_H
