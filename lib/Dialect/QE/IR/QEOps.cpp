//===- QEOps.cpp - Operations of the `qe` dialect -------------------------===//
//
// Verifiers, folders and helpers of the `qe` ops. The arithmetic of the
// folders is the numeric kernels' (quant-eval/Numerics), so that constants
// folded here are bit-identical to the unit-tested reference.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Dialect/QE/IR/QEOps.h"

#include "quant-eval/Numerics/QKeras.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/Format.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace mlir;
using namespace mlir::qe;
namespace num = quant_eval::numerics;

#include "quant-eval/Dialect/QE/IR/QEEnums.cpp.inc"

num::Rounding mlir::qe::toNumerics(RoundingMode mode) {
  switch (mode) {
  case RoundingMode::RNE:
    return num::Rounding::HalfToEven;
  case RoundingMode::RHAZ:
    return num::Rounding::HalfAwayFromZero;
  case RoundingMode::RHU:
    return num::Rounding::HalfUp;
  }
  llvm_unreachable("unknown rounding mode");
}

//===----------------------------------------------------------------------===//
// Constant folding support
//===----------------------------------------------------------------------===//

namespace {
/// Reads a constant float tensor (dense elements or a dense resource blob)
/// into `T` values. Returns false if `attr` is not such a constant.
template <typename T> bool readFloats(Attribute attr, SmallVectorImpl<T> &out) {
  if (auto dense = dyn_cast_if_present<DenseFPElementsAttr>(attr)) {
    out.reserve(dense.getNumElements());
    Type elemType = dense.getElementType();
    if (elemType.isF32()) {
      for (float v : dense.getValues<float>())
        out.push_back(static_cast<T>(v));
    } else if (elemType.isF64()) {
      for (double v : dense.getValues<double>())
        out.push_back(static_cast<T>(v));
    } else {
      for (const APFloat &v : dense.getValues<APFloat>())
        out.push_back(static_cast<T>(v.convertToDouble()));
    }
    return true;
  }
  if (auto blob = dyn_cast_if_present<DenseF32ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<float>> values = blob.tryGetAsArrayRef();
    if (!values)
      return false;
    out.assign(values->begin(), values->end());
    return true;
  }
  if (auto blob = dyn_cast_if_present<DenseF64ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<double>> values = blob.tryGetAsArrayRef();
    if (!values)
      return false;
    for (double v : *values)
      out.push_back(static_cast<T>(v));
    return true;
  }
  return false;
}

/// Builds a constant of `type` from `T` values, rounding each to the element
/// type to nearest-even.
template <typename T>
DenseElementsAttr makeFloats(RankedTensorType type, ArrayRef<T> values) {
  Type elemType = type.getElementType();
  if (elemType.isF32()) {
    SmallVector<float> v(values.begin(), values.end());
    return DenseElementsAttr::get(type, ArrayRef<float>(v));
  }
  if (elemType.isF64()) {
    SmallVector<double> v(values.begin(), values.end());
    return DenseElementsAttr::get(type, ArrayRef<double>(v));
  }
  const llvm::fltSemantics &sem = cast<FloatType>(elemType).getFloatSemantics();
  SmallVector<APFloat> v;
  v.reserve(values.size());
  for (T x : values) {
    APFloat f(static_cast<double>(x));
    bool losesInfo = false;
    f.convert(sem, APFloat::rmNearestTiesToEven, &losesInfo);
    v.push_back(f);
  }
  return DenseElementsAttr::get(type, v);
}

/// Applies `fn(value, flatIndex)` to every element of a constant input and
/// returns the folded constant, or null if `input` is not a float constant.
template <typename T>
Attribute foldElementwise(Attribute input, RankedTensorType type,
                          llvm::function_ref<T(T, int64_t)> fn) {
  SmallVector<T> values;
  if (!readFloats<T>(input, values) ||
      static_cast<int64_t>(values.size()) != type.getNumElements())
    return {};
  for (auto [i, v] : llvm::enumerate(values))
    v = fn(v, static_cast<int64_t>(i));
  return makeFloats<T>(type, values);
}

/// A scale must stay finite and positive in the type the op computes in, or
/// the division by it produces infinities or NaN.
bool isScaleRepresentable(double scale, Type computeType) {
  if (computeType.isF64())
    return true;
  float f = static_cast<float>(scale);
  return std::isfinite(f) && f > 0;
}

/// `qe` ops compute in f64 for f64 tensors and in f32 otherwise.
Type getComputeType(Type elemType) {
  return elemType.isF64() ? elemType : Float32Type::get(elemType.getContext());
}

std::string describeRange(unsigned bits, bool isSigned, bool narrow) {
  return (Twine(narrow ? "narrow " : "") +
          (isSigned ? "signed " : "unsigned ") + Twine(bits) + "-bit")
      .str();
}
} // namespace

