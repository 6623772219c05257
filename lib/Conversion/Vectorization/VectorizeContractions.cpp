//===- VectorizeContractions.cpp - Tile and vectorize conv and matmul -----===//

#include "quant-eval/Conversion/Passes.h"

#include "TilingUtils.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::qe {
#define GEN_PASS_DEF_VECTORIZECONTRACTIONS
#include "quant-eval/Conversion/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;

namespace {

/// TOSA convolutions arrive with FHWC filters, but the 1-D decomposition and
/// the vectorizer handle HWCF. A constant filter is transposed here, at
/// compile time; a computed one keeps the op as it is.
void rewriteConstantFilterToHWCF(IRRewriter &rewriter,
                                 linalg::Conv2DNhwcFhwcOp op) {
  auto constant = op.getInputs()[1].getDefiningOp<arith::ConstantOp>();
  auto type = cast<RankedTensorType>(op.getInputs()[1].getType());
  if (!constant || !type.getElementType().isF32() || !type.hasStaticShape())
    return;
  std::vector<float> fhwc;
  Attribute value = constant.getValue();
  if (auto dense = dyn_cast<DenseFPElementsAttr>(value)) {
    for (float v : dense.getValues<float>())
      fhwc.push_back(v);
  } else if (auto blob = dyn_cast<DenseF32ResourceElementsAttr>(value)) {
    std::optional<ArrayRef<float>> data = blob.tryGetAsArrayRef();
    if (!data)
      return;
    fhwc.assign(data->begin(), data->end());
  } else {
    return;
  }
  int64_t f = type.getDimSize(0), h = type.getDimSize(1),
          w = type.getDimSize(2), c = type.getDimSize(3);
  std::vector<float> hwcf(fhwc.size());
  for (int64_t fi = 0; fi < f; ++fi)
    for (int64_t hi = 0; hi < h; ++hi)
      for (int64_t wi = 0; wi < w; ++wi)
        for (int64_t ci = 0; ci < c; ++ci)
          hwcf[((hi * w + wi) * c + ci) * f + fi] =
              fhwc[((fi * h + hi) * w + wi) * c + ci];
  auto newType = RankedTensorType::get({h, w, c, f}, type.getElementType());
  rewriter.setInsertionPoint(op);
  Value filter = arith::ConstantOp::create(
      rewriter, constant.getLoc(), newType,
      DenseResourceElementsAttr::get(
          newType, "qe_hwcf_filter",
          HeapAsmResourceBlob::allocateAndCopyInferAlign(
              ArrayRef<float>(hwcf))));
  SmallVector<NamedAttribute> attrs = {
      rewriter.getNamedAttr("strides", op.getStrides()),
      rewriter.getNamedAttr("dilations", op.getDilations())};
  auto conv = linalg::Conv2DNhwcHwcfOp::create(
      rewriter, op.getLoc(), op->getResultTypes(),
      ValueRange{op.getInputs()[0], filter}, op.getOutputs(), attrs);
  rewriter.replaceOp(op, conv->getResults());
}

/// TOSA's depthwise convolutions come out as the channel-multiplier form
/// (HWCM, output [N, OH, OW, C, M]); with M = 1 that is the plain HWC form,
/// which decomposes to 1-D and vectorizes. Only shapes change: reassociate
/// the filter, the init and the result.
void rewriteUnitMultiplierDepthwise(IRRewriter &rewriter,
                                    linalg::DepthwiseConv2DNhwcHwcmOp op) {
  auto filterType = cast<RankedTensorType>(op.getInputs()[1].getType());
  auto initType = cast<RankedTensorType>(op.getOutputs()[0].getType());
  if (!op.hasPureTensorSemantics() || filterType.getDimSize(3) != 1 ||
      !filterType.hasStaticShape() || !initType.hasStaticShape())
    return;
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<ReassociationIndices> dropLast = {{0}, {1}, {2, 3}};
  SmallVector<ReassociationIndices> dropLast5 = {{0}, {1}, {2}, {3, 4}};
  Value filter = tensor::CollapseShapeOp::create(rewriter, loc,
                                                 op.getInputs()[1], dropLast);
  Value init = tensor::CollapseShapeOp::create(rewriter, loc,
                                               op.getOutputs()[0], dropLast5);
  SmallVector<NamedAttribute> attrs = {
      rewriter.getNamedAttr("strides", op.getStrides()),
      rewriter.getNamedAttr("dilations", op.getDilations())};
  auto conv = linalg::DepthwiseConv2DNhwcHwcOp::create(
      rewriter, loc, TypeRange{init.getType()},
      ValueRange{op.getInputs()[0], filter}, ValueRange{init}, attrs);
  Value expanded = tensor::ExpandShapeOp::create(rewriter, loc, initType,
                                                 conv->getResult(0), dropLast5);
  rewriter.replaceOp(op, expanded);
}

/// insert_slice(transfer_write(v, extract_slice(T)), T), extracting and
/// inserting the same slice, is transfer_write(v, T) at the slice's offsets.
/// Tiled convolutions come out in the first form (the 1-D decomposition
/// rank-reduces the slice, which the upstream folders do not handle); only
/// the second lets the accumulator be hoisted out of the reduction loops.
struct FoldSliceRoundTripIntoTransferWrite
    : OpRewritePattern<tensor::InsertSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::InsertSliceOp insert,
                                PatternRewriter &rewriter) const override {
    auto write = insert.getSource().getDefiningOp<vector::TransferWriteOp>();
    if (!write || !write->hasOneUse() || write.getMask() ||
        !write.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(insert, "no transfer_write source");
    auto extract = write.getBase().getDefiningOp<tensor::ExtractSliceOp>();
    if (!extract || extract.getSource() != insert.getDest() ||
        !extract.isSameAs(insert,
                          [](OpFoldResult a, OpFoldResult b) {
                            return isEqualConstantIntOrValue(a, b);
                          }) ||
        extract.getType().getRank() != insert.getDestType().getRank())
      return rewriter.notifyMatchFailure(insert, "not a slice round trip");
    if (!llvm::all_of(write.getIndices(),
                      [](Value v) { return isZeroInteger(v); }))
      return rewriter.notifyMatchFailure(insert, "write not at the origin");
    SmallVector<Value> offsets = getValueOrCreateConstantIndexOp(
        rewriter, insert.getLoc(), insert.getMixedOffsets());
    rewriter.replaceOpWithNewOp<vector::TransferWriteOp>(
        insert, write.getVector(), insert.getDest(), offsets,
        write.getPermutationMapAttr(), write.getInBoundsAttr());
    return success();
  }
};

