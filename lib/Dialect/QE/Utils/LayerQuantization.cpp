//===- LayerQuantization.cpp - The grids around a quantized layer ---------===//

#include "quant-eval/Dialect/QE/Utils/LayerQuantization.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

qe::FakeQuantOp qe::getWeightFakeQuant(Operation *layer) {
  if (!isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp, tosa::MatMulOp>(layer))
    return {};
  Value w = layer->getOperand(1);
  while (auto reshape = w.getDefiningOp<tosa::ReshapeOp>())
    w = reshape.getInput1();
  auto fq = w.getDefiningOp<FakeQuantOp>();
  if (!fq || !matchPattern(fq.getInput(), m_Constant()))
    return {};
  return fq;
}

std::optional<SmallVector<double>> qe::getAccumulatorScales(Operation *layer,
                                                            FakeQuantOp weight,
                                                            double inputScale) {
  auto wType = cast<RankedTensorType>(weight.getType());
  auto outType = cast<RankedTensorType>(layer->getResult(0).getType());
  if (!wType.hasStaticShape() || !outType.hasStaticShape())
    return std::nullopt;
  int64_t channelAxis = isa<tosa::Conv2DOp>(layer) ? 0
                        : isa<tosa::DepthwiseConv2DOp>(layer)
                            ? 2
                            : wType.getRank() - 1;
  // Depthwise output channel c·M + m has input channel c's scale.
  int64_t multiplier =
      isa<tosa::DepthwiseConv2DOp>(layer) ? wType.getDimSize(3) : 1;
  if (weight.isPerAxis() && int64_t(*weight.getAxis()) != channelAxis)
    return std::nullopt;
  ArrayRef<double> scales = weight.getScales();
  SmallVector<double> result;
  for (int64_t c = 0, n = outType.getShape().back(); c < n; ++c) {
    double s = scales[weight.isPerAxis() ? c / multiplier : 0];
    result.push_back(inputScale * double(float(s)));
  }
  return result;
}

OpOperand *qe::getMatMulBias(Operation *matmul) {
  Value v = matmul->getResult(0);
  while (v.hasOneUse()) {
    Operation *user = *v.getUsers().begin();
    if (isa<tosa::ReshapeOp>(user)) {
      v = user->getResult(0);
      continue;
    }
    if (!isa<tosa::AddOp>(user))
      return nullptr;
    OpOperand &other = user->getOpOperand(user->getOperand(0) == v ? 1 : 0);
    return matchPattern(other.get(), m_Constant()) ? &other : nullptr;
  }
  return nullptr;
}
