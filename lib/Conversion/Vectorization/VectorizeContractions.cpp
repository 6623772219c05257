//===- VectorizeContractions.cpp - Tile and vectorize conv and matmul -----===//

#include "quant-eval/Conversion/Passes.h"

#include "TilingUtils.h"

#include "quant-eval/Dialect/QE/Utils/ConstantUtils.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/TypeSwitch.h"

#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::qe {
#define GEN_PASS_DEF_VECTORIZECONTRACTIONS
#include "quant-eval/Conversion/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;

namespace {

/// TOSA convolutions arrive with FHWC filters, but the 1-D decomposition and
/// the vectorizer handle HWCF. A constant filter (f32, or i8 for integer
/// models) is transposed here, at compile time; a computed one keeps the op
/// as it is.
template <typename T>
void rewriteFilterToHWCF(IRRewriter &rewriter, linalg::Conv2DNhwcFhwcOp op,
                         std::optional<std::vector<T>> fhwc) {
  auto type = cast<RankedTensorType>(op.getInputs()[1].getType());
  if (!fhwc || !type.hasStaticShape())
    return;
  int64_t f = type.getDimSize(0), h = type.getDimSize(1),
          w = type.getDimSize(2), c = type.getDimSize(3);
  std::vector<T> hwcf(fhwc->size());
  for (int64_t fi = 0; fi < f; ++fi)
    for (int64_t hi = 0; hi < h; ++hi)
      for (int64_t wi = 0; wi < w; ++wi)
        for (int64_t ci = 0; ci < c; ++ci)
          hwcf[((hi * w + wi) * c + ci) * f + fi] =
              (*fhwc)[((fi * h + hi) * w + wi) * c + ci];
  auto newType = RankedTensorType::get({h, w, c, f}, type.getElementType());
  rewriter.setInsertionPoint(op);
  Value filter = arith::ConstantOp::create(
      rewriter, op.getLoc(), newType,
      DenseResourceElementsAttr::get(
          newType, "qe_hwcf_filter",
          HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<T>(hwcf))));
  SmallVector<NamedAttribute> attrs = {
      rewriter.getNamedAttr("strides", op.getStrides()),
      rewriter.getNamedAttr("dilations", op.getDilations())};
  auto conv = linalg::Conv2DNhwcHwcfOp::create(
      rewriter, op.getLoc(), op->getResultTypes(),
      ValueRange{op.getInputs()[0], filter}, op.getOutputs(), attrs);
  rewriter.replaceOp(op, conv->getResults());
}

void rewriteConstantFilterToHWCF(IRRewriter &rewriter,
                                 linalg::Conv2DNhwcFhwcOp op) {
  Value filter = op.getInputs()[1];
  Type elem = getElementTypeOrSelf(filter.getType());
  if (elem.isF32())
    rewriteFilterToHWCF(rewriter, op, qe::getConstantFloats(filter));
  else if (elem.isInteger(8))
    rewriteFilterToHWCF(rewriter, op, qe::getConstantInt8s(filter));
}

/// The constant that fills `tensor`: the scalar of a linalg.fill, or what a
/// generic without inputs yields (a fill in generic form); nothing
/// otherwise.
TypedAttr getFillValue(Value tensor) {
  Attribute value;
  if (auto fill = tensor.getDefiningOp<linalg::FillOp>()) {
    if (matchPattern(fill.getInputs()[0], m_Constant(&value)))
      return dyn_cast<TypedAttr>(value);
    return {};
  }
  auto generic = tensor.getDefiningOp<linalg::GenericOp>();
  if (!generic || generic.getNumDpsInputs() != 0 ||
      generic.getNumResults() != 1 ||
      !llvm::hasSingleElement(generic.getBody()->getOperations()))
    return {};
  if (matchPattern(generic.getBody()->getTerminator()->getOperand(0),
                   m_Constant(&value)))
    return dyn_cast<TypedAttr>(value);
  return {};
}

/// The integer that fills `init` (getFillValue, seen through a
/// tensor.expand_shape), or nothing.
std::optional<APInt> getFillConstant(Value init) {
  if (auto expand = init.getDefiningOp<tensor::ExpandShapeOp>())
    init = expand.getSrc();
  if (auto value = dyn_cast_if_present<IntegerAttr>(getFillValue(init)))
    return value.getValue();
  return std::nullopt;
}

/// The quantized linalg ops (`*_q`, from TOSA's integer convolutions and
/// matmuls) subtract the zero points inside the innermost loop, and nothing
/// vectorizes them. With a zero weight zero point (quant-eval's weights are
/// symmetric) and constant weights,
///
///   sum((x - zx) * w) = sum(x * w) - zx * sum(w),
///
/// so the op becomes its plain form (i8 x i8 -> i32, which vectorizes) on an
/// init lowered by zx * sum(w) per output channel. Padding stays exact: TOSA
/// pads the input with zx, and sum(w) runs over every tap.
/// `weightSumsPerChannel` sums the weights for each entry of the init's
/// trailing `channelRank` dimensions.
///
/// The init is usually a fill of 0: then the new init is a broadcast of the
/// constant `fill - zx * sum(w)` per channel, which the tiles below read
/// directly (forwardConstantInits), rather than filled and read back. A
/// trailing unit channel dimension (a depthwise multiplier of 1) is left out
/// of that computation and expanded back, or it would be vectorized one
/// element at a time.
LogicalResult dropZeroPoints(
    IRRewriter &rewriter, linalg::LinalgOp op, Value weights, Value inputZp,
    Value weightZp, int64_t channelRank,
    function_ref<std::vector<int32_t>(ArrayRef<int8_t>, RankedTensorType)>
        weightSumsPerChannel,
    function_ref<Operation *(Value init)> buildPlain) {
  auto weightType = dyn_cast<RankedTensorType>(weights.getType());
  auto initType = dyn_cast<RankedTensorType>(op.getDpsInits()[0].getType());
  APInt zx;
  if (!weightType || !initType || !initType.hasStaticShape() ||
      !weightType.getElementType().isInteger(8) ||
      !initType.getElementType().isInteger(32) ||
      !matchPattern(weightZp, m_Zero()) ||
      !matchPattern(inputZp, m_ConstantInt(&zx)))
    return failure();
  std::optional<std::vector<int8_t>> w = qe::getConstantInt8s(weights);
  if (!w)
    return failure();
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Value init = op.getDpsInits()[0];
  if (int64_t zp = zx.getSExtValue()) {
    std::vector<int32_t> sums = weightSumsPerChannel(*w, weightType);
    // On a constant fill the whole init is known per channel: fill - zx *
    // sum(w), folded here, and the init a plain broadcast of it.
    std::optional<APInt> fill = getFillConstant(init);
    for (int32_t &v : sums)
      v = fill ? int32_t(fill->getSExtValue() - int64_t(v) * zp)
               : int32_t(int64_t(v) * zp);
    ArrayRef<int64_t> shape = initType.getShape();
    RankedTensorType computeType = initType;
    int64_t computeChannels = channelRank;
    SmallVector<ReassociationIndices> unitChannel;
    if (channelRank > 1 && shape.back() == 1) {
      computeType =
          RankedTensorType::get(shape.drop_back(), initType.getElementType());
      computeChannels = channelRank - 1;
      for (int64_t d = 0; d + 1 < computeType.getRank(); ++d)
        unitChannel.push_back({d});
      unitChannel.push_back(
          {computeType.getRank() - 1, initType.getRank() - 1});
    }
    auto perChannelType =
        RankedTensorType::get(computeType.getShape().take_back(computeChannels),
                              rewriter.getI32Type());
    Value perChannel = arith::ConstantOp::create(
        rewriter, loc, perChannelType,
        DenseElementsAttr::get(perChannelType, ArrayRef<int32_t>(sums)));
    Value base;
    if (fill)
      base = tensor::EmptyOp::create(rewriter, loc, computeType.getShape(),
                                     computeType.getElementType());
    else if (computeType != initType)
      base = tensor::CollapseShapeOp::create(rewriter, loc, init, unitChannel);
    else
      base = init;
    int64_t rank = computeType.getRank();
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    AffineMap channels = AffineMap::get(
        rank, 0,
        llvm::map_to_vector(llvm::seq<int64_t>(rank - computeChannels, rank),
                            [&](int64_t d) -> AffineExpr {
                              return rewriter.getAffineDimExpr(d);
                            }),
        rewriter.getContext());
    init = linalg::GenericOp::create(
               rewriter, loc, computeType, ValueRange{perChannel},
               ValueRange{base}, ArrayRef<AffineMap>{channels, id},
               SmallVector<utils::IteratorType>(rank,
                                                utils::IteratorType::parallel),
               [&](OpBuilder &b, Location l, ValueRange args) {
                 Value v = fill ? args[0]
                                : arith::SubIOp::create(b, l, args[1], args[0])
                                      .getResult();
                 linalg::YieldOp::create(b, l, v);
               })
               .getResult(0);
    if (computeType != initType)
      init = tensor::ExpandShapeOp::create(rewriter, loc, initType, init,
                                           unitChannel);
  }
  Operation *plain = buildPlain(init);
  rewriter.replaceOp(op, plain->getResults());
  return success();
}

