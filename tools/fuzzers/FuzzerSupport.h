//===- FuzzerSupport.h - Pieces the fuzz targets share ----------*- C++ -*-===//

#ifndef QUANT_EVAL_TOOLS_FUZZERS_FUZZERSUPPORT_H
#define QUANT_EVAL_TOOLS_FUZZERS_FUZZERSUPPORT_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

namespace quant_eval::fuzz {

/// Ends the run as a crash, which libFuzzer reports with the input: the
/// code under test broke a property it promises.
[[noreturn]] inline void violated(const char *what) {
  llvm::errs() << "contract violated: " << what << "\n";
  std::abort();
}

/// Keeps a context's diagnostics off the terminal (millions of inputs are
/// malformed on purpose) and remembers whether one was an error: code that
/// fails must say why, and code that says why must fail.
class ErrorRecorder {
public:
  explicit ErrorRecorder(mlir::MLIRContext *context)
      : handler(context, [this](mlir::Diagnostic &d) {
          error |= d.getSeverity() == mlir::DiagnosticSeverity::Error;
          return mlir::success();
        }) {}
  bool sawError() const { return error; }

private:
  bool error = false;
  mlir::ScopedDiagnosticHandler handler;
};

} // namespace quant_eval::fuzz

#endif // QUANT_EVAL_TOOLS_FUZZERS_FUZZERSUPPORT_H
