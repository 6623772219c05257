//===- Sensitivity.h - quant-eval sensitivity -------------------*- C++ -*-===//
//
// Per-layer sensitivity of a calibrated PTQ method and automatic exclusion
// of the most sensitive layers.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_TOOLS_SENSITIVITY_H
#define QUANT_EVAL_TOOLS_SENSITIVITY_H

#include <cstdint>
#include <optional>
#include <string>

namespace quant_eval {

struct SensitivityOptions {
  std::string model;  // .onnx or .mlir
  std::string method; // a ptq-* pipeline
  std::string outDir;
  std::string dataset = "fashion-mnist";
  std::string calibrationDataset; // default: the training split of dataset
  int64_t limit = 0;
  int64_t calibrationSamples = 500;
  /// --exclude auto[:budget]: the accuracy drop (points) to reach.
  std::optional<double> autoBudget;
  bool quiet = false;
};

/// Ranks the model's layers by how much accuracy keeping each float
/// recovers (and by the drop each causes alone, and weight SQNR), writes
/// `outDir/sensitivity.json`, and with `autoBudget` keeps the worst layers
/// float until the drop is within it. Returns the exit code.
int runSensitivity(const SensitivityOptions &options);

} // namespace quant_eval

#endif // QUANT_EVAL_TOOLS_SENSITIVITY_H
