//===- LowerInt8Contractions.cpp - i8 contractions to dot products --------===//
//
// A vectorized integer convolution tile multiplies sign-extended bytes in
// 32 bits: one MAC per lane and instruction, slower than f32 FMAs. CPUs have
// dot products that do several MACs per 32-bit lane: 4-way byte dot
// products (x86 vpdpbusd, AArch64 sdot) and, on every x86 without VNNI,
// pmaddwd over pairs of i16; this pass emits them.
//
// The instruction wants the input channels of a group (4 bytes, or 2 i16)
// of each output channel adjacent. Weights read from a constant global are
// repacked that way once, here, into a new global; other weights are
// interleaved with shuffles in the loop, which cost about as much as the
// dot products.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Conversion/Passes.h"

#include "TilingUtils.h"

#include "quant-eval/Dialect/QE/Utils/ConstantUtils.h"
#include "quant-eval/Numerics/DotPacking.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::qe {
#define GEN_PASS_DEF_LOWERINT8CONTRACTIONS
#include "quant-eval/Conversion/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;

namespace {

/// A dot-product instruction of `lanes` i32 lanes, each adding the products
/// of a group of input channels.
struct DotWidth {
  int64_t lanes;
  StringRef intrinsic;
};

/// The dot-product instructions of a target, widest first: output channels
/// are covered by the widest that fit (24 = 16 + 8 with AVX-512).
struct DotInstruction {
  SmallVector<DotWidth> widths;
  /// Input channels per lane: 4 bytes (vpdpbusd, sdot) or 2 i16 (pmaddwd,
  /// whose operands are the bytes sign-extended).
  int64_t group;
  /// vpdpbusd multiplies unsigned (first) by signed (second) bytes.
  bool unsignedLhs;
  /// vpdpbusd and sdot add into their accumulator operand; pmaddwd returns
  /// the lane sums, added to the accumulator after.
  bool accumulates;

