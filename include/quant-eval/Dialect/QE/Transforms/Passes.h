//===- Passes.h - Quantization passes on TOSA + qe --------------*- C++ -*-===//

#ifndef QUANT_EVAL_DIALECT_QE_TRANSFORMS_PASSES_H
#define QUANT_EVAL_DIALECT_QE_TRANSFORMS_PASSES_H

#include "quant-eval/Dialect/QE/IR/QEDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Pass/Pass.h"

#include <string>

namespace mlir::qe {

#define GEN_PASS_DECL
#include "quant-eval/Dialect/QE/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "quant-eval/Dialect/QE/Transforms/Passes.h.inc"

/// Registers the passes above and quant-eval's method pipelines.
void registerQuantEvalPasses();

} // namespace mlir::qe

#endif // QUANT_EVAL_DIALECT_QE_TRANSFORMS_PASSES_H
