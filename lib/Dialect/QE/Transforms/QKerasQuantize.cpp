//===- QKerasQuantize.cpp - QKeras quantizers, post-training --------------===//

#include "WeightQuantization.h"

#include "quant-eval/Dialect/QE/IR/QEOps.h"
#include "quant-eval/Dialect/QE/Transforms/Passes.h"
#include "quant-eval/Dialect/QE/Utils/ConstantUtils.h"
#include "quant-eval/Numerics/QKeras.h"
#include "quant-eval/Numerics/UniformQuant.h"

#include <cmath>

namespace mlir::qe {
#define GEN_PASS_DEF_QKERASQUANTIZE
#include "quant-eval/Dialect/QE/Transforms/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;
using namespace mlir::qe;
namespace num = quant_eval::numerics;

namespace {

struct QKerasQuantizePass
    : public qe::impl::QKerasQuantizeBase<QKerasQuantizePass> {
  using Base::Base;

  std::optional<double> po2Max;
  num::Po2ExponentRange po2Range{0, 0};

  LogicalResult initialize(MLIRContext *ctx) override {
    auto error = [&]() {
      return emitError(UnknownLoc::get(ctx)) << "qe-qkeras-quantize: ";
    };
    if (quantizer != "quantized_bits" && quantizer != "quantized_po2" &&
        quantizer != "quantized_relu")
      return error() << "unknown quantizer '" << quantizer
                     << "'; expected quantized_bits, quantized_po2 or "
                        "quantized_relu";
    if (bits < int(num::kMinBits) || bits > int(num::kMaxBits))
      return error() << "bits must be in [" << num::kMinBits << ", "
                     << num::kMaxBits << "], got " << int(bits);
    if (integer < 0 || integer > 30)
      return error() << "integer must be in [0, 30], got " << int(integer);
    if (alpha != "none" && alpha != "auto" && alpha != "auto_po2")
      return error() << "alpha must be none, auto or auto_po2, got '" << alpha
                     << "'";
    if (applyTo != "weights" && applyTo != "activations")
      return error() << "apply-to must be weights or activations, got '"
                     << applyTo << "'";
    if (quantizer == "quantized_relu" && applyTo == "weights")
      return error() << "quantized_relu quantizes activations "
                        "(apply-to=activations)";
    if (alpha != "none" &&
        (quantizer != "quantized_bits" || applyTo != "weights"))
      return error() << "alpha=" << alpha
                     << " applies to quantized_bits on weights only";
    if (!(maxValue >= 0) || !std::isfinite(double(maxValue)))
      return error() << "max-value must be a finite number >= 0 (0: none)";
    if (maxValue > 0)
      po2Max = double(maxValue);
    if (quantizer == "quantized_po2")
      po2Range = *num::getPo2ExponentRange(bits, po2Max);
    return success();
  }

  /// The fixed quantized_bits grid (alpha none) as a fake quant's step:
  /// mi / m = 2^(integer - bits + 1), or 2^(integer - bits) for relu.
  double fixedScale(bool relu) const {
    return std::ldexp(1.0, int(integer) - int(bits) + (relu ? 0 : 1));
  }

  /// A qe.fake_quant or qe.po2_quant recording the quantizer on `v`.
  Value record(OpBuilder &b, Value v, std::optional<int64_t> axis,
               ArrayRef<double> scales, bool relu, bool narrow,
               RoundingMode rounding) {
    if (quantizer == "quantized_po2")
      return Po2QuantOp::create(b, v.getLoc(), v, b.getI32IntegerAttr(bits),
                                po2Max ? b.getF64FloatAttr(*po2Max)
                                       : FloatAttr());
    SmallVector<int64_t> zeroPoints(scales.size(), 0);
    return FakeQuantOp::create(
        b, v.getLoc(), v, bits, /*is_unsigned=*/relu, narrow,
        axis ? b.getI64IntegerAttr(*axis) : IntegerAttr(), scales, zeroPoints,
        rounding);
  }

  /// The weight's quantized values and how to record them; nothing if the
  /// quantizer cannot take them.
  struct Quantized {
    std::vector<float> values;
    std::optional<int64_t> axis;
    std::vector<double> scales;
    bool narrow = false;
    RoundingMode rounding = RoundingMode::RNE;
  };
  std::optional<Quantized> quantizeWeight(ArrayRef<float> w,
                                          RankedTensorType type,
                                          const WeightView &view) {
    Quantized out;
    for (float v : w)
      if (!std::isfinite(v))
        return std::nullopt;
    if (quantizer == "quantized_po2") {
      for (float v : w)
        out.values.push_back(float(num::quantizedPo2(v, po2Range, po2Max)));
      return out;
    }
    if (alpha == "none") {
      num::QuantizedBitsConfig config;
      config.bits = bits, config.integer = integer;
      config.symmetric = symmetric;
      for (float v : w) {
        std::optional<double> q = num::quantizedBits(v, config);
        if (!q)
          return std::nullopt;
        out.values.push_back(float(*q));
      }
      out.scales = {fixedScale(/*relu=*/false)};
      out.narrow = symmetric;
      return out;
    }
    if (!view.axis)
      return std::nullopt;
    std::vector<double> values(w.begin(), w.end());
    std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
    std::optional<num::PerChannelResult> r =
        alpha == "auto"
            ? num::quantizedBitsAuto(values, shape, *view.axis, bits)
            : num::quantizedBitsAutoPo2(values, shape, *view.axis, bits);
    if (!r)
      return std::nullopt;
    for (double v : r->values)
      out.values.push_back(float(v));
    out.axis = view.axis;
    out.scales = r->scales;
    out.narrow = true;
    out.rounding = RoundingMode::RHAZ;
    return out;
  }

  void quantizeWeights() {
    forEachQuantizableWeight(
        getOperation(),
        [&](Operation *op, OpOperand &operand, const WeightView &view) {
          Value w = operand.get();
          std::optional<std::vector<float>> values = getConstantFloats(w);
          if (!values)
            return;
          auto type = cast<RankedTensorType>(w.getType());
          std::optional<Quantized> q = quantizeWeight(*values, type, view);
          if (!q) {
            op->emitWarning() << "qe-qkeras-quantize: " << quantizer
                              << (alpha != "none" ? " alpha=" + alpha : "")
                              << " cannot take this weight (NaN or infinite "
                                 "values, or no channel axis); it stays float";
            return;
          }
          OpBuilder b(operand.getOwner());
          Value c = createFloatConstant(b, w.getLoc(), type, q->values,
                                        "qe_qkeras_weight");
          operand.set(record(b, c, q->axis, q->scales, /*relu=*/false,
                             q->narrow, q->rounding));
          eraseIfDeadConstant(w);
        });
  }

  void quantizeActivations() {
    SmallVector<tosa::ClampOp> relus;
    getOperation().walk([&](tosa::ClampOp clamp) {
      auto lo = dyn_cast<FloatAttr>(clamp.getMinValAttr());
      Operation *producer = clamp.getInput().getDefiningOp();
      if (lo && lo.getValueAsDouble() == 0 &&
          !(producer && isKeptFloat(producer)))
        relus.push_back(clamp);
    });
    bool relu = quantizer == "quantized_relu";
    for (tosa::ClampOp clamp : relus) {
      OpBuilder b(clamp->getContext());
      b.setInsertionPointAfter(clamp);
      Value out = clamp.getResult();
      Value q = record(b, out, std::nullopt, {fixedScale(relu)}, relu,
                       !relu && symmetric, RoundingMode::RNE);
      out.replaceAllUsesExcept(q, q.getDefiningOp());
    }
  }

  void runOnOperation() override {
    if (applyTo == "weights")
      quantizeWeights();
    else
      quantizeActivations();
  }
};

} // namespace
