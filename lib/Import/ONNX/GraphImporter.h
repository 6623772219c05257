//===- GraphImporter.h - State of one ONNX graph import ---------*- C++ -*-===//
//
// Internal to the ONNX importer. GraphImporter walks the nodes of an ONNX
// graph in order and converts each with the converter registered for its
// op type (the converters live in the *Ops.cpp files of this folder).
//
// Layout: ONNX is NCHW, TOSA convolutions are NHWC. A 4-D activation is kept
// NHWC in the body (ImportedValue::nhwc), while its `shape` stays the logical
// ONNX (NCHW) shape that ONNX attributes and axes refer to. Converters ask
// for the layout they need (toNHWC, toLogical); transposes are inserted only
// where a value crosses between the two, normally at the function boundary.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_LIB_IMPORT_ONNX_GRAPHIMPORTER_H
#define QUANT_EVAL_LIB_IMPORT_ONNX_GRAPHIMPORTER_H

#include "quant-eval/Import/ONNXImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace quant_eval::onnx_import {

/// A tensor known at compile time (an initializer, a Constant node, or the
/// result of shape arithmetic), in ONNX's logical layout. Floating-point data
/// is held as f32, integer data as i64.
struct HostTensor {
  int32_t onnxType = onnx::TensorProto::FLOAT;
  std::vector<int64_t> shape;
  std::vector<float> floats;
  std::vector<int64_t> ints;

  bool isFloat() const;
  int64_t numElements() const;
  /// The element at flat index i as double, whatever the storage.
  double at(int64_t i) const { return isFloat() ? floats[i] : double(ints[i]); }
};

/// Uniform quantization parameters read from QuantizeLinear or
/// DequantizeLinear, in ONNX's logical layout.
struct QuantParams {
  std::vector<double> scales;
  std::vector<int64_t> zeroPoints;
  std::optional<int64_t> axis; // set when per axis
  unsigned bits = 8;
  bool isSigned = true;
};

/// What an ONNX value name stands for during import.
struct ImportedValue {
  /// The runtime value; null for a constant not yet materialized.
  mlir::Value value;
  /// Set when the value is known at compile time.
  std::shared_ptr<HostTensor> constant;
  /// The logical (ONNX) shape.
  std::vector<int64_t> shape;
  /// True when `value` holds this 4-D tensor in NHWC order.
  bool nhwc = false;
  /// A QuantizeLinear result waiting for its DequantizeLinear: `value` is the
  /// float input and these are the Q parameters.
  std::optional<QuantParams> pendingQuant;
  /// A weight that came through DequantizeLinear: `constant` holds the
  /// dequantized floats and these the grid it lies on.
  std::optional<QuantParams> weightQuant;
};

/// Reads ONNX attributes with defaults and reports malformed ones.
class NodeAttributes {
public:
  explicit NodeAttributes(const onnx::NodeProto &node);
  const onnx::AttributeProto *get(llvm::StringRef name) const;
  int64_t getInt(llvm::StringRef name, int64_t defaultValue) const;
  float getFloat(llvm::StringRef name, float defaultValue) const;
  std::string getString(llvm::StringRef name,
                        llvm::StringRef defaultValue) const;
  std::vector<int64_t> getInts(llvm::StringRef name,
                               std::vector<int64_t> defaultValue = {}) const;

private:
  llvm::StringMap<const onnx::AttributeProto *> attrs;
};

class GraphImporter {
public:
  GraphImporter(mlir::MLIRContext *context, llvm::StringRef fileName,
                const ONNXImportOptions &options);

  /// Imports `model` into a new module; null after diagnostics on failure.
  mlir::OwningOpRef<mlir::ModuleOp> importModel(const onnx::ModelProto &model);

  //===--------------------------------------------------------------------===//
  // For the converters
  //===--------------------------------------------------------------------===//

  using Converter = mlir::LogicalResult (*)(GraphImporter &,
                                            const onnx::NodeProto &);
  /// The converter of every supported op type, filled by the *Ops.cpp files.
  static const llvm::StringMap<Converter> &getConverters();

  mlir::ImplicitLocOpBuilder &builder() { return b; }
  mlir::MLIRContext *getContext() { return context; }
  int64_t getOpsetVersion() const { return opset; }

  /// An error at the current node: "node 'name' (OpType): message".
  mlir::InFlightDiagnostic nodeError();

  /// The input `index` of the current node; null (after an error) if it is
  /// missing. Optional inputs that are absent give nullptr without error
  /// from getOptionalInput.
  ImportedValue *getInput(const onnx::NodeProto &node, int index);
  ImportedValue *getOptionalInput(const onnx::NodeProto &node, int index);
  /// A compile-time input, with an error naming `what` if it is not one.
  const HostTensor *getConstantInput(const onnx::NodeProto &node, int index,
                                     llvm::StringRef what);

  /// Binds output `index` of the current node.
  void setOutput(const onnx::NodeProto &node, int index, ImportedValue value);
  /// Binds a runtime value with its logical shape and layout.
  void setOutput(const onnx::NodeProto &node, int index, mlir::Value value,
                 std::vector<int64_t> shape, bool nhwc);
  void setConstantOutput(const onnx::NodeProto &node, int index,
                         HostTensor tensor);

