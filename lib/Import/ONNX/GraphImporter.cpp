//===- GraphImporter.cpp - ONNX graph to TOSA + qe ------------------------===//

#include "GraphImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/MathExtras.h"

#include <map>
#include <numeric>

using namespace mlir;

namespace quant_eval::onnx_import {

//===----------------------------------------------------------------------===//
// HostTensor and TensorProto
//===----------------------------------------------------------------------===//

bool HostTensor::isFloat() const {
  return onnxType == onnx::TensorProto::FLOAT ||
         onnxType == onnx::TensorProto::FLOAT16 ||
         onnxType == onnx::TensorProto::DOUBLE ||
         onnxType == onnx::TensorProto::BFLOAT16;
}

int64_t HostTensor::numElements() const {
  return std::accumulate(shape.begin(), shape.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

namespace {
// Size in bytes of one element in raw_data, 0 for unsupported types.
size_t rawElementSize(int32_t type) {
  switch (type) {
  case onnx::TensorProto::FLOAT:
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
    return 4;
  case onnx::TensorProto::DOUBLE:
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
    return 8;
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
    return 2;
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::BOOL:
    return 1;
  default:
    return 0;
  }
}

float halfToFloat(uint16_t bits, bool bfloat) {
  llvm::APFloat f(bfloat ? llvm::APFloat::BFloat() : llvm::APFloat::IEEEhalf(),
                  llvm::APInt(16, bits));
  return f.convertToFloat();
}
} // namespace

std::optional<HostTensor> readTensorProto(const onnx::TensorProto &proto,
                                          std::string &error) {
  HostTensor t;
  t.onnxType = proto.data_type();
  t.shape.assign(proto.dims().begin(), proto.dims().end());
  for (int64_t d : t.shape)
    if (d < 0) {
      error = "has a negative dimension";
      return std::nullopt;
    }
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    error = "stores its data externally, which is not supported; save the "
            "model with its data inside the .onnx file";
    return std::nullopt;
  }
  size_t elemSize = rawElementSize(t.onnxType);
  if (elemSize == 0) {
    error = "has unsupported element type " +
            onnx::TensorProto::DataType_Name(
                static_cast<onnx::TensorProto::DataType>(t.onnxType));
    return std::nullopt;
  }
  const int64_t n = t.numElements();
  const bool isFloat = t.isFloat();
  auto push = [&](double v) {
    if (isFloat)
      t.floats.push_back(static_cast<float>(v));
    else
      t.ints.push_back(static_cast<int64_t>(v));
  };
  if (isFloat)
    t.floats.reserve(n);
  else
    t.ints.reserve(n);

  if (proto.has_raw_data()) {
    const std::string &raw = proto.raw_data();
    if (raw.size() != static_cast<size_t>(n) * elemSize) {
      error = "has " + std::to_string(raw.size()) + " bytes of data but its " +
              "shape needs " + std::to_string(n * elemSize);
      return std::nullopt;
    }
    const char *p = raw.data();
    using namespace llvm::support;
    for (int64_t i = 0; i < n; ++i, p += elemSize) {
      switch (t.onnxType) {
      case onnx::TensorProto::FLOAT:
        t.floats.push_back(llvm::bit_cast<float>(
            endian::read32le(reinterpret_cast<const uint8_t *>(p))));
        break;
      case onnx::TensorProto::DOUBLE:
        push(llvm::bit_cast<double>(
            endian::read64le(reinterpret_cast<const uint8_t *>(p))));
        break;
      case onnx::TensorProto::FLOAT16:
      case onnx::TensorProto::BFLOAT16:
        t.floats.push_back(
            halfToFloat(endian::read16le(reinterpret_cast<const uint8_t *>(p)),
                        t.onnxType == onnx::TensorProto::BFLOAT16));
        break;
      case onnx::TensorProto::INT64:
      case onnx::TensorProto::UINT64:
        t.ints.push_back(static_cast<int64_t>(
            endian::read64le(reinterpret_cast<const uint8_t *>(p))));
        break;
      case onnx::TensorProto::INT32:
        t.ints.push_back(static_cast<int32_t>(
            endian::read32le(reinterpret_cast<const uint8_t *>(p))));
        break;
      case onnx::TensorProto::UINT32:
        t.ints.push_back(static_cast<uint32_t>(
            endian::read32le(reinterpret_cast<const uint8_t *>(p))));
        break;
      case onnx::TensorProto::INT16:
        t.ints.push_back(static_cast<int16_t>(
            endian::read16le(reinterpret_cast<const uint8_t *>(p))));
        break;
      case onnx::TensorProto::UINT16:
        t.ints.push_back(static_cast<uint16_t>(
            endian::read16le(reinterpret_cast<const uint8_t *>(p))));
        break;
      case onnx::TensorProto::INT8:
        t.ints.push_back(static_cast<int8_t>(*p));
        break;
      case onnx::TensorProto::UINT8:
      case onnx::TensorProto::BOOL:
        t.ints.push_back(static_cast<uint8_t>(*p));
        break;
      }
    }
    return t;
  }

  // Typed fields: ONNX stores small integer types and float16 bits in
  // int32_data.
  int64_t count = 0;
  switch (t.onnxType) {
  case onnx::TensorProto::FLOAT:
    count = proto.float_data_size();
    for (float v : proto.float_data())
      t.floats.push_back(v);
    break;
  case onnx::TensorProto::DOUBLE:
    count = proto.double_data_size();
    for (double v : proto.double_data())
      push(v);
    break;
  case onnx::TensorProto::INT64:
    count = proto.int64_data_size();
    for (int64_t v : proto.int64_data())
      t.ints.push_back(v);
    break;
  case onnx::TensorProto::UINT32:
  case onnx::TensorProto::UINT64:
    count = proto.uint64_data_size();
    for (uint64_t v : proto.uint64_data())
      t.ints.push_back(static_cast<int64_t>(v));
    break;
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
    count = proto.int32_data_size();
    for (int32_t v : proto.int32_data())
      t.floats.push_back(halfToFloat(
          static_cast<uint16_t>(v), t.onnxType == onnx::TensorProto::BFLOAT16));
    break;
  default:
    count = proto.int32_data_size();
    for (int32_t v : proto.int32_data())
      t.ints.push_back(v);
    break;
  }
  if (count != n) {
    error = "has " + std::to_string(count) + " values but its shape needs " +
            std::to_string(n);
    return std::nullopt;
  }
  return t;
}

//===----------------------------------------------------------------------===//
// NodeAttributes
//===----------------------------------------------------------------------===//

NodeAttributes::NodeAttributes(const onnx::NodeProto &node) {
  for (const onnx::AttributeProto &a : node.attribute())
    attrs[a.name()] = &a;
}

const onnx::AttributeProto *NodeAttributes::get(llvm::StringRef name) const {
  auto it = attrs.find(name);
  return it == attrs.end() ? nullptr : it->second;
}

int64_t NodeAttributes::getInt(llvm::StringRef name,
                               int64_t defaultValue) const {
  const onnx::AttributeProto *a = get(name);
  return a ? a->i() : defaultValue;
}

float NodeAttributes::getFloat(llvm::StringRef name, float defaultValue) const {
  const onnx::AttributeProto *a = get(name);
  return a ? a->f() : defaultValue;
}

std::string NodeAttributes::getString(llvm::StringRef name,
                                      llvm::StringRef defaultValue) const {
  const onnx::AttributeProto *a = get(name);
  return a ? a->s() : defaultValue.str();
}

std::vector<int64_t>
NodeAttributes::getInts(llvm::StringRef name,
                        std::vector<int64_t> defaultValue) const {
  const onnx::AttributeProto *a = get(name);
  if (!a)
    return defaultValue;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

const llvm::StringMap<GraphImporter::Converter> &
GraphImporter::getConverters() {
  static const llvm::StringMap<Converter> table = [] {
    llvm::StringMap<Converter> t;
    addConvOps(t);
    addElementwiseOps(t);
    addPoolingOps(t);
    addShapeOps(t);
    addQuantOps(t);
    return t;
  }();
  return table;
}

GraphImporter::GraphImporter(MLIRContext *context, llvm::StringRef fileName,
                             const ONNXImportOptions &options)
    : context(context), fileName(fileName.str()), options(options),
      b(UnknownLoc::get(context), context) {}

/// Exporters may leave nodes unnamed; the first output name identifies them.
static std::string getNodeName(const onnx::NodeProto &node) {
  if (!node.name().empty())
    return node.name();
  return node.output_size() ? node.output(0) : node.op_type();
}

Location GraphImporter::nodeLoc(const onnx::NodeProto &node) {
  return NameLoc::get(StringAttr::get(context, getNodeName(node)),
                      FileLineColLoc::get(context, fileName, 0, 0));
}

InFlightDiagnostic GraphImporter::nodeError() {
  const onnx::NodeProto &node = *currentNode;
  InFlightDiagnostic diag = emitError(nodeLoc(node));
  diag << "node '" << getNodeName(node) << "' (" << node.op_type() << "): ";
  return diag;
}

std::optional<int64_t> GraphImporter::normalizeAxis(int64_t axis,
                                                    int64_t rank) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    nodeError() << "axis " << axis << " is out of range for rank " << rank;
    return std::nullopt;
  }
  return a;
}

ImportedValue *GraphImporter::getOptionalInput(const onnx::NodeProto &node,
                                               int index) {
  if (index >= node.input_size() || node.input(index).empty())
    return nullptr;
  auto it = values.find(node.input(index));
  return it == values.end() ? nullptr : &it->second;
}

ImportedValue *GraphImporter::getInput(const onnx::NodeProto &node, int index) {
  if (index >= node.input_size() || node.input(index).empty()) {
    nodeError() << "input #" << index << " is missing";
    return nullptr;
  }
  auto it = values.find(node.input(index));
  if (it == values.end()) {
    nodeError() << "input '" << node.input(index)
                << "' is not produced by any earlier node, initializer or "
                   "graph input";
    return nullptr;
  }
  return &it->second;
}

const HostTensor *GraphImporter::getConstantInput(const onnx::NodeProto &node,
                                                  int index,
                                                  llvm::StringRef what) {
  ImportedValue *v = getInput(node, index);
  if (!v)
    return nullptr;
  if (!v->constant) {
    nodeError() << what << " (input '" << node.input(index)
                << "') must be a constant; it is computed at run time";
    return nullptr;
  }
  return v->constant.get();
}

void GraphImporter::setOutput(const onnx::NodeProto &node, int index,
                              ImportedValue value) {
  if (index < node.output_size() && !node.output(index).empty())
    values[node.output(index)] = std::move(value);
}

void GraphImporter::setOutput(const onnx::NodeProto &node, int index,
                              Value value, std::vector<int64_t> shape,
                              bool nhwc) {
  ImportedValue v;
  v.value = value;
  v.shape = std::move(shape);
  v.nhwc = nhwc;
  setOutput(node, index, std::move(v));
}

void GraphImporter::setConstantOutput(const onnx::NodeProto &node, int index,
                                      HostTensor tensor) {
  ImportedValue v;
  v.shape = tensor.shape;
  v.constant = std::make_shared<HostTensor>(std::move(tensor));
  setOutput(node, index, std::move(v));
}

RankedTensorType GraphImporter::f32Type(llvm::ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, b.getF32Type());
}

