//===- QuantOps.cpp - QuantizeLinear / DequantizeLinear -------------------===//
//
// QDQ models (QAT or PTQ exports) arrive as Q -> DQ pairs on activations and
// integer initializers -> DQ on weights. Both become float tensors behind a
// qe.fake_quant with the model's scales and zero points, rounding half to
// even as ONNX QuantizeLinear does.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "quant-eval/Dialect/QE/IR/QEOps.h"
#include "quant-eval/Numerics/UniformQuant.h"

#include <cmath>

using namespace mlir;
namespace num = quant_eval::numerics;

namespace quant_eval::onnx_import {

FailureOr<Value> fakeQuantWeight(GraphImporter &g, Value weight,
                                 const QuantParams &q,
                                 std::optional<int64_t> axis) {
  if (q.axis && !axis)
    return g.nodeError() << "the per-axis quantization of this weight cannot "
                            "be expressed after its layout change";
  auto &b = g.builder();
  return qe::FakeQuantOp::create(
             b, weight.getType(), weight, b.getI32IntegerAttr(q.bits),
             q.isSigned ? UnitAttr() : b.getUnitAttr(), UnitAttr(),
             q.axis ? b.getI64IntegerAttr(*axis) : IntegerAttr(),
             b.getDenseF64ArrayAttr(q.scales),
             b.getDenseI64ArrayAttr(q.zeroPoints),
             qe::RoundingModeAttr::get(b.getContext(), qe::RoundingMode::RNE))
      .getResult();
}

namespace {

/// Reads scale (input 1), zero point (input 2) and axis of a Q or DQ node
/// whose data input has logical shape `shape`.
std::optional<QuantParams> readQuantParams(GraphImporter &g,
                                           const onnx::NodeProto &node,
                                           llvm::ArrayRef<int64_t> shape,
                                           bool allowInt32) {
  const HostTensor *scale = g.getConstantInput(node, 1, "the scale");
  if (!scale)
    return std::nullopt;
  if (!scale->isFloat()) {
    g.nodeError() << "the scale must be a float tensor";
    return std::nullopt;
  }
  QuantParams q;
  int64_t count = scale->numElements();
  const HostTensor *zp = nullptr;
  if (g.getOptionalInput(node, 2)) {
    zp = g.getConstantInput(node, 2, "the zero point");
    if (!zp)
      return std::nullopt;
  }
  int32_t zpType = zp ? zp->onnxType : onnx::TensorProto::UINT8;
  switch (zpType) {
  case onnx::TensorProto::UINT8:
    q.bits = 8, q.isSigned = false;
    break;
  case onnx::TensorProto::INT8:
    q.bits = 8, q.isSigned = true;
    break;
  case onnx::TensorProto::UINT16:
    q.bits = 16, q.isSigned = false;
    break;
  case onnx::TensorProto::INT16:
    q.bits = 16, q.isSigned = true;
    break;
  case onnx::TensorProto::INT32:
    if (allowInt32) {
      q.bits = 32, q.isSigned = true;
      break;
    }
    [[fallthrough]];
  default:
    g.nodeError() << "a zero point of type "
                  << onnx::TensorProto::DataType_Name(
                         static_cast<onnx::TensorProto::DataType>(zpType))
                  << " is not supported; expected int8, uint8, int16 or "
                     "uint16";
    return std::nullopt;
  }
  if (zp && zp->numElements() != count) {
    g.nodeError() << "the zero point has " << zp->numElements()
                  << " values but the scale has " << count;
    return std::nullopt;
  }
  for (int64_t i = 0; i < count; ++i) {
    double s = scale->floats[i];
    if (!std::isfinite(s) || s <= 0) {
      g.nodeError() << "scale #" << i << " is " << s
                    << "; scales must be finite and positive";
      return std::nullopt;
    }
    q.scales.push_back(s);
    q.zeroPoints.push_back(zp ? zp->ints[i] : 0);
  }
  if (scale->shape.size() > 1) {
    g.nodeError() << "blocked quantization (scale of rank "
                  << scale->shape.size() << ") is not supported";
    return std::nullopt;
  }
  // A 1-D scale of one element is per tensor, whatever the axis says.
  if (count > 1) {
    std::optional<int64_t> axis =
        g.normalizeAxis(NodeAttributes(node).getInt("axis", 1),
                        static_cast<int64_t>(shape.size()));
    if (!axis)
      return std::nullopt;
    if (shape[*axis] != count) {
      g.nodeError() << "axis " << *axis << " has size " << shape[*axis]
                    << " but there are " << count << " scales";
      return std::nullopt;
    }
    q.axis = *axis;
  }
  return q;
}

LogicalResult convertQuantizeLinear(GraphImporter &g,
                                    const onnx::NodeProto &node) {
  ImportedValue *x = g.getInput(node, 0);
  if (!x)
    return failure();
  std::optional<QuantParams> q = readQuantParams(g, node, x->shape, false);
  if (!q)
    return failure();
  if (x->pendingQuant)
    return g.nodeError() << "quantizing an already quantized tensor";
  ImportedValue r = *x;
  r.pendingQuant = *q;
  r.weightQuant.reset();
  g.setOutput(node, 0, std::move(r));
  return success();
}

/// A float tensor of `t`'s shape holding fn(element, channel), where channel
/// indexes q's per-axis parameters (always 0 per tensor).
HostTensor mapPerChannel(const HostTensor &t, const QuantParams &q,
                         llvm::function_ref<float(double, int64_t)> fn) {
  HostTensor r;
  r.shape = t.shape;
  r.floats.resize(t.numElements());
  num::AxisLayout layout{1, t.numElements()};
  if (q.axis)
    layout = *num::getAxisLayout(t.shape, *q.axis,
                                 static_cast<size_t>(t.numElements()));
  for (int64_t i = 0; i < t.numElements(); ++i)
    r.floats[i] = fn(t.at(i), layout.channelOf(i));
  return r;
}

bool sameGrid(const QuantParams &a, const QuantParams &b) {
  return a.scales == b.scales && a.zeroPoints == b.zeroPoints &&
         a.axis == b.axis && a.bits == b.bits && a.isSigned == b.isSigned;
}

LogicalResult convertDequantizeLinear(GraphImporter &g,
                                      const onnx::NodeProto &node) {
  ImportedValue *x = g.getInput(node, 0);
  if (!x)
    return failure();
  std::optional<QuantParams> q = readQuantParams(g, node, x->shape, true);
  if (!q)
    return failure();

  // An integer initializer (a weight or bias): dequantize at import time.
  if (x->constant && !x->value && !x->pendingQuant) {
    const HostTensor &t = *x->constant;
    if (t.isFloat())
      return g.nodeError() << "the input must be an integer tensor";
    int64_t expectedType = q->bits == 32 ? onnx::TensorProto::INT32
                           : q->bits == 16
                               ? (q->isSigned ? onnx::TensorProto::INT16
                                              : onnx::TensorProto::UINT16)
                               : (q->isSigned ? onnx::TensorProto::INT8
                                              : onnx::TensorProto::UINT8);
    if (g.getOptionalInput(node, 2) && t.onnxType != expectedType)
      return g.nodeError() << "the input's type differs from the zero "
                              "point's";
    HostTensor r = mapPerChannel(t, *q, [&](double v, int64_t c) {
      return static_cast<float>(q->scales[c] * (v - double(q->zeroPoints[c])));
    });
    ImportedValue v;
    v.shape = r.shape;
    v.constant = std::make_shared<HostTensor>(std::move(r));
    // 32-bit biases are exact in float; only weights keep their grid.
    if (q->bits <= 16)
      v.weightQuant = *q;
    g.setOutput(node, 0, std::move(v));
    return success();
  }

  // Q -> DQ on a float constant (how exporters write fake-quantized
  // weights): quantize on the host with ONNX's rounding, keep the grid.
  if (x->constant && !x->value && x->pendingQuant) {
    if (!sameGrid(*x->pendingQuant, *q))
      return g.nodeError() << "the DequantizeLinear parameters differ from "
                              "its QuantizeLinear's";
    const HostTensor &t = *x->constant;
    std::optional<num::QuantRange> range =
        num::getQuantRange(q->bits, q->isSigned, /*narrowRange=*/false);
    if (!t.isFloat() || !range)
      return g.nodeError() << "cannot fake-quantize this constant";
    HostTensor r = mapPerChannel(t, *q, [&](double v, int64_t c) {
      return num::fakeQuantize(
          static_cast<float>(v), static_cast<float>(q->scales[c]),
          q->zeroPoints[c], *range, num::Rounding::HalfToEven);
    });
    ImportedValue v;
    v.shape = r.shape;
    v.constant = std::make_shared<HostTensor>(std::move(r));
    v.weightQuant = *q;
    g.setOutput(node, 0, std::move(v));
    return success();
  }

  if (!x->pendingQuant)
    return g.nodeError() << "dequantizing integer data computed at run time "
                            "is not supported; the input must come from "
                            "QuantizeLinear or an initializer";
  if (!sameGrid(*x->pendingQuant, *q))
    return g.nodeError() << "the DequantizeLinear parameters differ from its "
                            "QuantizeLinear's (requantization is not "
                            "supported)";
  if (q->bits > 16)
    return g.nodeError() << "32-bit activations are not supported";

  // Q -> DQ on a float tensor: a fake quant in the tensor's current layout.
  bool nhwc = x->nhwc && x->value;
  Value in = nhwc ? x->value : g.toLogical(*x);
  std::optional<int64_t> axis = q->axis;
  if (axis && nhwc)
    axis = GraphImporter::nhwcAxis(*axis);
  FailureOr<Value> r = fakeQuantWeight(g, in, *q, axis);
  if (failed(r))
    return failure();
  ImportedValue out;
  out.value = *r;
  out.shape = x->shape;
  out.nhwc = nhwc;
  g.setOutput(node, 0, std::move(out));
  return success();
}

} // namespace

void addQuantOps(llvm::StringMap<GraphImporter::Converter> &table) {
  table["QuantizeLinear"] = convertQuantizeLinear;
  table["DequantizeLinear"] = convertDequantizeLinear;
}

} // namespace quant_eval::onnx_import