struct VectorizeContractionsPass
    : public qe::impl::VectorizeContractionsBase<VectorizeContractionsPass> {
  using Base::Base;

  /// Tile sizes for `op`, or nothing to leave it alone.
  std::optional<SmallVector<int64_t>> getTileSizes(linalg::LinalgOp op) {
    // TOSA's 16x8 accumulators are i48. Vectorized, a 3x3 depthwise
    // convolution with one returned wrong values here, and the width has no
    // fast vector form anyway: such ops stay loops.
    Type acc = getElementTypeOrSelf(op.getDpsInits()[0].getType());
    if (acc.isInteger() && acc.getIntOrFloatBitWidth() > 32)
      return std::nullopt;
    auto pick = [](ArrayRef<int64_t> option,
                   ArrayRef<int64_t> fallback) -> SmallVector<int64_t> {
      return option.empty() ? SmallVector<int64_t>(fallback)
                            : SmallVector<int64_t>(option);
    };
    if (isa<linalg::Conv2DNhwcHwcfOp>(op))
      return pick(convTileSizes, {1, 1, 8, 8, 1, 1, 8});
    if (isa<linalg::DepthwiseConv2DNhwcHwcOp>(op))
      return pick(depthwiseTileSizes, {1, 1, 8, 16, 1, 1});
    SmallVector<int64_t> mm = pick(matmulTileSizes, {1, 4, 16, 8});
    if (isa<linalg::BatchMatmulOp>(op) && mm.size() == 4)
      return mm;
    if (isa<linalg::MatmulOp>(op) && mm.size() == 4)
      return SmallVector<int64_t>(mm.begin() + 1, mm.end());
    return std::nullopt;
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    IRRewriter rewriter(ctx);

    SmallVector<linalg::Conv2DNhwcFhwcOp> fhwc;
    func.walk([&](linalg::Conv2DNhwcFhwcOp op) { fhwc.push_back(op); });
    for (linalg::Conv2DNhwcFhwcOp op : fhwc)
      rewriteConstantFilterToHWCF(rewriter, op);
    SmallVector<linalg::DepthwiseConv2DNhwcHwcmOp> hwcm;
    func.walk(
        [&](linalg::DepthwiseConv2DNhwcHwcmOp op) { hwcm.push_back(op); });
    for (linalg::DepthwiseConv2DNhwcHwcmOp op : hwcm)
      rewriteUnitMultiplierDepthwise(rewriter, op);

    qe::unshareFilledDestinations(func);

    // 1. Tile.
    SmallVector<linalg::LinalgOp> targets;
    func.walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && op.hasDynamicShape() == false &&
          getTileSizes(op))
        targets.push_back(op);
    });
    for (linalg::LinalgOp op : targets) {
      SmallVector<int64_t> sizes = *getTileSizes(op);
      if (sizes.size() != op.getNumLoops()) {
        op.emitError() << "qe-vectorize-contractions: " << sizes.size()
                       << " tile sizes for an op with " << op.getNumLoops()
                       << " loops";
        return signalPassFailure();
      }
      // Tiles must divide the loop ranges so that every tile is static
      // (vectorizable without masks): take the largest divisor of each
      // range that does not exceed the requested size.
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      for (auto [size, range] : llvm::zip(sizes, ranges))
        size = size <= 0 ? 0 : qe::largestDivisorAtMost(range, size);
      (void)qe::tileWithLoops(rewriter, op, sizes);
    }

    // 2. Tiled convolutions have one kernel row: make them 1-D.
    {
      RewritePatternSet patterns(ctx);
      linalg::populateDecomposeConvolutionPatterns(patterns);
      if (failed(applyPatternsGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }

    // 3. Vectorize the tiles (static shapes only).
    SmallVector<linalg::LinalgOp> tiles;
    func.walk([&](linalg::LinalgOp op) {
      if (!op->getParentOfType<scf::ForOp>() || op.hasDynamicShape())
        return;
      if (isa<linalg::Conv1DNwcWcfOp, linalg::DepthwiseConv1DNwcWcOp,
              linalg::MatmulOp, linalg::BatchMatmulOp>(op))
        tiles.push_back(op);
    });
    for (linalg::LinalgOp op : tiles)
      (void)qe::vectorizeInPlace(rewriter, op, /*createNamedContraction=*/true);

    // Clean up: contractions in canonical form, slices folded into
    // transfers (or bufferization makes copies of every tile).
    RewritePatternSet patterns(ctx);
    vector::populateVectorReductionToContractPatterns(patterns);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
    patterns.add<FoldSliceRoundTripIntoTransferWrite>(ctx);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();

    // Keep each tile's accumulator in registers across the reduction loops
    // (kernel rows and columns, input-channel tiles): innermost loops first,
    // so that the accumulator climbs out of the whole reduction nest.
    SmallVector<scf::ForOp> loops;
    func.walk<WalkOrder::PostOrder>(
        [&](scf::ForOp loop) { loops.push_back(loop); });
    for (scf::ForOp loop : loops)
      hoistLoopInvariantSubsets(rewriter,
                                cast<LoopLikeOpInterface>(loop.getOperation()));
  }
};
} // namespace
