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

#include "mlir/InitAllTranslations.h"
#include "mlir/Tools/mlir-translate/Translation.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  quant_eval::registerONNXImportTranslation();
  quant_eval::registerObjectTranslation();
  mlir::registerToLLVMIRTranslation();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "quant-eval translation driver\n"));
}
