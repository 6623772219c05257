//===- WeightQuantization.h - Layer weights onto a grid ---------*- C++ -*-===//
//
// Internal to the QE transforms: the weight quantization that
// qe-quantize-weights applies and qe-correct-bias must predict.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_LIB_DIALECT_QE_TRANSFORMS_WEIGHTQUANTIZATION_H
#define QUANT_EVAL_LIB_DIALECT_QE_TRANSFORMS_WEIGHTQUANTIZATION_H

#include "quant-eval/Numerics/SQuant.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"

#include <optional>
#include <vector>

namespace mlir::qe {

/// A weight as SQuant sees it: [channels][inputs][k], where element
/// (o, i, p) is stored at o * channelStride + i * inputStride + p * kStride,
/// and the stored axis of the channels (if one axis holds them).
struct WeightView {
  int64_t channels = 0, inputs = 0, k = 0;
  int64_t channelStride = 0, inputStride = 0, kStride = 0;
  std::optional<int64_t> axis;
  int64_t index(int64_t o, int64_t i, int64_t p) const {
    return o * channelStride + i * inputStride + p * kStride;
  }
};

/// [OC, KH, KW, IC] (conv2d, transpose_conv2d): [o][i][kh * KW + kw].
inline WeightView viewOHWI(RankedTensorType t) {
  int64_t oc = t.getDimSize(0), kh = t.getDimSize(1), kw = t.getDimSize(2),
          ic = t.getDimSize(3);
  return {oc, ic, kh * kw, kh * kw * ic, 1, ic, int64_t(0)};
}

/// [KH, KW, C, M] (depthwise): channel c*M+m, one input, KH*KW positions.
inline WeightView viewHWCM(RankedTensorType t) {
  int64_t kh = t.getDimSize(0), kw = t.getDimSize(1),
          cm = t.getDimSize(2) * t.getDimSize(3);
  WeightView v{cm, 1, kh * kw, 1, 0, cm, std::nullopt};
  if (t.getDimSize(3) == 1)
    v.axis = 2;
  return v;
}

/// [..., K, N] (matmul right-hand side): channel n, K inputs, one position.
inline WeightView viewKN(RankedTensorType t) {
  int64_t r = t.getRank(), k = t.getDimSize(r - 2), n = t.getDimSize(r - 1);
  if (t.getNumElements() != k * n)
    return {}; // a real batch of weights: not a layer weight
  return {n, k, 1, 1, n, 0, r - 1};
}

/// Marks a layer qe-exclude-layers keeps in float: no pass quantizes its
/// weight or output.
constexpr llvm::StringLiteral kKeepFloatAttr = "qe.keep_float";
inline bool isKeptFloat(Operation *layer) {
  return layer->hasAttr(kKeepFloatAttr);
}

/// The weight operand of a layer op and its view: conv2d and transpose_conv2d
/// (OHWI), depthwise (HWCM), matmul (its right-hand side, or the constant
/// behind a reshape feeding it). Nothing for other ops.
std::optional<std::pair<OpOperand *, WeightView>> getLayerWeight(Operation *op);

/// Calls fn(layer, weight operand, view) for every layer under `root` whose
/// weight a quantization pass may still change: not kept in float, and not
/// already behind a qe.fake_quant or qe.po2_quant.
void forEachQuantizableWeight(
    Operation *root,
    llvm::function_ref<void(Operation *, OpOperand &, const WeightView &)> fn);

struct WeightGridOptions {
  int bits = 8;
  bool perChannel = true;
  bool symmetric = true;
  quant_eval::numerics::SQuantMode mode = quant_eval::numerics::SQuantMode::E;
};

/// The quantization error of a weight, for its signal-to-noise ratio:
/// sum of w^2 and of (w - quantized w)^2.
struct WeightError {
  double signal = 0, noise = 0;
};

/// Rounds weights `w` (stored layout, viewed through `view`) onto their
/// grid: writes the dequantized values to `out` (same layout) and returns
/// the grid, one entry per channel or one for the tensor (per channel only
/// when the view has a channel axis). Nothing for NaN or infinite weights.
std::optional<std::vector<quant_eval::numerics::AffineParams>>
roundWeights(ArrayRef<float> w, const WeightView &view,
             const WeightGridOptions &options, float *out,
             quant_eval::numerics::SQuantStats *stats = nullptr,
             WeightError *error = nullptr);

/// Parses a rounding option value: nearest, squant-e, squant-k, squant-c,
/// squant.
std::optional<quant_eval::numerics::SQuantMode>
parseWeightRounding(llvm::StringRef name);

} // namespace mlir::qe

#endif // QUANT_EVAL_LIB_DIALECT_QE_TRANSFORMS_WEIGHTQUANTIZATION_H
