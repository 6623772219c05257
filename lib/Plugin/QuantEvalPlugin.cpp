//===- QuantEvalPlugin.cpp - qe dialect and passes for mlir-opt -----------===//
//
// A shared library that a stock `mlir-opt` loads with
// --load-dialect-plugin and --load-pass-plugin: it registers the qe dialect,
// every quant-eval pass and the named pipelines (squant-4bit, ptq-int8,
// qe-lower-to-llvm, ...). Command-line flags are parsed before a plugin
// loads, so its passes are reachable through --pass-pipeline only, e.g.
//
//   mlir-opt --load-dialect-plugin=QuantEvalPlugin.so \
//            --load-pass-plugin=QuantEvalPlugin.so \
//            --pass-pipeline='builtin.module(squant-4bit)' model.mlir
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Conversion/Passes.h"
#include "quant-eval/Dialect/QE/IR/QEDialect.h"
#include "quant-eval/Dialect/QE/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Compiler.h"

extern "C" LLVM_ATTRIBUTE_WEAK ::mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "QuantEval", LLVM_VERSION_STRING,
          [](mlir::DialectRegistry *registry) {
            mlir::qe::registerQEDialect(*registry);
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK ::mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "QuantEval", LLVM_VERSION_STRING, []() {
            mlir::qe::registerQuantEvalPasses();
            mlir::qe::registerConversionPasses();
          }};
}
