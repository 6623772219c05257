//===- QEDialect.h - The quant-eval `qe` dialect ----------------*- C++ -*-===//

#ifndef QUANT_EVAL_DIALECT_QE_IR_QEDIALECT_H
#define QUANT_EVAL_DIALECT_QE_IR_QEDIALECT_H

#include "mlir/IR/Dialect.h"

#include "quant-eval/Dialect/QE/IR/QEOpsDialect.h.inc"

namespace mlir {
class DialectRegistry;
namespace qe {
/// Adds the `qe` dialect, and the dialects its folders create ops of, to
/// `registry`. Downstream tools call this to accept `qe` IR.
void registerQEDialect(DialectRegistry &registry);
} // namespace qe
} // namespace mlir

#endif // QUANT_EVAL_DIALECT_QE_IR_QEDIALECT_H