//===----------------------------------------------------------------------===//
// Custom assembly: exact float lists
//===----------------------------------------------------------------------===//

// Scales must survive a print/parse round trip bit for bit, or a quantized
// model changes when it is written to a file. The default custom-format
// printer of dense f64 arrays rounds to 7 significant digits (1e-50 prints as
// 0), so scales are printed with the shortest decimal that parses back to the
// same double, and non-finite values as their bit pattern.

static void printExactF64(raw_ostream &os, double value) {
  if (!std::isfinite(value)) {
    os << llvm::format_hex(llvm::bit_cast<uint64_t>(value), 18,
                           /*Upper=*/true);
    return;
  }
  char buffer[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value)
      break;
  }
  // MLIR float literals need a dot: "2" and "1e-50" would not parse.
  StringRef text(buffer);
  if (text.contains('.')) {
    os << text;
    return;
  }
  auto [mantissa, exponent] = text.split('e');
  os << mantissa << ".0";
  if (!exponent.empty())
    os << 'e' << exponent;
}

static ParseResult parseExactF64List(OpAsmParser &parser,
                                     DenseF64ArrayAttr &attr) {
  SmallVector<double> values;
  if (parser.parseCommaSeparatedList(OpAsmParser::Delimiter::Square,
                                     [&]() -> ParseResult {
                                       double v;
                                       if (parser.parseFloat(v))
                                         return failure();
                                       values.push_back(v);
                                       return success();
                                     }))
    return failure();
  attr = parser.getBuilder().getDenseF64ArrayAttr(values);
  return success();
}

static void printExactF64List(OpAsmPrinter &printer, Operation *,
                              DenseF64ArrayAttr attr) {
  printer << '[';
  llvm::interleaveComma(attr.asArrayRef(), printer.getStream(), [&](double v) {
    printExactF64(printer.getStream(), v);
  });
  printer << ']';
}

//===----------------------------------------------------------------------===//
// FakeQuantOp
//===----------------------------------------------------------------------===//

num::QuantRange FakeQuantOp::getRange() {
  // The verifier has checked the bit width, so the range exists.
  return *num::getQuantRange(getBits(), !getIsUnsigned(), getNarrowRange());
}

