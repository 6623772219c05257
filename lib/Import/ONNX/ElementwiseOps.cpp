//===- ElementwiseOps.cpp - Arithmetic, activations, Softmax --------------===//

#include "GraphImporter.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace quant_eval::onnx_import {
namespace {

/// numpy broadcasting of two shapes; nothing if incompatible.
std::optional<std::vector<int64_t>> broadcastShapes(std::vector<int64_t> a,
                                                    std::vector<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  a.insert(a.begin(), rank - a.size(), 1);
  b.insert(b.begin(), rank - b.size(), 1);
  std::vector<int64_t> out(rank);
  for (size_t d = 0; d < rank; ++d) {
    if (a[d] != b[d] && a[d] != 1 && b[d] != 1)
      return std::nullopt;
    out[d] = a[d] == 1 ? b[d] : a[d];
  }
  return out;
}

/// Flat index into `shape` (right-aligned against `out`) of the element that
/// broadcasts to flat index i of `out`.
int64_t broadcastIndex(int64_t i, const std::vector<int64_t> &out,
                       const std::vector<int64_t> &shape) {
  int64_t idx = 0, stride = 1;
  size_t offset = out.size() - shape.size();
  for (int64_t d = static_cast<int64_t>(out.size()) - 1; d >= 0; --d) {
    int64_t coord = i % out[d];
    i /= out[d];
    if (d >= static_cast<int64_t>(offset)) {
      int64_t dim = shape[d - offset];
      idx += (dim == 1 ? 0 : coord) * stride;
      stride *= dim;
    }
  }
  return idx;
}

enum class BinaryKind { Add, Sub, Mul, Div };

double applyBinary(BinaryKind kind, double x, double y, bool isInt) {
  switch (kind) {
  case BinaryKind::Add:
    return x + y;
  case BinaryKind::Sub:
    return x - y;
  case BinaryKind::Mul:
    return x * y;
  case BinaryKind::Div:
    if (isInt)
      return y == 0 ? 0 : std::trunc(x / y);
    return x / y;
  }
  return 0;
}

template <BinaryKind kind>
LogicalResult convertBinary(GraphImporter &g, const onnx::NodeProto &node) {
  ImportedValue *x = g.getInput(node, 0);
  ImportedValue *y = g.getInput(node, 1);
  if (!x || !y)
    return failure();
  std::optional<std::vector<int64_t>> shape =
      broadcastShapes(x->shape, y->shape);
  if (!shape)
    return g.nodeError() << "the input shapes do not broadcast";

  // Shape arithmetic and constant subgraphs are evaluated at import time.
  if (x->constant && y->constant) {
    HostTensor r;
    bool isInt = !x->constant->isFloat() && !y->constant->isFloat();
    r.onnxType = isInt ? x->constant->onnxType : onnx::TensorProto::FLOAT;
    r.shape = *shape;
    int64_t n = r.numElements();
    for (int64_t i = 0; i < n; ++i) {
      double v = applyBinary(
          kind, x->constant->at(broadcastIndex(i, *shape, x->shape)),
          y->constant->at(broadcastIndex(i, *shape, y->shape)), isInt);
      if (isInt)
        r.ints.push_back(static_cast<int64_t>(v));
      else
        r.floats.push_back(static_cast<float>(v));
    }
    g.setConstantOutput(node, 0, std::move(r));
    return success();
  }
  if ((x->constant && !x->constant->isFloat()) ||
      (y->constant && !y->constant->isFloat()))
    return g.nodeError() << "integer arithmetic at run time is not supported";

  int64_t rank = static_cast<int64_t>(shape->size());
  bool nhwc = rank == 4 && (x->nhwc || y->nhwc);
  Value xv = g.toLayout(*x, nhwc, rank);
  Value yv = g.toLayout(*y, nhwc, rank);
  auto type = g.f32Type(GraphImporter::storedShape(*shape, nhwc));
  auto &b = g.builder();
  Value r;
  switch (kind) {
  case BinaryKind::Add:
    r = tosa::AddOp::create(b, type, xv, yv);
    break;
  case BinaryKind::Sub:
    r = tosa::SubOp::create(b, type, xv, yv);
    break;
  case BinaryKind::Mul:
    r = g.mul(xv, yv);
    break;
  case BinaryKind::Div:
    // TOSA has no float division; x * (1 / y) may differ from x / y by one
    // unit in the last place.
    r = g.mul(xv, tosa::ReciprocalOp::create(b, yv.getType(), yv));
    break;
  }
  g.setOutput(node, 0, r, *shape, nhwc);
  return success();
}

/// Unary ops keep the input's layout.
template <typename Fn>
LogicalResult convertUnary(GraphImporter &g, const onnx::NodeProto &node,
                           Fn build) {
  ImportedValue *x = g.getInput(node, 0);
  if (!x)
    return failure();
  if (x->constant && !x->constant->isFloat())
    return g.nodeError() << "expects a float input";
  Value in = x->value ? x->value : g.toLogical(*x);
  g.setOutput(node, 0, build(in), x->shape, x->nhwc && x->value);
  return success();
}

/// A rank-matched scalar constant.
Value scalarLike(GraphImporter &g, Value like, float v) {
  auto rank = cast<RankedTensorType>(like.getType()).getRank();
  return g.constF32({v}, std::vector<int64_t>(rank, 1));
}

Value hardSigmoid(GraphImporter &g, Value x, float alpha, float beta) {
  auto &b = g.builder();
  Value scaled = g.mul(x, scalarLike(g, x, alpha));
  Value shifted =
      tosa::AddOp::create(b, x.getType(), scaled, scalarLike(g, x, beta));
  return g.clamp(shifted, 0.0f, 1.0f);
}

/// select(x >= 0, x, x * slope)
Value negativeSlope(GraphImporter &g, Value x, Value slope) {
  auto &b = g.builder();
  auto type = cast<RankedTensorType>(x.getType());
  auto boolType = RankedTensorType::get(type.getShape(), b.getI1Type());
  Value isPos =
      tosa::GreaterEqualOp::create(b, boolType, x, scalarLike(g, x, 0.0f));
  return tosa::SelectOp::create(b, type, isPos, x, g.mul(x, slope));
}

constexpr float kLowest = std::numeric_limits<float>::lowest();
constexpr float kMax = std::numeric_limits<float>::max();

LogicalResult convertRelu(GraphImporter &g, const onnx::NodeProto &node) {
  return convertUnary(g, node, [&](Value x) { return g.clamp(x, 0, kMax); });
}

LogicalResult convertClip(GraphImporter &g, const onnx::NodeProto &node) {
  float lo = kLowest, hi = kMax;
  for (int i : {1, 2}) {
    if (!g.getOptionalInput(node, i))
      continue;
    const HostTensor *t = g.getConstantInput(node, i, i == 1 ? "min" : "max");
    if (!t)
      return failure();
    if (t->numElements() != 1)
      return g.nodeError() << "min and max must be scalars";
    (i == 1 ? lo : hi) = static_cast<float>(t->at(0));
  }
  return convertUnary(g, node, [&](Value x) { return g.clamp(x, lo, hi); });
}

LogicalResult convertLeakyRelu(GraphImporter &g, const onnx::NodeProto &node) {
  float alpha = NodeAttributes(node).getFloat("alpha", 0.01f);
  return convertUnary(g, node, [&](Value x) {
    return negativeSlope(g, x, scalarLike(g, x, alpha));
  });
}

LogicalResult convertPRelu(GraphImporter &g, const onnx::NodeProto &node) {
  ImportedValue *x = g.getInput(node, 0);
  ImportedValue *slope = g.getInput(node, 1);
  if (!x || !slope)
    return failure();
  if (!broadcastShapes(x->shape, slope->shape) ||
      *broadcastShapes(x->shape, slope->shape) != x->shape)
    return g.nodeError() << "the slope must broadcast to the input shape";
  int64_t rank = static_cast<int64_t>(x->shape.size());
  bool nhwc = x->nhwc;
  Value xv = nhwc ? x->value : g.toLogical(*x);
  Value sv = g.toLayout(*slope, nhwc, rank);
  g.setOutput(node, 0, negativeSlope(g, xv, sv), x->shape, nhwc);
  return success();
}

LogicalResult convertSigmoid(GraphImporter &g, const onnx::NodeProto &node) {
  return convertUnary(g, node, [&](Value x) -> Value {
    return tosa::SigmoidOp::create(g.builder(), x.getType(), x);
  });
}

LogicalResult convertTanh(GraphImporter &g, const onnx::NodeProto &node) {
  return convertUnary(g, node, [&](Value x) -> Value {
    return tosa::TanhOp::create(g.builder(), x.getType(), x);
  });
}

LogicalResult convertExp(GraphImporter &g, const onnx::NodeProto &node) {
  return convertUnary(g, node, [&](Value x) -> Value {
    return tosa::ExpOp::create(g.builder(), x.getType(), x);
  });
}

LogicalResult convertHardSigmoid(GraphImporter &g,
                                 const onnx::NodeProto &node) {
  NodeAttributes attrs(node);
  float alpha = attrs.getFloat("alpha", 0.2f),
        beta = attrs.getFloat("beta", 0.5f);
  return convertUnary(g, node,
                      [&](Value x) { return hardSigmoid(g, x, alpha, beta); });
}

LogicalResult convertHardSwish(GraphImporter &g, const onnx::NodeProto &node) {
  return convertUnary(g, node, [&](Value x) {
    return g.mul(x, hardSigmoid(g, x, 1.0f / 6.0f, 0.5f));
  });
}

LogicalResult convertSoftmax(GraphImporter &g, const onnx::NodeProto &node) {
  ImportedValue *x = g.getInput(node, 0);
  if (!x)
    return failure();
  int64_t rank = static_cast<int64_t>(x->shape.size());
  int64_t defaultAxis = g.getOpsetVersion() >= 13 ? -1 : 1;
  std::optional<int64_t> axis =
      g.normalizeAxis(NodeAttributes(node).getInt("axis", defaultAxis), rank);
  if (!axis)
    return failure();
  // Before opset 13 Softmax flattens the input from `axis` on; that equals a
  // softmax over `axis` only when it is the last dimension.
  if (g.getOpsetVersion() < 13 && *axis != rank - 1)
    return g.nodeError() << "softmax over axis " << *axis << " of a rank-"
                         << rank
                         << " input (opset < 13 coerces it to 2-D) is not "
                            "supported";
  bool nhwc = x->nhwc && x->value;
  Value in = nhwc ? x->value : g.toLogical(*x);
  int32_t a =
      static_cast<int32_t>(nhwc ? GraphImporter::nhwcAxis(*axis) : *axis);
  auto &b = g.builder();
  auto type = cast<RankedTensorType>(in.getType());
  SmallVector<int64_t> reducedShape(type.getShape());
  reducedShape[a] = 1;
  auto reducedType = g.f32Type(reducedShape);
  Value max =
      tosa::ReduceMaxOp::create(b, reducedType, in, b.getI32IntegerAttr(a));
  Value shifted = tosa::SubOp::create(b, type, in, max);
  Value e = tosa::ExpOp::create(b, type, shifted);
  Value sum =
      tosa::ReduceSumOp::create(b, reducedType, e, b.getI32IntegerAttr(a));
  Value inv = tosa::ReciprocalOp::create(b, reducedType, sum);
  g.setOutput(node, 0, g.mul(e, inv), x->shape, nhwc);
  return success();
}

} // namespace

void addElementwiseOps(llvm::StringMap<GraphImporter::Converter> &table) {
  table["Add"] = convertBinary<BinaryKind::Add>;
  table["Sub"] = convertBinary<BinaryKind::Sub>;
  table["Mul"] = convertBinary<BinaryKind::Mul>;
  table["Div"] = convertBinary<BinaryKind::Div>;
  table["Relu"] = convertRelu;
  table["Clip"] = convertClip;
  table["LeakyRelu"] = convertLeakyRelu;
  table["PRelu"] = convertPRelu;
  table["Sigmoid"] = convertSigmoid;
  table["HardSigmoid"] = convertHardSigmoid;
  table["HardSwish"] = convertHardSwish;
  table["Tanh"] = convertTanh;
  table["Exp"] = convertExp;
  table["Softmax"] = convertSoftmax;
}

} // namespace quant_eval::onnx_import
