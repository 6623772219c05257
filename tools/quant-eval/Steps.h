//===- Steps.h - quant-eval's child-process steps ---------------*- C++ -*-===//
//
// The matrix and the sensitivity analysis run the project's own tools as
// child processes, so that a crash or a hang fails one measurement instead
// of the whole run. These are the pieces they share.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_TOOLS_STEPS_H
#define QUANT_EVAL_TOOLS_STEPS_H

#include "llvm/Support/JSON.h"

#include <optional>
#include <string>
#include <vector>

namespace quant_eval {

/// The outcome of one child process.
struct StepResult {
  bool ok = false;
  double seconds = 0;
  std::string error; // the end of its stderr, or why it did not finish
};

/// Runs argv[0] with `argv`, its stdout and stderr in `log`.out and
/// `log`.err. A step still running after `timeoutSeconds` (0: no limit) is
/// killed and fails.
StepResult runStep(const std::vector<std::string> &argv, const std::string &log,
                   int timeoutSeconds);

/// The file's contents, or "" if it cannot be read.
std::string readFile(const std::string &file);

/// The file's JSON, or nothing if it is missing or malformed.
std::optional<llvm::json::Value> readJson(const std::string &file);

/// Writes `value` indented; false if the file cannot be written.
bool writeJsonFile(const std::string &file, llvm::json::Value value);

/// The tools installed next to this executable.
struct Tools {
  std::string quantEval, quantOpt, quantTranslate;
};
Tools findTools();

} // namespace quant_eval

#endif // QUANT_EVAL_TOOLS_STEPS_H
