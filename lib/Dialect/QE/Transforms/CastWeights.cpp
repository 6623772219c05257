//===- CastWeights.cpp - Layer weights stored as 16-bit floats ------------===//

#include "WeightQuantization.h"

#include "quant-eval/Dialect/QE/IR/QEOps.h"
#include "quant-eval/Dialect/QE/Transforms/Passes.h"
#include "quant-eval/Dialect/QE/Utils/ConstantUtils.h"

#include "llvm/ADT/APFloat.h"

#include <cmath>

namespace mlir::qe {
#define GEN_PASS_DEF_CASTWEIGHTS
#include "quant-eval/Dialect/QE/Transforms/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;
using namespace mlir::qe;

namespace {

struct CastWeightsPass : public qe::impl::CastWeightsBase<CastWeightsPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (type != "f16" && type != "bf16")
      return emitError(UnknownLoc::get(ctx))
             << "qe-cast-weights: type must be f16 or bf16, got '" << type
             << "'";
    return success();
  }

  /// The 16-bit bit patterns of `w` in `semantics`, rounded to nearest
  /// even; nothing if a value is NaN or overflows to an infinity.
  static std::optional<std::vector<uint16_t>>
  convert(ArrayRef<float> w, const llvm::fltSemantics &semantics) {
    std::vector<uint16_t> bits;
    bits.reserve(w.size());
    for (float v : w) {
      llvm::APFloat f(v);
      bool lost = false;
      f.convert(semantics, llvm::APFloat::rmNearestTiesToEven, &lost);
      if (f.isNaN() || (f.isInfinity() && std::isfinite(v)))
        return std::nullopt;
      bits.push_back(static_cast<uint16_t>(f.bitcastToAPInt().getZExtValue()));
    }
    return bits;
  }

  void runOnOperation() override {
    Builder builder(&getContext());
    FloatType half = type == "bf16" ? FloatType(builder.getBF16Type())
                                    : FloatType(builder.getF16Type());
    forEachQuantizableWeight(getOperation(), [&](Operation *op,
                                                 OpOperand &operand,
                                                 const WeightView &) {
      Value w = operand.get();
      std::optional<std::vector<float>> values = getConstantFloats(w);
      if (!values)
        return;
      std::optional<std::vector<uint16_t>> bits =
          convert(*values, half.getFloatSemantics());
      Operation *layer = op;
      if (!bits) {
        layer->emitWarning() << "qe-cast-weights: the weight has values a "
                             << half << " cannot hold (NaN, or beyond its "
                             << "range); the layer stays f32";
        return;
      }
      auto f32Type = cast<RankedTensorType>(w.getType());
      auto halfType = f32Type.clone(half);
      OpBuilder b(operand.getOwner());
      auto data = DenseElementsAttr::getFromRawBuffer(
          halfType, ArrayRef<char>(reinterpret_cast<const char *>(bits->data()),
                                   bits->size() * sizeof(uint16_t)));
      Value stored = tosa::ConstOp::create(b, w.getLoc(), halfType, data);
      Value widened = tosa::CastOp::create(b, w.getLoc(), f32Type, stored);
      operand.set(widened);
      eraseIfDeadConstant(w);
    });
  }
};

} // namespace
