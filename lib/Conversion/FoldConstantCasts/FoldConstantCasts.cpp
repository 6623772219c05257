//===- FoldConstantCasts.cpp - Narrow float weights to f32, once ----------===//

#include "quant-eval/Conversion/Passes.h"
#include "quant-eval/Dialect/QE/Utils/ConstantUtils.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/APFloat.h"

#include <cstring>
#include <optional>
#include <vector>

namespace mlir::qe {
#define GEN_PASS_DEF_FOLDCONSTANTCASTS
#include "quant-eval/Conversion/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;

namespace {
/// The values of a float constant of any of the widths the pass folds,
/// converted to f32, or nothing.
std::optional<std::vector<float>> readFloats(Attribute attr) {
  auto shaped = dyn_cast<ShapedType>(cast<TypedAttr>(attr).getType());
  auto elementType = dyn_cast<FloatType>(shaped.getElementType());
  if (!elementType || !shaped.hasStaticShape())
    return std::nullopt;
  auto toFloat = [](APFloat v) {
    bool lost;
    v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
    return v.convertToFloat();
  };
  std::vector<float> values;
  values.reserve(shaped.getNumElements());
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr)) {
    for (APFloat v : dense.getValues<APFloat>())
      values.push_back(toFloat(v));
    return values;
  }
  auto blob = dyn_cast<DenseResourceElementsAttr>(attr);
  if (!blob || !blob.getRawHandle().getBlob())
    return std::nullopt;
  ArrayRef<char> raw = blob.getRawHandle().getBlob()->getData();
  unsigned bytes = elementType.getWidth() / 8;
  if (elementType.getWidth() % 8 ||
      raw.size() != size_t(shaped.getNumElements()) * bytes)
    return std::nullopt;
  const llvm::fltSemantics &semantics = elementType.getFloatSemantics();
  for (size_t i = 0; i < raw.size(); i += bytes) {
    uint64_t bits = 0;
    std::memcpy(&bits, raw.data() + i, bytes); // little-endian host
    values.push_back(toFloat(APFloat(semantics, APInt(bytes * 8, bits))));
  }
  return values;
}

struct FoldCastOfFloatConstant : OpRewritePattern<tosa::CastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tosa::CastOp cast,
                                PatternRewriter &rewriter) const override {
    auto resultType = dyn_cast<RankedTensorType>(cast.getType());
    auto inputType = dyn_cast<RankedTensorType>(cast.getInput().getType());
    if (!resultType || !inputType || !resultType.getElementType().isF32() ||
        !isa<FloatType>(inputType.getElementType()) ||
        inputType.getElementType().isF32())
      return rewriter.notifyMatchFailure(cast, "not a float cast to f32");
    Attribute attr;
    if (!matchPattern(cast.getInput(), m_Constant(&attr)))
      return rewriter.notifyMatchFailure(cast, "input is not a constant");
    std::optional<std::vector<float>> values = readFloats(attr);
    if (!values)
      return rewriter.notifyMatchFailure(cast, "unreadable constant");
    // The narrow constant, now unused, is erased by the driver.
    rewriter.replaceOp(cast, qe::createFloatConstant(rewriter, cast.getLoc(),
                                                     resultType, *values,
                                                     "qe_weight_f32"));
    return success();
  }
};

struct FoldConstantCastsPass
    : public qe::impl::FoldConstantCastsBase<FoldConstantCastsPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldCastOfFloatConstant>(&getContext());
    // Only the casts (and the constants they leave dead): no folding or
    // merging of the model's other ops.
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled)
        .enableFolding(false)
        .enableConstantCSE(false);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};
} // namespace
