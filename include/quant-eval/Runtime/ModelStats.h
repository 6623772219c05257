//===- ModelStats.h - What a model stores -----------------------*- C++ -*-===//

#ifndef QUANT_EVAL_RUNTIME_MODELSTATS_H
#define QUANT_EVAL_RUNTIME_MODELSTATS_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

#include <cstdint>
#include <string>

namespace quant_eval {

/// The parameters of a model: every used float constant with more than one
/// element (weights, biases, batch-norm statistics) that is not a splat
/// (scalars such as zero points, and the zero biases the importer adds to
/// bias-free convolutions, are not parameters). A constant behind a
/// qe.fake_quant is stored at that op's bit width, plus its scales (32 bits
/// each) and zero points (at the grid's width); others at their element type's
/// width.
struct ParameterSize {
  int64_t parameters = 0;
  int64_t storedBits = 0;
  int64_t storedBytes() const { return (storedBits + 7) / 8; }
  int64_t float32Bytes() const { return parameters * 4; }
};
ParameterSize measureParameters(mlir::ModuleOp module);

/// Multiply-accumulates of one inference of a TOSA model, by kind: the work
/// of its convolutions (tosa.conv2d, conv3d, transpose_conv2d), depthwise
/// convolutions and matrix products (tosa.matmul, which carries the
/// importer's fully connected layers). Elementwise ops, pooling and
/// rescales are not counted. Every op must be statically shaped: one that
/// is not is counted in `unknownOps` and adds no MACs. The count is the same
/// for a float model and its fake-quantized or integer-lowered forms.
struct MacCount {
  int64_t convolution = 0;
  int64_t depthwise = 0;
  int64_t matmul = 0;
  int64_t unknownOps = 0;
  int64_t total() const { return convolution + depthwise + matmul; }
};
MacCount countMacs(mlir::ModuleOp module);

/// The memory one inference of @main takes, in bytes: every tensor its
/// body holds (the input, each op's result and the constants), as if none
/// were freed before the end. The compiled code frees few buffers early, so
/// this is close to its peak, and above it: per sample, 2.5 / 1.6 / 1.2 MiB
/// for the MobileNetV2 / ResNet / Inception zoo models, where a run's peak
/// resident memory grew by 1.9 / 0.9 / 1.1 MiB per sample from batch 1 to
/// batch 500 or 1000. A tensor that is not statically shaped counts 0.
/// Saturates instead of overflowing for absurd batch sizes.
int64_t estimateInferenceBytes(mlir::ModuleOp module);

/// The module's `qe.metadata` entries (from ONNX metadata_props "qe.*").
llvm::StringMap<std::string> getModelMetadata(mlir::ModuleOp module);

} // namespace quant_eval

#endif // QUANT_EVAL_RUNTIME_MODELSTATS_H
