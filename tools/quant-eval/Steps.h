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
  /// Stopped because of interruptRequested(): not a failure of the step.
  bool interrupted = false;
};

/// Makes Ctrl-C (SIGINT) and SIGTERM ask for a stop instead of killing the
/// process at once: runStep then kills its child, and long commands finish
/// what they are writing and exit. A second signal kills as usual.
void installInterruptHandler();

/// True once SIGINT or SIGTERM arrived after installInterruptHandler().
bool interruptRequested();

/// Runs argv[0] with `argv`, its stdout and stderr in `log`.out and
/// `log`.err. A step still running after `timeoutSeconds` (0: no limit) is
/// killed and fails; so is one running when an interrupt is requested.
StepResult runStep(const std::vector<std::string> &argv, const std::string &log,
                   int timeoutSeconds);

/// The file's contents, or "" if it cannot be read.
std::string readFile(const std::string &file);

/// The file's JSON, or nothing if it is missing or malformed.
std::optional<llvm::json::Value> readJson(const std::string &file);

/// Writes `value` indented, through a temporary file renamed into place, so
/// that an interrupted write leaves no truncated record; false if the file
/// cannot be written.
bool writeJsonFile(const std::string &file, llvm::json::Value value);

/// The score a `quant-eval run` result reports: mAP@0.5 ("map50") for a
/// detector, else top-1 ("top1"); nothing if it has neither. The matrix
/// and the sensitivity analysis both rank by it.
struct RunScore {
  const char *metric; // "map50" or "top1"
  double value;
};
std::optional<RunScore> getRunScore(const llvm::json::Object &result);

/// How a metric key reads in text: "mAP@0.5" or "top-1".
const char *metricName(llvm::StringRef metric);

/// The tools installed next to this executable.
struct Tools {
  std::string quantEval, quantOpt, quantTranslate;
};
Tools findTools();

} // namespace quant_eval

#endif // QUANT_EVAL_TOOLS_STEPS_H
