//===- onnx-import-fuzzer.cpp - Fuzzes the ONNX importer ------------------===//
//
// Bytes -> importONNXModel, binary protobuf or ONNX text syntax alike. The
// importer must either reject the input with an error diagnostic or return
// a module that verifies; a crash, a sanitizer report, a null module
// without an error, or an error with a module are bugs (abort).
//
//===----------------------------------------------------------------------===//

#include "FuzzerSupport.h"

#include "quant-eval/Import/ONNXImporter.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry;
    quant_eval::registerONNXImportDialects(*r);
    return r;
  }();
  // A fresh context per input: interned types and attributes of earlier
  // inputs would otherwise pile up over millions of runs.
  mlir::MLIRContext context(*registry, mlir::MLIRContext::Threading::DISABLED);
  quant_eval::fuzz::ErrorRecorder errors(&context);
  llvm::StringRef contents(reinterpret_cast<const char *>(data), size);
  quant_eval::ONNXImportOptions options;
  // A low threshold sends small models' constants through the
  // dense_resource path too.
  options.resourceThreshold = 16;
  auto module =
      quant_eval::importONNXModel(contents, "fuzz.onnx", &context, options);
  if (!module && !errors.sawError())
    quant_eval::fuzz::violated("importer failed without an error diagnostic");
  if (module && errors.sawError())
    quant_eval::fuzz::violated(
        "importer reported an error but returned a module");
  if (module && mlir::failed(mlir::verify(*module)))
    quant_eval::fuzz::violated(
        "importer produced a module that does not verify");
  return 0;
}