void dropZeroPoints(IRRewriter &rewriter, linalg::Conv2DNhwcFhwcQOp op) {
  ValueRange in = op.getInputs();
  (void)dropZeroPoints(
      rewriter, op, in[1], in[2], in[3], /*channelRank=*/1,
      [](ArrayRef<int8_t> w, RankedTensorType t) {
        int64_t f = t.getDimSize(0), per = t.getNumElements() / f;
        std::vector<int32_t> sums(f, 0);
        for (int64_t i = 0; i < f; ++i)
          for (int64_t j = 0; j < per; ++j)
            sums[i] += w[i * per + j];
        return sums;
      },
      [&](Value init) {
        SmallVector<NamedAttribute> attrs = {
            rewriter.getNamedAttr("strides", op.getStrides()),
            rewriter.getNamedAttr("dilations", op.getDilations())};
        return linalg::Conv2DNhwcFhwcOp::create(
                   rewriter, op.getLoc(), TypeRange{init.getType()},
                   ValueRange{in[0], in[1]}, ValueRange{init}, attrs)
            .getOperation();
      });
}

void dropZeroPoints(IRRewriter &rewriter,
                    linalg::DepthwiseConv2DNhwcHwcmQOp op) {
  ValueRange in = op.getInputs();
  (void)dropZeroPoints(
      rewriter, op, in[1], in[2], in[3], /*channelRank=*/2,
      [](ArrayRef<int8_t> w, RankedTensorType t) {
        // HWCM: the channel entries (c, m) are the trailing C x M.
        int64_t cm = t.getDimSize(2) * t.getDimSize(3);
        std::vector<int32_t> sums(cm, 0);
        for (int64_t i = 0; i < int64_t(w.size()); ++i)
          sums[i % cm] += w[i];
        return sums;
      },
      [&](Value init) {
        SmallVector<NamedAttribute> attrs = {
            rewriter.getNamedAttr("strides", op.getStrides()),
            rewriter.getNamedAttr("dilations", op.getDilations())};
        return linalg::DepthwiseConv2DNhwcHwcmOp::create(
                   rewriter, op.getLoc(), TypeRange{init.getType()},
                   ValueRange{in[0], in[1]}, ValueRange{init}, attrs)
            .getOperation();
      });
}

void dropZeroPoints(IRRewriter &rewriter, linalg::QuantizedBatchMatmulOp op) {
  ValueRange in = op.getInputs();
  // [B, M, N] init: the correction is per (b, n), which is not a trailing
  // block; only the common single-batch case (B = 1) is handled.
  auto initType = cast<RankedTensorType>(op.getDpsInits()[0].getType());
  if (initType.getRank() != 3 || initType.getDimSize(0) != 1)
    return;
  (void)dropZeroPoints(
      rewriter, op, in[1], in[2], in[3], /*channelRank=*/1,
      [](ArrayRef<int8_t> w, RankedTensorType t) {
        // [1, K, N]: sum over k for each n.
        int64_t n = t.getDimSize(2);
        std::vector<int32_t> sums(n, 0);
        for (int64_t i = 0; i < int64_t(w.size()); ++i)
          sums[i % n] += w[i];
        return sums;
      },
      [&](Value init) {
        return linalg::BatchMatmulOp::create(
                   rewriter, op.getLoc(), TypeRange{init.getType()},
                   ValueRange{in[0], in[1]}, ValueRange{init})
            .getOperation();
      });
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
    // Written at the origin, a dimension that fits in the static slice is
    // in bounds of the slice, hence of the tensor: say so, or the write
    // lowers to masked stores.
    SmallVector<bool> inBounds = write.getInBoundsValues();
    if (write.getPermutationMap().isMinorIdentity()) {
      ArrayRef<int64_t> slice = extract.getType().getShape();
      ArrayRef<int64_t> vector = write.getVectorType().getShape();
      for (auto [i, size] : llvm::enumerate(vector)) {
        int64_t sliceSize = slice[slice.size() - vector.size() + i];
        if (!ShapedType::isDynamic(sliceSize) && size <= sliceSize)
          inBounds[i] = true;
      }
    }
    SmallVector<Value> offsets = getValueOrCreateConstantIndexOp(
        rewriter, insert.getLoc(), insert.getMixedOffsets());
    rewriter.replaceOpWithNewOp<vector::TransferWriteOp>(
        insert, write.getVector(), insert.getDest(), offsets,
        write.getPermutationMapAttr(), rewriter.getBoolArrayAttr(inBounds));
    return success();
  }
};

/// Whether a strided slice of shape `slice` at `offsets` in `full` (strides
/// 1) is one whole row: unit sizes but the last, which spans the row.
bool isWholeRow(ArrayRef<int64_t> slice, ArrayRef<int64_t> offsets,
                VectorType full) {
  int64_t rank = full.getRank();
  return rank >= 2 && !full.isScalable() && int64_t(slice.size()) == rank &&
         int64_t(offsets.size()) == rank && offsets.back() == 0 &&
         slice.back() == full.getShape().back() &&
         llvm::all_of(slice.drop_back(), [](int64_t n) { return n == 1; });
}

