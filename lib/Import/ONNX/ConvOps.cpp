//===- ConvOps.cpp - Conv, ConvTranspose, Gemm, MatMul, BatchNorm ---------===//

#include "GraphImporter.h"

#include "quant-eval/Dialect/QE/IR/QEOps.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"

#include <numeric>

using namespace mlir;

namespace quant_eval::onnx_import {
namespace {

/// The weight operand of a conv/FC: its host data and, if it came through
/// DequantizeLinear, the grid to keep it on.
struct Weight {
  const HostTensor *data = nullptr;
  const QuantParams *quant = nullptr;
};

std::optional<Weight> getWeight(GraphImporter &g, const onnx::NodeProto &node,
                                int index) {
  ImportedValue *v = g.getInput(node, index);
  if (!v)
    return std::nullopt;
  if (!v->constant) {
    g.nodeError() << "the weight (input '" << node.input(index)
                  << "') must be a constant initializer";
    return std::nullopt;
  }
  Weight w;
  w.data = v->constant.get();
  w.quant = v->weightQuant ? &*v->weightQuant : nullptr;
  return w;
}

/// Materializes a weight permuted by `perm` (after reshaping it to `shape`,
/// if given), behind its fake quant. `quantAxis` maps the grid's per-axis
/// dimension to its position in the result.
FailureOr<Value> materializeWeight(GraphImporter &g, const Weight &w,
                                   llvm::ArrayRef<int64_t> perm,
                                   std::optional<int64_t> quantAxis,
                                   llvm::ArrayRef<int64_t> shape = {}) {
  HostTensor t = *w.data;
  if (!shape.empty())
    t.shape = shape;
  Value v = g.materialize(t, perm);
  if (!w.quant)
    return v;
  return fakeQuantWeight(g, v, *w.quant, quantAxis);
}

/// A bias input as a 1-D f32 value of `channels` entries (zeros if absent).
FailureOr<Value> getBias(GraphImporter &g, const onnx::NodeProto &node,
                         int index, int64_t channels) {
  ImportedValue *bias = g.getOptionalInput(node, index);
  if (!bias)
    return g.constF32(std::vector<float>(channels, 0.0f), {channels});
  if (bias->shape != std::vector<int64_t>{channels}) {
    g.nodeError() << "the bias must have shape [" << channels << "]";
    return failure();
  }
  return g.toLogical(*bias);
}

LogicalResult convertConv(GraphImporter &g, const onnx::NodeProto &node) {
  NodeAttributes attrs(node);
  ImportedValue *x = g.getInput(node, 0);
  std::optional<Weight> w = getWeight(g, node, 1);
  if (!x || !w)
    return failure();
  if (x->shape.size() != 4 || w->data->shape.size() != 4)
    return g.nodeError() << "only 2-D convolutions (4-D input and weight) "
                            "are supported; input has rank "
                         << x->shape.size();
  const std::vector<int64_t> &ws = w->data->shape; // [OC, IC/group, KH, KW]
  int64_t n = x->shape[0], c = x->shape[1], oc = ws[0];
  int64_t group = attrs.getInt("group", 1);
  if (group <= 0 || c % group != 0 || oc % group != 0 || ws[1] != c / group)
    return g.nodeError() << "group " << group << " does not fit " << c
                         << " input channels and weight shape [" << ws[0]
                         << ", " << ws[1] << ", " << ws[2] << ", " << ws[3]
                         << "]";
  std::vector<int64_t> kernel = attrs.getInts("kernel_shape", {ws[2], ws[3]});
  if (kernel != std::vector<int64_t>{ws[2], ws[3]})
    return g.nodeError() << "kernel_shape does not match the weight";
  std::optional<Window2D> win =
      computeWindow(g, attrs, {x->shape[2], x->shape[3]}, kernel, false);
  if (!win)
    return failure();
  FailureOr<Value> bias = getBias(g, node, 2, oc);
  if (failed(bias))
    return failure();

  auto &b = g.builder();
  Value input = cropInput(g, g.toNHWC(*x), *win);
  auto pad = b.getDenseI64ArrayAttr(win->pad);
  auto stride = b.getDenseI64ArrayAttr({win->stride[0], win->stride[1]});
  auto dilation = b.getDenseI64ArrayAttr({win->dilation[0], win->dilation[1]});
  auto accType = TypeAttr::get(b.getF32Type());
  Value zp = g.zeroPoint(b.getF32Type());
  std::vector<int64_t> outShape = {n, oc, win->out[0], win->out[1]};
  auto outType = g.f32Type(GraphImporter::storedShape(outShape, true));

  Value result;
  if (group == 1) {
    // OIHW -> OHWI.
    FailureOr<Value> weight = materializeWeight(g, *w, {0, 2, 3, 1}, 0);
    if (failed(weight))
      return failure();
    result = tosa::Conv2DOp::create(b, outType, input, *weight, *bias, zp, zp,
                                    pad, stride, dilation, accType);
  } else if (group == c) {
    // Depthwise: [C*M, 1, KH, KW] viewed as [C, M, KH, KW] -> [KH, KW, C, M].
    int64_t m = oc / c;
    std::optional<int64_t> quantAxis;
    if (m == 1)
      quantAxis = 2;
    FailureOr<Value> weight =
        materializeWeight(g, *w, {2, 3, 0, 1}, quantAxis, {c, m, ws[2], ws[3]});
    if (failed(weight))
      return failure();
    result =
        tosa::DepthwiseConv2DOp::create(b, outType, input, *weight, *bias, zp,
                                        zp, pad, stride, dilation, accType);
  } else {
    // Grouped: one convolution per group on its slice of channels, then a
    // concat, since TOSA has no grouped convolution.
    int64_t icg = c / group, ocg = oc / group;
    auto inType = cast<RankedTensorType>(input.getType());
    SmallVector<Value> parts;
    for (int64_t gi = 0; gi < group; ++gi) {
      SmallVector<int64_t> size = {inType.getDimSize(0), inType.getDimSize(1),
                                   inType.getDimSize(2), icg};
      Value slice =
          tosa::SliceOp::create(b, g.f32Type(size), input,
                                tosa::getTosaConstShape(b, {0, 0, 0, gi * icg}),
                                tosa::getTosaConstShape(b, size));
      HostTensor part;
      part.shape = {ocg, icg, ws[2], ws[3]};
      int64_t per = icg * ws[2] * ws[3];
      part.floats.assign(w->data->floats.begin() + gi * ocg * per,
                         w->data->floats.begin() + (gi + 1) * ocg * per);
      Value weight = g.materialize(part, {0, 2, 3, 1});
      if (w->quant) {
        QuantParams q = *w->quant;
        if (q.axis) {
          q.scales.assign(w->quant->scales.begin() + gi * ocg,
                          w->quant->scales.begin() + (gi + 1) * ocg);
          q.zeroPoints.assign(w->quant->zeroPoints.begin() + gi * ocg,
                              w->quant->zeroPoints.begin() + (gi + 1) * ocg);
        }
        FailureOr<Value> fq = fakeQuantWeight(g, weight, q, 0);
        if (failed(fq))
          return failure();
        weight = *fq;
      }
      Value biasPart = tosa::SliceOp::create(
          b, g.f32Type({ocg}), *bias, tosa::getTosaConstShape(b, {gi * ocg}),
          tosa::getTosaConstShape(b, {ocg}));
      std::vector<int64_t> partShape = {n, win->out[0], win->out[1], ocg};
      parts.push_back(tosa::Conv2DOp::create(b, g.f32Type(partShape), slice,
                                             weight, biasPart, zp, zp, pad,
                                             stride, dilation, accType));
    }
    result = tosa::ConcatOp::create(b, outType, parts, b.getI32IntegerAttr(3));
  }
  g.setOutput(node, 0, result, outShape, /*nhwc=*/true);
  return success();
}

LogicalResult convertConvTranspose(GraphImporter &g,
                                   const onnx::NodeProto &node) {
  NodeAttributes attrs(node);
  ImportedValue *x = g.getInput(node, 0);
  std::optional<Weight> w = getWeight(g, node, 1);
  if (!x || !w)
    return failure();
  if (x->shape.size() != 4 || w->data->shape.size() != 4)
    return g.nodeError() << "only 2-D transposed convolutions are supported";
  if (attrs.getInt("group", 1) != 1)
    return g.nodeError() << "group " << attrs.getInt("group", 1)
                         << " is not supported; only group 1";
  if (attrs.getInts("dilations", {1, 1}) != std::vector<int64_t>{1, 1})
    return g.nodeError() << "dilations other than 1 are not supported";
  if (attrs.get("output_shape"))
    return g.nodeError() << "the output_shape attribute is not supported; "
                            "give pads and output_padding";
  std::string autoPad = attrs.getString("auto_pad", "NOTSET");
  if (autoPad != "NOTSET")
    return g.nodeError() << "auto_pad '" << autoPad << "' is not supported";
  const std::vector<int64_t> &ws = w->data->shape; // [IC, OC, KH, KW]
  if (ws[0] != x->shape[1])
    return g.nodeError() << "the weight has " << ws[0]
                         << " input channels but the input has " << x->shape[1];
  std::vector<int64_t> strides = attrs.getInts("strides", {1, 1});
  std::vector<int64_t> pads = attrs.getInts("pads", {0, 0, 0, 0});
  std::vector<int64_t> outPad = attrs.getInts("output_padding", {0, 0});
  if (strides.size() != 2 || pads.size() != 4 || outPad.size() != 2)
    return g.nodeError() << "malformed strides, pads or output_padding";
  int64_t oc = ws[1];
  std::vector<int64_t> outShape = {x->shape[0], oc, 0, 0};
  for (int i = 0; i < 2; ++i)
    outShape[2 + i] = (x->shape[2 + i] - 1) * strides[i] + ws[2 + i] - pads[i] -
                      pads[i + 2] + outPad[i];
  FailureOr<Value> bias = getBias(g, node, 2, oc);
  // [IC, OC, KH, KW] -> [OC, KH, KW, IC]; a per-output-channel grid is on
  // ONNX axis 1, which lands on axis 0.
  FailureOr<Value> weight = materializeWeight(g, *w, {1, 2, 3, 0}, 0);
  if (failed(bias) || failed(weight))
    return failure();
  auto &b = g.builder();
  Value zp = g.zeroPoint(b.getF32Type());
  Value result = tosa::TransposeConv2DOp::create(
      b, g.f32Type(GraphImporter::storedShape(outShape, true)), g.toNHWC(*x),
      *weight, *bias, zp, zp,
      b.getDenseI64ArrayAttr(
          {-pads[0], -pads[2] + outPad[0], -pads[1], -pads[3] + outPad[1]}),
      b.getDenseI64ArrayAttr(strides), TypeAttr::get(b.getF32Type()));
  g.setOutput(node, 0, result, outShape, /*nhwc=*/true);
  return success();
}

/// [M, K] x [K, N] as a rank-3 tosa.matmul.
Value matmul2D(GraphImporter &g, Value a, Value bMat, int64_t m, int64_t k,
               int64_t n) {
  auto &b = g.builder();
  Value zp = g.zeroPoint(b.getF32Type());
  Value a3 = g.reshape(a, {1, m, k});
  Value b3 = g.reshape(bMat, {1, k, n});
  Value r = tosa::MatMulOp::create(b, g.f32Type({1, m, n}), a3, b3, zp, zp);
  return g.reshape(r, {m, n});
}

LogicalResult convertGemm(GraphImporter &g, const onnx::NodeProto &node) {
  NodeAttributes attrs(node);
  ImportedValue *a = g.getInput(node, 0);
  ImportedValue *bIn = g.getInput(node, 1);
  if (!a || !bIn)
    return failure();
  if (a->shape.size() != 2 || bIn->shape.size() != 2)
    return g.nodeError() << "Gemm needs 2-D inputs";
  bool transA = attrs.getInt("transA", 0), transB = attrs.getInt("transB", 0);
  float alpha = attrs.getFloat("alpha", 1.0f),
        beta = attrs.getFloat("beta", 1.0f);
  int64_t m = transA ? a->shape[1] : a->shape[0];
  int64_t k = transA ? a->shape[0] : a->shape[1];
  int64_t kb = transB ? bIn->shape[1] : bIn->shape[0];
  int64_t n = transB ? bIn->shape[0] : bIn->shape[1];
  if (k != kb)
    return g.nodeError() << "inner dimensions differ: " << k << " and " << kb;

  auto &b = g.builder();
  Value av = g.toLogical(*a);
  if (transA)
    av = g.transpose(av, {1, 0});
  Value bv;
  if (bIn->constant) {
    Weight w{bIn->constant.get(),
             bIn->weightQuant ? &*bIn->weightQuant : nullptr};
    // A per-output-channel grid is on the N axis: 0 with transB, 1 without;
    // after the transpose to [K, N] it is always axis 1.
    FailureOr<Value> wv = materializeWeight(
        g, w, transB ? std::vector<int64_t>{1, 0} : std::vector<int64_t>{}, 1);
    if (failed(wv))
      return failure();
    bv = *wv;
  } else {
    bv = g.toLogical(*bIn);
    if (transB)
      bv = g.transpose(bv, {1, 0});
  }
  Value y = matmul2D(g, av, bv, m, k, n);
  if (alpha != 1.0f)
    y = g.mul(y, g.constF32({alpha}, {1, 1}));
  if (ImportedValue *c = g.getOptionalInput(node, 2)) {
    if (c->shape.size() > 2)
      return g.nodeError() << "C must have rank 2 or less";
    Value cv = g.toLayout(*c, false, 2);
    if (beta != 1.0f)
      cv = g.mul(cv, g.constF32({beta}, {1, 1}));
    y = tosa::AddOp::create(b, g.f32Type({m, n}), y, cv);
  }
  g.setOutput(node, 0, y, {m, n}, false);
  return success();
}

LogicalResult convertMatMul(GraphImporter &g, const onnx::NodeProto &node) {
  ImportedValue *a = g.getInput(node, 0);
  ImportedValue *bIn = g.getInput(node, 1);
  if (!a || !bIn)
    return failure();
  size_t ra = a->shape.size(), rb = bIn->shape.size();
  if (ra < 2 || rb < 2)
    return g.nodeError() << "1-D MatMul operands are not supported";
  int64_t m = a->shape[ra - 2], k = a->shape[ra - 1];
  int64_t kb = bIn->shape[rb - 2], n = bIn->shape[rb - 1];
  if (k != kb)
    return g.nodeError() << "inner dimensions differ: " << k << " and " << kb;
  std::vector<int64_t> batchA(a->shape.begin(), a->shape.end() - 2);
  std::vector<int64_t> batchB(bIn->shape.begin(), bIn->shape.end() - 2);
  int64_t prodA = std::accumulate(batchA.begin(), batchA.end(), int64_t(1),
                                  std::multiplies<int64_t>());
  std::vector<int64_t> outShape = batchA;
  outShape.push_back(m);
  outShape.push_back(n);

  auto &b = g.builder();
  Value av = g.toLogical(*a);
  Value bv;
  if (bIn->constant && rb == 2) {
    Weight w{bIn->constant.get(),
             bIn->weightQuant ? &*bIn->weightQuant : nullptr};
    FailureOr<Value> wv = materializeWeight(g, w, {}, 1);
    if (failed(wv))
      return failure();
    bv = *wv;
  } else {
    bv = g.toLogical(*bIn);
  }
  Value y;
  if (rb == 2) {
    // Batch dimensions of A fold into its rows.
    y = g.reshape(
        matmul2D(g, g.reshape(av, {prodA * m, k}), bv, prodA * m, k, n),
        outShape);
  } else if (batchA == batchB) {
    Value zp = g.zeroPoint(b.getF32Type());
    Value r = tosa::MatMulOp::create(b, g.f32Type({prodA, m, n}),
                                     g.reshape(av, {prodA, m, k}),
                                     g.reshape(bv, {prodA, k, n}), zp, zp);
    y = g.reshape(r, outShape);
  } else {
    return g.nodeError() << "broadcasting between different batch shapes is "
                            "not supported";
  }
  g.setOutput(node, 0, y, outShape, false);
  return success();
}

LogicalResult convertBatchNorm(GraphImporter &g, const onnx::NodeProto &node) {
  NodeAttributes attrs(node);
  if (attrs.getInt("training_mode", 0) != 0)
    return g.nodeError() << "training_mode=1 is not supported; export the "
                            "model in eval mode";
  for (int i = 1; i < node.output_size(); ++i)
    if (!node.output(i).empty())
      return g.nodeError() << "the running mean/variance outputs are not "
                              "supported (training only)";
  ImportedValue *x = g.getInput(node, 0);
  if (!x)
    return failure();
  if (x->shape.size() < 2)
    return g.nodeError() << "the input must have rank 2 or more";
  int64_t c = x->shape[1];
  SmallVector<Value> stats;
  for (int i = 1; i <= 4; ++i) {
    ImportedValue *s = g.getInput(node, i);
    if (!s)
      return failure();
    if (s->shape != std::vector<int64_t>{c})
      return g.nodeError() << "input #" << i << " must have shape [" << c
                           << "]";
    stats.push_back(g.toLogical(*s));
  }
  auto &b = g.builder();
  Value in = x->nhwc ? x->value : g.toLogical(*x);
  int64_t axis = x->nhwc ? 3 : 1;
  Value y = qe::BatchNormOp::create(
      b, in.getType(), in, stats[0], stats[1], stats[2], stats[3],
      b.getI64IntegerAttr(axis),
      b.getF64FloatAttr(attrs.getFloat("epsilon", 1e-5f)));
  g.setOutput(node, 0, y, x->shape, x->nhwc);
  return success();
}

} // namespace

void addConvOps(llvm::StringMap<GraphImporter::Converter> &table) {
  table["Conv"] = convertConv;
  table["ConvTranspose"] = convertConvTranspose;
  table["Gemm"] = convertGemm;
  table["MatMul"] = convertMatMul;
  table["BatchNormalization"] = convertBatchNorm;
}

} // namespace quant_eval::onnx_import
