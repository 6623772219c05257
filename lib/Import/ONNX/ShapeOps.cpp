//===- ShapeOps.cpp - Data movement, shape arithmetic and constants -------===//
//
// Exporters emit shape arithmetic (Shape, Gather, Cast, Concat, ...) even
// for static models. With static shapes it is all known at import time, so
// these converters evaluate it on the host whenever their inputs are
// constants, and only emit TOSA for run-time data.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace mlir;

namespace quant_eval::onnx_import {
namespace {

/// The product of dimensions already known to describe real data (a
/// constant's, or checked by elementCount).
int64_t product(llvm::ArrayRef<int64_t> s) {
  return std::accumulate(s.begin(), s.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

/// The element count of a shape, or nothing when it does not fit 64 bits
/// (onnx-import-fuzzer found a Reshape target whose product overflowed).
std::optional<int64_t> elementCount(llvm::ArrayRef<int64_t> s) {
  int64_t n = 1;
  for (int64_t d : s)
    if (d < 0 || llvm::MulOverflow(n, d, n))
      return std::nullopt;
  return n;
}

/// The same data viewed with another shape.
HostTensor withShape(const HostTensor &t, std::vector<int64_t> shape) {
  HostTensor r = t;
  r.shape = std::move(shape);
  return r;
}

/// Binds a reshaped view of `x` (constant or run-time) as the output.
LogicalResult setReshaped(GraphImporter &g, const onnx::NodeProto &node,
                          ImportedValue &x, std::vector<int64_t> shape) {
  std::optional<int64_t> from = elementCount(x.shape), to = elementCount(shape);
  if (!from || !to)
    return g.nodeError() << "a shape has more elements than 64 bits count";
  if (*from != *to)
    return g.nodeError() << "cannot reshape " << *from << " elements to "
                         << *to;
  if (x.constant && !x.value) {
    g.setConstantOutput(node, 0, withShape(*x.constant, shape));
    return success();
  }
  Value v = g.reshape(g.toLogical(x), shape);
  g.setOutput(node, 0, v, std::move(shape), false);
  return success();
}

LogicalResult convertIdentity(GraphImporter &g, const onnx::NodeProto &node) {
  ImportedValue *x = g.getInput(node, 0);
  if (!x)
    return failure();
  ImportedValue copy = *x;
  g.setOutput(node, 0, copy);
  return success();
}

LogicalResult convertDropout(GraphImporter &g, const onnx::NodeProto &node) {
  if (node.output_size() > 1 && !node.output(1).empty())
    return g.nodeError() << "the mask output is not supported (inference "
                            "only)";
  // Opset 12+: training_mode (input 2) must be absent or false.
  if (g.getOptionalInput(node, 2)) {
    const HostTensor *mode = g.getConstantInput(node, 2, "training_mode");
    if (!mode)
      return failure();
    if (mode->numElements() == 1 && mode->at(0) != 0)
      return g.nodeError() << "training_mode=true is not supported "
                              "(inference only)";
  }
  return convertIdentity(g, node);
}

LogicalResult convertFlatten(GraphImporter &g, const onnx::NodeProto &node) {
  ImportedValue *x = g.getInput(node, 0);
  if (!x)
    return failure();
  int64_t rank = static_cast<int64_t>(x->shape.size());
  int64_t axis = NodeAttributes(node).getInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return g.nodeError() << "axis " << axis << " is out of range";
  llvm::ArrayRef<int64_t> s(x->shape);
  std::optional<int64_t> rows = elementCount(s.take_front(axis)),
                         columns = elementCount(s.drop_front(axis));
  if (!rows || !columns)
    return g.nodeError() << "the input has more elements than 64 bits count";
  return setReshaped(g, node, *x, {*rows, *columns});
}

LogicalResult convertReshape(GraphImporter &g, const onnx::NodeProto &node) {
  ImportedValue *x = g.getInput(node, 0);
  const HostTensor *target = g.getConstantInput(node, 1, "the target shape");
  if (!x || !target)
    return failure();
  bool allowZero = NodeAttributes(node).getInt("allowzero", 0);
  std::vector<int64_t> shape = target->ints;
  int64_t inferred = -1, known = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0 && !allowZero) {
      if (d >= x->shape.size())
        return g.nodeError() << "a 0 in the target shape has no matching "
                                "input dimension";
      shape[d] = x->shape[d];
    }
    if (shape[d] == -1) {
      if (inferred >= 0)
        return g.nodeError() << "the target shape has more than one -1";
      inferred = static_cast<int64_t>(d);
      continue;
    }
    if (shape[d] < 0)
      return g.nodeError() << "invalid target dimension " << shape[d];
    if (llvm::MulOverflow(known, shape[d], known))
      return g.nodeError() << "the target shape has more elements than 64 "
                              "bits count";
  }
  if (inferred >= 0) {
    std::optional<int64_t> elements = elementCount(x->shape);
    if (!elements || known == 0 || *elements % known != 0)
      return g.nodeError() << "cannot infer the -1 dimension";
    shape[inferred] = *elements / known;
  }
  return setReshaped(g, node, *x, shape);
}

std::vector<int64_t> getAxesInputOrAttr(GraphImporter &g,
                                        const onnx::NodeProto &node, bool &ok) {
  ok = true;
  if (g.getOptionalInput(node, 1)) {
    const HostTensor *t = g.getConstantInput(node, 1, "axes");
    ok = t != nullptr;
    return t ? t->ints : std::vector<int64_t>{};
  }
  return NodeAttributes(node).getInts("axes");
}

LogicalResult convertSqueeze(GraphImporter &g, const onnx::NodeProto &node) {
  ImportedValue *x = g.getInput(node, 0);
  bool ok;
  std::vector<int64_t> axes = getAxesInputOrAttr(g, node, ok);
  if (!x || !ok)
    return failure();
  int64_t rank = static_cast<int64_t>(x->shape.size());
  std::vector<bool> drop(rank, false);
  if (axes.empty()) {
    for (int64_t d = 0; d < rank; ++d)
      drop[d] = x->shape[d] == 1;
  }
  for (int64_t a : axes) {
    std::optional<int64_t> axis = g.normalizeAxis(a, rank);
    if (!axis)
      return failure();
    if (x->shape[*axis] != 1)
      return g.nodeError() << "cannot squeeze axis " << a << " of size "
                           << x->shape[*axis];
    drop[*axis] = true;
  }
  std::vector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d)
    if (!drop[d])
      shape.push_back(x->shape[d]);
  return setReshaped(g, node, *x, shape);
}

LogicalResult convertUnsqueeze(GraphImporter &g, const onnx::NodeProto &node) {
  ImportedValue *x = g.getInput(node, 0);
  bool ok;
  std::vector<int64_t> axes = getAxesInputOrAttr(g, node, ok);
  if (!x || !ok)
    return failure();
  int64_t outRank = static_cast<int64_t>(x->shape.size() + axes.size());
  std::vector<bool> isNew(outRank, false);
  for (int64_t a : axes) {
    std::optional<int64_t> axis = g.normalizeAxis(a, outRank);
    if (!axis)
      return failure();
    isNew[*axis] = true;
  }
  std::vector<int64_t> shape;
  size_t src = 0;
  for (int64_t d = 0; d < outRank; ++d)
    shape.push_back(isNew[d] ? 1 : x->shape[src++]);
  return setReshaped(g, node, *x, shape);
}

LogicalResult convertTranspose(GraphImporter &g, const onnx::NodeProto &node) {
  ImportedValue *x = g.getInput(node, 0);
  if (!x)
    return failure();
  int64_t rank = static_cast<int64_t>(x->shape.size());
  std::vector<int64_t> perm = NodeAttributes(node).getInts("perm");
  if (perm.empty())
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t d = 0; d < rank; ++d)
    if (static_cast<int64_t>(sorted.size()) != rank || sorted[d] != d)
      return g.nodeError() << "perm is not a permutation of " << rank
                           << " dimensions";
  std::vector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(x->shape[p]);
  if (x->constant && !x->value) {
    HostTensor t = *x->constant;
    std::vector<int64_t> src = transposeSourceIndices(t.shape, perm);
    HostTensor r = withShape(t, shape);
    for (size_t i = 0; i < src.size(); ++i) {
      if (t.isFloat())
        r.floats[i] = t.floats[src[i]];
      else
        r.ints[i] = t.ints[src[i]];
    }
    g.setConstantOutput(node, 0, std::move(r));
    return success();
  }
  // On an NHWC value, compose with the layout permutation: one transpose.
  std::vector<int32_t> stored;
  if (x->nhwc) {
    static const int32_t nchwToStored[4] = {0, 3, 1, 2};
    for (int64_t p : perm)
      stored.push_back(nchwToStored[p]);
  } else {
    stored.assign(perm.begin(), perm.end());
  }
  g.setOutput(node, 0, g.transpose(x->value, stored), shape, false);
  return success();
}

