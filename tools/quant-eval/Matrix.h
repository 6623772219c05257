//===- Matrix.h - quant-eval matrix and report ------------------*- C++ -*-===//
//
// The evaluation matrix: models × quantization methods, one JSON record per
// cell, and the report that merges the records into a table, plots and an
// HTML page.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_TOOLS_MATRIX_H
#define QUANT_EVAL_TOOLS_MATRIX_H

#include <cstdint>
#include <string>
#include <vector>

namespace quant_eval {

struct MatrixOptions {
  std::vector<std::string> models;  // .onnx or .mlir files
  std::vector<std::string> methods; // names from matrixMethods()
  std::string outDir;
  std::string dataset = "fashion-mnist";
  /// Where PTQ calibrates: the training split of fashion-mnist, or a
  /// separate idx:/npy: training set (never the evaluation data).
  std::string calibrationDataset;
  /// For detectors (qe.task = detection): det: test canvases and det:
  /// training canvases for calibration.
  std::string detectionDataset, detectionCalibrationDataset;
  /// Preprocessing overrides (--mean=, --std=, --scale=, --layout=) passed
  /// to every run and calibration.
  std::vector<std::string> preprocessing;
  /// The batch ONNX models are imported at. Each batch other than 1 has
  /// its own model directories (STEM-batchN), so that runs at different
  /// batches never share an import.
  int64_t batch = 1;
  int64_t limit = 0;                // test samples per cell (0: all)
  int64_t calibrationSamples = 500; // training samples for PTQ
  int jobs = 1;                     // cells run at once
  int repeat = 5;                   // timed batches per latency figure
  int timeoutSeconds = 3600;        // per step; a hung step fails its cell
  bool quiet = false;
};

/// How a matrix method is applied. `pipeline` is a quant-opt option, in
/// which `<stats>` stands for the model's calibration statistics.
struct MatrixMethod {
  std::string name;
  std::string bits;
  std::string pipeline;
  bool calibrated = false; // needs statistics from (unlabelled) training data
  bool qat = false;        // evaluates <model>_qat.onnx (trained with labels)
  bool lowers = false;     // has an integer form to measure
};

/// The methods the matrix knows, in the order the report lists them.
const std::vector<MatrixMethod> &matrixMethodTable();
const MatrixMethod *findMatrixMethod(const std::string &name);

/// Their names.
const std::vector<std::string> &matrixMethods();

/// Runs every cell that has no successful record yet under
/// `options.outDir` (so an interrupted matrix resumes), then writes
/// `matrix.json` with all records and their changes against the float cell.
/// Returns the process exit code.
int runMatrix(const MatrixOptions &options);

/// Merges `dir/matrix.json` into `report.md`, PNG plots (through
/// /usr/bin/python3 and matplotlib) and `report.html` in `dir`.
int writeReport(const std::string &dir);

} // namespace quant_eval

#endif // QUANT_EVAL_TOOLS_MATRIX_H
