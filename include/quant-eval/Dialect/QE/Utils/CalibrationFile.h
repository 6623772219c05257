//===- CalibrationFile.h - Activation statistics on disk --------*- C++ -*-===//
//
// `quant-eval calibrate` writes, and qe-apply-calibration reads, one JSON
// object:
//
//   {"dataset": "fashion-mnist", "split": "train", "samples": 500,
//    "tensors": {"<observer id>": {"min": m, "max": M, "count": n,
//                                  "zeros": z, "lo": l, "hi": h,
//                                  "histogram": [...]}}}
//
// min/max are the exact extremes, the histogram's equal bins span [lo, hi],
// z of the n binned values were exactly 0 (optional on reading).
// Keeping histograms lets one calibration run serve every method.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_DIALECT_QE_UTILS_CALIBRATIONFILE_H
#define QUANT_EVAL_DIALECT_QE_UTILS_CALIBRATIONFILE_H

#include "quant-eval/Numerics/Calibration.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <map>
#include <string>

namespace mlir::qe {

struct CalibrationFile {
  std::string dataset, split;
  int64_t samples = 0;
  std::map<std::string, quant_eval::numerics::TensorStatistics> tensors;
};

/// Reads `path`; the error names the file and what is wrong with it.
llvm::Expected<CalibrationFile> readCalibrationFile(llvm::StringRef path);

llvm::Error writeCalibrationFile(llvm::StringRef path,
                                 const CalibrationFile &file);

} // namespace mlir::qe

#endif // QUANT_EVAL_DIALECT_QE_UTILS_CALIBRATIONFILE_H