std::vector<int64_t> GraphImporter::storedShape(llvm::ArrayRef<int64_t> s,
                                                bool nhwc) {
  if (!nhwc)
    return s.vec();
  return {s[0], s[2], s[3], s[1]};
}

int64_t GraphImporter::nhwcAxis(int64_t logicalAxis) {
  static const int64_t map[4] = {0, 3, 1, 2};
  return map[logicalAxis];
}

std::vector<int64_t> transposeSourceIndices(llvm::ArrayRef<int64_t> shape,
                                            llvm::ArrayRef<int64_t> perm) {
  int64_t rank = static_cast<int64_t>(shape.size());
  int64_t n = std::accumulate(shape.begin(), shape.end(), int64_t(1),
                              std::multiplies<int64_t>());
  std::vector<int64_t> inStrides(rank, 1), outShape(rank);
  for (int64_t d = rank - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * shape[d + 1];
  for (int64_t d = 0; d < rank; ++d)
    outShape[d] = shape[perm[d]];
  std::vector<int64_t> src(n), idx(rank, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = 0;
    for (int64_t d = 0; d < rank; ++d)
      off += idx[d] * inStrides[perm[d]];
    src[i] = off;
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < outShape[d])
        break;
      idx[d] = 0;
    }
  }
  return src;
}