LogicalResult FakeQuantOp::verify() {
  uint32_t bits = getBits();
  if (bits < num::kMinBits || bits > num::kMaxBits)
    return emitOpError() << "bits must be in [" << num::kMinBits << ", "
                         << num::kMaxBits << "], got " << bits;

  ArrayRef<double> scales = getScales();
  ArrayRef<int64_t> zeroPoints = getZeroPoints();
  if (scales.empty())
    return emitOpError() << "needs at least one scale";
  if (scales.size() != zeroPoints.size())
    return emitOpError() << "has " << scales.size() << " scales but "
                         << zeroPoints.size() << " zero points";

  auto type = cast<RankedTensorType>(getInput().getType());
  Type computeType = getComputeType(type.getElementType());
  for (auto [i, s] : llvm::enumerate(scales)) {
    if (!std::isfinite(s) || s <= 0)
      return emitOpError() << "scale #" << i
                           << " must be finite and positive, got " << s;
    if (!isScaleRepresentable(s, computeType))
      return emitOpError() << "scale #" << i << " (" << s
                           << ") is not a positive finite " << computeType
                           << ", the type this op computes in";
  }

  num::QuantRange range = getRange();
  for (auto [i, z] : llvm::enumerate(zeroPoints))
    if (!range.contains(z))
      return emitOpError() << "zero point #" << i << " (" << z
                           << ") is outside the range [" << range.qmin << ", "
                           << range.qmax << "] of "
                           << describeRange(bits, !getIsUnsigned(),
                                            getNarrowRange())
                           << " integers";

  if (!isPerAxis()) {
    if (scales.size() != 1)
      return emitOpError() << "per-tensor quantization (no axis) takes one "
                              "scale and zero point, got "
                           << scales.size();
    return success();
  }
  int64_t axis = *getAxis();
  if (axis < 0 || axis >= type.getRank())
    return emitOpError() << "axis " << axis
                         << " is out of range for a tensor of rank "
                         << type.getRank();
  if (type.isDynamicDim(axis))
    return emitOpError() << "axis " << axis
                         << " has a dynamic size; per-axis quantization needs "
                            "it static";
  if (type.getDimSize(axis) != static_cast<int64_t>(scales.size()))
    return emitOpError() << "axis " << axis << " has size "
                         << type.getDimSize(axis) << " but " << scales.size()
                         << " scales were given";
  return success();
}

bool FakeQuantOp::hasSameParameters(FakeQuantOp other) {
  return getBits() == other.getBits() &&
         getIsUnsigned() == other.getIsUnsigned() &&
         getNarrowRange() == other.getNarrowRange() &&
         getAxis() == other.getAxis() && getScales() == other.getScales() &&
         getZeroPoints() == other.getZeroPoints() &&
         getRounding() == other.getRounding();
}

OpFoldResult FakeQuantOp::fold(FoldAdaptor adaptor) {
  // Quantization is idempotent on its own grid.
  if (auto inner = getInput().getDefiningOp<FakeQuantOp>())
    if (hasSameParameters(inner))
      return getInput();

  auto type = cast<RankedTensorType>(getType());
  if (!type.hasStaticShape())
    return {};
  num::QuantRange range = getRange();
  num::Rounding mode = toNumerics(getRounding());
  ArrayRef<double> scales = getScales();
  ArrayRef<int64_t> zeroPoints = getZeroPoints();
  // Per tensor is one channel spanning the whole tensor.
  num::AxisLayout layout{1, type.getNumElements()};
  if (isPerAxis()) {
    std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
    std::optional<num::AxisLayout> axisLayout = num::getAxisLayout(
        shape, *getAxis(), static_cast<size_t>(type.getNumElements()));
    if (!axisLayout)
      return {};
    layout = *axisLayout;
  }
  auto channelOf = [&](int64_t i) { return layout.channelOf(i); };
  if (type.getElementType().isF64())
    return foldElementwise<double>(
        adaptor.getInput(), type, [&](double x, int64_t i) {
          int64_t c = channelOf(i);
          return num::fakeQuantize(x, scales[c], zeroPoints[c], range, mode);
        });
  return foldElementwise<float>(
      adaptor.getInput(), type, [&](float x, int64_t i) {
        int64_t c = channelOf(i);
        return num::fakeQuantize(x, static_cast<float>(scales[c]),
                                 zeroPoints[c], range, mode);
      });
}

quant::QuantizedType FakeQuantOp::getQuantizedType() {
  MLIRContext *ctx = getContext();
  Type storage = IntegerType::get(ctx, getBits());
  Type expressed = getElementTypeOrSelf(getInput().getType());
  unsigned flags = getIsUnsigned() ? 0 : quant::QuantizationFlags::Signed;
  num::QuantRange range = getRange();
  if (!isPerAxis())
    return quant::UniformQuantizedType::get(flags, storage, expressed,
                                            getScales()[0], getZeroPoints()[0],
                                            range.qmin, range.qmax);
  return quant::UniformQuantizedPerAxisType::get(
      flags, storage, expressed, getScales(), getZeroPoints(),
      static_cast<int32_t>(*getAxis()), range.qmin, range.qmax);
}

