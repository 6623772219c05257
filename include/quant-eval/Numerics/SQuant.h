//===- SQuant.h - SQuant data-free rounding ---------------------*- C++ -*-===//
//
// SQuant (Guo et al., ICLR 2022) rounds weights without data by keeping the
// rounding errors of every kernel and every output channel small, which a
// diagonal Hessian approximation shows is what the loss cares about. The
// algorithm and its decisions (candidate tables, tie-breaks, guards) are
// quantization-algorithms.md section 5.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_NUMERICS_SQUANT_H
#define QUANT_EVAL_NUMERICS_SQUANT_H

#include "quant-eval/Numerics/UniformQuant.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace quant_eval::numerics {

enum class SQuantMode {
  E,  ///< element only: round to nearest (even)
  K,  ///< E, then kernel-wise flipping
  C,  ///< E, then channel-wise flipping
  KC, ///< E, K, then C: SQuant proper
};

/// Flip counts per stage, for reports.
struct SQuantStats {
  int64_t kernelFlips = 0;
  int64_t channelFlips = 0;
};

/// How one channel's inputs x k grid coordinates lie in memory.
enum class ChannelLayout {
  InputMajor,    ///< [inputs][k]: each kernel's positions together
  PositionMajor, ///< [k][inputs]: as OHWI weights store them
};

/// Rounds one output channel at a time, reusing its buffers: for layers of
/// millions of weights. Both SQuant stages stay within a channel.
class SQuantRounder {
public:
  SQuantRounder();
  ~SQuantRounder();
  /// Rounds the `inputs` x `k` grid coordinates at `x` of one channel into
  /// `q` (same layout). The range must fit 32 bits (kMaxBits does). Ties
  /// go to the lower [inputs][k] linear index in either layout, so both
  /// layouts give the same values.
  void roundChannel(const double *x, int64_t inputs, int64_t k,
                    QuantRange range, SQuantMode mode, int32_t *q,
                    SQuantStats *stats = nullptr,
                    ChannelLayout layout = ChannelLayout::InputMajor);

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

/// Rounds grid coordinates `x` (w / scale, laid out [channels][inputs][k]
/// row-major, k = kernel positions) to integers in `range`. Every result is
/// floor or ceil of its x (then clamped). After K, |sum of rounding errors|
/// <= 0.5 per kernel; after K and C, <= 0.5 per channel and <= 1 per
/// kernel (given enough candidates). Deterministic: ties in priority go to
/// the lower linear index.
std::vector<int64_t> squantRound(const std::vector<double> &x, int64_t channels,
                                 int64_t inputs, int64_t k, QuantRange range,
                                 SQuantMode mode, SQuantStats *stats = nullptr);

} // namespace quant_eval::numerics

#endif // QUANT_EVAL_NUMERICS_SQUANT_H