Value GraphImporter::materialize(const HostTensor &t,
                                 llvm::ArrayRef<int64_t> perm) {
  std::vector<int64_t> shape = t.shape;
  int64_t n = t.numElements();
  std::vector<int64_t> src;
  if (perm.empty()) {
    src.resize(n);
    std::iota(src.begin(), src.end(), 0);
  } else {
    src = transposeSourceIndices(t.shape, perm);
    for (size_t d = 0; d < perm.size(); ++d)
      shape[d] = t.shape[perm[d]];
  }

  Type elemType;
  if (t.isFloat())
    elemType = b.getF32Type();
  else if (t.onnxType == onnx::TensorProto::INT32)
    elemType = b.getI32Type();
  else
    elemType = b.getI64Type();
  auto type = RankedTensorType::get(shape, elemType);

  ElementsAttr attr;
  if (t.isFloat()) {
    std::vector<float> data(n);
    for (int64_t i = 0; i < n; ++i)
      data[i] = t.floats[src[i]];
    if (n > options.resourceThreshold)
      attr = DenseResourceElementsAttr::get(
          type, "onnx_weight_" + std::to_string(resourceCounter++),
          HeapAsmResourceBlob::allocateAndCopyInferAlign(
              llvm::ArrayRef<float>(data)));
    else
      attr = DenseElementsAttr::get(type, llvm::ArrayRef<float>(data));
  } else if (elemType.isInteger(32)) {
    std::vector<int32_t> data(n);
    for (int64_t i = 0; i < n; ++i)
      data[i] = static_cast<int32_t>(t.ints[src[i]]);
    attr = DenseElementsAttr::get(type, llvm::ArrayRef<int32_t>(data));
  } else {
    std::vector<int64_t> data(n);
    for (int64_t i = 0; i < n; ++i)
      data[i] = t.ints[src[i]];
    attr = DenseElementsAttr::get(type, llvm::ArrayRef<int64_t>(data));
  }
  return tosa::ConstOp::create(b, type, attr);
}

