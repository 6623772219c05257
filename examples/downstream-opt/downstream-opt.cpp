//===- downstream-opt.cpp - Another compiler's opt tool with quant-eval ---===//
//
// What embedding quant-eval takes: register the qe dialect next to your
// own, register quant-eval's passes and pipelines, and run MlirOptMain.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Conversion/Passes.h"
#include "quant-eval/Dialect/QE/IR/QEDialect.h"
#include "quant-eval/Dialect/QE/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::tosa::TosaDialect>();
  mlir::qe::registerQEDialect(registry);
  mlir::qe::registerQuantEvalPasses();
  mlir::qe::registerConversionPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "downstream-opt with quant-eval\n",
                        registry));
}