FailureOr<FakeQuantOp> FakeQuantOp::createFromType(OpBuilder &builder,
                                                   Location loc, Value input,
                                                   quant::QuantizedType type,
                                                   RoundingMode rounding) {
  unsigned bits = type.getStorageTypeIntegralWidth();
  bool isSigned = type.isSigned();
  std::optional<num::QuantRange> full =
      num::getQuantRange(bits, isSigned, /*narrowRange=*/false);
  if (!full)
    return mlir::emitError(loc)
           << "cannot express " << type << " as qe.fake_quant: storage width "
           << bits << " is outside [" << num::kMinBits << ", " << num::kMaxBits
           << "]";
  num::QuantRange storage{type.getStorageTypeMin(), type.getStorageTypeMax()};
  bool narrow = storage.qmin == full->qmin + 1 && storage.qmax == full->qmax;
  if (!(storage == *full) && !narrow)
    return mlir::emitError(loc)
           << "cannot express " << type << " as qe.fake_quant: storage range ["
           << storage.qmin << ", " << storage.qmax
           << "] is neither the full nor the narrow range";

  SmallVector<double> scales;
  SmallVector<int64_t> zeroPoints;
  IntegerAttr axis;
  if (auto perTensor = dyn_cast<quant::UniformQuantizedType>(type)) {
    scales.push_back(perTensor.getScale());
    zeroPoints.push_back(perTensor.getZeroPoint());
  } else if (auto perAxis =
                 dyn_cast<quant::UniformQuantizedPerAxisType>(type)) {
    llvm::append_range(scales, perAxis.getScales());
    llvm::append_range(zeroPoints, perAxis.getZeroPoints());
    axis = builder.getI64IntegerAttr(perAxis.getQuantizedDimension());
  } else {
    return mlir::emitError(loc)
           << "cannot express " << type
           << " as qe.fake_quant: only uniform per-tensor and "
              "per-axis types are supported";
  }
  return FakeQuantOp::create(
      builder, loc, input.getType(), input, builder.getI32IntegerAttr(bits),
      isSigned ? UnitAttr() : builder.getUnitAttr(),
      narrow ? builder.getUnitAttr() : UnitAttr(), axis,
      builder.getDenseF64ArrayAttr(scales),
      builder.getDenseI64ArrayAttr(zeroPoints),
      RoundingModeAttr::get(builder.getContext(), rounding));
}

//===----------------------------------------------------------------------===//
// QuantizeOp and DequantizeOp
//===----------------------------------------------------------------------===//

namespace {
/// Checks the scale and that `values` (named) fit the signed integer type.
LogicalResult
verifyIntegerGrid(Operation *op, double scale, Type floatType,
                  IntegerType intType,
                  ArrayRef<std::pair<StringRef, int64_t>> values) {
  Type computeType = getComputeType(floatType);
  if (!std::isfinite(scale) || scale <= 0 ||
      !isScaleRepresentable(scale, computeType))
    return op->emitOpError() << "scale must be a positive finite "
                             << computeType << ", got " << scale;
  unsigned width = intType.getWidth();
  int64_t lo = -(int64_t(1) << (width - 1)),
          hi = (int64_t(1) << (width - 1)) - 1;
  for (auto [name, v] : values)
    if (v < lo || v > hi)
      return op->emitOpError() << name << " " << v << " does not fit "
                               << intType << " [" << lo << ", " << hi << "]";
  return success();
}
} // namespace

LogicalResult QuantizeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getType());
  if (getQminAttr().getInt() > getQmaxAttr().getInt())
    return emitOpError() << "range (" << getQminAttr().getInt() << ", "
                         << getQmaxAttr().getInt() << ") is empty";
  return verifyIntegerGrid(getOperation(), getScale().convertToDouble(),
                           in.getElementType(),
                           cast<IntegerType>(out.getElementType()),
                           {{"zero_point", getZeroPointAttr().getInt()},
                            {"qmin", getQminAttr().getInt()},
                            {"qmax", getQmaxAttr().getInt()}});
}