Value GraphImporter::constF32(llvm::ArrayRef<float> data,
                              llvm::ArrayRef<int64_t> shape) {
  auto type = f32Type(shape);
  return tosa::ConstOp::create(b, type, DenseElementsAttr::get(type, data));
}

Value GraphImporter::zeroPoint(Type elementType) {
  return *tosa::createZeroPointTensor(b, b.getLoc(), elementType, 0);
}

Value GraphImporter::transpose(Value v, llvm::ArrayRef<int32_t> perm) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape;
  for (int32_t p : perm)
    shape.push_back(type.getDimSize(p));
  return tosa::TransposeOp::create(
      b, RankedTensorType::get(shape, type.getElementType()), v,
      b.getDenseI32ArrayAttr(perm));
}

Value GraphImporter::reshape(Value v, llvm::ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  return tosa::ReshapeOp::create(
      b, RankedTensorType::get(shape, type.getElementType()), v,
      tosa::getTosaConstShape(b, shape));
}

Value GraphImporter::clamp(Value v, float lo, float hi) {
  return tosa::ClampOp::create(b, v.getType(), v, b.getF32FloatAttr(lo),
                               b.getF32FloatAttr(hi));
}

Value GraphImporter::mul(Value x, Value y) {
  auto tx = cast<RankedTensorType>(x.getType());
  auto ty = cast<RankedTensorType>(y.getType());
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < tx.getRank(); ++d)
    shape.push_back(std::max(tx.getDimSize(d), ty.getDimSize(d)));
  auto shiftType = RankedTensorType::get({1}, b.getI8Type());
  Value shift = tosa::ConstOp::create(
      b, shiftType, DenseElementsAttr::get(shiftType, b.getI8IntegerAttr(0)));
  return tosa::MulOp::create(b, f32Type(shape), x, y, shift);
}

