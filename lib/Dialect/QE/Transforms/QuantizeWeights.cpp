//===- QuantizeWeights.cpp - Round constant weights onto a grid -----------===//

#include "WeightQuantization.h"

#include "quant-eval/Dialect/QE/IR/QEOps.h"
#include "quant-eval/Dialect/QE/Transforms/Passes.h"
#include "quant-eval/Dialect/QE/Utils/ConstantUtils.h"
#include "quant-eval/Numerics/SQuant.h"

#include "mlir/IR/DialectResourceBlobManager.h"

#include <cmath>

namespace mlir::qe {
#define GEN_PASS_DEF_QUANTIZEWEIGHTS
#include "quant-eval/Dialect/QE/Transforms/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;
using namespace mlir::qe;
namespace num = quant_eval::numerics;

namespace {

struct QuantizeWeightsPass
    : public qe::impl::QuantizeWeightsBase<QuantizeWeightsPass> {
  using Base::Base;

  num::SQuantMode mode = num::SQuantMode::E;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (bits < int(num::kMinBits) || bits > int(num::kMaxBits))
      return emitError(UnknownLoc::get(ctx))
             << "qe-quantize-weights: bits must be in [" << num::kMinBits
             << ", " << num::kMaxBits << "], got " << int(bits);
    if (granularity != "channel" && granularity != "tensor")
      return emitError(UnknownLoc::get(ctx))
             << "qe-quantize-weights: granularity must be channel or tensor, "
                "got '"
             << granularity << "'";
    if (std::optional<num::SQuantMode> m = parseWeightRounding(rounding)) {
      mode = *m;
      return success();
    }
    return emitError(UnknownLoc::get(ctx))
           << "qe-quantize-weights: unknown rounding '" << rounding
           << "'; expected nearest, squant-e, squant-k, squant-c or squant";
  }

  /// Quantizes the constant feeding `operand` (a weight of `view`'s shape),
  /// and routes the operand through a qe.fake_quant recording the grid.
  void quantize(OpOperand &operand, Value weight, const WeightView &view) {
    if (view.channels == 0)
      return;
    std::optional<ArrayRef<float>> w = getConstantFloatsView(weight);
    std::optional<std::vector<float>> copy;
    if (!w) {
      copy = getConstantFloats(weight);
      if (!copy)
        return;
      w = ArrayRef<float>(*copy);
    }
    auto type = cast<RankedTensorType>(weight.getType());
    bool perChannel = granularity == "channel" && view.axis;
    WeightGridOptions options{bits, perChannel, symmetric, mode};
    num::SQuantStats flips;
    WeightError error;
    std::optional<std::vector<num::AffineParams>> params;
    OpBuilder b(operand.getOwner());
    Location loc = weight.getLoc();
    // Round straight into the new constant.
    Value c = createFloatConstant(
        b, loc, type,
        [&](MutableArrayRef<float> out) {
          params = roundWeights(*w, view, options, out.data(), &flips, &error);
        },
        "qe_quantized_weight");
    Operation *layer = operand.getOwner();
    if (isa<tosa::ReshapeOp>(layer) && layer->hasOneUse())
      layer = *layer->getUsers().begin();
    if (!params) {
      c.getDefiningOp()->erase();
      layer->emitWarning("qe-quantize-weights: the weight holds NaN or "
                         "infinite values; the layer stays in float");
      return;
    }

    // For the per-layer report: signal-to-quantization-noise ratio and
    // SQuant's flips, on the layer that uses the weight.
    if (error.noise > 0)
      layer->setAttr(
          "qe.weight_sqnr_db",
          b.getF64FloatAttr(10 * std::log10(error.signal / error.noise)));
    layer->setAttr(
        "qe.squant_flips",
        b.getDenseI64ArrayAttr({flips.kernelFlips, flips.channelFlips}));
    SmallVector<double> scales;
    SmallVector<int64_t> zeroPoints;
    for (const num::AffineParams &p : *params) {
      scales.push_back(p.scale);
      zeroPoints.push_back(p.zeroPoint);
    }
    auto fq = FakeQuantOp::create(
        b, loc, c, bits, /*is_unsigned=*/false, /*narrow_range=*/symmetric,
        perChannel ? b.getI64IntegerAttr(*view.axis) : IntegerAttr(), scales,
        zeroPoints, RoundingMode::RNE);
    operand.set(fq.getResult());
    eraseIfDeadConstant(weight);
  }

  void runOnOperation() override {
    forEachQuantizableWeight(
        getOperation(),
        [&](Operation *, OpOperand &operand, const WeightView &view) {
          quantize(operand, operand.get(), view);
        });
  }
};

} // namespace