LogicalResult convertConcat(GraphImporter &g, const onnx::NodeProto &node) {
  std::vector<ImportedValue *> inputs;
  for (int i = 0; i < node.input_size(); ++i) {
    ImportedValue *v = g.getInput(node, i);
    if (!v)
      return failure();
    inputs.push_back(v);
  }
  if (inputs.empty())
    return g.nodeError() << "needs at least one input";
  int64_t rank = static_cast<int64_t>(inputs[0]->shape.size());
  std::optional<int64_t> axis =
      g.normalizeAxis(NodeAttributes(node).getInt("axis", 0), rank);
  if (!axis)
    return failure();
  std::vector<int64_t> shape = inputs[0]->shape;
  shape[*axis] = 0;
  bool allConstant = true, anyNHWC = false;
  for (ImportedValue *v : inputs) {
    if (static_cast<int64_t>(v->shape.size()) != rank)
      return g.nodeError() << "inputs have different ranks";
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis && v->shape[d] != inputs[0]->shape[d])
        return g.nodeError() << "inputs differ in dimension " << d;
    shape[*axis] += v->shape[*axis];
    allConstant &= v->constant && !v->value;
    anyNHWC |= v->nhwc;
  }
  if (allConstant) {
    // Interleave the inputs block by block along the axis.
    llvm::ArrayRef<int64_t> s(shape);
    int64_t outer = product(s.take_front(*axis));
    HostTensor r;
    r.onnxType = inputs[0]->constant->onnxType;
    r.shape = shape;
    for (int64_t o = 0; o < outer; ++o)
      for (ImportedValue *v : inputs) {
        const HostTensor &t = *v->constant;
        int64_t block =
            product(llvm::ArrayRef<int64_t>(t.shape).drop_front(*axis));
        for (int64_t i = o * block; i < (o + 1) * block; ++i) {
          if (r.isFloat())
            r.floats.push_back(static_cast<float>(t.at(i)));
          else
            r.ints.push_back(static_cast<int64_t>(t.at(i)));
        }
      }
    g.setConstantOutput(node, 0, std::move(r));
    return success();
  }
  bool nhwc = rank == 4 && anyNHWC;
  SmallVector<Value> values;
  for (ImportedValue *v : inputs)
    values.push_back(nhwc ? g.toNHWC(*v) : g.toLogical(*v));
  int64_t stored = nhwc ? GraphImporter::nhwcAxis(*axis) : *axis;
  auto &b = g.builder();
  Value r = tosa::ConcatOp::create(
      b, g.f32Type(GraphImporter::storedShape(shape, nhwc)), values,
      b.getI32IntegerAttr(static_cast<int32_t>(stored)));
  g.setOutput(node, 0, r, shape, nhwc);
  return success();
}