Value GraphImporter::toNHWC(ImportedValue &v) {
  if (v.nhwc)
    return v.value;
  if (v.constant)
    return materialize(*v.constant, {0, 2, 3, 1});
  return transpose(v.value, {0, 2, 3, 1});
}

Value GraphImporter::toLogical(ImportedValue &v) {
  if (!v.value && v.constant)
    return materialize(*v.constant);
  if (!v.nhwc)
    return v.value;
  // With 1x1 spatial dimensions NHWC and NCHW share the memory order.
  if (v.shape[2] == 1 && v.shape[3] == 1)
    return reshape(v.value, v.shape);
  return transpose(v.value, {0, 3, 1, 2});
}

Value GraphImporter::toLayout(ImportedValue &v, bool nhwc, int64_t rank) {
  int64_t r = static_cast<int64_t>(v.shape.size());
  std::vector<int64_t> padded(rank - r, 1);
  padded.insert(padded.end(), v.shape.begin(), v.shape.end());
  if (!nhwc) {
    if (v.constant && !v.value) {
      HostTensor t = *v.constant;
      t.shape = padded;
      return materialize(t);
    }
    return reshape(toLogical(v), padded);
  }
  if (v.nhwc)
    return v.value;
  if (v.constant) {
    HostTensor t = *v.constant;
    t.shape = padded;
    return materialize(t, {0, 2, 3, 1});
  }
  Value logical = reshape(toLogical(v), padded);
  // A size-1 channel dimension moves without changing the memory order.
  if (padded[1] == 1)
    return reshape(logical, storedShape(padded, true));
  return transpose(logical, {0, 2, 3, 1});
}

//===----------------------------------------------------------------------===//
// Model import
//===----------------------------------------------------------------------===//

LogicalResult GraphImporter::checkSupported(const onnx::GraphProto &graph) {
  const auto &table = getConverters();
  std::map<std::string, std::vector<std::string>> unsupported;
  for (const onnx::NodeProto &node : graph.node()) {
    bool standardDomain = node.domain().empty() || node.domain() == "ai.onnx";
    if (!standardDomain || !table.count(node.op_type())) {
      std::string type = node.op_type();
      if (!standardDomain)
        type = node.domain() + "." + type;
      unsupported[type].push_back(getNodeName(node));
    }
  }
  if (unsupported.empty())
    return success();
  InFlightDiagnostic diag =
      emitError(FileLineColLoc::get(context, fileName, 0, 0));
  diag << unsupported.size() << " unsupported ONNX op type(s): ";
  bool first = true;
  for (auto &[type, nodes] : unsupported) {
    diag << (first ? "" : "; ") << type << " (node";
    diag << (nodes.size() > 1 ? "s " : " ");
    for (size_t i = 0; i < nodes.size() && i < 5; ++i)
      diag << (i ? ", '" : "'") << nodes[i] << "'";
    if (nodes.size() > 5)
      diag << " and " << nodes.size() - 5 << " more";
    diag << ")";
    first = false;
  }
  return failure();
}