/// A strided slice that is one whole row of its source, e.g. column x of a
/// strided convolution tile (vector<1x1x16xi8> out of vector<1x15x16xi8>),
/// is `vector.extract` of that row and a shape_cast. As a strided slice, the
/// LLVM lowering moved it element by element (a third of MobileNetV2's
/// strided depthwise convolutions here).
struct ExtractRowSlice : OpRewritePattern<vector::ExtractStridedSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::ExtractStridedSliceOp op,
                                PatternRewriter &rewriter) const override {
    auto offsets = extractFromIntegerArrayAttr<int64_t>(op.getOffsets());
    if (!isWholeRow(op.getType().getShape(), offsets, op.getSourceVectorType()))
      return rewriter.notifyMatchFailure(op, "not one whole row");
    Value row =
        vector::ExtractOp::create(rewriter, op.getLoc(), op.getSource(),
                                  ArrayRef<int64_t>(offsets).drop_back());
    rewriter.replaceOpWithNewOp<vector::ShapeCastOp>(op, op.getType(), row);
    return success();
  }
};

/// The converse: inserting one whole row as a strided slice is a
/// `vector.insert` of the row.
struct InsertRowSlice : OpRewritePattern<vector::InsertStridedSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::InsertStridedSliceOp op,
                                PatternRewriter &rewriter) const override {
    VectorType source = op.getSourceVectorType();
    auto offsets = extractFromIntegerArrayAttr<int64_t>(op.getOffsets());
    if (!isWholeRow(source.getShape(), offsets, op.getDestVectorType()))
      return rewriter.notifyMatchFailure(op, "not one whole row");
    auto rowType =
        VectorType::get({source.getShape().back()}, source.getElementType());
    Value row = vector::ShapeCastOp::create(rewriter, op.getLoc(), rowType,
                                            op.getValueToStore());
    rewriter.replaceOpWithNewOp<vector::InsertOp>(
        op, row, op.getDest(), ArrayRef<int64_t>(offsets).drop_back());
    return success();
  }
};

/// Whether `indices` are all constant zeros.
bool allZero(ValueRange indices) {
  return llvm::all_of(indices, [](Value v) { return isZeroInteger(v); });
}

/// (In bounds, at the origin and with as many elements as the tensor, a
/// minor-identity transfer covers the whole tensor.)
/// A read of a whole tensor that is a reshape (collapse_shape or
/// expand_shape ops) of a tensor written whole by one transfer_write reads the
/// written vector, reshaped: reshapes keep the row-major order, as
/// vector.shape_cast does. A fused consumer reads its convolution's tile
/// this way: linalg-fold-unit-extent-dims dropped the unit batch dimension
/// from elementwise ops only. Folded, the i32 tile never goes to memory.
struct ForwardWrittenTileThroughReshape
    : OpRewritePattern<vector::TransferReadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::TransferReadOp read,
                                PatternRewriter &rewriter) const override {
    auto base = dyn_cast<TypedValue<RankedTensorType>>(read.getBase());
    if (!base || !qe::isInBoundsMinorIdentityRead(read) ||
        !allZero(read.getIndices()) ||
        read.getVectorType().getNumElements() !=
            base.getType().getNumElements())
      return rewriter.notifyMatchFailure(read, "not a read of a whole tensor");
    Value written = base;
    while (isa_and_present<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(
        written.getDefiningOp()))
      written = written.getDefiningOp()->getOperand(0);
    if (written == base)
      return rewriter.notifyMatchFailure(read, "not a read of a reshape");
    auto write = written.getDefiningOp<vector::TransferWriteOp>();
    if (!write || write.getMask() || !write.hasPureTensorSemantics() ||
        !write.getPermutationMap().isMinorIdentity() ||
        !llvm::all_of(write.getInBoundsValues(), [](bool b) { return b; }) ||
        !allZero(write.getIndices()) ||
        write.getVectorType().getNumElements() !=
            cast<RankedTensorType>(write.getBase().getType()).getNumElements())
      return rewriter.notifyMatchFailure(read, "not a whole written tensor");
    rewriter.replaceOpWithNewOp<vector::ShapeCastOp>(read, read.getVectorType(),
                                                     write.getVector());
    return success();
  }
};

/// The all-parallel linalg.generic that alone consumes `op`'s result,
/// through reshapes (collected in `reshapes`): a convolution's
/// requantization, clamp or residual add, which qe-fuse-elementwise has made
/// one op. It reads the result and writes its own element for element
/// (identity maps), so an output tile of `op` is all one of its tiles
/// needs.
linalg::GenericOp
getElementwiseConsumer(linalg::LinalgOp op,
                       SmallVectorImpl<Operation *> &reshapes) {
  if (op->getNumResults() != 1)
    return {};
  Value value = op->getResult(0);
  while (value.hasOneUse()) {
    Operation *user = *value.getUsers().begin();
    if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(user)) {
      reshapes.push_back(user);
      value = user->getResult(0);
      continue;
    }
    auto generic = dyn_cast<linalg::GenericOp>(user);
    if (!generic || !generic.hasPureTensorSemantics() ||
        generic.hasDynamicShape() || generic.getNumResults() != 1 ||
        generic.getNumParallelLoops() != generic.getNumLoops() ||
        generic->getParentOfType<scf::ForOp>() ||
        qe::hasOddIntegerWidth(generic))
      return {};
    for (OpOperand &operand : generic->getOpOperands()) {
      AffineMap map = generic.getMatchingIndexingMap(&operand);
      if (!map.isProjectedPermutation() ||
          ((operand.get() == value || generic.isDpsInit(&operand)) &&
           !map.isIdentity()))
        return {};
    }
    return generic;
  }
  return {};
}

/// For each reassociation group of a reshape between `expanded` (static)
/// and the collapsed shape, the one dimension of the group that may differ
/// from 1 (the group's last if all are 1); nothing if a group has two.
std::optional<SmallVector<int64_t>>
getNonUnitDimOfGroups(ArrayRef<int64_t> expanded,
                      ArrayRef<ReassociationIndices> groups) {
  SmallVector<int64_t> dims;
  for (const ReassociationIndices &group : groups) {
    SmallVector<int64_t> nonUnit;
    for (int64_t d : group) {
      if (ShapedType::isDynamic(expanded[d]))
        return std::nullopt;
      if (expanded[d] != 1)
        nonUnit.push_back(d);
    }
    if (nonUnit.size() > 1)
      return std::nullopt;
    dims.push_back(nonUnit.empty() ? group.back() : nonUnit.front());
  }
  return dims;
}

