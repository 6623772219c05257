//===- PackContractionWeights.cpp - Contiguous weights per tile -----------===//
//
// A convolution tile reads, per reduction step, Ft output channels of Ct
// consecutive filter rows; in HWCF those rows are a whole filter width
// apart, so the lines one tile streams fall into a few cache sets. Packing
// the filter by output blocks makes them consecutive (Passes.td has the
// measurements).
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Conversion/Passes.h"

#include "TilingUtils.h"

#include "quant-eval/Dialect/QE/Utils/ConstantUtils.h"
#include "quant-eval/Numerics/DotPacking.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::qe {
#define GEN_PASS_DEF_PACKCONTRACTIONWEIGHTS
#include "quant-eval/Conversion/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;

namespace {

/// The output block Ft of `read`, the weights `[Ct, Ft]` of a
/// floating-point contraction, when it can come from a copy of its global
/// `[..., C, F]` packed by blocks of Ft outputs (see Passes.td); nothing
/// otherwise.
std::optional<int64_t> getOutputBlock(vector::TransferReadOp read,
                                      memref::GlobalOp global) {
  VectorType vectorType = read.getVectorType();
  if (vectorType.getRank() != 2 || vectorType.isScalable() ||
      global.getType().getRank() < 2 || !vectorType.getElementType().isF32())
    return std::nullopt;
  return qe::getPackableOutputBlock(read);
}

/// A new constant global next to `global`, holding its values packed by
/// output blocks of `block`; null if its values cannot be read.
memref::GlobalOp createPackedGlobal(memref::GlobalOp global, int64_t block,
                                    SymbolTable &symbols) {
  std::optional<std::vector<float>> values =
      qe::getFloatsFromAttr(*global.getInitialValue());
  MemRefType type = global.getType();
  int64_t outputs = type.getShape().back();
  int64_t outer = type.getNumElements() / outputs;
  if (!values)
    return {};
  std::vector<float> packed =
      quant_eval::numerics::packOutputBlocks(*values, outer, outputs, block);
  if (packed.empty())
    return {};
  SmallVector<int64_t> shape = {outputs / block};
  llvm::append_range(shape, type.getShape().drop_back());
  shape.push_back(block);
  return qe::createConstantGlobalBeside(
      global, "_blocks" + Twine(block), shape, type.getElementType(),
      "qe_packed_weights",
      HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(packed)),
      symbols);
}

/// `read` from `packed` instead: `%packed[f / Ft, ..., c, 0]`.
void readFromPackedGlobal(vector::TransferReadOp read,
                          memref::GlobalOp packed) {
  OpBuilder builder(read);
  Location loc = read.getLoc();
  int64_t block = packed.getType().getShape().back();
  SmallVector<Value> indices(read.getIndices());
  Value output = indices.back();
  Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
  indices.back() = zero;
  indices.insert(
      indices.begin(),
      builder.createOrFold<arith::DivUIOp>(
          loc, output, arith::ConstantIndexOp::create(builder, loc, block)));
  Value base = memref::GetGlobalOp::create(builder, loc, packed.getType(),
                                           packed.getSymName());
  auto packedRead = vector::TransferReadOp::create(
      builder, loc, read.getVectorType(), base, indices, read.getPadding(),
      SmallVector<bool>(2, true));
  read.replaceAllUsesWith(packedRead.getResult());
  read.erase();
}

struct PackContractionWeightsPass
    : public qe::impl::PackContractionWeightsBase<PackContractionWeightsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    // Each (global, output block) is packed once, whatever reads it.
    llvm::MapVector<std::pair<Operation *, int64_t>, memref::GlobalOp> packed;
    llvm::MapVector<Operation *, memref::GlobalOp> reads;
    module.walk([&](vector::ContractionOp op) {
      auto read = op.getRhs().getDefiningOp<vector::TransferReadOp>();
      memref::GlobalOp global =
          read ? qe::getReadConstantGlobal(read) : nullptr;
      if (!global)
        return;
      std::optional<int64_t> block = getOutputBlock(read, global);
      if (!block)
        return;
      memref::GlobalOp &copy = packed[{global.getOperation(), *block}];
      if (!copy)
        copy = createPackedGlobal(global, *block, symbols);
      if (copy)
        reads[read] = copy;
    });
    for (auto [op, copy] : reads) {
      auto read = cast<vector::TransferReadOp>(op);
      auto getGlobal = read.getBase().getDefiningOp<memref::GetGlobalOp>();
      readFromPackedGlobal(read, copy);
      if (getGlobal->use_empty())
        getGlobal->erase();
    }
    llvm::SetVector<Operation *> originals;
    for (auto &[key, copy] : packed)
      if (copy)
        originals.insert(key.first);
    // The original filters, once only the packed copies are read, would
    // double the model's weights in the binary.
    for (Operation *original : originals)
      if (SymbolTable::symbolKnownUseEmpty(original, module))
        symbols.erase(original);
  }
};

} // namespace