/// Slices a run-time value in its stored layout. `start` and `size` are
/// logical.
Value sliceValue(GraphImporter &g, ImportedValue &x, std::vector<int64_t> start,
                 std::vector<int64_t> size) {
  auto &b = g.builder();
  Value in = x.value;
  if (x.nhwc) {
    start = GraphImporter::storedShape(start, true);
    size = GraphImporter::storedShape(size, true);
  } else {
    in = g.toLogical(x);
  }
  return tosa::SliceOp::create(b, g.f32Type(size), in,
                               tosa::getTosaConstShape(b, start),
                               tosa::getTosaConstShape(b, size));
}

LogicalResult convertSplit(GraphImporter &g, const onnx::NodeProto &node) {
  NodeAttributes attrs(node);
  ImportedValue *x = g.getInput(node, 0);
  if (!x)
    return failure();
  int64_t rank = static_cast<int64_t>(x->shape.size());
  std::optional<int64_t> axis = g.normalizeAxis(attrs.getInt("axis", 0), rank);
  if (!axis)
    return failure();
  std::vector<int64_t> sizes = attrs.getInts("split");
  if (g.getOptionalInput(node, 1)) {
    const HostTensor *t = g.getConstantInput(node, 1, "split");
    if (!t)
      return failure();
    sizes = t->ints;
  }
  int64_t dim = x->shape[*axis];
  int64_t parts = node.output_size();
  if (sizes.empty()) {
    int64_t chunk = (dim + parts - 1) / parts;
    for (int64_t i = 0; i < parts; ++i)
      sizes.push_back(std::min(chunk, dim - i * chunk));
  }
  if (static_cast<int64_t>(sizes.size()) != parts ||
      std::accumulate(sizes.begin(), sizes.end(), int64_t(0)) != dim)
    return g.nodeError() << "split sizes do not add up to dimension " << dim;
  if (x->constant && !x->value)
    return g.nodeError() << "splitting a constant is not supported";
  int64_t offset = 0;
  for (int64_t i = 0; i < parts; ++i) {
    std::vector<int64_t> start(rank, 0), size = x->shape;
    start[*axis] = offset;
    size[*axis] = sizes[i];
    offset += sizes[i];
    g.setOutput(node, static_cast<int>(i), sliceValue(g, *x, start, size), size,
                x->nhwc);
  }
  return success();
}