/// extract_slice(reshape(x)) as reshape(extract_slice(x)), for reshapes that
/// only add or drop unit dimensions (a convolution's batch, or a depthwise
/// multiplier of 1): each group's slice is that of its one non-unit
/// dimension. Upstream's bubbling patterns handle contiguous slices but not
/// a one-element slice at an offset, which is what a fused consumer's last
/// column reads after a split along the width.
template <typename ReshapeOp>
struct BubbleSliceAboveUnitReshape : OpRewritePattern<tensor::ExtractSliceOp> {
  using OpRewritePattern<tensor::ExtractSliceOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::ExtractSliceOp slice,
                                PatternRewriter &rewriter) const override {
    auto reshape = slice.getSource().getDefiningOp<ReshapeOp>();
    if (!reshape || !slice.getType().hasStaticShape() ||
        slice.getType().getRank() != slice.getSourceType().getRank() ||
        !llvm::all_of(slice.getMixedStrides(),
                      [](OpFoldResult s) { return isOneInteger(s); }))
      return rewriter.notifyMatchFailure(slice,
                                         "not a plain slice of a reshape");
    constexpr bool collapsing =
        std::is_same_v<ReshapeOp, tensor::CollapseShapeOp>;
    RankedTensorType expandedType =
        collapsing ? reshape.getSrcType() : reshape.getResultType();
    SmallVector<ReassociationIndices> groups =
        reshape.getReassociationIndices();
    std::optional<SmallVector<int64_t>> nonUnit =
        getNonUnitDimOfGroups(expandedType.getShape(), groups);
    if (!nonUnit)
      return rewriter.notifyMatchFailure(slice, "reshape of non-unit dims");
    SmallVector<OpFoldResult> offsets, sizes;
    auto one = rewriter.getIndexAttr(1), zero = rewriter.getIndexAttr(0);
    if (collapsing) {
      // Slice of the collapsed tensor -> slice of the expanded one.
      int64_t rank = expandedType.getRank();
      offsets.assign(rank, zero);
      sizes.assign(rank, one);
      for (auto [g, d] : llvm::enumerate(*nonUnit)) {
        offsets[d] = slice.getMixedOffsets()[g];
        sizes[d] = slice.getMixedSizes()[g];
      }
    } else {
      // Slice of the expanded tensor -> slice of the collapsed one.
      for (int64_t d : *nonUnit) {
        offsets.push_back(slice.getMixedOffsets()[d]);
        sizes.push_back(slice.getMixedSizes()[d]);
      }
    }
    Value source = reshape.getSrc();
    auto inner = tensor::ExtractSliceOp::create(
        rewriter, slice.getLoc(), source, offsets, sizes,
        SmallVector<OpFoldResult>(offsets.size(), one));
    rewriter.replaceOpWithNewOp<ReshapeOp>(slice, slice.getType(), inner,
                                           groups);
    return success();
  }
};

/// For each loop of `consumer` (getElementwiseConsumer of `op`), the loop
/// of `op` over the same output dimension, or -1 for a unit loop. The
/// reshapes between the two only add or drop unit dimensions: the loops
/// longer than one correspond in order, with equal extents.
std::optional<SmallVector<int64_t>>
getProducerLoopsOfConsumer(linalg::LinalgOp op, linalg::GenericOp consumer) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<int64_t> outputLoops;
  for (AffineExpr expr :
       op.getIndexingMapMatchingResult(op->getResult(0)).getResults()) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (!dim)
      return std::nullopt;
    if (ranges[dim.getPosition()] > 1)
      outputLoops.push_back(dim.getPosition());
  }
  SmallVector<int64_t> loops;
  size_t next = 0;
  for (int64_t range : consumer.getStaticLoopRanges()) {
    if (range == 1) {
      loops.push_back(-1);
      continue;
    }
    if (next == outputLoops.size() || ranges[outputLoops[next]] != range)
      return std::nullopt;
    loops.push_back(outputLoops[next++]);
  }
  if (next != outputLoops.size())
    return std::nullopt;
  return loops;
}

/// The elementwise consumer a 2-D or depthwise convolution `op` can be
/// computed in (getElementwiseConsumer), the reshapes between them, and
/// for each consumer loop the convolution's loop (getProducerLoopsOfConsumer).
struct FusibleConsumer {
  linalg::GenericOp consumer;
  SmallVector<Operation *> reshapes;
  SmallVector<int64_t> producerLoops;
};

std::optional<FusibleConsumer> getFusibleConsumer(linalg::LinalgOp op) {
  if (!isa<linalg::Conv2DNhwcHwcfOp, linalg::DepthwiseConv2DNhwcHwcOp>(op))
    return std::nullopt;
  FusibleConsumer fusible;
  fusible.consumer = getElementwiseConsumer(op, fusible.reshapes);
  if (!fusible.consumer)
    return std::nullopt;
  std::optional<SmallVector<int64_t>> loops =
      getProducerLoopsOfConsumer(op, fusible.consumer);
  if (!loops)
    return std::nullopt;
  fusible.producerLoops = std::move(*loops);
  return fusible;
}

/// Whether a 2-D convolution's tile loops should run over output-channel
/// blocks outermost, the cache-level order for a filter larger than its
/// input: each block's weights (packed together by
/// qe-pack-contraction-weights) then stay in cache while every output
/// position uses them, and the smaller input is what streams past again.
/// The default order, output positions outermost, keeps the input in
/// cache and streams the whole filter past every output tile.
/// On f32 ResNet-50 here this order ran 39.0 ms against 41.4 (layers 3
/// and 4, up to 9 MiB of filter for 100 KiB of input); with it for every
/// convolution, 38.5-39.0 (no better). Integer filters are four times smaller:
/// the same rule gained nothing on int8 ResNet-50 (12.4 against 12.1 ms) and
/// was within noise on MobileNetV2 and InceptionV3, so they keep the
/// default.
bool sweepsOutputChannelsOutermost(linalg::LinalgOp op) {
  if (!isa<linalg::Conv2DNhwcHwcfOp>(op))
    return false;
  auto input = cast<ShapedType>(op.getDpsInputs()[0].getType());
  auto filter = cast<ShapedType>(op.getDpsInputs()[1].getType());
  return isa<FloatType>(filter.getElementType()) && input.hasStaticShape() &&
         filter.hasStaticShape() &&
         filter.getNumElements() > input.getNumElements();
}

/// The order of `op`'s tile loops, outermost first; empty for its own
/// order.
SmallVector<int64_t> getTileLoopOrder(linalg::LinalgOp op) {
  // conv_2d_nhwc_hwcf's loops are (n, oh, ow, f, kh, kw, c).
  constexpr int64_t outputChannels = 3;
  if (!sweepsOutputChannelsOutermost(op))
    return {};
  SmallVector<int64_t> order = {outputChannels};
  for (int64_t loop = 0; loop < int64_t(op.getNumLoops()); ++loop)
    if (loop != outputChannels)
      order.push_back(loop);
  return order;
}

/// What tileConsumerAndFuse made: the consumer's tile, to vectorize, and the
/// producer's tile inside the same loops (null if it could not be fused).
struct FusedTiles {
  linalg::LinalgOp consumer, producer;
};

