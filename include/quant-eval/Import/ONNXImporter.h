//===- ONNXImporter.h - ONNX to TOSA + qe -----------------------*- C++ -*-===//
//
// Turns an ONNX model (binary protobuf, or ONNX's textual syntax) into a
// `func.func @main` of TOSA 1.0 ops and `qe` ops. The body is NHWC: 4-D
// activations are transposed once at the function boundary. Every op keeps
// the name of the ONNX node it came from as its location.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_IMPORT_ONNXIMPORTER_H
#define QUANT_EVAL_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace mlir {
class MLIRContext;
class DialectRegistry;
} // namespace mlir

namespace quant_eval {

struct ONNXImportOptions {
  /// The size given to a dynamic batch (first) dimension of graph inputs.
  int64_t batchSize = 1;
  /// Constants with more elements than this become dense_resource blobs,
  /// which keep large models fast to parse and print.
  int64_t resourceThreshold = 64;
};

/// Imports the model in `contents`. `fileName` names the model in
/// diagnostics. Contents in ONNX's textual syntax (a name ending in
/// ".onnxtxt", or text starting with the '<' model header) are parsed as
/// text, anything else as a binary ModelProto. On failure, emits
/// diagnostics naming the file, node and reason, and returns null.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXModel(llvm::StringRef contents, llvm::StringRef fileName,
                mlir::MLIRContext *context, const ONNXImportOptions &options);

/// The dialects imported models use.
void registerONNXImportDialects(mlir::DialectRegistry &registry);

/// Registers `--import-onnx` (with `--batch-size`) for mlir-translate-style
/// tools.
void registerONNXImportTranslation();

} // namespace quant_eval

#endif // QUANT_EVAL_IMPORT_ONNXIMPORTER_H