LogicalResult convertSlice(GraphImporter &g, const onnx::NodeProto &node) {
  ImportedValue *x = g.getInput(node, 0);
  if (!x)
    return failure();
  if (g.getOpsetVersion() < 10)
    return g.nodeError() << "Slice with attributes (opset < 10) is not "
                            "supported";
  const HostTensor *starts = g.getConstantInput(node, 1, "starts");
  const HostTensor *ends = g.getConstantInput(node, 2, "ends");
  if (!starts || !ends)
    return failure();
  int64_t rank = static_cast<int64_t>(x->shape.size());
  std::vector<int64_t> axes, steps;
  if (g.getOptionalInput(node, 3)) {
    const HostTensor *t = g.getConstantInput(node, 3, "axes");
    if (!t)
      return failure();
    axes = t->ints;
  } else {
    axes.resize(starts->ints.size());
    std::iota(axes.begin(), axes.end(), 0);
  }
  if (g.getOptionalInput(node, 4)) {
    const HostTensor *t = g.getConstantInput(node, 4, "steps");
    if (!t)
      return failure();
    steps = t->ints;
  } else {
    steps.assign(axes.size(), 1);
  }
  if (starts->ints.size() != axes.size() || ends->ints.size() != axes.size() ||
      steps.size() != axes.size())
    return g.nodeError() << "starts, ends, axes and steps differ in length";

  std::vector<int64_t> begin(rank, 0), step(rank, 1), size = x->shape;
  for (size_t i = 0; i < axes.size(); ++i) {
    std::optional<int64_t> a = g.normalizeAxis(axes[i], rank);
    if (!a)
      return failure();
    int64_t dim = x->shape[*a], s = starts->ints[i], e = ends->ints[i];
    int64_t st = steps[i];
    if (st == 0)
      return g.nodeError() << "a step of 0 is invalid";
    if (s < 0)
      s += dim;
    if (e < 0)
      e += dim;
    if (st > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      size[*a] = std::max<int64_t>(0, (e - s + st - 1) / st);
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      size[*a] = std::max<int64_t>(0, (s - e - st - 1) / -st);
    }
    begin[*a] = s;
    step[*a] = st;
  }
  if (x->constant && !x->value) {
    // General strided slice on the host.
    const HostTensor &t = *x->constant;
    HostTensor r;
    r.onnxType = t.onnxType;
    r.shape = size;
    std::vector<int64_t> strides(rank, 1), idx(rank, 0);
    for (int64_t d = rank - 2; d >= 0; --d)
      strides[d] = strides[d + 1] * t.shape[d + 1];
    int64_t n = product(size);
    for (int64_t i = 0; i < n; ++i) {
      int64_t off = 0;
      for (int64_t d = 0; d < rank; ++d)
        off += (begin[d] + idx[d] * step[d]) * strides[d];
      if (t.isFloat())
        r.floats.push_back(t.floats[off]);
      else
        r.ints.push_back(t.ints[off]);
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++idx[d] < size[d])
          break;
        idx[d] = 0;
      }
    }
    g.setConstantOutput(node, 0, std::move(r));
    return success();
  }
  for (int64_t st : step)
    if (st != 1)
      return g.nodeError() << "a step of " << st
                           << " is not supported on run-time data";
  for (int64_t d = 0; d < rank; ++d)
    if (size[d] == 0)
      return g.nodeError() << "the slice of dimension " << d
                           << " is empty; empty tensors are not supported";
  g.setOutput(node, 0, sliceValue(g, *x, begin, size), size, x->nhwc);
  return success();
}