  int64_t narrowest() const { return widths.back().lanes; }
  /// The type of the instruction's operands: bytes, or i16 for pairs.
  Type elementType(MLIRContext *ctx) const {
    return IntegerType::get(ctx, 32 / group);
  }
};

std::optional<DotInstruction> selectInstruction(StringRef isa) {
  if (isa == "avx512-vnni")
    return DotInstruction{{{16, "llvm.x86.avx512.vpdpbusd.512"},
                           {8, "llvm.x86.avx512.vpdpbusd.256"},
                           {4, "llvm.x86.avx512.vpdpbusd.128"}},
                          /*group=*/4,
                          /*unsignedLhs=*/true,
                          /*accumulates=*/true};
  if (isa == "avx-vnni")
    return DotInstruction{{{8, "llvm.x86.avx512.vpdpbusd.256"},
                           {4, "llvm.x86.avx512.vpdpbusd.128"}},
                          /*group=*/4,
                          /*unsignedLhs=*/true,
                          /*accumulates=*/true};
  if (isa == "neon-dotprod")
    return DotInstruction{{{4, "llvm.aarch64.neon.sdot.v4i32.v16i8"}},
                          /*group=*/4,
                          /*unsignedLhs=*/false,
                          /*accumulates=*/true};
  // pmaddwd: i16 x i16 pairs summed in i32, exact for sign-extended bytes
  // (|2 * 128 * 128| fits). pmaddubsw would take bytes directly, 4 MACs per
  // lane in two steps, but saturates its i16 pair sums (255 * 127 * 2 >
  // 32767), so it is not used.
  SmallVector<DotWidth> pairs;
  if (isa == "avx512bw")
    pairs.push_back({16, "llvm.x86.avx512.pmaddw.d.512"});
  if (isa == "avx512bw" || isa == "avx2")
    pairs.push_back({8, "llvm.x86.avx2.pmadd.wd"});
  if (isa == "avx512bw" || isa == "avx2" || isa == "sse2")
    pairs.push_back({4, "llvm.x86.sse2.pmadd.wd"});
  if (!pairs.empty())
    return DotInstruction{pairs, /*group=*/2, /*unsignedLhs=*/false,
                          /*accumulates=*/false};
  return std::nullopt;
}

/// The constant global that `weights` (a contraction's [C, F] operand
/// before sign extension) is read from, with `channels` = C, when the
/// weights can come from a copy packed in groups of `group` channels: a
/// plain read of a global [..., C', F'] at a channel index that is a
/// multiple of C.
memref::GlobalOp getConstantWeightGlobal(Value weights, int64_t channels,
                                         int64_t group) {
  auto read = weights.getDefiningOp<vector::TransferReadOp>();
  memref::GlobalOp global = read ? qe::getReadConstantGlobal(read) : nullptr;
  if (!global || global.getType().getRank() < 2)
    return {};
  MemRefType type = global.getType();
  // A tile whose channels end in a partial group must be the whole channel
  // range: the packed filter pads only the last group.
  int64_t all = type.getDimSize(type.getRank() - 2);
  if (all % channels != 0 || (channels % group != 0 && channels != all))
    return {};
  ValueRange indices = read.getIndices();
  if (!qe::isMultipleOf(indices[indices.size() - 2], channels))
    return {};
  return global;
}

/// How many outputs the packed copy of the filter global [..., C, F] that
/// `weights` (a tile's [C, Ft] read) comes from keeps together: Ft when the
/// tile's output index is a multiple of it, so that the tile's weights are
/// one contiguous run (in HWCF, rows of F outputs put each tile's lines
/// into a few cache sets; see qe-pack-contraction-weights), else F.
int64_t getPackedOutputBlock(Value weights, memref::GlobalOp global) {
  return qe::getPackableOutputBlock(
             weights.getDefiningOp<vector::TransferReadOp>())
      .value_or(global.getType().getShape().back());
}

/// A constant filter global [..., C, F] repacked for the dot products
/// (numerics::packForDotProducts) as [..., ceil(C/g), F*g] in groups of g
/// channels (bytes for g = 4, i16 for pmaddwd's pairs), or with blocks of
/// Fb < F outputs (getPackedOutputBlock) as [F/Fb, ..., ceil(C/g), Fb*g];
/// and for vpdpbusd the offset corrections of each run of `block` input
/// channels, [..., C/block, F] in i32.
struct PackedFilter {
  memref::GlobalOp weights;
  memref::GlobalOp corrections;
  int64_t outputBlock;
};
/// Packed filters by original global, input-channel block (the tiles' C)
/// and output block.
using PackedFilterMap =
    llvm::DenseMap<std::tuple<Operation *, int64_t, int64_t>, PackedFilter>;

/// Creates the packed globals for `global` read in blocks of `block` input
/// channels and `outputBlock` outputs, next to it, reusing `packedWeights`
/// when another block size already packed the same filter; nothing if its
/// values cannot be read.
std::optional<PackedFilter>
createPackedFilter(memref::GlobalOp global, int64_t block, int64_t outputBlock,
                   const DotInstruction &dot, memref::GlobalOp packedWeights,
                   SymbolTable &symbols) {
  std::optional<std::vector<int8_t>> values =
      qe::getInt8sFromAttr(*global.getInitialValue());
  MemRefType type = global.getType();
  ArrayRef<int64_t> shape = type.getShape();
  int64_t rank = shape.size(), channels = shape[rank - 2],
          outputs = shape[rank - 1];
  if (!values || channels == 0 || outputs == 0 ||
      int64_t(values->size()) != type.getNumElements())
    return std::nullopt;
  int64_t outer = type.getNumElements() / (channels * outputs);
  MLIRContext *ctx = global.getContext();
  auto makeGlobal = [&](StringRef suffix, ArrayRef<int64_t> newShape,
                        Type elementType, auto data) {
    return qe::createConstantGlobalBeside(
        global, suffix, newShape, elementType, "qe_dot_weights",
        HeapAsmResourceBlob::allocateAndCopyInferAlign(data), symbols);
  };
  PackedFilter packed{packedWeights, {}, outputBlock};
  if (!packed.weights) {
    int64_t group = dot.group, groups = (channels + group - 1) / group;
    SmallVector<int64_t> packedShape(shape.drop_back(2));
    packedShape.append({groups, outputs * group});
    std::vector<int8_t> bytes = quant_eval::numerics::packForDotProducts(
        *values, outer, channels, outputs, group);
    std::string suffix = ("_dot" + Twine(group)).str();
    if (outputBlock < outputs) {
      bytes = quant_eval::numerics::packOutputBlocks(
          bytes, outer * groups, outputs * group, outputBlock * group);
      packedShape.back() = outputBlock * group;
      packedShape.insert(packedShape.begin(), outputs / outputBlock);
      suffix += ("_blocks" + Twine(outputBlock)).str();
    }
    if (group == 4) {
      packed.weights = makeGlobal(suffix, packedShape, IntegerType::get(ctx, 8),
                                  ArrayRef<int8_t>(bytes));
    } else {
      // pmaddwd's operands, widened here once rather than per load.
      std::vector<int16_t> words(bytes.begin(), bytes.end());
      packed.weights =
          makeGlobal(suffix, packedShape, IntegerType::get(ctx, 16),
                     ArrayRef<int16_t>(words));
    }
  }
  if (dot.unsignedLhs) {
    SmallVector<int64_t> corrShape(shape.drop_back(2));
    corrShape.append({channels / block, outputs});
    std::vector<int32_t> sums = quant_eval::numerics::unsignedOffsetCorrections(
        *values, outer, channels, outputs, block);
    packed.corrections =
        makeGlobal(("_dot4_offsets" + Twine(block)).str(), corrShape,
                   IntegerType::get(ctx, 32), ArrayRef<int32_t>(sums));
  }
  return packed;
}

/// [W, C] x [C, F] -> [W, F] over (w, f, c), or [C] x [C, F] -> [F] over
/// (f, c), with both operands sign-extended from i8 and an i32 accumulator:
/// the forms the 1-D convolution tiles of qe-vectorize-contractions take once
/// canonicalization has dropped their unit batch dimension (strided ones
/// come one output column at a time). The sign-extended operands, or
/// nothing.
std::optional<std::pair<arith::ExtSIOp, arith::ExtSIOp>>
matchInt8Contraction(vector::ContractionOp op, const DotInstruction &dot) {
  if (op.getKind() != vector::CombiningKind::ADD)
    return std::nullopt;
  auto lhsExt = op.getLhs().getDefiningOp<arith::ExtSIOp>();
  auto rhsExt = op.getRhs().getDefiningOp<arith::ExtSIOp>();
  if (!lhsExt || !rhsExt)
    return std::nullopt;
  auto lhsType = dyn_cast<VectorType>(lhsExt.getIn().getType());
  auto rhsType = dyn_cast<VectorType>(rhsExt.getIn().getType());
  auto accType = dyn_cast<VectorType>(op.getAcc().getType());
  if (!lhsType || !rhsType || !accType ||
      !lhsType.getElementType().isInteger(8) ||
      !rhsType.getElementType().isInteger(8) ||
      !accType.getElementType().isInteger(32) || rhsType.getRank() != 2 ||
      lhsType.isScalable() || rhsType.isScalable())
    return std::nullopt;
  MLIRContext *ctx = op.getContext();
  SmallVector<AffineMap> expected;
  if (lhsType.getRank() == 2) {
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
  if (op.getIndexingMapsArray() != expected ||
      rhsType.getDimSize(1) % dot.narrowest() != 0)
    return std::nullopt;
  return std::make_pair(lhsExt, rhsExt);
}

struct ContractionToDot : OpRewritePattern<vector::ContractionOp> {
  ContractionToDot(MLIRContext *ctx, DotInstruction dot,
                   const PackedFilterMap &packedFilters)
      : OpRewritePattern(ctx), dot(dot), packedFilters(packedFilters) {}

  LogicalResult matchAndRewrite(vector::ContractionOp op,
                                PatternRewriter &rewriter) const override {
    auto operands = matchInt8Contraction(op, dot);
    if (!operands)
      return rewriter.notifyMatchFailure(
          op, "not an i8 contraction filling the lanes");
    auto [lhsExt, rhsExt] = *operands;
    auto lhsType = cast<VectorType>(lhsExt.getIn().getType());
    auto rhsType = cast<VectorType>(rhsExt.getIn().getType());
    bool columns = lhsType.getRank() == 2;
    int64_t width = columns ? lhsType.getDimSize(0) : 1,
            channels = lhsType.getShape().back(),
            outputs = rhsType.getDimSize(1);
    // A last group of fewer channels (an RGB stem's 3 of 4) is padded with
    // zero weights, which cancel whatever activations fill it.
    int64_t g = dot.group;
    int64_t groups = (channels + g - 1) / g;

    Location loc = op.getLoc();
    Type i8 = rewriter.getI8Type(), i32 = rewriter.getI32Type();
    Type operandElement = dot.elementType(rewriter.getContext());
    // The output channels in blocks of the widest instruction that fits.
    struct Block {
      int64_t offset, lanes;
      StringAttr intrinsic;
      VectorType laneType, operandType;
    };
    SmallVector<Block> blocks;
    for (int64_t at = 0; at < outputs;) {
      const DotWidth &w = *llvm::find_if(dot.widths, [&](const DotWidth &w) {
        return at + w.lanes <= outputs;
      });
      blocks.push_back({at, w.lanes, rewriter.getStringAttr(w.intrinsic),
                        VectorType::get({w.lanes}, i32),
                        VectorType::get({g * w.lanes}, operandElement)});
      at += w.lanes;
    }
    auto call = [&](const Block &b, Value acc, Value x, Value w) -> Value {
      if (dot.accumulates)
        return LLVM::CallIntrinsicOp::create(rewriter, loc, b.laneType,
                                             b.intrinsic, ValueRange{acc, x, w})
            .getResult(0);
      Value sums = LLVM::CallIntrinsicOp::create(rewriter, loc, b.laneType,
                                                 b.intrinsic, ValueRange{x, w})
                       .getResult(0);
      return arith::AddIOp::create(rewriter, loc, acc, sums);
    };
    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(rewriter, loc, v);
    };
    auto offset = [&](Value base, int64_t by) -> Value {
      return by == 0 ? base
                     : arith::AddIOp::create(rewriter, loc, base, index(by))
                           .getResult();
    };
    auto splat = [&](VectorType type, const APInt &value) -> Value {
      return arith::ConstantOp::create(rewriter, loc,
                                       DenseElementsAttr::get(type, value));
    };
    VectorType groupBytes = VectorType::get({g}, i8);
    Value zeroBytes = splat(groupBytes, APInt(8, 0));

    // The activations of group `group` in column `x`, as one word of 4 or 2
    // bytes. Read from memory when the tile is a plain read of whole groups:
    // one broadcast load each.
    auto lhsRead = lhsExt.getIn().getDefiningOp<vector::TransferReadOp>();
    bool lhsFromMemory =
        lhsRead && qe::isPlainMemRefRead(lhsRead) && channels % g == 0;
    SmallVector<Value> rows;
    if (!lhsFromMemory)
      for (int64_t x = 0; x < width; ++x)
        rows.push_back(columns ? vector::ExtractOp::create(rewriter, loc,
                                                           lhsExt.getIn(),
                                                           ArrayRef<int64_t>{x})
                                     .getResult()
                               : lhsExt.getIn());
    auto activationWord = [&](int64_t x, int64_t group) -> Value {
      Value bytes;
      if (lhsFromMemory) {
        SmallVector<Value> at(lhsRead.getIndices());
        at.back() = offset(at.back(), g * group);
        if (columns)
          at[at.size() - 2] = offset(at[at.size() - 2], x);
        bytes = vector::LoadOp::create(rewriter, loc, groupBytes,
                                       lhsRead.getBase(), at);
      } else {
        int64_t n = std::min<int64_t>(g, channels - g * group);
        bytes = vector::ExtractStridedSliceOp::create(
            rewriter, loc, rows[x], ArrayRef<int64_t>{g * group},
            ArrayRef<int64_t>{n}, ArrayRef<int64_t>{1});
        if (n < g) {
          SmallVector<int64_t> mask = llvm::to_vector(llvm::seq<int64_t>(n));
          mask.append(g - n, n); // element 0 of the zeros
          bytes =
              vector::ShuffleOp::create(rewriter, loc, bytes, zeroBytes, mask);
        }
      }
      Value word = vector::BitCastOp::create(
          rewriter, loc, VectorType::get({1}, rewriter.getIntegerType(8 * g)),
          bytes);
      return vector::ExtractOp::create(rewriter, loc, word,
                                       ArrayRef<int64_t>{0});
    };
    // That word in every lane of a block (offset to unsigned for vpdpbusd:
    // x + 128 as an unsigned byte is x with its sign bit flipped). A pair of
    // bytes is broadcast as is and sign-extended after, which x86 does in
    // two instructions (vpbroadcastw, vpmovsxbw); extending it first took
    // four.
    auto spread = [&](Value word, const Block &b) -> Value {
      if (g == 2) {
        Value v = vector::BroadcastOp::create(
            rewriter, loc, VectorType::get({b.lanes}, word.getType()), word);
        v = vector::BitCastOp::create(rewriter, loc,
                                      VectorType::get({2 * b.lanes}, i8), v);
        return arith::ExtSIOp::create(rewriter, loc, b.operandType, v);
      }
      Value v = vector::BroadcastOp::create(rewriter, loc, b.laneType, word);
      if (dot.unsignedLhs)
        v = arith::XOrIOp::create(rewriter, loc, v,
                                  splat(b.laneType, APInt(32, 0x80808080)));
      return vector::BitCastOp::create(rewriter, loc, b.operandType, v);
    };

    // The weights of group `group` for a block, the input channels of each
    // output channel adjacent: one load from the packed filter, or one
    // shuffle per halving of the group size.
    memref::GlobalOp weightGlobal =
        getConstantWeightGlobal(rhsExt.getIn(), channels, g);
    std::optional<PackedFilter> packed;
    if (weightGlobal) {
      auto it = packedFilters.find(
          {weightGlobal.getOperation(), channels,
           getPackedOutputBlock(rhsExt.getIn(), weightGlobal)});
      if (it != packedFilters.end())
        packed = it->second;
    }
    // The read's indices [..., c, f], and those of the packed weights.
    SmallVector<Value> packedIndices, weightIndices;
    Value packedBase, correctionBase;
    // Channel and output indices into the packed filter: c / g and f * g
    // (in blocks of outputs: block f / Fb, and 0 in it), exact as c is a
    // multiple of `channels`, itself of g, and f one of Fb.
    Value channelGroups, outputOffset;
    if (packed) {
      auto rhsRead = rhsExt.getIn().getDefiningOp<vector::TransferReadOp>();
      packedBase =
          memref::GetGlobalOp::create(rewriter, loc, packed->weights.getType(),
                                      packed->weights.getSymName());
      if (packed->corrections)
        correctionBase = memref::GetGlobalOp::create(
            rewriter, loc, packed->corrections.getType(),
            packed->corrections.getSymName());
      packedIndices.assign(rhsRead.getIndices().begin(),
                           rhsRead.getIndices().end());
      channelGroups = arith::DivUIOp::create(
          rewriter, loc, packedIndices[packedIndices.size() - 2], index(g));
      weightIndices = packedIndices;
      int64_t outputs = rhsRead.getBase().getType().getShape().back();
      if (packed->outputBlock < outputs) {
        weightIndices.insert(
            weightIndices.begin(),
            arith::DivUIOp::create(rewriter, loc, packedIndices.back(),
                                   index(packed->outputBlock)));
        outputOffset = index(0);
      } else {
        outputOffset = arith::MulIOp::create(rewriter, loc,
                                             packedIndices.back(), index(g));
      }
    }
    SmallVector<Value> weightRows;
    if (!packed) {
      for (int64_t k = 0; k < channels; ++k)
        weightRows.push_back(vector::ExtractOp::create(
            rewriter, loc, rhsExt.getIn(), ArrayRef<int64_t>{k}));
      if (channels % g != 0)
        weightRows.append(g - channels % g,
                          splat(VectorType::get({outputs}, i8), APInt(8, 0)));
    }
    auto weights = [&](int64_t group, const Block &b) -> Value {
      if (packed) {
        SmallVector<Value> at(weightIndices);
        at[at.size() - 2] = offset(channelGroups, group);
        at.back() = offset(outputOffset, g * b.offset);
        return vector::LoadOp::create(rewriter, loc, b.operandType, packedBase,
                                      at);
      }
      // Pairs first (a0 b0 a1 b1 ...), then pairs of pairs (a0 b0 c0 d0 ...).
      SmallVector<int64_t> pairMask, quadMask;
      for (int64_t i = 0; i < b.lanes; ++i) {
        pairMask.append({i, b.lanes + i});
        quadMask.append(
            {2 * i, 2 * i + 1, 2 * b.lanes + 2 * i, 2 * b.lanes + 2 * i + 1});
      }
      SmallVector<Value> slices;
      for (int64_t k = 0; k < g; ++k)
        slices.push_back(vector::ExtractStridedSliceOp::create(
            rewriter, loc, weightRows[g * group + k],
            ArrayRef<int64_t>{b.offset}, ArrayRef<int64_t>{b.lanes},
            ArrayRef<int64_t>{1}));
      Value ab = vector::ShuffleOp::create(rewriter, loc, slices[0], slices[1],
                                           pairMask);
      if (g == 2)
        return arith::ExtSIOp::create(rewriter, loc, b.operandType, ab);
      Value cd = vector::ShuffleOp::create(rewriter, loc, slices[2], slices[3],
                                           pairMask);
      return vector::ShuffleOp::create(rewriter, loc, ab, cd, quadMask);
    };

    int64_t numBlocks = blocks.size();
    SmallVector<Value> accs, corrections;
    for (int64_t x = 0; x < width; ++x) {
      Value accRow = columns
                         ? vector::ExtractOp::create(rewriter, loc, op.getAcc(),
                                                     ArrayRef<int64_t>{x})
                               .getResult()
                         : op.getAcc();
      for (const Block &b : blocks)
        accs.push_back(vector::ExtractStridedSliceOp::create(
            rewriter, loc, accRow, ArrayRef<int64_t>{b.offset},
            ArrayRef<int64_t>{b.lanes}, ArrayRef<int64_t>{1}));
    }
    // vpdpbusd adds 128 * sum(w) to every column: precomputed with the
    // packed filter, else one more dot product of 128s per group.
    if (dot.unsignedLhs) {
      // The corrections are per tile of `channels`: index c / channels.
      SmallVector<Value> at(packedIndices);
      if (packed)
        at[at.size() - 2] = arith::DivUIOp::create(
            rewriter, loc, packedIndices[packedIndices.size() - 2],
            index(channels));
      for (const Block &b : blocks) {
        if (!packed) {
          corrections.push_back(splat(b.laneType, APInt(32, 0)));
          continue;
        }
        at.back() = offset(packedIndices.back(), b.offset);
        corrections.push_back(vector::LoadOp::create(rewriter, loc, b.laneType,
                                                     correctionBase, at));
      }
    }

    for (int64_t group = 0; group < groups; ++group) {
      SmallVector<Value> words;
      for (int64_t x = 0; x < width; ++x)
        words.push_back(activationWord(x, group));
      // One broadcast per column and instruction width.
      llvm::SmallDenseMap<std::pair<int64_t, int64_t>, Value> spreads;
      for (auto [i, b] : llvm::enumerate(blocks)) {
        Value w = weights(group, b);
        if (dot.unsignedLhs && !packed)
          corrections[i] =
              call(b, corrections[i], splat(b.operandType, APInt(8, 0x80)), w);
        for (int64_t x = 0; x < width; ++x) {
          Value &activations = spreads[{x, b.lanes}];
          if (!activations)
            activations = spread(words[x], b);
          Value &acc = accs[x * numBlocks + i];
          acc = call(b, acc, activations, w);
        }
      }
    }

    Value result = op.getAcc();
    for (int64_t x = 0; x < width; ++x)
      for (auto [i, b] : llvm::enumerate(blocks)) {
        Value v = accs[x * numBlocks + i];
        if (dot.unsignedLhs)
          v = arith::SubIOp::create(rewriter, loc, v, corrections[i]);
        SmallVector<int64_t> at = {b.offset};
        if (columns)
          at.insert(at.begin(), x);
        result = vector::InsertStridedSliceOp::create(rewriter, loc, v, result,
                                                      at, ArrayRef<int64_t>{1});
      }
    rewriter.replaceOp(op, result);
    return success();
  }

  DotInstruction dot;
  const PackedFilterMap &packedFilters;
};

struct LowerInt8ContractionsPass
    : public qe::impl::LowerInt8ContractionsBase<LowerInt8ContractionsPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::string chosen = isa == "auto" ? qe::getDotProductIsa(module) : isa;
    if (chosen == "none")
      return;
    std::optional<DotInstruction> dot = selectInstruction(chosen);
    if (!dot) {
      module.emitError() << "qe-lower-int8-contractions: unknown isa '"
                         << chosen
                         << "' (expected auto, avx512-vnni, avx-vnni, "
                            "neon-dotprod, avx512bw, avx2, sse2 or none)";
      return signalPassFailure();
    }

