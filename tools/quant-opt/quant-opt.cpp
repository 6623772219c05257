//===- quant-opt.cpp - quant-eval's mlir-opt ------------------------------===//
//
// An mlir-opt with the `qe` dialect and quant-eval's passes and pipelines
// registered next to every upstream dialect and pass, so that one tool runs
// a whole method: `quant-opt --squant-4bit model.mlir`.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Conversion/Passes.h"
#include "quant-eval/Dialect/QE/IR/QEDialect.h"
#include "quant-eval/Dialect/QE/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::qe::registerConversionPasses();
  mlir::qe::registerQuantEvalPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::qe::registerQEDialect(registry);

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "quant-eval optimizer driver\n", registry));
}
