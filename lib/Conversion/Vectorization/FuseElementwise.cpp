//===- FuseElementwise.cpp - Elementwise fusion without recomputation -----===//
//
// Upstream elementwise fusion fuses any single-use producer. Fused into a
// reduction that reads it broadcast, a producer is recomputed for every
// entry of the broadcast loop: MobileNetV2's int8 classifier requantized its
// 1280 pooled values once per class. This pass keeps such producers apart.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qe {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "quant-eval/Conversion/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;

namespace {

/// Whether fusing the producer of `operand` into its consumer computes each
/// of the producer's values once: true unless the consumer is a reduction
/// whose indexing map for the operand leaves out one of its parallel loops.
bool fusesWithoutRecomputation(OpOperand *operand) {
  auto consumer = dyn_cast<linalg::LinalgOp>(operand->getOwner());
  if (!consumer || consumer.getNumReductionLoops() == 0)
    return true;
  AffineMap map = consumer.getMatchingIndexingMap(operand);
  for (auto [dim, kind] : llvm::enumerate(consumer.getIteratorTypesArray()))
    if (kind == utils::IteratorType::parallel && !map.isFunctionOfDim(dim))
      return false;
  return true;
}

struct FuseElementwisePass
    : public qe::impl::FuseElementwiseBase<FuseElementwisePass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // Upstream's rule (a producer with one use), plus the one above.
    linalg::ControlFusionFn control = [](OpOperand *operand) {
      Operation *producer = operand->get().getDefiningOp();
      return producer && producer->hasOneUse() &&
             fusesWithoutRecomputation(operand);
    };
    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
    tensor::populateBubbleUpExpandShapePatterns(patterns);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(
        patterns);
    linalg::populateConstantFoldLinalgOperations(patterns, control);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