LogicalResult convertPad(GraphImporter &g, const onnx::NodeProto &node) {
  std::string mode = NodeAttributes(node).getString("mode", "constant");
  if (mode != "constant")
    return g.nodeError() << "mode '" << mode
                         << "' is not supported; only 'constant'";
  ImportedValue *x = g.getInput(node, 0);
  const HostTensor *pads = g.getConstantInput(node, 1, "pads");
  if (!x || !pads)
    return failure();
  if (g.getOptionalInput(node, 3))
    return g.nodeError() << "the axes input is not supported";
  float value = 0.0f;
  if (g.getOptionalInput(node, 2)) {
    const HostTensor *c = g.getConstantInput(node, 2, "constant_value");
    if (!c)
      return failure();
    value = static_cast<float>(c->at(0));
  }
  int64_t rank = static_cast<int64_t>(x->shape.size());
  if (static_cast<int64_t>(pads->ints.size()) != 2 * rank)
    return g.nodeError() << "pads must have " << 2 * rank << " values";
  std::vector<int64_t> shape = x->shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (pads->ints[d] < 0 || pads->ints[d + rank] < 0)
      return g.nodeError() << "negative pads are not supported";
    shape[d] += pads->ints[d] + pads->ints[d + rank];
  }
  bool nhwc = x->nhwc && x->value;
  Value in = nhwc ? x->value : g.toLogical(*x);
  // TOSA wants [lo0, hi0, lo1, hi1, ...] in stored order.
  std::vector<int64_t> padding;
  for (int64_t s = 0; s < rank; ++s) {
    int64_t d = s;
    if (nhwc) {
      static const int64_t storedToNCHW[4] = {0, 2, 3, 1};
      d = storedToNCHW[s];
    }
    padding.push_back(pads->ints[d]);
    padding.push_back(pads->ints[d + rank]);
  }
  auto &b = g.builder();
  Value r = tosa::PadOp::create(
      b, g.f32Type(GraphImporter::storedShape(shape, nhwc)), in,
      tosa::getTosaConstShape(b, padding), g.constF32({value}, {1}));
  g.setOutput(node, 0, r, shape, nhwc);
  return success();
}