/// Tiles `consumer` (`sizes` over its loops) and computes the tile of `op`
/// it reads inside those loops, where the consumer takes it: a
/// convolution's i32 accumulators then go from registers straight into the
/// requantization, clamp and residual add, and no i32 feature map is
/// written and read back. `consumer` reads `op`'s result element for
/// element (getElementwiseConsumer), or a part of it (after linalg::splitOp).
/// `interchange` orders the consumer's tile loops (empty: its own order).
FailureOr<FusedTiles> tileConsumerAndFuse(RewriterBase &rewriter,
                                          linalg::LinalgOp op,
                                          linalg::GenericOp consumer,
                                          ArrayRef<int64_t> sizes,
                                          ArrayRef<int64_t> interchange) {
  MLIRContext *ctx = op->getContext();
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(getAsIndexOpFoldResult(ctx, sizes));
  if (!interchange.empty())
    tiling.setInterchange(interchange);
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  // Only `op` joins the loops: the consumer's other operands (a residual
  // branch, per-channel constants) are read as slices.
  options.setFusionControlFn(
      [&](tensor::ExtractSliceOp, OpResult producer, bool isDestination)
          -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        if (isDestination || producer.getOwner() != op.getOperation())
          return std::nullopt;
        return scf::SCFTileAndFuseOptions::ControlFnResult{};
      });
  // Slices of the reshaped result (and of a part's slice) move above the
  // reshapes, onto `op`.
  RewritePatternSet cleanup(ctx);
  cleanup.add<BubbleSliceAboveUnitReshape<tensor::CollapseShapeOp>,
              BubbleSliceAboveUnitReshape<tensor::ExpandShapeOp>>(
      ctx, /*benefit=*/2);
  tensor::populateBubbleUpExtractSliceOpPatterns(cleanup);
  tensor::populateMergeConsecutiveInsertExtractSlicePatterns(cleanup);
  options.cleanupPatterns = FrozenRewritePatternSet(std::move(cleanup));
  rewriter.setInsertionPoint(consumer);
  FailureOr<scf::SCFTileAndFuseResult> fused =
      scf::tileConsumerAndFuseProducersUsingSCF(
          rewriter, cast<TilingInterface>(consumer.getOperation()), options);
  if (failed(fused))
    return failure();
  rewriter.replaceOp(consumer,
                     fused->replacements.lookup(consumer->getResult(0)));
  if (!fused->loops.empty())
    fused->loops.front()->setAttr(qe::kParallelTileAttr,
                                  rewriter.getUnitAttr());
  FusedTiles tiles{cast<linalg::LinalgOp>(fused->tiledAndFusedOps.front()), {}};
  if (!fused->fusedProducers.contains(op.getOperation()))
    return tiles;
  for (Operation *tiled : fused->tiledAndFusedOps)
    if (tiled != tiles.consumer.getOperation() &&
        isa<linalg::LinalgOp>(tiled) && tiled->getName() == op->getName())
      tiles.producer = cast<linalg::LinalgOp>(tiled);
  return tiles;
}

/// f32 lanes of the target's widest vector register, from the features
/// qe-annotate-target records: 16 with AVX-512, 8 with AVX/AVX2, 4
/// otherwise (NEON, SSE); 8 for a module that records no features.
int64_t getF32VectorLanes(ModuleOp module) {
  std::optional<SmallVector<StringRef>> features =
      module ? qe::getTargetFeatures(module) : std::nullopt;
  if (!features)
    return 8;
  if (llvm::is_contained(*features, "+avx512f"))
    return 16;
  if (llvm::is_contained(*features, "+avx"))
    return 8;
  return 4;
}

/// Where every element of `tensor` comes from a per-channel constant (along
/// its innermost dimension): a constant fill (`splat`), or a generic that
/// broadcasts a 1-D constant along the outer dimensions (`channels`). A
/// collapse_shape undoing an expand_shape is looked through.
struct ChannelConstant {
  TypedAttr splat;
  Value channels;
};

std::optional<ChannelConstant> getChannelConstant(Value tensor) {
  if (auto collapse = tensor.getDefiningOp<tensor::CollapseShapeOp>())
    if (auto expand = collapse.getSrc().getDefiningOp<tensor::ExpandShapeOp>())
      if (expand.getSrc().getType() == collapse.getType())
        tensor = expand.getSrc();
  if (TypedAttr splat = getFillValue(tensor))
    return ChannelConstant{splat, {}};
  auto generic = tensor.getDefiningOp<linalg::GenericOp>();
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getNumResults() != 1 ||
      !llvm::hasSingleElement(generic.getBody()->getOperations()))
    return std::nullopt;
  Block *body = generic.getBody();
  Value yielded = body->getTerminator()->getOperand(0);
  Value input = generic.getDpsInputs()[0];
  auto inputType = dyn_cast<RankedTensorType>(input.getType());
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  int64_t rank = generic.getNumLoops();
  if (yielded != body->getArgument(0) || !inputType ||
      inputType.getRank() != 1 || !matchPattern(input, m_Constant()) ||
      !maps[1].isIdentity() ||
      maps[0] != AffineMap::get(
                     rank, 0, getAffineDimExpr(rank - 1, generic.getContext())))
    return std::nullopt;
  return ChannelConstant{{}, input};
}

/// Replaces `read` (in bounds, minor identity) of a tensor that holds
/// `constant` with the values it reads: a vector constant, or one read of
/// the per-channel row broadcast along the outer dimensions.
void replaceWithChannelConstant(RewriterBase &rewriter,
                                vector::TransferReadOp read,
                                const ChannelConstant &constant) {
  rewriter.setInsertionPoint(read);
  VectorType type = read.getVectorType();
  Value forwarded;
  if (constant.splat) {
    forwarded =
        arith::ConstantOp::create(rewriter, read.getLoc(), type,
                                  DenseElementsAttr::get(type, constant.splat));
  } else {
    auto rowType =
        VectorType::get({type.getShape().back()}, type.getElementType());
    Value row = vector::TransferReadOp::create(
        rewriter, read.getLoc(), rowType, constant.channels,
        ValueRange{read.getIndices().back()}, read.getPadding(),
        ArrayRef<bool>{true});
    forwarded = vector::BroadcastOp::create(rewriter, read.getLoc(), type, row);
  }
  rewriter.replaceOp(read, forwarded);
}

/// A read of a per-channel constant tensor (a fused convolution tile reads
/// its bias this way, from the init outside the loops) is the constant.
struct ReadChannelConstant : OpRewritePattern<vector::TransferReadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::TransferReadOp read,
                                PatternRewriter &rewriter) const override {
    if (!read.hasPureTensorSemantics() ||
        !qe::isInBoundsMinorIdentityRead(read))
      return rewriter.notifyMatchFailure(read, "not a plain read");
    std::optional<ChannelConstant> constant =
        getChannelConstant(read.getBase());
    // Every slice and reshape of a constant fill is that fill.
    Value source = read.getBase();
    while (isa_and_present<tensor::ExtractSliceOp, tensor::ExpandShapeOp,
                           tensor::CollapseShapeOp>(source.getDefiningOp()))
      source = source.getDefiningOp()->getOperand(0);
    if (!constant)
      if (TypedAttr splat = getFillValue(source))
        constant = ChannelConstant{splat, {}};
    if (!constant)
      return rewriter.notifyMatchFailure(read, "not a per-channel constant");
    replaceWithChannelConstant(rewriter, read, *constant);
    return success();
  }
};

