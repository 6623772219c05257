//===- quant-translate.cpp - quant-eval's mlir-translate ------------------===//
//
// Translations in and out of MLIR: `--import-onnx model.onnx` gives the
// TOSA + qe form every quant-eval pass works on; `--mlir-to-object` and
// `--mlir-to-llvmir` turn a model lowered by qe-lower-to-llvm into native
// code for its target.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Import/ONNXImporter.h"
#include "quant-eval/Target/ObjectEmitter.h"

#include "mlir/IR/AsmState.h"
#include "mlir/InitAllTranslations.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  // Imported ops carry their ONNX node names as locations, which
  // diagnostics and per-layer reports key on; print them by default so they
  // survive the trip through a file (--mlir-print-debuginfo=false drops
  // them).
  mlir::registerAsmPrinterCLOptions();
  auto &options = llvm::cl::getRegisteredOptions();
  if (auto *debugInfo = static_cast<llvm::cl::opt<bool> *>(
          options.lookup("mlir-print-debuginfo")))
    debugInfo->setInitialValue(true);
  quant_eval::registerONNXImportTranslation();
  quant_eval::registerObjectTranslation();
  mlir::registerToLLVMIRTranslation();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "quant-eval translation driver\n"));
}
