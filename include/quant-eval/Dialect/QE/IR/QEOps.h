//===- QEOps.h - Operations of the `qe` dialect -----------------*- C++ -*-===//

#ifndef QUANT_EVAL_DIALECT_QE_IR_QEOPS_H
#define QUANT_EVAL_DIALECT_QE_IR_QEOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "quant-eval/Dialect/QE/IR/QEDialect.h"
#include "quant-eval/Numerics/Rounding.h"
#include "quant-eval/Numerics/UniformQuant.h"

#include "quant-eval/Dialect/QE/IR/QEEnums.h.inc"

namespace mlir::qe {
/// The numeric kernels' name for an IR rounding mode.
::quant_eval::numerics::Rounding toNumerics(RoundingMode mode);
} // namespace mlir::qe

#define GET_OP_CLASSES
#include "quant-eval/Dialect/QE/IR/QEOps.h.inc"

#endif // QUANT_EVAL_DIALECT_QE_IR_QEOPS_H