/// Whether `read`, of a tensor carried through the loops from `root` down,
/// sees only values from before the loops: it reads the value its loop
/// carries into the iteration, at indices that include the induction
/// variable of every loop up to `root`, so no earlier iteration wrote that
/// slice. A reduction loop carrying its accumulator through the tensor
/// fails this (its reads repeat the same indices).
bool readsUnwrittenSlice(vector::TransferReadOp read, scf::ForOp root) {
  auto loop = dyn_cast<scf::ForOp>(read->getParentOp());
  if (!loop || !llvm::is_contained(loop.getRegionIterArgs(), read.getBase()))
    return false;
  for (Operation *op = loop;; op = op->getParentOp()) {
    auto enclosing = dyn_cast<scf::ForOp>(op);
    if (!enclosing ||
        !llvm::is_contained(read.getIndices(), enclosing.getInductionVar()))
      return false;
    if (enclosing == root)
      return true;
  }
}

/// A tile's accumulator is read once before its reduction loops (after
/// hoisting), from the op's init carried through the tile loops' iter_args.
/// When that init is a per-channel constant (a convolution's bias, or the
/// zero-point correction on a fill), the read becomes the constant itself;
/// if nothing else reads the init, the loops then start from an empty
/// tensor and the init is never written: no pass over the accumulators
/// before each convolution.
void forwardConstantInits(func::FuncOp func, IRRewriter &rewriter) {
  SmallVector<scf::ForOp> roots;
  func.walk([&](scf::ForOp loop) {
    if (!loop->getParentOfType<scf::ForOp>())
      roots.push_back(loop);
  });
  for (scf::ForOp root : roots) {
    for (int64_t index = 0, e = root.getInitArgs().size(); index < e; ++index) {
      Value init = root.getInitArgs()[index];
      std::optional<ChannelConstant> constant = getChannelConstant(init);
      auto initType = dyn_cast<RankedTensorType>(init.getType());
      if (!constant || !initType || !initType.hasStaticShape())
        continue;
      // Every use of the carried tensor: reads to forward, and writes,
      // nested loops and yields that carry it on. Anything else reads it
      // some other way: leave this init alone.
      SmallVector<vector::TransferReadOp> reads;
      SmallVector<Value> worklist = {root.getRegionIterArgs()[index]};
      bool onlyCarried = true;
      llvm::DenseSet<Value> visited;
      while (!worklist.empty() && onlyCarried) {
        Value carried = worklist.pop_back_val();
        if (!visited.insert(carried).second)
          continue;
        for (OpOperand &use : carried.getUses()) {
          Operation *user = use.getOwner();
          if (auto read = dyn_cast<vector::TransferReadOp>(user)) {
            if (!qe::isInBoundsMinorIdentityRead(read) ||
                !readsUnwrittenSlice(read, root)) {
              onlyCarried = false;
              break;
            }
            reads.push_back(read);
          } else if (auto write = dyn_cast<vector::TransferWriteOp>(user)) {
            if (use.get() == write.getValueToStore()) {
              onlyCarried = false;
              break;
            }
            worklist.push_back(write.getResult());
          } else if (auto loop = dyn_cast<scf::ForOp>(user)) {
            int64_t i = use.getOperandNumber() - loop.getNumControlOperands();
            worklist.push_back(loop.getRegionIterArgs()[i]);
            worklist.push_back(loop.getResult(i));
          } else if (auto yield = dyn_cast<scf::YieldOp>(user)) {
            auto parent = dyn_cast<scf::ForOp>(yield->getParentOp());
            if (!parent) {
              onlyCarried = false;
              break;
            }
            if (parent != root)
              worklist.push_back(parent.getResult(use.getOperandNumber()));
          } else {
            onlyCarried = false;
            break;
          }
        }
      }
      if (!onlyCarried || reads.empty())
        continue;
      for (vector::TransferReadOp read : reads)
        replaceWithChannelConstant(rewriter, read, *constant);
      rewriter.setInsertionPoint(root);
      Value empty =
          tensor::EmptyOp::create(rewriter, root.getLoc(), initType.getShape(),
                                  initType.getElementType());
      rewriter.modifyOpInPlace(
          root, [&] { root.getInitArgsMutable()[index].set(empty); });
      // The init, and what only it used, are dead now.
      SmallVector<Operation *> dead = {init.getDefiningOp()};
      while (!dead.empty()) {
        Operation *op = dead.pop_back_val();
        if (!op || !isOpTriviallyDead(op))
          continue;
        for (Value operand : op->getOperands())
          dead.push_back(operand.getDefiningOp());
        rewriter.eraseOp(op);
      }
    }
  }
}

