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

#include <string>
#include <vector>

/// `--qe-report=FILE` is accepted as a short spelling of the pass option
/// form `--qe-report=file=FILE`: a value without `=` or `{` can only be the
/// file. Other tools embedding the pass use the option form.
static std::vector<std::string> expandReportShorthand(int argc, char **argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (std::string &arg : args)
    for (const char *prefix : {"--qe-report=", "-qe-report="}) {
      llvm::StringRef value(arg);
      if (!value.consume_front(prefix))
        continue;
      // The new string is built before it replaces `arg`, which `value`
      // points into.
      if (!value.empty() && !value.contains('=') && !value.contains('{'))
        arg = std::string(prefix) + "file=" + value.str();
      break;
    }
  return args;
}

int main(int argc, char **argv) {
  std::vector<std::string> args = expandReportShorthand(argc, argv);
  std::vector<char *> argPtrs;
  for (std::string &arg : args)
    argPtrs.push_back(arg.data());
  argc = static_cast<int>(argPtrs.size());
  argPtrs.push_back(nullptr); // argv[argc] is null, as from the OS
  argv = argPtrs.data();

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
