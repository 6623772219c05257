//===- Passes.h - quant-eval conversion passes ------------------*- C++ -*-===//

#ifndef QUANT_EVAL_CONVERSION_PASSES_H
#define QUANT_EVAL_CONVERSION_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "quant-eval/Dialect/QE/IR/QEDialect.h"

#include <string>

namespace mlir {
class RewritePatternSet;
namespace qe {

#define GEN_PASS_DECL
#include "quant-eval/Conversion/Passes.h.inc"

/// The patterns of convert-qe-to-linalg, for use in other conversions.
void populateQEToLinalgPatterns(RewritePatternSet &patterns);

/// Options of the qe-lower-to-llvm pipeline.
struct LowerToLLVMOptions : public PassPipelineOptions<LowerToLLVMOptions> {
  Option<std::string> targetTriple{
      *this, "target-triple",
      llvm::cl::desc("Target triple recorded on the module (default: the "
                     "host)"),
      llvm::cl::init("")};
  Option<std::string> cpu{*this, "cpu",
                          llvm::cl::desc("Target CPU (default: the host's)"),
                          llvm::cl::init("")};
  Option<std::string> features{
      *this, "features",
      llvm::cl::desc("Target features, e.g. +avx2,+fma (default: the "
                     "host's)"),
      llvm::cl::init("")};
  Option<unsigned> threads{
      *this, "threads",
      llvm::cl::desc("Threads for the loops over output tiles (OpenMP; 1 "
                     "emits single-threaded code without the runtime)"),
      llvm::cl::init(1)};
};

/// The features of the x86 CPU `cpu` (e.g. "haswell") as LLVM feature
/// strings, "+avx,+avx2,...", closed under implication; empty when `cpu` is
/// not an x86 CPU LLVM knows. qe-annotate-target records them for a CPU
/// named without features.
std::string getX86CpuFeatures(llvm::StringRef cpu);

/// Builds qe-lower-to-llvm: qe -> linalg, TOSA -> linalg, vectorization,
/// bufferization, LLVM dialect.
void buildLowerToLLVMPipeline(OpPassManager &pm,
                              const LowerToLLVMOptions &options);

/// Registers the conversion passes and the qe-lower-to-llvm pipeline.
void registerConversionPasses();

#define GEN_PASS_REGISTRATION
#include "quant-eval/Conversion/Passes.h.inc"

} // namespace qe
} // namespace mlir

#endif // QUANT_EVAL_CONVERSION_PASSES_H
