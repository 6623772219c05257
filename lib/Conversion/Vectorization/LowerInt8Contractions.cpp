//===- LowerInt8Contractions.cpp - i8 contractions to dot products --------===//
//
// A vectorized integer convolution tile multiplies sign-extended bytes in
// 32 bits: one MAC per lane and instruction, slower than f32 FMAs. CPUs have
// 4-way byte dot products (x86 vpdpbusd, AArch64 sdot) that do four MACs
// per 32-bit lane; this pass emits them.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/TargetParser/Triple.h"

namespace mlir::qe {
#define GEN_PASS_DEF_LOWERINT8CONTRACTIONS
#include "quant-eval/Conversion/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;

namespace {

/// A 4-way byte dot-product instruction: `lanes` i32 accumulators, each
/// adding four byte products.
struct DotInstruction {
  int64_t lanes;
  StringRef intrinsic;
  /// vpdpbusd multiplies unsigned (first) by signed (second) bytes.
  bool unsignedLhs;
};

std::optional<DotInstruction> selectInstruction(StringRef isa) {
  if (isa == "avx512-vnni")
    return DotInstruction{16, "llvm.x86.avx512.vpdpbusd.512", true};
  if (isa == "avx-vnni")
    return DotInstruction{8, "llvm.x86.avx512.vpdpbusd.256", true};
  if (isa == "neon-dotprod")
    return DotInstruction{4, "llvm.aarch64.neon.sdot.v4i32.v16i8", false};
  return std::nullopt;
}

/// The ISA name for the module's target (qe-annotate-target), or "none".
std::string isaOfModule(ModuleOp module) {
  auto features = module->getAttrOfType<StringAttr>("qe.target_features");
  auto triple = module->getAttrOfType<StringAttr>(
      LLVM::LLVMDialect::getTargetTripleAttrName());
  if (!features || !triple)
    return "none";
  SmallVector<StringRef> list;
  features.getValue().split(list, ',');
  auto has = [&](StringRef f) {
    return llvm::is_contained(list, ("+" + f).str());
  };
  llvm::Triple t(triple.getValue());
  if (t.isX86()) {
    if (has("avx512vnni") && has("avx512bw"))
      return "avx512-vnni";
    if (has("avxvnni"))
      return "avx-vnni";
  }
  if (t.isAArch64() && has("dotprod"))
    return "neon-dotprod";
  return "none";
}

/// [W, C] x [C, F] -> [W, F] over (w, f, c), or [C] x [C, F] -> [F] over
/// (f, c), with both operands sign-extended from i8 and an i32 accumulator:
/// the forms the 1-D convolution tiles of qe-vectorize-contractions take once
/// canonicalization has dropped their unit batch dimension (strided ones
/// come one output column at a time).
struct ContractionToDot : OpRewritePattern<vector::ContractionOp> {
  ContractionToDot(MLIRContext *ctx, DotInstruction dot)
      : OpRewritePattern(ctx), dot(dot) {}

  LogicalResult matchAndRewrite(vector::ContractionOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getKind() != vector::CombiningKind::ADD)
      return rewriter.notifyMatchFailure(op, "not a sum of products");
    auto lhsExt = op.getLhs().getDefiningOp<arith::ExtSIOp>();
    auto rhsExt = op.getRhs().getDefiningOp<arith::ExtSIOp>();
    if (!lhsExt || !rhsExt)
      return rewriter.notifyMatchFailure(op, "operands not sign-extended");
    auto lhsType = dyn_cast<VectorType>(lhsExt.getIn().getType());
    auto rhsType = dyn_cast<VectorType>(rhsExt.getIn().getType());
    auto accType = dyn_cast<VectorType>(op.getAcc().getType());
    if (!lhsType || !rhsType || !accType ||
        !lhsType.getElementType().isInteger(8) ||
        !rhsType.getElementType().isInteger(8) ||
        !accType.getElementType().isInteger(32) || rhsType.getRank() != 2 ||
        lhsType.isScalable() || rhsType.isScalable())
      return rewriter.notifyMatchFailure(op, "not an i8 contraction");
    MLIRContext *ctx = op.getContext();
    bool columns = lhsType.getRank() == 2;
    SmallVector<AffineMap> expected;
    if (columns) {
      AffineExpr w, f, c;
      bindDims(ctx, w, f, c);
      expected = {AffineMap::get(3, 0, {w, c}, ctx),
                  AffineMap::get(3, 0, {c, f}, ctx),
                  AffineMap::get(3, 0, {w, f}, ctx)};
    } else {
      AffineExpr f, c;
      bindDims(ctx, f, c);
      expected = {AffineMap::get(2, 0, {c}, ctx),
                  AffineMap::get(2, 0, {c, f}, ctx),
                  AffineMap::get(2, 0, {f}, ctx)};
    }
    if (op.getIndexingMapsArray() != expected)
      return rewriter.notifyMatchFailure(op, "unexpected indexing maps");
    int64_t width = columns ? lhsType.getDimSize(0) : 1,
            channels = lhsType.getShape().back(),
            outputs = rhsType.getDimSize(1);
    if (channels % 4 != 0 || outputs % dot.lanes != 0)
      return rewriter.notifyMatchFailure(op, "channels not in groups");

    Location loc = op.getLoc();
    Type i8 = rewriter.getI8Type(), i32 = rewriter.getI32Type();
    auto laneType = VectorType::get({dot.lanes}, i32);
    auto byteType = VectorType::get({4 * dot.lanes}, i8);
    auto intrinsic = rewriter.getStringAttr(dot.intrinsic);
    auto call = [&](Value acc, Value a, Value b) -> Value {
      return LLVM::CallIntrinsicOp::create(rewriter, loc, laneType, intrinsic,
                                           ValueRange{acc, a, b})
          .getResult(0);
    };

