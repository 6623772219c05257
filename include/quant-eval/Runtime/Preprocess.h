//===- Preprocess.h - From stored images to model inputs --------*- C++ -*-===//

#ifndef QUANT_EVAL_RUNTIME_PREPROCESS_H
#define QUANT_EVAL_RUNTIME_PREPROCESS_H

#include "quant-eval/Runtime/Datasets.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace quant_eval {

/// Auto: NCHW when dimension 1 looks like channels (1 or 3), NHWC when
/// dimension 3 does; anything else must be stated.
enum class Layout { Auto, NCHW, NHWC };
enum class Fit { Auto, Resize, Pad };

/// How a model wants its input: x = (pixel / scale - mean[c]) / std[c], in
/// `layout`. Models carry it as metadata (ONNX metadata_props "qe.scale",
/// "qe.mean", "qe.std", "qe.layout", kept by the importer as the module's
/// `qe.metadata`); users can override it on the command line.
struct Preprocessing {
  double scale = 255.0;
  std::vector<double> mean = {0.0};
  std::vector<double> std = {1.0};
  Layout layout = Layout::Auto;
  Fit fit = Fit::Auto;

  /// Applies the keys of `metadata` it knows; errors name a malformed value.
  llvm::Error update(const llvm::StringMap<std::string> &metadata);
};

/// Resolves Layout::Auto for a 4-D model input shape; an error if the shape
/// does not tell.
llvm::Expected<Layout> resolveLayout(Layout layout,
                                     const std::vector<int64_t> &inputShape);

/// Writes the model input of image `index`: `channels` x `height` x `width`
/// floats in the preprocessing layout. A gray image is repeated for a
/// 3-channel model; a different size is nearest-resized, or centre-padded
/// with background (pixel 0) when the model is larger and fit is Auto/Pad.
llvm::Error preprocessImage(const ImageDataset &data, int64_t index,
                            const Preprocessing &pre, int64_t channels,
                            int64_t height, int64_t width, float *out);

} // namespace quant_eval

#endif // QUANT_EVAL_RUNTIME_PREPROCESS_H
