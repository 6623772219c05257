//===- QuantizeBias.cpp - Layer biases on their accumulator grid ----------===//

#include "quant-eval/Dialect/QE/IR/QEOps.h"
#include "quant-eval/Dialect/QE/Transforms/Passes.h"
#include "quant-eval/Dialect/QE/Utils/ConstantUtils.h"
#include "quant-eval/Dialect/QE/Utils/LayerQuantization.h"
#include "quant-eval/Numerics/Requantize.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

namespace mlir::qe {
#define GEN_PASS_DEF_QUANTIZEBIAS
#include "quant-eval/Dialect/QE/Transforms/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;
using namespace mlir::qe;
namespace num = quant_eval::numerics;

namespace {

/// The per-tensor fake quant that produces `v`, looking through layout ops
/// (they move values, not change them).
FakeQuantOp getInputQuantizer(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<tosa::TransposeOp, tosa::ReshapeOp>(def)) {
      auto fq = dyn_cast<FakeQuantOp>(def);
      return fq && !fq.isPerAxis() ? fq : FakeQuantOp();
    }
    v = def->getOperand(0);
  }
  return {};
}

struct QuantizeBiasPass : public qe::impl::QuantizeBiasBase<QuantizeBiasPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (bits < 8 || bits > 64)
      return emitError(UnknownLoc::get(ctx))
             << "qe-quantize-bias: bits must be in [8, 64], got " << bits;
    return success();
  }

  void runOnOperation() override {
    OpBuilder b(&getContext());
    getOperation().walk([&](Operation *layer) {
      FakeQuantOp weight = getWeightFakeQuant(layer);
      if (!weight)
        return;
      FakeQuantOp input = getInputQuantizer(layer->getOperand(0));
      if (!input) {
        layer->emitRemark() << "bias left in float: the layer's input is "
                               "not quantized per tensor";
        return;
      }
      OpOperand *bias = isa<tosa::MatMulOp>(layer) ? getMatMulBias(layer)
                                                   : &layer->getOpOperand(2);
      if (!bias)
        return; // a matmul without a bias
      std::optional<SmallVector<double>> scales = getAccumulatorScales(
          layer, weight, double(float(input.getScales()[0])));
      std::optional<std::vector<float>> values = getConstantFloats(bias->get());
      auto type = cast<RankedTensorType>(bias->get().getType());
      if (!scales || !values ||
          (values->size() != 1 && values->size() != scales->size())) {
        layer->emitRemark() << "bias left in float: it is not a constant "
                               "per output channel";
        return;
      }
      // One bias per channel, even where a single value was broadcast.
      std::vector<float> rounded;
      for (size_t c = 0; c < scales->size(); ++c) {
        float v = (*values)[values->size() == 1 ? 0 : c];
        rounded.push_back(float(
            (*scales)[c] * double(num::quantizeBias(v, (*scales)[c], bits))));
      }
      if (values->size() == rounded.size() && *values == rounded)
        return;
      SmallVector<int64_t> shape(type.getRank(), 1);
      if (!shape.empty())
        shape.back() = int64_t(rounded.size());
      b.setInsertionPoint(layer);
      Value old = bias->get();
      bias->set(createFloatConstant(b, old.getLoc(), type.clone(shape), rounded,
                                    "qe_quantized_bias"));
      eraseIfDeadConstant(old);
    });
  }
};

} // namespace
