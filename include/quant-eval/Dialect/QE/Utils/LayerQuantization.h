//===- LayerQuantization.h - The grids around a quantized layer -*- C++ -*-===//
//
// What qe-quantize-bias and qe-lower-to-integer both need to know about a
// convolution or matmul: its weight's fake quant and the scale of each
// output channel of its integer accumulator.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_DIALECT_QE_UTILS_LAYERQUANTIZATION_H
#define QUANT_EVAL_DIALECT_QE_UTILS_LAYERQUANTIZATION_H

#include "quant-eval/Dialect/QE/IR/QEOps.h"

#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace mlir::qe {

/// The fake quant of a tosa.conv2d's, tosa.depthwise_conv2d's or
/// tosa.matmul's weight (looking through reshapes), if that weight is a
/// fake-quantized constant.
FakeQuantOp getWeightFakeQuant(Operation *layer);

/// The scale of each output channel of the layer's integer accumulator,
/// `inputScale · Δ_w[c]` with the weight scales rounded to f32 as the
/// simulation uses them. Nothing if the weight's grid is per axis on an axis
/// other than the output channel's (OHWI 0, HWCM 2, the last of a matmul
/// weight).
std::optional<SmallVector<double>>
getAccumulatorScales(Operation *layer, FakeQuantOp weight, double inputScale);

/// The constant added to a matmul's result as its bias: the other operand
/// of a tosa.add that follows the matmul through reshapes. Null if none.
OpOperand *getMatMulBias(Operation *matmul);

} // namespace mlir::qe

#endif // QUANT_EVAL_DIALECT_QE_UTILS_LAYERQUANTIZATION_H