    // Pack every constant filter that a contraction reads, once per
    // channel block; the contractions then load from the packed copies.
    SymbolTable symbols(module);
    PackedFilterMap packedFilters;
    // Each filter's packed weights by output block, whatever the channel
    // blocks its tiles read (those only change the offset corrections).
    llvm::MapVector<std::pair<Operation *, int64_t>, memref::GlobalOp>
        packedWeights;
    module.walk([&](vector::ContractionOp op) {
      auto operands = matchInt8Contraction(op, *dot);
      if (!operands)
        return;
      int64_t channels =
          cast<VectorType>(operands->first.getIn().getType()).getShape().back();
      memref::GlobalOp global = getConstantWeightGlobal(
          operands->second.getIn(), channels, dot->group);
      if (!global)
        return;
      int64_t outputBlock =
          getPackedOutputBlock(operands->second.getIn(), global);
      if (packedFilters.count({global.getOperation(), channels, outputBlock}))
        return;
      if (std::optional<PackedFilter> packed = createPackedFilter(
              global, channels, outputBlock, *dot,
              packedWeights.lookup({global.getOperation(), outputBlock}),
              symbols)) {
        packedFilters[{global.getOperation(), channels, outputBlock}] = *packed;
        packedWeights[{global.getOperation(), outputBlock}] = packed->weights;
      }
    });

    RewritePatternSet patterns(&getContext());
    patterns.add<ContractionToDot>(&getContext(), *dot, packedFilters);
    if (failed(applyPatternsGreedily(module, std::move(patterns))))
      return signalPassFailure();
    // The original filters, once only the packed copies are read, would
    // double the model's weights in the binary.
    llvm::SetVector<Operation *> originals;
    for (auto [key, packed] : packedWeights)
      originals.insert(key.first);
    for (Operation *original : originals)
      if (SymbolTable::symbolKnownUseEmpty(original, module))
        symbols.erase(original);
  }
};
} // namespace
