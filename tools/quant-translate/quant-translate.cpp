//===- quant-translate.cpp - quant-eval's mlir-translate ------------------===//
//
// Translations in and out of MLIR: `--import-onnx model.onnx` gives the
// TOSA + qe form every quant-eval pass works on.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Import/ONNXImporter.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  quant_eval::registerONNXImportTranslation();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "quant-eval translation driver\n"));
}
