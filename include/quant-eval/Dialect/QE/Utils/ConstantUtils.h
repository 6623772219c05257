//===- ConstantUtils.h - Reading and writing weight constants ---*- C++ -*-===//

#ifndef QUANT_EVAL_DIALECT_QE_UTILS_CONSTANTUTILS_H
#define QUANT_EVAL_DIALECT_QE_UTILS_CONSTANTUTILS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"

#include <optional>
#include <vector>

namespace mlir::qe {

/// The f32 values of a constant (dense elements or a dense resource blob),
/// or nothing.
std::optional<std::vector<float>> getFloatsFromAttr(Attribute attr);

/// The f32 values of `value` if a constant op (tosa.const, arith.constant)
/// defines it, or nothing.
std::optional<std::vector<float>> getConstantFloats(Value value);

/// The i8 values of `value` if a constant op defines it (dense elements or
/// a dense resource blob), or nothing: integer weights after
/// qe-lower-to-integer.
std::optional<std::vector<int8_t>> getConstantInt8s(Value value);

/// The i8 values of a constant attribute (dense elements or a dense
/// resource blob), e.g. a memref.global's initial value, or nothing.
std::optional<std::vector<int8_t>> getInt8sFromAttr(Attribute attr);

/// The f32 values of a constant defining `value`, without copying them:
/// available for resource blobs and non-splat dense elements; nothing
/// otherwise (use getConstantFloats). Valid while the constant lives.
std::optional<ArrayRef<float>> getConstantFloatsView(Value value);

/// A tosa.const of `type` holding `values`; more than `resourceThreshold`
/// elements go into a dense_resource blob named after `blobName`.
Value createFloatConstant(OpBuilder &builder, Location loc,
                          RankedTensorType type, ArrayRef<float> values,
                          StringRef blobName = "qe_weight",
                          int64_t resourceThreshold = 64);

/// A tosa.const of `type` whose values `fill` writes in place (no extra
/// copy for large weights); blob and threshold as above.
Value createFloatConstant(OpBuilder &builder, Location loc,
                          RankedTensorType type,
                          function_ref<void(MutableArrayRef<float>)> fill,
                          StringRef blobName = "qe_weight",
                          int64_t resourceThreshold = 64);

/// Erases the constant op defining `value` once nothing uses it; passes that
/// replace weights call it so dead copies neither linger in the IR nor
/// count as stored parameters.
void eraseIfDeadConstant(Value value);

} // namespace mlir::qe

#endif // QUANT_EVAL_DIALECT_QE_UTILS_CONSTANTUTILS_H