LogicalResult GraphImporter::importInitializers(const onnx::GraphProto &graph) {
  for (const onnx::TensorProto &init : graph.initializer()) {
    std::string error;
    std::optional<HostTensor> t = readTensorProto(init, error);
    if (!t)
      return emitError(FileLineColLoc::get(context, fileName, 0, 0))
             << "initializer '" << init.name() << "' " << error;
    ImportedValue v;
    v.shape = t->shape;
    v.constant = std::make_shared<HostTensor>(std::move(*t));
    values[init.name()] = std::move(v);
  }
  return success();
}

LogicalResult GraphImporter::importInputs(const onnx::GraphProto &graph,
                                          func::FuncOp &func) {
  SmallVector<Type> argTypes;
  SmallVector<const onnx::ValueInfoProto *> inputs;
  SmallVector<std::vector<int64_t>> shapes;
  for (const onnx::ValueInfoProto &in : graph.input()) {
    if (values.count(in.name()))
      continue; // an initializer listed as input (IR version < 4)
    auto diag = [&]() {
      InFlightDiagnostic d =
          emitError(FileLineColLoc::get(context, fileName, 0, 0));
      d << "graph input '" << in.name() << "' ";
      return d;
    };
    if (!in.type().has_tensor_type())
      return diag() << "is not a tensor";
    const auto &tt = in.type().tensor_type();
    if (tt.elem_type() != onnx::TensorProto::FLOAT)
      return diag() << "has element type "
                    << onnx::TensorProto::DataType_Name(
                           static_cast<onnx::TensorProto::DataType>(
                               tt.elem_type()))
                    << "; only float inputs are supported";
    if (!tt.has_shape())
      return diag() << "has no shape; static shapes are required";
    std::vector<int64_t> shape;
    for (int i = 0; i < tt.shape().dim_size(); ++i) {
      const auto &dim = tt.shape().dim(i);
      if (dim.has_dim_value() && dim.dim_value() > 0) {
        shape.push_back(dim.dim_value());
      } else if (i == 0) {
        shape.push_back(options.batchSize);
      } else {
        return diag() << "has a dynamic dimension " << i
                      << (dim.has_dim_param() ? " ('" + dim.dim_param() + "')"
                                              : std::string())
                      << "; only the batch dimension can be dynamic (set it "
                         "with --batch-size)";
      }
    }
    // Every later shape computation multiplies these dimensions: bound
    // them once here (fuzzing found products overflowing downstream).
    int64_t bytes = sizeof(float);
    for (int64_t d : shape)
      if (llvm::MulOverflow(bytes, d, bytes))
        return diag() << "has more elements than 64 bits count";
    argTypes.push_back(f32Type(shape));
    inputs.push_back(&in);
    shapes.push_back(shape);
  }
  func = func::FuncOp::create(b, "main", b.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  for (auto [i, in] : llvm::enumerate(inputs)) {
    b.setLoc(NameLoc::get(StringAttr::get(context, in->name()),
                          FileLineColLoc::get(context, fileName, 0, 0)));
    ImportedValue v;
    v.shape = shapes[i];
    v.value = entry->getArgument(i);
    // Transpose image inputs once; the body stays NHWC.
    if (v.shape.size() == 4) {
      v.value = transpose(v.value, {0, 2, 3, 1});
      v.nhwc = true;
    }
    values[in->name()] = std::move(v);
  }
  return success();
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node) {
  currentNode = &node;
  b.setLoc(nodeLoc(node));
  // ONNX graphs are topologically sorted: every named input exists by now.
  // Checking here lets converters treat a missing optional input as absent.
  for (const std::string &input : node.input())
    if (!input.empty() && !values.count(input))
      return nodeError() << "input '" << input
                         << "' is not produced by any earlier node, "
                            "initializer or graph input";
  const auto &table = getConverters();
  return table.lookup(node.op_type())(*this, node);
}

OwningOpRef<ModuleOp>
GraphImporter::importModel(const onnx::ModelProto &model) {
  Location fileLoc = FileLineColLoc::get(context, fileName, 0, 0);
  for (const onnx::OperatorSetIdProto &op : model.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx")
      opset = op.version();
  if (opset == 0) {
    emitError(fileLoc) << "the model imports no default ONNX opset";
    return nullptr;
  }
  if (opset < 11) {
    emitError(fileLoc) << "opset " << opset
                       << " is not supported; quant-eval needs opset 11 or "
                          "newer (re-export the model, or convert it with "
                          "onnx.version_converter)";
    return nullptr;
  }
  const onnx::GraphProto &graph = model.graph();
  if (failed(checkSupported(graph)) || failed(importInitializers(graph)))
    return nullptr;

  b.setLoc(fileLoc);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  // Metadata for quant-eval (preprocessing and the like) travels with the
  // model: keep the "qe." entries of metadata_props.
  SmallVector<NamedAttribute> metadata;
  for (const onnx::StringStringEntryProto &kv : model.metadata_props())
    if (llvm::StringRef(kv.key()).starts_with("qe."))
      metadata.push_back(b.getNamedAttr(kv.key(), b.getStringAttr(kv.value())));
  if (!metadata.empty())
    (*module)->setAttr("qe.metadata", b.getDictionaryAttr(metadata));
  b.setInsertionPointToEnd(module->getBody());
  func::FuncOp func;
  if (failed(importInputs(graph, func)))
    return nullptr;

  for (const onnx::NodeProto &node : graph.node())
    if (failed(importNode(node)))
      return nullptr;

  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &out : graph.output()) {
    auto it = values.find(out.name());
    if (it == values.end()) {
      emitError(fileLoc) << "graph output '" << out.name()
                         << "' is not produced by any node";
      return nullptr;
    }
    ImportedValue &v = it->second;
    if (v.pendingQuant) {
      emitError(fileLoc) << "graph output '" << out.name()
                         << "' is an integer QuantizeLinear result; only "
                            "float outputs are supported";
      return nullptr;
    }
    // A static shape the model declares must match what import computed.
    if (out.type().tensor_type().has_shape()) {
      const auto &declared = out.type().tensor_type().shape();
      bool mismatch = declared.dim_size() != static_cast<int>(v.shape.size());
      for (int d = 0; !mismatch && d < declared.dim_size(); ++d)
        mismatch = declared.dim(d).has_dim_value() &&
                   declared.dim(d).dim_value() != v.shape[d] &&
                   !(d == 0 && v.shape[d] == options.batchSize);
      if (mismatch) {
        InFlightDiagnostic diag = emitError(fileLoc);
        diag << "graph output '" << out.name() << "' has shape [";
        llvm::interleaveComma(v.shape, diag);
        diag << "] but the model declares [";
        llvm::interleaveComma(declared.dim(), diag,
                              [&](const onnx::TensorShapeProto::Dimension &d) {
                                if (d.has_dim_value())
                                  diag << d.dim_value();
                                else
                                  diag << "?";
                              });
        diag << "]";
        return nullptr;
      }
    }
    b.setLoc(NameLoc::get(StringAttr::get(context, out.name()), fileLoc));
    results.push_back(toLogical(v));
  }
  func::ReturnOp::create(b, results);
  func.setFunctionType(b.getFunctionType(func.getArgumentTypes(),
                                         ValueRange(results).getTypes()));

  if (failed(verify(*module)))
    return nullptr;
  return module;
}

} // namespace quant_eval::onnx_import
