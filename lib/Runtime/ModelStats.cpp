//===- ModelStats.cpp - What a model stores -------------------------------===//

#include "quant-eval/Runtime/ModelStats.h"

#include "quant-eval/Dialect/QE/IR/QEOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <limits>
#include <optional>

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

/// The static shape of `v`, or nothing.
static std::optional<ArrayRef<int64_t>> staticShape(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || !type.hasStaticShape())
    return std::nullopt;
  return type.getShape();
}

static int64_t product(ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

MacCount countMacs(ModuleOp module) {
  MacCount count;
  module.walk([&](Operation *op) {
    // TOSA's layouts: conv2d input NHWC, weight [OC, KH, KW, IC], output
    // NHWC: every output element takes KH*KW*IC MACs. conv3d likewise
    // with [OC, KD, KH, KW, IC]. depthwise_conv2d weight [KH, KW, C, M],
    // output [N, OH, OW, C*M]: KH*KW per output element. transpose_conv2d
    // weight [OC, KH, KW, IC]: every input element meets OC*KH*KW weights.
    // matmul [N, H, C] x [N, C, W] -> [N, H, W]: C per output element.
    auto convLike = [&](Value weight, Value output, int64_t &into,
                        bool perInput = false, Value input = {}) {
      auto w = staticShape(weight), o = staticShape(output);
      std::optional<ArrayRef<int64_t>> in;
      if (perInput)
        in = staticShape(input);
      if (!w || !o || (perInput && !in) || w->empty()) {
        ++count.unknownOps;
        return;
      }
      if (perInput)
        into += product(*in) * product(w->drop_back());
      else
        into += product(*o) * product(w->drop_front());
    };
    if (auto conv = dyn_cast<tosa::Conv2DOp>(op))
      convLike(conv.getWeight(), conv.getOutput(), count.convolution);
    else if (auto conv = dyn_cast<tosa::Conv3DOp>(op))
      convLike(conv.getWeight(), conv.getOutput(), count.convolution);
    else if (auto conv = dyn_cast<tosa::TransposeConv2DOp>(op))
      convLike(conv.getWeight(), conv.getOutput(), count.convolution,
               /*perInput=*/true, conv.getInput());
    else if (auto dw = dyn_cast<tosa::DepthwiseConv2DOp>(op)) {
      auto w = staticShape(dw.getWeight()), o = staticShape(dw.getOutput());
      if (!w || !o || w->size() != 4)
        ++count.unknownOps;
      else
        count.depthwise += product(*o) * (*w)[0] * (*w)[1];
    } else if (auto mm = dyn_cast<tosa::MatMulOp>(op)) {
      auto a = staticShape(mm.getA()), o = staticShape(mm.getOutput());
      if (!a || !o || a->size() != 3)
        ++count.unknownOps;
      else
        count.matmul += product(*o) * (*a)[2];
    }
  });
  return count;
}

/// Bytes of a statically shaped tensor value, saturated at INT64_MAX.
static int64_t tensorBytes(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || !type.hasStaticShape())
    return 0;
  int64_t bits = type.getElementType().isIntOrFloat()
                     ? type.getElementType().getIntOrFloatBitWidth()
                     : 0;
  // Sub-byte elements are stored in a byte each by the compiled code.
  int64_t bytes = std::max<int64_t>(1, (bits + 7) / 8);
  for (int64_t d : type.getShape())
    if (llvm::MulOverflow(bytes, d, bytes))
      return std::numeric_limits<int64_t>::max();
  return bytes;
}

static int64_t saturatingAdd(int64_t a, int64_t b) {
  int64_t sum;
  return llvm::AddOverflow(a, b, sum) ? std::numeric_limits<int64_t>::max()
                                      : sum;
}

int64_t estimateInferenceBytes(ModuleOp module) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.getBody().empty())
    return 0;
  int64_t bytes = 0;
  for (BlockArgument arg : main.getArguments())
    bytes = saturatingAdd(bytes, tensorBytes(arg));
  main.walk([&](Operation *op) {
    for (Value r : op->getResults())
      bytes = saturatingAdd(bytes, tensorBytes(r));
  });
  return bytes;
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
