//===- WeightQuantization.cpp - Rounding layer weights onto a grid --------===//

#include "WeightQuantization.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

#include <cmath>

namespace num = quant_eval::numerics;

namespace mlir::qe {

std::optional<std::pair<OpOperand *, WeightView>>
getLayerWeight(Operation *op) {
  auto typeOf = [](OpOperand &o) {
    return cast<RankedTensorType>(o.get().getType());
  };
  if (isa<tosa::Conv2DOp, tosa::TransposeConv2DOp>(op)) {
    OpOperand &w = op->getOpOperand(1);
    return std::pair{&w, viewOHWI(typeOf(w))};
  }
  if (isa<tosa::DepthwiseConv2DOp>(op)) {
    OpOperand &w = op->getOpOperand(1);
    return std::pair{&w, viewHWCM(typeOf(w))};
  }
  if (auto mm = dyn_cast<tosa::MatMulOp>(op)) {
    // The importer feeds FC weights through a reshape of a constant.
    if (auto reshape = mm.getB().getDefiningOp<tosa::ReshapeOp>()) {
      OpOperand &w = reshape->getOpOperand(0);
      if (typeOf(w).getRank() < 2)
        return std::nullopt;
      return std::pair{&w, viewKN(typeOf(w))};
    }
    OpOperand &w = mm->getOpOperand(1);
    return std::pair{&w, viewKN(typeOf(w))};
  }
  return std::nullopt;
}

std::optional<num::SQuantMode> parseWeightRounding(llvm::StringRef name) {
  if (name == "nearest" || name == "squant-e")
    return num::SQuantMode::E;
  if (name == "squant-k")
    return num::SQuantMode::K;
  if (name == "squant-c")
    return num::SQuantMode::C;
  if (name == "squant")
    return num::SQuantMode::KC;
  return std::nullopt;
}

std::optional<std::vector<num::AffineParams>>
roundWeights(ArrayRef<float> w, const WeightView &view,
             const WeightGridOptions &options, float *out,
             num::SQuantStats *stats) {
  bool perChannel = options.perChannel && view.axis;
  num::QuantRange range = *num::getQuantRange(
      options.bits, /*isSigned=*/true, /*narrowRange=*/options.symmetric);

  // Grid parameters: per channel, or one over all channels.
  auto gridOf = [&](int64_t first,
                    int64_t last) -> std::optional<num::AffineParams> {
    double lo = 0, hi = 0, absMax = 0;
    for (int64_t o = first; o < last; ++o)
      for (int64_t i = 0; i < view.inputs; ++i)
        for (int64_t p = 0; p < view.k; ++p) {
          double v = w[view.index(o, i, p)];
          lo = std::min(lo, v), hi = std::max(hi, v);
          absMax = std::max(absMax, std::fabs(v));
        }
    return options.symmetric ? num::computeSymmetricParams(absMax, range)
                             : num::computeAsymmetricParams(lo, hi, range);
  };
  std::vector<num::AffineParams> params;
  for (int64_t o = 0; o < (perChannel ? view.channels : 1); ++o) {
    std::optional<num::AffineParams> p =
        perChannel ? gridOf(o, o + 1) : gridOf(0, view.channels);
    if (!p)
      return std::nullopt;
    params.push_back(*p);
  }

  // Round channel by channel: SQuant's stages stay within a channel,
  // whatever the grid's granularity.
  const int64_t perChannelCount = view.inputs * view.k;
  std::vector<double> x(perChannelCount);
  std::vector<int64_t> q(perChannelCount);
  num::SQuantRounder rounder;
  for (int64_t o = 0; o < view.channels; ++o) {
    const num::AffineParams &p = params[perChannel ? o : 0];
    const float scale = float(p.scale);
    for (int64_t i = 0; i < view.inputs; ++i)
      for (int64_t k = 0; k < view.k; ++k)
        x[i * view.k + k] =
            double(w[view.index(o, i, k)]) / scale + double(p.zeroPoint);
    rounder.roundChannel(x.data(), view.inputs, view.k, range, options.mode,
                         q.data(), stats);
    for (int64_t i = 0; i < view.inputs; ++i)
      for (int64_t k = 0; k < view.k; ++k)
        out[view.index(o, i, k)] =
            num::dequantize(q[i * view.k + k], scale, p.zeroPoint);
  }
  return params;
}

} // namespace mlir::qe
