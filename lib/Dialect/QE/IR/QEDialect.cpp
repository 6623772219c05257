//===- QEDialect.cpp - The quant-eval `qe` dialect ------------------------===//

#include "quant-eval/Dialect/QE/IR/QEDialect.h"
#include "quant-eval/Dialect/QE/IR/QEOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using namespace mlir::qe;

#include "quant-eval/Dialect/QE/IR/QEOpsDialect.cpp.inc"

void QEDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "quant-eval/Dialect/QE/IR/QEOps.cpp.inc"
      >();
}

Operation *QEDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  auto typed = dyn_cast<TypedAttr>(value);
  if (!typed || typed.getType() != type)
    return nullptr;
  return arith::ConstantOp::create(builder, loc, type, typed);
}

void mlir::qe::registerQEDialect(DialectRegistry &registry) {
  registry.insert<QEDialect, arith::ArithDialect, quant::QuantDialect>();
}