LogicalResult convertResize(GraphImporter &g, const onnx::NodeProto &node) {
  NodeAttributes attrs(node);
  ImportedValue *x = g.getInput(node, 0);
  if (!x)
    return failure();
  if (x->shape.size() != 4)
    return g.nodeError() << "only 4-D inputs are supported";
  std::string mode = attrs.getString("mode", "nearest");
  std::string coord =
      attrs.getString("coordinate_transformation_mode", "half_pixel");
  std::string nearestMode =
      attrs.getString("nearest_mode", "round_prefer_floor");
  std::vector<int64_t> outShape = x->shape;
  if (ImportedValue *sizes = g.getOptionalInput(node, 3)) {
    if (!sizes->constant)
      return g.nodeError() << "sizes must be a constant";
    outShape = sizes->constant->ints;
  } else if (g.getOptionalInput(node, 2)) {
    const HostTensor *scales = g.getConstantInput(node, 2, "scales");
    if (!scales)
      return failure();
    if (scales->numElements() != 4)
      return g.nodeError() << "scales must have 4 values";
    for (int d = 0; d < 4; ++d)
      outShape[d] =
          static_cast<int64_t>(std::floor(x->shape[d] * scales->floats[d]));
  } else {
    return g.nodeError() << "needs scales or sizes";
  }
  if (outShape.size() != 4 || outShape[0] != x->shape[0] ||
      outShape[1] != x->shape[1])
    return g.nodeError() << "only spatial resizing is supported";
  if (outShape[2] < x->shape[2] || outShape[3] < x->shape[3])
    return g.nodeError() << "downsampling is not supported; only upsampling";

  // TOSA maps output y to input (y * d + offset) / n; choose n, d and the
  // offset that reproduce ONNX's coordinate transformation.
  int64_t n[2], d[2], offset[2], border[2];
  for (int i = 0; i < 2; ++i) {
    int64_t in = x->shape[2 + i], out = outShape[2 + i];
    if (coord == "align_corners") {
      if (mode != "linear")
        return g.nodeError() << "align_corners is supported for linear mode "
                                "only";
      n[i] = std::max<int64_t>(out - 1, 1);
      d[i] = std::max<int64_t>(in - 1, 1);
      offset[i] = 0;
    } else {
      if (out % in != 0)
        return g.nodeError() << "only integer upsampling factors are "
                                "supported ("
                             << in << " -> " << out << ")";
      int64_t f = out / in;
      n[i] = 2 * f;
      d[i] = 2;
      bool halfPixel = coord == "half_pixel" || coord == "pytorch_half_pixel";
      // With an integer factor, (y + 0.5) / f - 0.5 never lands on a half,
      // so both round_prefer modes are TOSA's rounding; floor and ceil are
      // not.
      bool roundNearest = nearestMode == "round_prefer_floor" ||
                          nearestMode == "round_prefer_ceil";
      if (mode == "nearest" && coord == "asymmetric" && nearestMode == "floor")
        offset[i] = -f; // floor(y / f)
      else if (halfPixel &&
               (mode == "linear" || (mode == "nearest" && roundNearest)))
        offset[i] = 1 - f; // (y + 0.5) / f - 0.5
      else
        return g.nodeError()
               << "mode '" << mode << "' with coordinate_transformation_mode '"
               << coord << "' and nearest_mode '" << nearestMode
               << "' is not supported";
    }
    border[i] = (out - 1) * d[i] - (in - 1) * n[i] + offset[i];
  }
  if (mode != "nearest" && mode != "linear")
    return g.nodeError() << "mode '" << mode << "' is not supported";
  auto &b = g.builder();
  Value r = tosa::ResizeOp::create(
      b, g.f32Type(GraphImporter::storedShape(outShape, true)), g.toNHWC(*x),
      tosa::getTosaConstShape(b, {n[0], d[0], n[1], d[1]}),
      tosa::getTosaConstShape(b, {offset[0], offset[1]}),
      tosa::getTosaConstShape(b, {border[0], border[1]}),
      tosa::ResizeModeAttr::get(
          b.getContext(), mode == "nearest" ? tosa::ResizeMode::NEAREST_NEIGHBOR
                                            : tosa::ResizeMode::BILINEAR));
  g.setOutput(node, 0, r, outShape, true);
  return success();
}

