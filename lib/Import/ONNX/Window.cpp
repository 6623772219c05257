//===- Window.cpp - Convolution and pooling windows -----------------------===//

#include "GraphImporter.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"

using namespace mlir;

namespace quant_eval::onnx_import {

namespace {
int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
} // namespace

std::optional<Window2D> computeWindow(GraphImporter &g,
                                      const NodeAttributes &attrs,
                                      llvm::ArrayRef<int64_t> inHW,
                                      llvm::ArrayRef<int64_t> kernel,
                                      bool allowCeil) {
  Window2D w;
  std::vector<int64_t> strides = attrs.getInts("strides", {1, 1});
  std::vector<int64_t> dilations = attrs.getInts("dilations", {1, 1});
  std::vector<int64_t> pads = attrs.getInts("pads", {0, 0, 0, 0});
  std::string autoPad = attrs.getString("auto_pad", "NOTSET");
  int64_t ceilMode = attrs.getInt("ceil_mode", 0);
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4) {
    g.nodeError() << "strides, dilations and pads must have 2, 2 and 4 "
                     "values for a 2-D window";
    return std::nullopt;
  }
  if (ceilMode && !allowCeil) {
    g.nodeError() << "ceil_mode is not valid here";
    return std::nullopt;
  }
  for (int i = 0; i < 2; ++i) {
    if (kernel[i] <= 0 || strides[i] <= 0 || dilations[i] <= 0) {
      g.nodeError() << "kernel, strides and dilations must be positive";
      return std::nullopt;
    }
    if (pads[i] < 0 || pads[i + 2] < 0) {
      g.nodeError() << "negative pads are not supported";
      return std::nullopt;
    }
    w.kernel[i] = kernel[i];
    w.stride[i] = strides[i];
    w.dilation[i] = dilations[i];
    int64_t in = inHW[i];
    int64_t extent = dilations[i] * (kernel[i] - 1) + 1;
    int64_t begin = pads[i], end = pads[i + 2];
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t out = ceilDiv(in, strides[i]);
      int64_t total =
          std::max<int64_t>(0, (out - 1) * strides[i] + extent - in);
      begin = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      end = total - begin;
    } else if (autoPad == "VALID") {
      begin = end = 0;
    } else if (autoPad != "NOTSET") {
      g.nodeError() << "auto_pad '" << autoPad << "' is not a valid value";
      return std::nullopt;
    }
    int64_t span = in + begin + end - extent;
    if (span < 0) {
      g.nodeError() << "the window (extent " << extent
                    << ") is larger than the padded input (" << in + begin + end
                    << ")";
      return std::nullopt;
    }
    int64_t out =
        ceilMode ? ceilDiv(span, strides[i]) + 1 : span / strides[i] + 1;
    // ceil_mode: a window may not start inside the end padding.
    if (ceilMode && (out - 1) * strides[i] >= in + begin)
      --out;
    w.out[i] = out;
    // The end padding that exactly fits `out` windows.
    int64_t needEnd = (out - 1) * strides[i] + extent - in - begin;
    if (needEnd >= 0) {
      end = needEnd;
    } else {
      end = 0;
      w.crop[i] = -needEnd;
    }
    w.pad[2 * i] = begin;
    w.pad[2 * i + 1] = end;
  }
  return w;
}

Value cropInput(GraphImporter &g, Value nhwc, const Window2D &w) {
  if (w.crop[0] == 0 && w.crop[1] == 0)
    return nhwc;
  auto type = cast<RankedTensorType>(nhwc.getType());
  SmallVector<int64_t> size(type.getShape());
  size[1] -= w.crop[0];
  size[2] -= w.crop[1];
  auto &b = g.builder();
  return tosa::SliceOp::create(
      b, RankedTensorType::get(size, type.getElementType()), nhwc,
      tosa::getTosaConstShape(b, {0, 0, 0, 0}),
      tosa::getTosaConstShape(b, size));
}

} // namespace quant_eval::onnx_import
