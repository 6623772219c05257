//===- AbsorbHighBias.cpp - Absorb high biases into the next layer --------===//

#include "quant-eval/Dialect/QE/IR/QEOps.h"
#include "quant-eval/Dialect/QE/Transforms/Passes.h"
#include "quant-eval/Dialect/QE/Utils/ConstantUtils.h"

#include <cmath>
#include <limits>

namespace mlir::qe {
#define GEN_PASS_DEF_ABSORBHIGHBIAS
#include "quant-eval/Dialect/QE/Transforms/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;
using namespace mlir::qe;

namespace {

/// Layer2's weight sums per (output, input) channel pair: Σ_hw W2[o, i, h, w]
/// for convolutions (OHWI), Σ_hw W2[h, w, c] for depthwise (diagonal).
std::vector<double> weightSums(Operation *layer2, const std::vector<float> &w,
                               int64_t &outputs, int64_t &inputs) {
  auto t = cast<RankedTensorType>(layer2->getOperand(1).getType());
  std::vector<double> sums;
  if (isa<tosa::DepthwiseConv2DOp>(layer2)) {
    int64_t c = t.getDimSize(2) * t.getDimSize(3);
    outputs = inputs = c;
    sums.assign(c, 0.0);
    for (size_t i = 0; i < w.size(); ++i)
      sums[i % c] += w[i];
    return sums;
  }
  outputs = t.getDimSize(0);
  inputs = t.getDimSize(3);
  int64_t spatial = t.getDimSize(1) * t.getDimSize(2);
  sums.assign(outputs * inputs, 0.0);
  for (int64_t o = 0; o < outputs; ++o)
    for (int64_t p = 0; p < spatial; ++p)
      for (int64_t i = 0; i < inputs; ++i)
        sums[o * inputs + i] += w[(o * spatial + p) * inputs + i];
  return sums;
}

struct AbsorbHighBiasPass
    : public qe::impl::AbsorbHighBiasBase<AbsorbHighBiasPass> {
  void runOnOperation() override {
    SmallVector<tosa::ClampOp> relus;
    getOperation().walk([&](tosa::ClampOp clamp) {
      auto lo = dyn_cast<FloatAttr>(clamp.getMinValAttr());
      auto hi = dyn_cast<FloatAttr>(clamp.getMaxValAttr());
      if (lo && hi && lo.getValueAsDouble() == 0.0 &&
          hi.getValueAsDouble() >= std::numeric_limits<float>::max())
        relus.push_back(clamp);
    });
    OpBuilder b(&getContext());
    for (tosa::ClampOp relu : relus) {
      Operation *layer1 = relu.getInput().getDefiningOp();
      if (!layer1 || !isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp>(layer1) ||
          !layer1->getResult(0).hasOneUse() || !relu->hasOneUse())
        continue;
      Operation *layer2 = *relu->getUsers().begin();
      if (!isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp>(layer2) ||
          layer2->getOperand(0) != relu.getResult())
        continue;
      auto beta = layer1->getAttrOfType<DenseF64ArrayAttr>("qe.bn_beta");
      auto gamma = layer1->getAttrOfType<DenseF64ArrayAttr>("qe.bn_gamma");
      auto b1 = getConstantFloats(layer1->getOperand(2));
      auto w2 = getConstantFloats(layer2->getOperand(1));
      auto b2 = getConstantFloats(layer2->getOperand(2));
      if (!beta || !gamma || !b1 || !w2 || !b2 ||
          beta.size() != int64_t(b1->size()))
        continue;
      int64_t outputs, inputs;
      std::vector<double> sums = weightSums(layer2, *w2, outputs, inputs);
      if (inputs != int64_t(b1->size()) || outputs != int64_t(b2->size()))
        continue;
      std::vector<double> c(inputs);
      SmallVector<double> newBeta(beta.asArrayRef());
      bool any = false;
      for (int64_t i = 0; i < inputs; ++i) {
        c[i] = std::max(0.0, beta[i] - 3 * std::fabs(gamma[i]));
        any |= c[i] > 0;
        (*b1)[i] = float((*b1)[i] - c[i]);
        newBeta[i] -= c[i];
      }
      if (!any)
        continue;
      bool depthwise = isa<tosa::DepthwiseConv2DOp>(layer2);
      for (int64_t o = 0; o < outputs; ++o) {
        double shift = 0;
        if (depthwise)
          shift = sums[o] * c[o];
        else
          for (int64_t i = 0; i < inputs; ++i)
            shift += sums[o * inputs + i] * c[i];
        (*b2)[o] = float((*b2)[o] + shift);
      }
      for (auto [layer, bias] : {std::pair{layer1, &*b1}, {layer2, &*b2}}) {
        Value old = layer->getOperand(2);
        b.setInsertionPoint(layer);
        layer->setOperand(
            2, createFloatConstant(b, old.getLoc(),
                                   cast<RankedTensorType>(old.getType()), *bias,
                                   "qe_absorbed_bias"));
        eraseIfDeadConstant(old);
      }
      layer1->setAttr("qe.bn_beta", b.getDenseF64ArrayAttr(newBeta));
    }
  }
};

} // namespace