LogicalResult convertConstant(GraphImporter &g, const onnx::NodeProto &node) {
  NodeAttributes attrs(node);
  HostTensor t;
  if (const onnx::AttributeProto *a = attrs.get("value")) {
    std::string error;
    std::optional<HostTensor> r = readTensorProto(a->t(), error);
    if (!r)
      return g.nodeError() << "the value " << error;
    t = std::move(*r);
  } else if (const onnx::AttributeProto *a = attrs.get("value_float")) {
    t.floats = {a->f()};
  } else if (const onnx::AttributeProto *a = attrs.get("value_floats")) {
    t.floats.assign(a->floats().begin(), a->floats().end());
    t.shape = {static_cast<int64_t>(t.floats.size())};
  } else if (const onnx::AttributeProto *a = attrs.get("value_int")) {
    t.onnxType = onnx::TensorProto::INT64;
    t.ints = {a->i()};
  } else if (const onnx::AttributeProto *a = attrs.get("value_ints")) {
    t.onnxType = onnx::TensorProto::INT64;
    t.ints.assign(a->ints().begin(), a->ints().end());
    t.shape = {static_cast<int64_t>(t.ints.size())};
  } else {
    return g.nodeError() << "only value, value_float(s) and value_int(s) "
                            "constants are supported";
  }
  g.setConstantOutput(node, 0, std::move(t));
  return success();
}

LogicalResult convertConstantOfShape(GraphImporter &g,
                                     const onnx::NodeProto &node) {
  const HostTensor *shape = g.getConstantInput(node, 0, "the shape");
  if (!shape)
    return failure();
  HostTensor fill;
  fill.floats = {0.0f};
  if (const onnx::AttributeProto *a = NodeAttributes(node).get("value")) {
    std::string error;
    std::optional<HostTensor> r = readTensorProto(a->t(), error);
    if (!r || r->numElements() != 1)
      return g.nodeError() << "value must be a one-element tensor";
    fill = std::move(*r);
  }
  HostTensor t;
  t.onnxType = fill.onnxType;
  t.shape = shape->ints;
  int64_t n = product(t.shape);
  if (t.isFloat())
    t.floats.assign(n, fill.floats[0]);
  else
    t.ints.assign(n, fill.ints[0]);
  g.setConstantOutput(node, 0, std::move(t));
  return success();
}

LogicalResult convertShape(GraphImporter &g, const onnx::NodeProto &node) {
  ImportedValue *x = g.getInput(node, 0);
  if (!x)
    return failure();
  NodeAttributes attrs(node);
  int64_t rank = static_cast<int64_t>(x->shape.size());
  int64_t start = attrs.getInt("start", 0), end = attrs.getInt("end", rank);
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  HostTensor t;
  t.onnxType = onnx::TensorProto::INT64;
  t.ints.assign(x->shape.begin() + start, x->shape.begin() + end);
  t.shape = {end - start};
  g.setConstantOutput(node, 0, std::move(t));
  return success();
}

