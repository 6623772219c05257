//===- TilingUtils.h - Helpers shared by vectorization passes --*- C++ -*-===//

#ifndef QUANT_EVAL_LIB_CONVERSION_VECTORIZATION_TILINGUTILS_H
#define QUANT_EVAL_LIB_CONVERSION_VECTORIZATION_TILINGUTILS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"

#include <cstdint>
#include <optional>

namespace mlir::qe {

/// The largest divisor of `range` that does not exceed `size` (at least 1):
/// tiles that divide their loops are static and vectorize without masks.
int64_t largestDivisorAtMost(int64_t range, int64_t size);

/// Gives every linalg op its own destination. CSE merges identical
/// `tensor.empty` + `linalg.fill` pairs (every zero-initialized accumulator
/// of one shape, every padded buffer of one shape), and bufferization must
/// then copy the shared tensor for all but one writer: a full feature-map
/// copy per layer. Cloning the fill per user removes the copies; run it
/// before tiling, and no CSE between it and bufferization.
void unshareFilledDestinations(func::FuncOp func);

/// Whether `op` (or its body) touches a non-power-of-two integer: TOSA's
/// 16x8 profile computes in i48, and LLVM's vectors of such widths gave
/// wrong values here, so such ops stay scalar.
bool hasOddIntegerWidth(Operation *op);

/// Marks the outermost loop over output tiles whose iterations are
/// independent (qe-parallelize-tiles turns it into a parallel loop).
inline constexpr llvm::StringLiteral kParallelTileAttr = "qe.parallel_tile";

/// Tiles `op` with `scf.for` loops (a zero size leaves a loop untiled) and
/// replaces it; returns the tiled ops inside the loops, or failure with the
/// op unchanged.
/// `interchange` (optional) orders the loops, outermost first. The
/// outermost loop gets kParallelTileAttr when it runs over a parallel
/// dimension.
FailureOr<SmallVector<Operation *>>
tileWithLoops(RewriterBase &rewriter, linalg::LinalgOp op,
              ArrayRef<int64_t> sizes, ArrayRef<int64_t> interchange = {});

/// Whether `read` needs nothing but its indices: unmasked, in bounds in
/// every dimension, reading the trailing dimensions of its source in order
/// (a minor identity map).
bool isInBoundsMinorIdentityRead(vector::TransferReadOp read);

/// Whether the index `v` is a multiple of `k`: a constant, or a loop
/// counter whose start and step are.
bool isMultipleOf(Value v, int64_t k);

/// Whether `read` needs nothing but its indices (isInBoundsMinorIdentityRead)
/// and reads an identity-layout memref.
bool isPlainMemRefRead(vector::TransferReadOp read);

/// The constant global, with an initial value and a static shape, that
/// `read` (a plain memref read, isPlainMemRefRead) reads through a
/// memref.get_global; null otherwise.
memref::GlobalOp getReadConstantGlobal(vector::TransferReadOp read);

/// The output block Ft of `read`, a tile's weights [..., Ct, Ft] from a
/// filter [..., C, F], when a copy of the filter packed by blocks of Ft
/// outputs can serve it: Ft < F divides F and the read's output index is a
/// multiple of Ft (isMultipleOf); nothing otherwise.
std::optional<int64_t> getPackableOutputBlock(vector::TransferReadOp read);

/// A private constant global named after `global` plus `suffix`, holding
/// `blob` as `shape` x `elementType` (its resource named `blobName`),
/// 64-byte aligned, inserted next to `global` and renamed on a clash.
memref::GlobalOp
createConstantGlobalBeside(memref::GlobalOp global, const Twine &suffix,
                           ArrayRef<int64_t> shape, Type elementType,
                           StringRef blobName, AsmResourceBlob blob,
                           SymbolTable &symbols);

/// The module's target features ("+avx2", ...), as qe-annotate-target
/// records them in `qe.target_features`; nothing when it has not run.
std::optional<SmallVector<StringRef>> getTargetFeatures(ModuleOp module);

/// The dot-product instruction set that qe-lower-int8-contractions uses for
/// the module's target (qe-annotate-target's triple and features):
/// "avx512-vnni", "avx-vnni", "avx512bw", "avx2" or "sse2" (pmaddwd), or
/// "neon-dotprod"; "none" without one. Tile shapes depend on it.
std::string getDotProductIsa(ModuleOp module);

/// Vectorizes `op` in place (static shapes); false leaves it unchanged.
/// `createNamedContraction` emits vector.contract for contractions.
bool vectorizeInPlace(RewriterBase &rewriter, linalg::LinalgOp op,
                      bool createNamedContraction = false);

} // namespace mlir::qe

#endif // QUANT_EVAL_LIB_CONVERSION_VECTORIZATION_TILINGUTILS_H