  /// Materializes a constant, optionally transposed by `perm` and reshaped.
  mlir::Value materialize(const HostTensor &tensor,
                          llvm::ArrayRef<int64_t> perm = {});
  /// A value in NHWC order (4-D only).
  mlir::Value toNHWC(ImportedValue &v);
  /// A value in its logical (ONNX) order.
  mlir::Value toLogical(ImportedValue &v);
  /// A runtime float value for `v` in the layout given by `nhwc`, with rank 4
  /// when `nhwc`, broadcast-compatible with a partner of `rank` dims:
  /// lower-rank operands get leading 1 dimensions (numpy broadcasting).
  mlir::Value toLayout(ImportedValue &v, bool nhwc, int64_t rank);

  /// Small TOSA builders.
  mlir::Value constF32(llvm::ArrayRef<float> values,
                       llvm::ArrayRef<int64_t> shape);
  mlir::Value zeroPoint(mlir::Type elementType);
  mlir::Value transpose(mlir::Value v, llvm::ArrayRef<int32_t> perm);
  mlir::Value reshape(mlir::Value v, llvm::ArrayRef<int64_t> shape);
  mlir::Value clamp(mlir::Value v, float lo, float hi);
  mlir::Value mul(mlir::Value a, mlir::Value b);
  mlir::RankedTensorType f32Type(llvm::ArrayRef<int64_t> shape);

  /// The stored shape of a logical shape in the given layout.
  static std::vector<int64_t> storedShape(llvm::ArrayRef<int64_t> logical,
                                          bool nhwc);
  /// Maps a logical axis of a 4-D NCHW tensor to its NHWC position.
  static int64_t nhwcAxis(int64_t logicalAxis);
  /// Normalizes a possibly negative axis; error if out of range.
  std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

private:
  mlir::LogicalResult checkSupported(const onnx::GraphProto &graph);
  mlir::LogicalResult importInitializers(const onnx::GraphProto &graph);
  mlir::LogicalResult importInputs(const onnx::GraphProto &graph,
                                   mlir::func::FuncOp &func);
  mlir::LogicalResult importNode(const onnx::NodeProto &node);
  mlir::Location nodeLoc(const onnx::NodeProto &node);

  mlir::MLIRContext *context;
  std::string fileName;
  ONNXImportOptions options;
  mlir::ImplicitLocOpBuilder b;
  int64_t opset = 0;
  const onnx::NodeProto *currentNode = nullptr;
  llvm::StringMap<ImportedValue> values;
  unsigned resourceCounter = 0;
};

/// The 2-D window of a convolution or pooling node, resolved to what TOSA
/// accepts. TOSA requires (in - 1 + pads - dilation * (kernel - 1)) to be a
/// multiple of the stride; rows and columns that no output window reaches are
/// dropped from the end padding, or cropped from the input (`crop`) when the
/// end padding is too small.
struct Window2D {
  int64_t kernel[2] = {1, 1};
  int64_t stride[2] = {1, 1};
  int64_t dilation[2] = {1, 1};
  int64_t pad[4] = {0, 0, 0, 0}; // TOSA order: top, bottom, left, right
  int64_t out[2] = {0, 0};
  int64_t crop[2] = {0, 0}; // rows and columns to drop from the input end
};

/// Reads kernel/strides/dilations/pads/auto_pad (and ceil_mode when
/// `allowCeil`) for input spatial size `inHW`. Emits a node error and
/// returns nothing on invalid values.
std::optional<Window2D> computeWindow(GraphImporter &g,
                                      const NodeAttributes &attrs,
                                      llvm::ArrayRef<int64_t> inHW,
                                      llvm::ArrayRef<int64_t> kernel,
                                      bool allowCeil);

/// Applies Window2D::crop to an NHWC value.
mlir::Value cropInput(GraphImporter &g, mlir::Value nhwc, const Window2D &w);

/// Puts a weight that came through DequantizeLinear back behind a
/// qe.fake_quant carrying its grid. `axis` is where the grid's per-axis
/// dimension ended up in `weight` after the converter's layout change
/// (nothing if it cannot be expressed, which is then an error).
mlir::FailureOr<mlir::Value>
fakeQuantWeight(GraphImporter &g, mlir::Value weight, const QuantParams &q,
                std::optional<int64_t> axis);

/// For a transpose of `shape` by `perm`: the flat source index of every
/// flat destination index.
std::vector<int64_t> transposeSourceIndices(llvm::ArrayRef<int64_t> shape,
                                            llvm::ArrayRef<int64_t> perm);

/// Reads a TensorProto into host data; error text in `error` on failure.
std::optional<HostTensor> readTensorProto(const onnx::TensorProto &proto,
                                          std::string &error);

/// Registration hooks of the converter files.
void addConvOps(llvm::StringMap<GraphImporter::Converter> &table);
void addElementwiseOps(llvm::StringMap<GraphImporter::Converter> &table);
void addPoolingOps(llvm::StringMap<GraphImporter::Converter> &table);
void addShapeOps(llvm::StringMap<GraphImporter::Converter> &table);
void addQuantOps(llvm::StringMap<GraphImporter::Converter> &table);

} // namespace quant_eval::onnx_import

#endif // QUANT_EVAL_LIB_IMPORT_ONNX_GRAPHIMPORTER_H