LogicalResult convertGather(GraphImporter &g, const onnx::NodeProto &node) {
  ImportedValue *data = g.getInput(node, 0);
  const HostTensor *indices = g.getConstantInput(node, 1, "indices");
  if (!data || !indices)
    return failure();
  int64_t rank = static_cast<int64_t>(data->shape.size());
  std::optional<int64_t> axis =
      g.normalizeAxis(NodeAttributes(node).getInt("axis", 0), rank);
  if (!axis)
    return failure();
  int64_t dim = data->shape[*axis];
  std::vector<int64_t> idx = indices->ints;
  for (int64_t &i : idx) {
    if (i < 0)
      i += dim;
    if (i < 0 || i >= dim)
      return g.nodeError() << "index " << i << " is out of range for "
                           << "dimension " << dim;
  }
  std::vector<int64_t> shape(data->shape.begin(), data->shape.begin() + *axis);
  shape.insert(shape.end(), indices->shape.begin(), indices->shape.end());
  shape.insert(shape.end(), data->shape.begin() + *axis + 1, data->shape.end());
  llvm::ArrayRef<int64_t> ds(data->shape);
  int64_t outer = product(ds.take_front(*axis));
  int64_t inner = product(ds.drop_front(*axis + 1));
  if (data->constant && !data->value) {
    const HostTensor &t = *data->constant;
    HostTensor r;
    r.onnxType = t.onnxType;
    r.shape = shape;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i : idx)
        for (int64_t k = 0; k < inner; ++k) {
          int64_t off = (o * dim + i) * inner + k;
          if (t.isFloat())
            r.floats.push_back(t.floats[off]);
          else
            r.ints.push_back(t.ints[off]);
        }
    g.setConstantOutput(node, 0, std::move(r));
    return success();
  }
  // Run-time data: one slice per index, then concat and reshape.
  SmallVector<Value> parts;
  for (int64_t i : idx) {
    std::vector<int64_t> start(rank, 0), size = data->shape;
    start[*axis] = i;
    size[*axis] = 1;
    ImportedValue logical = *data;
    Value s = sliceValue(g, logical, start, size);
    if (data->nhwc) {
      ImportedValue tmp;
      tmp.value = s;
      tmp.shape = size;
      tmp.nhwc = true;
      s = g.toLogical(tmp);
    }
    parts.push_back(s);
  }
  Value r = parts.front();
  if (parts.size() > 1) {
    std::vector<int64_t> catShape = data->shape;
    catShape[*axis] = static_cast<int64_t>(idx.size());
    r = tosa::ConcatOp::create(
        g.builder(), g.f32Type(catShape), parts,
        g.builder().getI32IntegerAttr(static_cast<int32_t>(*axis)));
  }
  g.setOutput(node, 0, g.reshape(r, shape), shape, false);
  return success();
}

LogicalResult convertCast(GraphImporter &g, const onnx::NodeProto &node) {
  ImportedValue *x = g.getInput(node, 0);
  if (!x)
    return failure();
  int64_t to = NodeAttributes(node).getInt("to", 0);
  HostTensor target;
  target.onnxType = static_cast<int32_t>(to);
  bool toFloat = target.isFloat();
  if (x->constant && !x->value) {
    const HostTensor &t = *x->constant;
    HostTensor r;
    r.onnxType = static_cast<int32_t>(to);
    r.shape = t.shape;
    for (int64_t i = 0; i < t.numElements(); ++i) {
      if (toFloat)
        r.floats.push_back(static_cast<float>(t.at(i)));
      else
        r.ints.push_back(static_cast<int64_t>(std::trunc(t.at(i))));
    }
    g.setConstantOutput(node, 0, std::move(r));
    return success();
  }
  if (to != onnx::TensorProto::FLOAT)
    return g.nodeError() << "casting run-time data to "
                         << onnx::TensorProto::DataType_Name(
                                static_cast<onnx::TensorProto::DataType>(to))
                         << " is not supported";
  return convertIdentity(g, node);
}

} // namespace

void addShapeOps(llvm::StringMap<GraphImporter::Converter> &table) {
  table["Identity"] = convertIdentity;
  table["Dropout"] = convertDropout;
  table["Flatten"] = convertFlatten;
  table["Reshape"] = convertReshape;
  table["Squeeze"] = convertSqueeze;
  table["Unsqueeze"] = convertUnsqueeze;
  table["Transpose"] = convertTranspose;
  table["Concat"] = convertConcat;
  table["Split"] = convertSplit;
  table["Slice"] = convertSlice;
  table["Pad"] = convertPad;
  table["Resize"] = convertResize;
  table["Constant"] = convertConstant;
  table["ConstantOfShape"] = convertConstantOfShape;
  table["Shape"] = convertShape;
  table["Gather"] = convertGather;
  table["Cast"] = convertCast;
}

} // namespace quant_eval::onnx_import