struct VectorizeContractionsPass
    : public qe::impl::VectorizeContractionsBase<VectorizeContractionsPass> {
  using Base::Base;
  int64_t vectorLanes = 8;
  /// qe::getDotProductIsa of the module: integer tiles depend on it.
  std::string dotIsa = "none";

  /// Tile sizes for `op`, or nothing to leave it alone.
  std::optional<SmallVector<int64_t>> getTileSizes(linalg::LinalgOp op) {
    // TOSA's 16x8 accumulators are i48. Vectorized, a 3x3 depthwise
    // convolution with one returned wrong values here, and the width has no
    // fast vector form anyway: such ops stay loops.
    Type acc = getElementTypeOrSelf(op.getDpsInits()[0].getType());
    if ((acc.isInteger() && acc.getIntOrFloatBitWidth() > 32) ||
        qe::hasOddIntegerWidth(op))
      return std::nullopt;
    auto pick = [](ArrayRef<int64_t> option,
                   ArrayRef<int64_t> fallback) -> SmallVector<int64_t> {
      return option.empty() ? SmallVector<int64_t>(fallback)
                            : SmallVector<int64_t>(option);
    };
    // With AVX-512, 7 output columns x 32 channels (14 zmm accumulators)
    // ran a 3x3 convolution at 200-220 GFLOP/s here, against 55-107 with the
    // AVX2 tiles; 7 divides the 56/28/14/7 feature maps of the usual CNNs.
    // Integer convolutions on 256-bit x86 tile for their dot products
    // (ResNet-50 int8 here, compiled for the CPU named): with pmaddwd (AVX2)
    // 2 columns x 32 channels x 8 input channels ran 68 ms against 89 with
    // the f32 tiles, as each broadcast pair feeds 4 instructions instead of
    // one, with 8 accumulators; with AVX-VNNI, 4 x 16 x 16 ran 35 ms
    // against 42.
    bool int8Conv = isa<linalg::Conv2DNhwcHwcfOp>(op) &&
                    getElementTypeOrSelf(op.getDpsInputs()[0]).isInteger(8);
    if (int8Conv && vectorLanes == 8 &&
        (dotIsa == "avx2" || dotIsa == "avx-vnni"))
      return pick(convTileSizes,
                  dotIsa == "avx2" ? ArrayRef<int64_t>{1, 1, 2, 32, 1, 1, 8}
                                   : ArrayRef<int64_t>{1, 1, 4, 16, 1, 1, 16});
    if (isa<linalg::Conv2DNhwcHwcfOp>(op))
      return pick(convTileSizes, vectorLanes >= 16
                                     ? ArrayRef<int64_t>{1, 1, 7, 32, 1, 1, 16}
                                     : ArrayRef<int64_t>{1, 1, 8, 8, 1, 1, 8});
    if (isa<linalg::DepthwiseConv2DNhwcHwcOp>(op))
      return pick(depthwiseTileSizes, {1, 1, 8, 16, 1, 1});
    // Window reductions (average and max pools) decompose like depthwise
    // convolutions.
    if (isa<linalg::PoolingNhwcSumOp, linalg::PoolingNhwcMaxOp>(op))
      return pick(depthwiseTileSizes, {1, 1, 8, 16, 1, 1});
    // Other reductions in generic form, e.g. a global average pool's sum or
    // a matrix-vector product in generic form (scalar, one took 0.8 ms of
    // MobileNetV2's 8 here): vector lanes on the innermost parallel loop, 16
    // on the innermost reduction.
    if (isa<linalg::GenericOp>(op) && op.getNumReductionLoops() > 0) {
      SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
      SmallVector<int64_t> sizes(kinds.size(), 1);
      bool parallelSeen = false, reductionSeen = false;
      for (int64_t d = int64_t(kinds.size()) - 1; d >= 0; --d) {
        bool parallel = kinds[d] == utils::IteratorType::parallel;
        if (parallel && !parallelSeen)
          sizes[d] = 2 * vectorLanes;
        else if (!parallel && !reductionSeen)
          sizes[d] = 16;
        (parallel ? parallelSeen : reductionSeen) = true;
      }
      return sizes;
    }
    SmallVector<int64_t> mm = pick(matmulTileSizes, {1, 4, 16, 8});
    if (isa<linalg::BatchMatmulOp>(op) && mm.size() == 4)
      return mm;
    if (isa<linalg::MatmulOp>(op) && mm.size() == 4)
      return SmallVector<int64_t>(mm.begin() + 1, mm.end());
    return std::nullopt;
  }

  /// `sizes` made to divide `op`'s loop ranges, so that every tile is
  /// static (vectorizable without masks): the largest divisor of each range
  /// that does not exceed the requested size; 0 (no loop) for unit ranges.
  /// The innermost parallel dimension (output channels) becomes the vector
  /// lanes: it prefers a multiple of the register width, or 144 channels
  /// tile by 24 = 1.5 zmm, which ran at half the speed; failing that, one
  /// half or quarter register (24 channels by 8).
  SmallVector<int64_t> fitTileSizes(linalg::LinalgOp op,
                                    ArrayRef<int64_t> requested) {
    SmallVector<int64_t> sizes(requested);
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    int64_t laneDim = getLaneDimension(op);
    for (auto [dim, size, range] : llvm::enumerate(sizes, ranges)) {
      // Unit dimensions get no loop (a one-trip loop would fold away and
      // take the parallel marking with it).
      if (size <= 0 || range == 1) {
        size = 0;
        continue;
      }
      int64_t divisor = qe::largestDivisorAtMost(range, size);
      if (int64_t(dim) == laneDim) {
        bool whole = false;
        for (int64_t m = size - size % vectorLanes; m >= vectorLanes;
             m -= vectorLanes)
          if (range % m == 0) {
            divisor = m;
            whole = true;
            break;
          }
        // Else one narrower register: with AVX-512, MobileNetV2's 24
        // output channels as 24-lane vectors became element shuffles
        // through the stack; one ymm per tile ran f32 MobileNetV2 in
        // 4.75-4.90 ms against 4.91-5.08 and int8 in 1.55 against 1.86.
        for (int64_t lanes = vectorLanes / 2; !whole && lanes >= 4; lanes /= 2)
          if (range % lanes == 0 && lanes <= size) {
            divisor = lanes;
            break;
          }
      }
      size = divisor;
    }
    return sizes;
  }

  /// The loop that maps to vector lanes: output channels of convolutions,
  /// columns of matmuls (both the innermost parallel loop here).
  static int64_t getLaneDimension(linalg::LinalgOp op) {
    SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
    for (int64_t d = int64_t(kinds.size()) - 1; d >= 0; --d)
      if (kinds[d] == utils::IteratorType::parallel)
        return d;
    return -1;
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    IRRewriter rewriter(ctx);
    auto module = func->getParentOfType<ModuleOp>();
    vectorLanes = getF32VectorLanes(module);
    if (module)
      dotIsa = qe::getDotProductIsa(module);

    // Integer ops first: they become the plain ops handled below.
    SmallVector<Operation *> quantized;
    func.walk([&](Operation *op) {
      if (isa<linalg::Conv2DNhwcFhwcQOp, linalg::DepthwiseConv2DNhwcHwcmQOp,
              linalg::QuantizedBatchMatmulOp>(op))
        quantized.push_back(op);
    });
    for (Operation *op : quantized)
      TypeSwitch<Operation *>(op)
          .Case<linalg::Conv2DNhwcFhwcQOp, linalg::DepthwiseConv2DNhwcHwcmQOp,
                linalg::QuantizedBatchMatmulOp>(
              [&](auto q) { dropZeroPoints(rewriter, q); });

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
    // Tiles of elementwise consumers into which a convolution was fused.
    SmallVector<linalg::LinalgOp> fusedConsumers;
    // Computes `op` inside the tile loops of `consumers` (`fusible`'s
    // consumer, or its parts), tiling its reduction loops there; true when
    // all of it is, and `op` is gone.
    auto fuseIntoConsumers = [&](linalg::LinalgOp op, ArrayRef<int64_t> sizes,
                                 const FusibleConsumer &fusible,
                                 ArrayRef<linalg::GenericOp> consumers) {
      SmallVector<int64_t> reductionSizes(sizes);
      for (auto [size, kind] :
           llvm::zip(reductionSizes, op.getIteratorTypesArray()))
        if (kind == utils::IteratorType::parallel)
          size = 0;
      // The consumer's loops in the order of the convolution's.
      SmallVector<int64_t> consumerOrder;
      for (int64_t loop : getTileLoopOrder(op))
        for (auto [d, producerLoop] : llvm::enumerate(fusible.producerLoops))
          if (producerLoop == loop)
            consumerOrder.push_back(d);
      if (!consumerOrder.empty())
        for (auto [d, producerLoop] : llvm::enumerate(fusible.producerLoops))
          if (producerLoop < 0)
            consumerOrder.push_back(d);
      for (linalg::GenericOp consumer : consumers) {
        SmallVector<int64_t> consumerSizes;
        for (auto [loop, range] :
             llvm::zip(fusible.producerLoops, consumer.getStaticLoopRanges()))
          consumerSizes.push_back(
              loop < 0 || range == 1
                  ? 0
                  : qe::largestDivisorAtMost(range, sizes[loop]));
        FailureOr<FusedTiles> tiles = tileConsumerAndFuse(
            rewriter, op, consumer, consumerSizes, consumerOrder);
        if (failed(tiles))
          continue;
        fusedConsumers.push_back(tiles->consumer);
        if (tiles->producer &&
            llvm::any_of(reductionSizes, [](int64_t s) { return s; }))
          (void)qe::tileWithLoops(rewriter, tiles->producer, reductionSizes);
      }
      for (Operation *reshape : llvm::reverse(fusible.reshapes))
        if (isOpTriviallyDead(reshape))
          rewriter.eraseOp(reshape);
      if (!op->use_empty())
        return false;
      rewriter.eraseOp(op);
      return true;
    };
    // Output widths without a good divisor (InceptionV3's 149, 73, 71 and
    // 17 are prime) would tile one column at a time. Such ops split in two
    // along the width: a part that the requested tile divides, and the
    // remainder, each static. A convolution to be fused into its consumer
    // splits that consumer instead, and is computed in both parts' loops.
    SmallVector<linalg::LinalgOp> split;
    for (linalg::LinalgOp op : targets) {
      SmallVector<int64_t> sizes = *getTileSizes(op);
      if (!isa<linalg::Conv2DNhwcHwcfOp, linalg::DepthwiseConv2DNhwcHwcOp,
               linalg::PoolingNhwcSumOp, linalg::PoolingNhwcMaxOp>(op) ||
          sizes.size() != op.getNumLoops()) {
        split.push_back(op);
        continue;
      }
      int64_t width = op.getStaticLoopRanges()[2], tile = sizes[2];
      if (tile <= 1 || width <= tile ||
          2 * qe::largestDivisorAtMost(width, tile) > tile) {
        split.push_back(op);
        continue;
      }
      int64_t at = width - width % tile;
      std::optional<FusibleConsumer> fusible =
          fuseConsumers ? getFusibleConsumer(op) : std::nullopt;
      const int64_t *widthLoop =
          fusible ? llvm::find(fusible->producerLoops, 2) : nullptr;
      if (fusible && widthLoop != fusible->producerLoops.end()) {
        rewriter.setInsertionPoint(fusible->consumer);
        auto [main, rest] = linalg::splitOp(
            rewriter, cast<TilingInterface>(fusible->consumer.getOperation()),
            widthLoop - fusible->producerLoops.begin(),
            rewriter.getIndexAttr(at));
        SmallVector<linalg::GenericOp> parts;
        for (TilingInterface part : {main, rest})
          if (auto generic = dyn_cast_if_present<linalg::GenericOp>(
                  part ? part.getOperation() : nullptr))
            parts.push_back(generic);
        // The requested tile divides the main part's width.
        SmallVector<int64_t> fitted = fitTileSizes(op, sizes);
        fitted[2] = tile;
        if (!fuseIntoConsumers(op, fitted, *fusible, parts))
          (void)qe::tileWithLoops(rewriter, op, fitTileSizes(op, sizes));
        continue;
      }
      rewriter.setInsertionPoint(op);
      auto [main, rest] =
          linalg::splitOp(rewriter, cast<TilingInterface>(op.getOperation()),
                          /*dimension=*/2, rewriter.getIndexAttr(at));
      for (TilingInterface part : {main, rest})
        if (auto linalgOp = dyn_cast_if_present<linalg::LinalgOp>(
                part ? part.getOperation() : nullptr))
          split.push_back(linalgOp);
    }
    for (linalg::LinalgOp op : split) {
      SmallVector<int64_t> sizes = *getTileSizes(op);
      if (sizes.size() != op.getNumLoops()) {
        op.emitError() << "qe-vectorize-contractions: " << sizes.size()
                       << " tile sizes for an op with " << op.getNumLoops()
                       << " loops";
        return signalPassFailure();
      }
      sizes = fitTileSizes(op, sizes);
      // A matrix-vector product (every parallel loop but one of extent 1)
      // streams its weights row by row with the reduction outermost; its
      // accumulator is a short vector that stays in L1.
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      SmallVector<int64_t> interchange;
      if (isa<linalg::GenericOp>(op) &&
          llvm::count_if(ranges, [](int64_t r) { return r > 1; }) ==
              int64_t(op.getNumReductionLoops()) + 1) {
        SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
        for (int64_t d = 0; d < int64_t(kinds.size()); ++d)
          if (kinds[d] == utils::IteratorType::reduction)
            interchange.push_back(d);
        for (int64_t d = 0; d < int64_t(kinds.size()); ++d)
          if (kinds[d] == utils::IteratorType::parallel)
            interchange.push_back(d);
      }
      if (fuseConsumers)
        if (std::optional<FusibleConsumer> fusible = getFusibleConsumer(op))
          if (fuseIntoConsumers(op, sizes, *fusible, {fusible->consumer}))
            continue;
      if (interchange.empty())
        interchange = getTileLoopOrder(op);
      (void)qe::tileWithLoops(rewriter, op, sizes, interchange);
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
              linalg::PoolingNwcSumOp, linalg::PoolingNwcMaxOp,
              linalg::MatmulOp, linalg::BatchMatmulOp>(op) ||
          (isa<linalg::GenericOp>(op) && op.getNumReductionLoops() > 0))
        tiles.push_back(op);
    });
    for (linalg::LinalgOp op : tiles)
      (void)qe::vectorizeInPlace(rewriter, op, /*createNamedContraction=*/true);
    for (linalg::LinalgOp op : fusedConsumers)
      if (!op.hasDynamicShape())
        (void)qe::vectorizeInPlace(rewriter, op);

    // Clean up: contractions in canonical form, slices folded into
    // transfers (or bufferization makes copies of every tile).
    RewritePatternSet patterns(ctx);
    vector::populateVectorReductionToContractPatterns(patterns);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
    patterns.add<ExtractRowSlice, InsertRowSlice>(ctx);
    // Before upstream's insert_slice folder, which cannot tell that a slice
    // of the loop-carried tensor is in bounds and marks such writes out of
    // bounds (masked stores; a fused consumer's every store came out so).
    patterns.add<FoldSliceRoundTripIntoTransferWrite>(ctx, /*benefit=*/2);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
    // Reductions that are not contractions (a pool's window sum) stay
    // multi_reductions, which the LLVM conversion does not take.
    {
      RewritePatternSet lowering(ctx);
      vector::populateVectorMultiReductionLoweringPatterns(
          lowering, vector::VectorMultiReductionLowering::InnerParallel);
      if (failed(applyPatternsGreedily(func, std::move(lowering))))
        return signalPassFailure();
    }

    // Keep each tile's accumulator in registers across the reduction loops
    // (kernel rows and columns, input-channel tiles): innermost loops first,
    // so that the accumulator climbs out of the whole reduction nest.
    SmallVector<scf::ForOp> loops;
    func.walk<WalkOrder::PostOrder>(
        [&](scf::ForOp loop) { loops.push_back(loop); });
    for (scf::ForOp loop : loops)
      hoistLoopInvariantSubsets(rewriter,
                                cast<LoopLikeOpInterface>(loop.getOperation()));
    forwardConstantInits(func, rewriter);
    // A fused tile's accumulator, hoisted, starts from a read of its init
    // (the bias) and ends in a write that its consumer reads back: read the
    // constant, and hand the consumer the accumulator itself.
    {
      RewritePatternSet forwarding(ctx);
      tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(forwarding);
      vector::TransferReadOp::getCanonicalizationPatterns(forwarding, ctx);
      scf::ForOp::getCanonicalizationPatterns(forwarding, ctx);
      forwarding.add<ReadChannelConstant, ForwardWrittenTileThroughReshape>(
          ctx);
      if (failed(applyPatternsGreedily(func, std::move(forwarding))))
        return signalPassFailure();
    }
  }
};
} // namespace
