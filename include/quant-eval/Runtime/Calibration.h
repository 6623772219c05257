//===- Calibration.h - Activation statistics from running a model -*- C++
//-*-===//
//
// Calibration runs the float model on training samples and records the
// statistics of every tensor a `qe.observe` probes. The probed model is
// rewritten so that @main returns all observed tensors, flattened and
// concatenated into one f32 vector; the runtime then needs nothing beyond
// CompiledModel's one input and one output.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_RUNTIME_CALIBRATION_H
#define QUANT_EVAL_RUNTIME_CALIBRATION_H

#include "quant-eval/Dialect/QE/Utils/CalibrationFile.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace quant_eval {

/// Where one observed tensor lies in the exposed output.
struct ObservedTensor {
  std::string id;
  int64_t offset = 0, size = 0;
};

/// Rewrites `module` (in place) so that @main returns its observed tensors
/// (in walk order) as one 1-D f32 tensor, and removes the probes. Fails if
/// @main has no observer or a probed tensor has a dynamic shape.
llvm::Expected<std::vector<ObservedTensor>>
exposeObservedTensors(mlir::ModuleOp module);

struct CalibrationRun {
  int64_t samples = 0; ///< inputs to run (each fills one batch)
  int64_t bins = 2048;
  /// Writes input `index` (a whole batch) into `input`.
  llvm::function_ref<llvm::Error(int64_t index, float *input)> fill;
};

/// Compiles `module` (which must hold qe.observe probes; it is consumed)
/// and runs it twice over the inputs: once for the extremes, once for the
/// histograms. A NaN or an infinity in a tensor is an error naming it.
llvm::Expected<mlir::qe::CalibrationFile> calibrate(mlir::ModuleOp module,
                                                    const CalibrationRun &run);

} // namespace quant_eval

#endif // QUANT_EVAL_RUNTIME_CALIBRATION_H
