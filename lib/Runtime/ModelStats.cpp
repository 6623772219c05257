//===- ModelStats.cpp - What a model stores -------------------------------===//

#include "quant-eval/Runtime/ModelStats.h"

#include "quant-eval/Dialect/QE/IR/QEOps.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace quant_eval {

ParameterSize measureParameters(ModuleOp module) {
  ParameterSize size;
  module.walk([&](Operation *op) {
    if (op->getNumResults() != 1 || !op->hasTrait<OpTrait::ConstantLike>() ||
        op->use_empty())
      return;
    auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!type || !isa<FloatType, IntegerType>(type.getElementType()) ||
        !type.hasStaticShape() || type.getNumElements() < 2)
      return;
    // A splat is stored as one value; importers also synthesize splats
    // (the zero bias of a bias-free convolution) that no model stores.
    Attribute value;
    if (matchPattern(op->getResult(0), m_Constant(&value)))
      if (auto dense = dyn_cast<DenseElementsAttr>(value);
          dense && dense.isSplat())
        return;
    int64_t n = type.getNumElements();
    Value result = op->getResult(0);
    if (isa<IntegerType>(type.getElementType())) {
      // An integer model (qe-lower-to-integer): requantization multipliers
      // and shifts are stored, but are not parameters; weights are stored
      // at the width they were quantized to (`qe.bits`: sub-8-bit values
      // packed), biases at their type's.
      bool requantization = llvm::any_of(result.getUsers(), [](Operation *u) {
        return isa<tosa::RescaleOp>(u);
      });
      if (!requantization)
        size.parameters += n;
      auto bits = op->getAttrOfType<IntegerAttr>("qe.bits");
      size.storedBits +=
          n * (bits ? bits.getInt() : type.getElementTypeBitWidth());
      return;
    }
    size.parameters += n;
    // Power-of-two weights store a sign and an exponent: `bits` each.
    if (result.hasOneUse())
      if (auto po2 = dyn_cast<qe::Po2QuantOp>(*result.getUsers().begin())) {
        size.storedBits += n * po2.getBits();
        return;
      }
    auto fq = result.hasOneUse()
                  ? dyn_cast<qe::FakeQuantOp>(*result.getUsers().begin())
                  : qe::FakeQuantOp();
    if (!fq) {
      size.storedBits += n * type.getElementTypeBitWidth();
      return;
    }
    int64_t grids = static_cast<int64_t>(fq.getScales().size());
    size.storedBits += n * fq.getBits() + grids * (32 + fq.getBits());
  });
  return size;
}

llvm::StringMap<std::string> getModelMetadata(ModuleOp module) {
  llvm::StringMap<std::string> metadata;
  if (auto dict = module->getAttrOfType<DictionaryAttr>("qe.metadata"))
    for (NamedAttribute entry : dict)
      if (auto value = dyn_cast<StringAttr>(entry.getValue()))
        metadata[entry.getName().getValue()] = value.getValue().str();
  return metadata;
}

} // namespace quant_eval
