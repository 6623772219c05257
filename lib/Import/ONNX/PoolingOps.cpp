//===- PoolingOps.cpp - MaxPool, AveragePool, global pools, ReduceMean ----===//

#include "GraphImporter.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"

#include <algorithm>

using namespace mlir;

namespace quant_eval::onnx_import {
namespace {

ImportedValue *getImageInput(GraphImporter &g, const onnx::NodeProto &node) {
  ImportedValue *x = g.getInput(node, 0);
  if (!x)
    return nullptr;
  if (x->shape.size() != 4) {
    g.nodeError() << "only 2-D pooling (4-D input) is supported; the input "
                     "has rank "
                  << x->shape.size();
    return nullptr;
  }
  if (node.output_size() > 1 && !node.output(1).empty()) {
    g.nodeError() << "the Indices output is not supported";
    return nullptr;
  }
  return x;
}

template <bool isMax>
LogicalResult convertPool(GraphImporter &g, const onnx::NodeProto &node) {
  NodeAttributes attrs(node);
  ImportedValue *x = getImageInput(g, node);
  if (!x)
    return failure();
  std::vector<int64_t> kernel = attrs.getInts("kernel_shape");
  if (kernel.size() != 2)
    return g.nodeError() << "kernel_shape must have 2 values";
  if (attrs.getInt("storage_order", 0) != 0)
    return g.nodeError() << "storage_order=1 is not supported";
  if (attrs.getInts("dilations", {1, 1}) != std::vector<int64_t>{1, 1})
    return g.nodeError() << "dilated pooling is not supported";
  std::optional<Window2D> win =
      computeWindow(g, attrs, {x->shape[2], x->shape[3]}, kernel, true);
  if (!win)
    return failure();
  auto &b = g.builder();
  Value in = cropInput(g, g.toNHWC(*x), *win);
  std::vector<int64_t> outShape = {x->shape[0], x->shape[1], win->out[0],
                                   win->out[1]};
  auto outType = g.f32Type(GraphImporter::storedShape(outShape, true));
  auto kernelAttr = b.getDenseI64ArrayAttr(kernel);
  auto strideAttr = b.getDenseI64ArrayAttr({win->stride[0], win->stride[1]});
  Value r;
  if (isMax) {
    r = tosa::MaxPool2dOp::create(b, outType, in, kernelAttr, strideAttr,
                                  b.getDenseI64ArrayAttr(win->pad));
  } else {
    std::vector<int64_t> pad(std::begin(win->pad), std::end(win->pad));
    bool anyPad =
        std::any_of(pad.begin(), pad.end(), [](int64_t p) { return p != 0; });
    if (attrs.getInt("count_include_pad", 0) && anyPad) {
      if (attrs.getInt("ceil_mode", 0))
        return g.nodeError() << "count_include_pad=1 with ceil_mode=1 is not "
                                "supported";
      // TOSA's average excludes padding from the divisor; pad with zeros
      // explicitly so they count.
      auto inType = cast<RankedTensorType>(in.getType());
      SmallVector<int64_t> padded(inType.getShape());
      padded[1] += pad[0] + pad[1];
      padded[2] += pad[2] + pad[3];
      in = tosa::PadOp::create(
          b, g.f32Type(padded), in,
          tosa::getTosaConstShape(b,
                                  {0, 0, pad[0], pad[1], pad[2], pad[3], 0, 0}),
          g.constF32({0.0f}, {1}));
      std::fill(pad.begin(), pad.end(), 0);
    }
    Value zp = g.zeroPoint(b.getF32Type());
    r = tosa::AvgPool2dOp::create(b, outType, in, zp, zp, kernelAttr,
                                  strideAttr, b.getDenseI64ArrayAttr(pad),
                                  TypeAttr::get(b.getF32Type()));
  }
  g.setOutput(node, 0, r, outShape, true);
  return success();
}

template <bool isMax>
LogicalResult convertGlobalPool(GraphImporter &g, const onnx::NodeProto &node) {
  ImportedValue *x = getImageInput(g, node);
  if (!x)
    return failure();
  auto &b = g.builder();
  std::vector<int64_t> outShape = {x->shape[0], x->shape[1], 1, 1};
  auto outType = g.f32Type(GraphImporter::storedShape(outShape, true));
  auto kernel = b.getDenseI64ArrayAttr({x->shape[2], x->shape[3]});
  auto stride = b.getDenseI64ArrayAttr({1, 1});
  auto pad = b.getDenseI64ArrayAttr({0, 0, 0, 0});
  Value in = g.toNHWC(*x), r;
  if (isMax) {
    r = tosa::MaxPool2dOp::create(b, outType, in, kernel, stride, pad);
  } else {
    Value zp = g.zeroPoint(b.getF32Type());
    r = tosa::AvgPool2dOp::create(b, outType, in, zp, zp, kernel, stride, pad,
                                  TypeAttr::get(b.getF32Type()));
  }
  g.setOutput(node, 0, r, outShape, true);
  return success();
}

LogicalResult convertReduceMean(GraphImporter &g, const onnx::NodeProto &node) {
  NodeAttributes attrs(node);
  ImportedValue *x = g.getInput(node, 0);
  if (!x)
    return failure();
  int64_t rank = static_cast<int64_t>(x->shape.size());
  std::vector<int64_t> axes = attrs.getInts("axes");
  if (g.getOptionalInput(node, 1)) { // opset 18 moved axes to an input
    const HostTensor *t = g.getConstantInput(node, 1, "axes");
    if (!t)
      return failure();
    axes = t->ints;
  }
  if (axes.empty()) {
    if (attrs.getInt("noop_with_empty_axes", 0)) {
      ImportedValue same = *x;
      g.setOutput(node, 0, same);
      return success();
    }
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  bool keepDims = attrs.getInt("keepdims", 1);
  bool nhwc = x->nhwc && x->value;
  Value v = nhwc ? x->value : g.toLogical(*x);
  std::vector<int64_t> kept = x->shape, dropped;
  int64_t count = 1;
  auto &b = g.builder();
  for (int64_t axis : axes) {
    std::optional<int64_t> a = g.normalizeAxis(axis, rank);
    if (!a)
      return failure();
    count *= x->shape[*a];
    kept[*a] = 1;
    int32_t stored =
        static_cast<int32_t>(nhwc ? GraphImporter::nhwcAxis(*a) : *a);
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape(type.getShape());
    shape[stored] = 1;
    v = tosa::ReduceSumOp::create(b, g.f32Type(shape), v,
                                  b.getI32IntegerAttr(stored));
  }
  auto type = cast<RankedTensorType>(v.getType());
  v = g.mul(v, g.constF32({1.0f / static_cast<float>(count)},
                          std::vector<int64_t>(type.getRank(), 1)));
  if (keepDims) {
    g.setOutput(node, 0, v, kept, nhwc);
    return success();
  }
  for (int64_t d = 0; d < rank; ++d)
    if (std::find_if(axes.begin(), axes.end(), [&](int64_t a) {
          return (a < 0 ? a + rank : a) == d;
        }) == axes.end())
      dropped.push_back(x->shape[d]);
  ImportedValue tmp;
  tmp.value = v;
  tmp.shape = kept;
  tmp.nhwc = nhwc;
  g.setOutput(node, 0, g.reshape(g.toLogical(tmp), dropped), dropped, false);
  return success();
}

} // namespace

void addPoolingOps(llvm::StringMap<GraphImporter::Converter> &table) {
  table["MaxPool"] = convertPool<true>;
  table["AveragePool"] = convertPool<false>;
  table["GlobalAveragePool"] = convertGlobalPool<false>;
  table["GlobalMaxPool"] = convertGlobalPool<true>;
  table["ReduceMean"] = convertReduceMean;
}

} // namespace quant_eval::onnx_import
