//===- TilingUtils.cpp - Helpers shared by the vectorization passes -------===//

#include "TilingUtils.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

#include "llvm/TargetParser/Triple.h"

#include <algorithm>

using namespace mlir;

int64_t mlir::qe::largestDivisorAtMost(int64_t range, int64_t size) {
  size = std::max<int64_t>(1, std::min(size, range));
  while (range % size != 0)
    --size;
  return size;
}

void mlir::qe::unshareFilledDestinations(func::FuncOp func) {
  OpBuilder builder(func.getContext());
  SmallVector<OpOperand *> shared;
  func.walk([&](DestinationStyleOpInterface op) {
    for (OpOperand &init : op.getDpsInitsMutable()) {
      auto fill = init.get().getDefiningOp<linalg::FillOp>();
      if (fill && !fill->hasOneUse())
        shared.push_back(&init);
    }
  });
  for (OpOperand *init : shared) {
    auto fill = init->get().getDefiningOp<linalg::FillOp>();
    if (fill->hasOneUse())
      continue; // the last user keeps the original
    builder.setInsertionPoint(init->getOwner());
    IRMapping mapping;
    if (auto empty = fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>())
      mapping.map(empty.getResult(), builder.clone(*empty)->getResult(0));
    init->set(builder.clone(*fill, mapping)->getResult(0));
  }
}

FailureOr<SmallVector<Operation *>>
mlir::qe::tileWithLoops(RewriterBase &rewriter, linalg::LinalgOp op,
                        ArrayRef<int64_t> sizes,
                        ArrayRef<int64_t> interchange) {
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(op->getContext(), sizes));
  if (!interchange.empty())
    options.setInterchange(interchange);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled))
    return failure();
  // The loops follow the tiled dimensions (those with a non-zero size) in
  // interchange order.
  SmallVector<int64_t> order(interchange);
  if (order.empty())
    order = llvm::to_vector(llvm::seq<int64_t>(0, int64_t(sizes.size())));
  SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
  for (int64_t dim : order) {
    if (sizes[dim] == 0)
      continue;
    if (kinds[dim] == utils::IteratorType::parallel && !tiled->loops.empty())
      tiled->loops.front()->setAttr(kParallelTileAttr, rewriter.getUnitAttr());
    break;
  }
  rewriter.replaceOp(op, tiled->replacements);
  return tiled->tiledOps;
}

bool mlir::qe::isInBoundsMinorIdentityRead(vector::TransferReadOp read) {
  return !read.getMask() && read.getPermutationMap().isMinorIdentity() &&
         llvm::all_of(read.getInBoundsValues(), [](bool b) { return b; });
}

bool mlir::qe::isMultipleOf(Value v, int64_t k) {
  APInt c;
  if (matchPattern(v, m_ConstantInt(&c)))
    return c.getSExtValue() % k == 0;
  auto loop = scf::getForInductionVarOwner(v);
  if (!loop)
    return false;
  return isMultipleOf(loop.getLowerBound(), k) &&
         isMultipleOf(loop.getStep(), k);
}

bool mlir::qe::isPlainMemRefRead(vector::TransferReadOp read) {
  auto type = dyn_cast<MemRefType>(read.getBase().getType());
  return type && type.getLayout().isIdentity() &&
         isInBoundsMinorIdentityRead(read);
}

memref::GlobalOp mlir::qe::getReadConstantGlobal(vector::TransferReadOp read) {
  if (!isPlainMemRefRead(read))
    return {};
  auto getGlobal = read.getBase().getDefiningOp<memref::GetGlobalOp>();
  if (!getGlobal)
    return {};
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
      getGlobal, getGlobal.getNameAttr());
  if (!global || !global.getConstant() || !global.getInitialValue() ||
      !global.getType().hasStaticShape())
    return {};
  return global;
}

std::optional<int64_t>
mlir::qe::getPackableOutputBlock(vector::TransferReadOp read) {
  auto type = dyn_cast<MemRefType>(read.getBase().getType());
  VectorType vectorType = read.getVectorType();
  if (!type || !type.hasStaticShape() || type.getRank() < 1 ||
      vectorType.getRank() < 1)
    return std::nullopt;
  int64_t block = vectorType.getShape().back(),
          outputs = type.getShape().back();
  if (block >= outputs || outputs % block != 0 ||
      !isMultipleOf(read.getIndices().back(), block))
    return std::nullopt;
  return block;
}

memref::GlobalOp mlir::qe::createConstantGlobalBeside(
    memref::GlobalOp global, const Twine &suffix, ArrayRef<int64_t> shape,
    Type elementType, StringRef blobName, AsmResourceBlob blob,
    SymbolTable &symbols) {
  OpBuilder builder(global);
  auto newGlobal = memref::GlobalOp::create(
      builder, global.getLoc(), (global.getSymName() + suffix).str(),
      builder.getStringAttr("private"), MemRefType::get(shape, elementType),
      DenseResourceElementsAttr::get(RankedTensorType::get(shape, elementType),
                                     blobName, std::move(blob)),
      /*constant=*/true, builder.getI64IntegerAttr(64));
  symbols.insert(newGlobal); // renames on a clash
  return newGlobal;
}

bool mlir::qe::vectorizeInPlace(RewriterBase &rewriter, linalg::LinalgOp op,
                                bool createNamedContraction) {
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::VectorizationResult> result = linalg::vectorize(
      rewriter, op, /*inputVectorSizes=*/{}, /*inputScalableVecDims=*/{},
      /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
      /*assumeDynamicDimsMatchVecSizes=*/false, createNamedContraction);
  if (failed(result))
    return false;
  if (result->replacements.empty())
    rewriter.eraseOp(op);
  else
    rewriter.replaceOp(op, result->replacements);
  return true;
}

bool mlir::qe::hasOddIntegerWidth(Operation *op) {
  auto odd = [](Type t) {
    auto i = dyn_cast<IntegerType>(getElementTypeOrSelf(t));
    return i && i.getWidth() > 1 && !llvm::isPowerOf2_32(i.getWidth());
  };
  WalkResult result = op->walk([&](Operation *inner) {
    if (llvm::any_of(inner->getOperandTypes(), odd) ||
        llvm::any_of(inner->getResultTypes(), odd))
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return result.wasInterrupted();
}

std::optional<SmallVector<StringRef>>
mlir::qe::getTargetFeatures(ModuleOp module) {
  auto features = module->getAttrOfType<StringAttr>("qe.target_features");
  if (!features)
    return std::nullopt;
  SmallVector<StringRef> list;
  features.getValue().split(list, ',', -1, /*KeepEmpty=*/false);
  return list;
}

std::string mlir::qe::getDotProductIsa(ModuleOp module) {
  auto triple = module->getAttrOfType<StringAttr>(
      LLVM::LLVMDialect::getTargetTripleAttrName());
  if (!triple)
    return "none";
  SmallVector<StringRef> list =
      getTargetFeatures(module).value_or(SmallVector<StringRef>());
  auto has = [&](StringRef f) {
    return llvm::is_contained(list, ("+" + f).str());
  };
  llvm::Triple t(triple.getValue());
  if (t.isX86()) {
    if (has("avx512vnni") && has("avx512bw"))
      return "avx512-vnni";
    if (has("avxvnni"))
      return "avx-vnni";
    if (has("avx512bw"))
      return "avx512bw";
    if (has("avx2"))
      return "avx2";
    // Every x86-64 CPU has SSE2.
    if (has("sse2") || t.getArch() == llvm::Triple::x86_64)
      return "sse2";
  }
  if (t.isAArch64() && has("dotprod"))
    return "neon-dotprod";
  return "none";
}
