//===- ONNXImporter.cpp - Entry points of the ONNX importer ---------------===//

#include "quant-eval/Import/ONNXImporter.h"

#include "GraphImporter.h"
#include "ONNXTextParser.h"

#include "quant-eval/Dialect/QE/IR/QEDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

namespace quant_eval {

/// ONNX's text syntax starts with the model header '<'; '#' lines are
/// comments. No binary ModelProto starts with '<' (field 7, wire type 4 is
/// not valid there).
static bool looksLikeONNXText(llvm::StringRef contents) {
  while (true) {
    contents = contents.ltrim();
    if (!contents.starts_with("#"))
      return contents.starts_with("<");
    contents = contents.drop_until([](char c) { return c == '\n'; });
  }
}

OwningOpRef<ModuleOp> importONNXModel(llvm::StringRef contents,
                                      llvm::StringRef fileName,
                                      MLIRContext *context,
                                      const ONNXImportOptions &options) {
  context->loadDialect<func::FuncDialect, tosa::TosaDialect, qe::QEDialect>();
  Location fileLoc = FileLineColLoc::get(context, fileName, 0, 0);
  onnx::ModelProto model;
  if (fileName.ends_with(".onnxtxt") || looksLikeONNXText(contents)) {
    // ONNX's textual syntax, handy for small hand-written models and tests.
    std::string error;
    if (!onnx_import::parseONNXText(contents.str(), model, error)) {
      emitError(fileLoc) << "not a valid ONNX text model: " << error;
      return nullptr;
    }
  } else if (contents.empty() ||
             !model.ParseFromArray(contents.data(),
                                   static_cast<int>(contents.size()))) {
    emitError(fileLoc) << "not a valid ONNX model (the protobuf does not "
                          "parse; is the file truncated or not ONNX?)";
    return nullptr;
  }
  if (!model.has_graph()) {
    emitError(fileLoc) << "the model has no graph";
    return nullptr;
  }
  onnx_import::GraphImporter importer(context, fileName, options);
  return importer.importModel(model);
}

void registerONNXImportDialects(DialectRegistry &registry) {
  registry.insert<func::FuncDialect, tosa::TosaDialect>();
  qe::registerQEDialect(registry);
}

void registerONNXImportTranslation() {
  static llvm::cl::opt<int64_t> batchSize(
      "batch-size",
      llvm::cl::desc("Size of a dynamic batch dimension in imported ONNX "
                     "models (default 1)"),
      llvm::cl::init(1));
  static TranslateToMLIRRegistration registration(
      "import-onnx", "Import an ONNX model (.onnx, or .onnxtxt text syntax)",
      [](llvm::SourceMgr &sourceMgr,
         MLIRContext *context) -> OwningOpRef<Operation *> {
        const llvm::MemoryBuffer *buffer =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        ONNXImportOptions options;
        if (batchSize <= 0) {
          emitError(UnknownLoc::get(context))
              << "--batch-size must be positive, got " << batchSize.getValue();
          return nullptr;
        }
        options.batchSize = batchSize;
        OwningOpRef<ModuleOp> module =
            importONNXModel(buffer->getBuffer(), buffer->getBufferIdentifier(),
                            context, options);
        if (!module)
          return nullptr;
        return OwningOpRef<Operation *>(module.release());
      },
      registerONNXImportDialects);
}

} // namespace quant_eval
