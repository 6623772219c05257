//===- ObjectEmitter.h - LLVM dialect to native object files ----*- C++ -*-===//

#ifndef QUANT_EVAL_TARGET_OBJECTEMITTER_H
#define QUANT_EVAL_TARGET_OBJECTEMITTER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace quant_eval {

/// Translates a module in the LLVM dialect (after qe-lower-to-llvm) to LLVM
/// IR, optimizes it at -O3 and writes a relocatable, position-independent
/// object for the module's target: `llvm.target_triple`, `qe.target_cpu` and
/// `qe.target_features` as set by qe-annotate-target. x86-64 and AArch64
/// are supported.
mlir::LogicalResult emitObjectFile(mlir::ModuleOp module,
                                   llvm::raw_pwrite_stream &os);

/// Registers `--mlir-to-object` for mlir-translate-style tools.
void registerObjectTranslation();

} // namespace quant_eval

#endif // QUANT_EVAL_TARGET_OBJECTEMITTER_H
