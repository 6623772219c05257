//===- VectorizeElementwise.cpp - Vector code for non-contraction ops -----===//
//
// Bias and batch-norm arithmetic, activations, requantization, transposes and
// the fills and copies of padded inputs each touch every element of a feature
// map. As scalar loops they cost as much as the convolutions (a 3x3
// depthwise layer of MobileNetV2 spent 7 of its 8 ms in them), so they get
// register-sized tiles and vector code here.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Conversion/Passes.h"

#include "TilingUtils.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qe {
#define GEN_PASS_DEF_VECTORIZEELEMENTWISE
#include "quant-eval/Conversion/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;

namespace {

/// Tile sizes for an all-parallel op: `inner` on the innermost loop longer
/// than one, `outer` on the next such loop, 1 elsewhere. A zero leaves a
/// loop untiled (unit loops, and loops a tile covers whole).
SmallVector<int64_t> elementwiseTileSizes(ArrayRef<int64_t> ranges,
                                          int64_t inner, int64_t outer) {
  SmallVector<int64_t> sizes(ranges.size(), 1);
  int64_t wanted[] = {inner, outer};
  unsigned next = 0;
  for (int64_t i = int64_t(ranges.size()) - 1; i >= 0; --i) {
    if (ranges[i] == 1 || next == 2)
      continue;
    sizes[i] = qe::largestDivisorAtMost(ranges[i], wanted[next++]);
  }
  for (auto [size, range] : llvm::zip(sizes, ranges))
    if (size >= range)
      size = 0;
  return sizes;
}

struct VectorizeElementwisePass
    : public qe::impl::VectorizeElementwiseBase<VectorizeElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    IRRewriter rewriter(ctx);
    if (innerTile < 1 || outerTile < 1) {
      func.emitError() << "qe-vectorize-elementwise: tile sizes must be "
                          "positive (inner-tile="
                       << static_cast<int64_t>(innerTile)
                       << ", outer-tile=" << static_cast<int64_t>(outerTile)
                       << ")";
      return signalPassFailure();
    }

    // 1. A pad becomes a fill plus an insert_slice; both vectorize.
    {
      RewritePatternSet patterns(ctx);
      linalg::populateDecomposePadPatterns(patterns);
      if (failed(applyPatternsGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }
    qe::unshareFilledDestinations(func);

    // 2. Tile.
    SmallVector<linalg::LinalgOp> targets;
    func.walk([&](linalg::LinalgOp op) {
      if (op->getParentOfType<scf::ForOp>() || !op.hasPureTensorSemantics() ||
          op.hasDynamicShape() || op.getNumLoops() == 0 ||
          op.getNumParallelLoops() != op.getNumLoops() ||
          qe::hasOddIntegerWidth(op) ||
          failed(linalg::vectorizeOpPrecondition(op)))
        return;
      targets.push_back(op);
    });
    SmallVector<linalg::LinalgOp> tiles;
    for (linalg::LinalgOp op : targets) {
      SmallVector<int64_t> sizes =
          elementwiseTileSizes(op.getStaticLoopRanges(), innerTile, outerTile);
      if (llvm::all_of(sizes, [](int64_t s) { return s == 0; })) {
        tiles.push_back(op);
        continue;
      }
      FailureOr<SmallVector<Operation *>> tiled =
          qe::tileWithLoops(rewriter, op, sizes);
      if (failed(tiled))
        continue;
      for (Operation *t : *tiled)
        if (auto linalgOp = dyn_cast<linalg::LinalgOp>(t))
          tiles.push_back(linalgOp);
    }

    // 3. Vectorize the tiles.
    for (linalg::LinalgOp op : tiles)
      if (!op.hasDynamicShape())
        (void)qe::vectorizeInPlace(rewriter, op);

    // Slices fold into the transfers, or bufferization copies every tile.
    // The math-to-LLVM conversion handles 1-D vectors only (an integer
    // average pool computes its divisors with `math.ctlz`): unroll n-D math
    // ops to their innermost dimension, and drop the leading unit ones.
    RewritePatternSet patterns(ctx);
    vector::populateVectorUnrollPatterns(
        patterns,
        vector::UnrollVectorOptions()
            .setFilterConstraint([](Operation *op) {
              return success(
                  isa<math::MathDialect>(op->getDialect()) &&
                  op->getNumResults() == 1 &&
                  isa<VectorType>(op->getResult(0).getType()) &&
                  cast<VectorType>(op->getResult(0).getType()).getRank() > 1);
            })
            .setNativeShapeFn(
                [](Operation *op) -> std::optional<SmallVector<int64_t>> {
                  auto type = cast<VectorType>(op->getResult(0).getType());
                  SmallVector<int64_t> shape(type.getRank(), 1);
                  shape.back() = type.getShape().back();
                  return shape;
                }));
    vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
