//===- qe-ir-fuzzer.cpp - Fuzzes parsing, verifying and folding qe IR -----===//
//
// Text -> parse -> verify -> canonicalize -> verify, with the dialects
// quant-eval's IR is made of (qe, func, arith, tensor, tosa). Invalid text
// must be rejected with a diagnostic; a module that verified must still
// verify after the qe folders and canonicalization patterns ran on it.
//
//===----------------------------------------------------------------------===//

#include "FuzzerSupport.h"

#include "quant-eval/Dialect/QE/IR/QEDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry;
    r->insert<mlir::arith::ArithDialect, mlir::func::FuncDialect,
              mlir::tensor::TensorDialect, mlir::tosa::TosaDialect>();
    mlir::qe::registerQEDialect(*r);
    return r;
  }();
  mlir::MLIRContext context(*registry, mlir::MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  // Keeps the diagnostics of malformed inputs off the terminal.
  quant_eval::fuzz::ErrorRecorder errors(&context);
  // MLIR's lexer reads the byte after the buffer and needs it to be a null
  // (files come through MemoryBuffer, which ensures that); libFuzzer's
  // buffer has none.
  std::string text(reinterpret_cast<const char *>(data), size);
  // parseSourceString verifies what it parsed.
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, &context, "fuzz.mlir");
  // A failed parse must not crash, but it may be silent: upstream TOSA's
  // custom parsers (tosa.clamp on `{max_val = 6.0 : f32, *in_val = ...}`,
  // Inputs/qe-ir-fuzzer/tosa-clamp-silent-parse-failure) return failure
  // without a diagnostic, in Debian's mlir-opt-22 too. quant-eval's own
  // model loading adds a message when that happens.
  if (!module)
    return 0;
  mlir::PassManager pm(&context);
  pm.enableVerifier(false); // checked below, to tell the two failures apart
  pm.addPass(mlir::createCanonicalizerPass());
  if (mlir::failed(pm.run(*module)))
    return 0; // a pattern may legitimately report failure
  if (mlir::failed(mlir::verify(*module)))
    quant_eval::fuzz::violated(
        "canonicalization turned valid IR into invalid IR");
  return 0;
}