    Value lhs = lhsExt.getIn();
    if (dot.unsignedLhs) {
      // x + 128 as an unsigned byte is x with its sign bit flipped.
      Value flip = arith::ConstantOp::create(
          rewriter, loc, DenseElementsAttr::get(lhsType, APInt(8, 0x80)));
      lhs = arith::XOrIOp::create(rewriter, loc, lhs, flip);
    }
    int64_t blocks = outputs / dot.lanes;
    SmallVector<Value> rows, accs, corrections;
    for (int64_t x = 0; x < width; ++x) {
      rows.push_back(columns ? vector::ExtractOp::create(rewriter, loc, lhs,
                                                         ArrayRef<int64_t>{x})
                                   .getResult()
                             : lhs);
      Value accRow = columns
                         ? vector::ExtractOp::create(rewriter, loc, op.getAcc(),
                                                     ArrayRef<int64_t>{x})
                               .getResult()
                         : op.getAcc();
      for (int64_t blk = 0; blk < blocks; ++blk)
        accs.push_back(vector::ExtractStridedSliceOp::create(
            rewriter, loc, accRow, ArrayRef<int64_t>{blk * dot.lanes},
            ArrayRef<int64_t>{dot.lanes}, ArrayRef<int64_t>{1}));
    }
    Value zero = arith::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(laneType, APInt(32, 0)));
    Value all128 = arith::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(byteType, APInt(8, 0x80)));
    if (dot.unsignedLhs)
      corrections.assign(blocks, zero);

    // Shuffle masks that interleave the weights of four input channels:
    // pairs first (a0 b0 a1 b1 ...), then pairs of pairs (a0 b0 c0 d0 ...).
    SmallVector<int64_t> pairMask, quadMask;
    for (int64_t i = 0; i < dot.lanes; ++i) {
      pairMask.append({i, dot.lanes + i});
      quadMask.append(
          {2 * i, 2 * i + 1, 2 * dot.lanes + 2 * i, 2 * dot.lanes + 2 * i + 1});
    }
    for (int64_t group = 0; group < channels / 4; ++group) {
      SmallVector<Value> weightRows;
      for (int64_t k = 0; k < 4; ++k)
        weightRows.push_back(vector::ExtractOp::create(
            rewriter, loc, rhsExt.getIn(), ArrayRef<int64_t>{4 * group + k}));
      // Each column's four activations, as one broadcast 32-bit word.
      SmallVector<Value> broadcasts;
      for (Value row : rows) {
        Value four = vector::ExtractStridedSliceOp::create(
            rewriter, loc, row, ArrayRef<int64_t>{4 * group},
            ArrayRef<int64_t>{4}, ArrayRef<int64_t>{1});
        Value word = vector::BitCastOp::create(rewriter, loc,
                                               VectorType::get({1}, i32), four);
        Value scalar = vector::ExtractOp::create(rewriter, loc, word,
                                                 ArrayRef<int64_t>{0});
        Value splat =
            vector::BroadcastOp::create(rewriter, loc, laneType, scalar);
        broadcasts.push_back(
            vector::BitCastOp::create(rewriter, loc, byteType, splat));
      }
      for (int64_t blk = 0; blk < blocks; ++blk) {
        SmallVector<Value> slices;
        for (Value r : weightRows)
          slices.push_back(vector::ExtractStridedSliceOp::create(
              rewriter, loc, r, ArrayRef<int64_t>{blk * dot.lanes},
              ArrayRef<int64_t>{dot.lanes}, ArrayRef<int64_t>{1}));
        Value ab = vector::ShuffleOp::create(rewriter, loc, slices[0],
                                             slices[1], pairMask);
        Value cd = vector::ShuffleOp::create(rewriter, loc, slices[2],
                                             slices[3], pairMask);
        Value weights =
            vector::ShuffleOp::create(rewriter, loc, ab, cd, quadMask);
        if (dot.unsignedLhs)
          corrections[blk] = call(corrections[blk], all128, weights);
        for (int64_t x = 0; x < width; ++x) {
          Value &acc = accs[x * blocks + blk];
          acc = call(acc, broadcasts[x], weights);
        }
      }
    }

    Value result = op.getAcc();
    for (int64_t x = 0; x < width; ++x)
      for (int64_t blk = 0; blk < blocks; ++blk) {
        Value v = accs[x * blocks + blk];
        if (dot.unsignedLhs)
          v = arith::SubIOp::create(rewriter, loc, v, corrections[blk]);
        SmallVector<int64_t> at = {blk * dot.lanes};
        if (columns)
          at.insert(at.begin(), x);
        result = vector::InsertStridedSliceOp::create(rewriter, loc, v, result,
                                                      at, ArrayRef<int64_t>{1});
      }
    rewriter.replaceOp(op, result);
    return success();
  }

  DotInstruction dot;
};

struct LowerInt8ContractionsPass
    : public qe::impl::LowerInt8ContractionsBase<LowerInt8ContractionsPass> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    std::string chosen = isa;
    if (chosen == "auto") {
      auto module = func->getParentOfType<ModuleOp>();
      chosen = module ? isaOfModule(module) : "none";
    }
    if (chosen == "none")
      return;
    std::optional<DotInstruction> dot = selectInstruction(chosen);
    if (!dot) {
      func.emitError() << "qe-lower-int8-contractions: unknown isa '" << chosen
                       << "' (expected auto, avx512-vnni, avx-vnni, "
                          "neon-dotprod or none)";
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<ContractionToDot>(&getContext(), *dot);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