LogicalResult DequantizeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getType());
  return verifyIntegerGrid(getOperation(), getScale().convertToDouble(),
                           out.getElementType(),
                           cast<IntegerType>(in.getElementType()),
                           {{"zero_point", getZeroPointAttr().getInt()}});
}

//===----------------------------------------------------------------------===//
// Po2QuantOp
//===----------------------------------------------------------------------===//

LogicalResult Po2QuantOp::verify() {
  uint32_t bits = getBits();
  if (bits < num::kMinBits || bits > num::kMaxBits)
    return emitOpError() << "bits must be in [" << num::kMinBits << ", "
                         << num::kMaxBits << "], got " << bits;
  if (std::optional<APFloat> maxValue = getMaxValue()) {
    double m = maxValue->convertToDouble();
    if (!std::isfinite(m) || m <= 0)
      return emitOpError() << "max_value must be finite and positive, got "
                           << m;
  }
  return success();
}

OpFoldResult Po2QuantOp::fold(FoldAdaptor adaptor) {
  auto type = cast<RankedTensorType>(getType());
  if (!type.hasStaticShape())
    return {};
  std::optional<double> maxValue;
  if (std::optional<APFloat> m = getMaxValue())
    maxValue = m->convertToDouble();
  std::optional<num::Po2ExponentRange> range =
      num::getPo2ExponentRange(getBits(), maxValue);
  if (!range)
    return {};
  return foldElementwise<double>(
      adaptor.getInput(), type, [&](double x, int64_t) {
        return num::quantizedPo2(x, *range, maxValue);
      });
}

//===----------------------------------------------------------------------===//
// BatchNormOp
//===----------------------------------------------------------------------===//

LogicalResult BatchNormOp::verify() {
  auto type = cast<RankedTensorType>(getInput().getType());
  auto paramType = cast<RankedTensorType>(getScale().getType());
  int64_t axis = getAxis();
  if (axis < 0 || axis >= type.getRank())
    return emitOpError() << "axis " << axis
                         << " is out of range for a tensor of rank "
                         << type.getRank();
  if (paramType.getElementType() != type.getElementType())
    return emitOpError() << "statistics have element type "
                         << paramType.getElementType() << " but the input has "
                         << type.getElementType();
  int64_t channels = type.getDimSize(axis);
  int64_t count = paramType.getDimSize(0);
  if (!ShapedType::isDynamic(channels) && !ShapedType::isDynamic(count) &&
      channels != count)
    return emitOpError() << "statistics have " << count << " values but axis "
                         << axis << " of the input has size " << channels;
  double eps = getEpsilon().convertToDouble();
  if (!std::isfinite(eps) || eps < 0)
    return emitOpError() << "epsilon must be finite and non-negative, got "
                         << eps;
  DenseFPElementsAttr variance;
  if (matchPattern(getVariance(), m_Constant(&variance))) {
    for (auto [i, v] : llvm::enumerate(variance.getValues<APFloat>())) {
      double d = v.convertToDouble();
      if (std::isnan(d) || d < 0)
        return emitOpError()
               << "variance #" << i << " must be non-negative, got " << d;
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ObserveOp
//===----------------------------------------------------------------------===//

LogicalResult ObserveOp::verify() {
  if (getId().empty())
    return emitOpError() << "needs a non-empty id";
  // Ids are interned StringAttrs, so comparing them is a pointer compare.
  Operation *scope =
      getOperation()->getParentWithTrait<OpTrait::IsIsolatedFromAbove>();
  if (!scope)
    return success();
  StringAttr id = getIdAttr();
  Operation *self = getOperation();
  WalkResult walk = scope->walk([&](ObserveOp other) {
    if (other.getOperation() != self && other.getIdAttr() == id)
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return emitOpError() << "id \"" << getId()
                         << "\" is used by another qe.observe in the same "
                            "function";
  return success();
}

#define GET_OP_CLASSES
#include "quant-eval/Dialect/QE/IR/QEOps.cpp.inc"
