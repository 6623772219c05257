//===- LowerToInteger.cpp - Fake-quant islands to integer TOSA ------------===//
//
// Walks the activation fake quants of a function in program order. Each one
// gets an integer twin: computed from the integer twins of its producers'
// inputs where the producer chain has an integer form, or quantized from
// float where it has not. Afterwards every fake quant is replaced by a
// dequantize of its twin; the float chains die, and the dequantizes that
// survive are exactly the places where data leaves the integer domain.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Conversion/Passes.h"
#include "quant-eval/Dialect/QE/IR/QEOps.h"
#include "quant-eval/Dialect/QE/Utils/ConstantUtils.h"
#include "quant-eval/Dialect/QE/Utils/LayerQuantization.h"
#include "quant-eval/Numerics/Requantize.h"
#include "quant-eval/Numerics/UniformQuant.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/RegionUtils.h"

#include <cmath>

namespace mlir::qe {
#define GEN_PASS_DEF_LOWERTOINTEGER
#include "quant-eval/Conversion/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;
using namespace mlir::qe;
namespace num = quant_eval::numerics;

namespace {

/// A per-tensor grid of integer activations, in the signed domain of its
/// storage type (i8 up to 8 bits, i16 above).
struct Grid {
  double scale; // as the f32 simulation sees it: rounded to float
  int64_t zeroPoint;
  num::QuantRange range;
  unsigned storageBits;
  RoundingMode rounding; // the fake quant's

  bool sameAs(const Grid &o) const {
    return scale == o.scale && zeroPoint == o.zeroPoint &&
           storageBits == o.storageBits;
  }
};

/// An integer tensor and the grid its values lie on.
struct IntValue {
  Value value;
  Grid grid;
};

/// An integer accumulator (i32 for 8-bit inputs, i48 for 16-bit ones, as
/// TOSA defines them) and its per-output-channel scales Δ_in · Δ_w[c].
struct Accumulator {
  Value value;
  SmallVector<double> scales;
  IntegerType type;
  /// A bound on |value| from the weights, the input range and the bias.
  double bound = 0;
};

num::QuantRange storageRange(unsigned bits) {
  return {-(int64_t(1) << (bits - 1)), (int64_t(1) << (bits - 1)) - 1};
}

/// The grid of an activation fake quant, or a reason why it has none.
FailureOr<Grid> getActivationGrid(FakeQuantOp fq, std::string &why) {
  if (fq.isPerAxis()) {
    why = "per-axis activation quantization has no integer form here";
    return failure();
  }
  if (!cast<RankedTensorType>(fq.getType()).getElementType().isF32()) {
    why = "only f32 models are lowered to integer";
    return failure();
  }
  Grid g;
  g.scale = double(float(fq.getScales()[0]));
  g.zeroPoint = fq.getZeroPoints()[0];
  g.range = fq.getRange();
  g.storageBits = fq.getBits() <= 8 ? 8 : 16;
  g.rounding = fq.getRounding();
  if (fq.getIsUnsigned() && fq.getBits() == g.storageBits) {
    int64_t offset = int64_t(1) << (g.storageBits - 1);
    g.zeroPoint -= offset;
    g.range.qmin -= offset;
    g.range.qmax -= offset;
  }
  if (!storageRange(g.storageBits).contains(g.zeroPoint)) {
    why = "zero point " + std::to_string(fq.getZeroPoints()[0]) +
          " does not fit the i" + std::to_string(g.storageBits) + " storage";
    return failure();
  }
  return g;
}

double maxAbs(ArrayRef<int64_t> values) {
  double m = 0;
  for (int64_t v : values)
    m = std::max(m, std::abs(double(v)));
  return m;
}

/// Ops that only move values: transposes, reshapes and slices, and max
/// pools, whose every output is one of their inputs. They commute with
/// quantization (elementwise and monotone, so a window's maximum quantizes
/// to the maximum of the quantized window, and max-pool padding, the lowest
/// value, never wins) and run on integers unchanged. A max pool that no
/// quantizer follows (ptq-int8 places none: its output is on its input's
/// grid) thus keeps the layers it feeds in integers; before, they stayed in
/// float, e.g. ResNet-50's first bottleneck and four InceptionV3 layers.
bool movesValues(Operation *op) {
  return isa<tosa::TransposeOp, tosa::ReshapeOp, tosa::SliceOp,
             tosa::MaxPool2dOp>(op);
}

RankedTensorType withElementType(Type type, Type elem) {
  return cast<RankedTensorType>(type).clone(elem);
}

class IntegerLowering {
public:
  IntegerLowering(func::FuncOp func, bool conformantRescale)
      : func(func), b(func), conformantRescale(conformantRescale) {}

  /// Lowers every activation fake quant. Fails after an error diagnostic
  /// (a requantization scale TOSA cannot represent).
  LogicalResult run();

private:
  LogicalResult lowerActivation(FakeQuantOp fq);
  FailureOr<Value> lowerProducer(Value x, const Grid &out);
  FailureOr<Value> lowerAccumulatorChain(Value x, const Grid &out);
  std::optional<Accumulator> lowerContraction(Operation *op);
  FailureOr<Value> lowerAdd(tosa::AddOp add, const Grid &out);
  FailureOr<Value> lowerAvgPool(tosa::AvgPool2dOp pool, const Grid &out);
  std::optional<IntValue> getLowered(Value v);
  Value moveIntegers(Operation *op, Value in);
  Value quantizeAtBoundary(Value x, const Grid &grid);
  FailureOr<Value> rescale(Value input, int64_t inputZp,
                           ArrayRef<double> multipliers, Type outType,
                           int64_t outputZp, Operation *anchor,
                           double inputBound = 0);
  FailureOr<Value> requantize(const IntValue &in, const Grid &out,
                              Operation *anchor);
  Value clampTo(Value v, num::QuantRange bounds, unsigned storageBits);
  Value intConstant(RankedTensorType type, ArrayRef<int64_t> values);
  Value zeroPoint(Type elem, int64_t z);
  Type storageType(unsigned bits) { return b.getIntegerType(bits); }
  std::optional<IntValue> lowerPad(tosa::PadOp pad);
  void note(Operation *op, const Twine &why) {
    reasons.try_emplace(op, why.str());
  }
  void cleanUpAndRemark(ArrayRef<FakeQuantOp> lowered);

  func::FuncOp func;
  OpBuilder b;
  bool conformantRescale;
  /// Float values (fake quant results, and layout ops on them) and their
  /// integer twins.
  DenseMap<Value, IntValue> twins;
  /// Why an op was not lowered, for its remark.
  DenseMap<Operation *, std::string> reasons;
};

Value IntegerLowering::intConstant(RankedTensorType type,
                                   ArrayRef<int64_t> values) {
  auto elem = cast<IntegerType>(type.getElementType());
  SmallVector<APInt> ints;
  ints.reserve(values.size());
  for (int64_t v : values)
    ints.emplace_back(elem.getWidth(), uint64_t(v), /*isSigned=*/true);
  return tosa::ConstOp::create(b, func.getLoc(), type,
                               DenseElementsAttr::get(type, ints));
}

Value IntegerLowering::zeroPoint(Type elem, int64_t z) {
  return intConstant(RankedTensorType::get({1}, elem), {z});
}

FailureOr<Value> IntegerLowering::rescale(Value input, int64_t inputZp,
                                          ArrayRef<double> multipliers,
                                          Type outType, int64_t outputZp,
                                          Operation *anchor,
                                          double inputBound) {
  bool perChannel = llvm::any_of(
      multipliers, [&](double m) { return m != multipliers.front(); });
  // TOSA 1.0 scales a 48-bit accumulator with a 16-bit multiplier only, as
  // a full one could need an 80-bit product; 15 bits of multiplier leave
  // 16-bit outputs several steps off. Where the accumulator's bound keeps
  // the product below 2^63 the 32-bit multiplier is exact in the 64-bit
  // arithmetic MLIR lowers tosa.rescale to, and is used unless
  // tosa-conformant-rescale asks for the specification's form.
  auto inType = cast<RankedTensorType>(input.getType());
  bool scale32 = inType.getElementTypeBitWidth() != 48 ||
                 (!conformantRescale && inputBound < std::ldexp(1.0, 31));
  ArrayRef<double> used = perChannel ? multipliers : multipliers.take_front();
  SmallVector<int64_t> mult, shift;
  for (auto [c, m] : llvm::enumerate(used)) {
    std::optional<num::RescaleMultiplier> r =
        num::computeRescaleMultiplier(m, scale32 ? 32 : 16);
    if (!r) {
      InFlightDiagnostic d = anchor->emitError()
                             << "requantization scale " << m;
      if (perChannel)
        d << " of channel " << c;
      d << " cannot be represented by tosa.rescale (a " << (scale32 ? 31 : 15)
        << "-bit multiplier needs a shift in [2, 62]); the grids on either "
           "side of this op are too far apart to lower to integer";
      return failure();
    }
    mult.push_back(r->multiplier);
    shift.push_back(r->shift);
  }
  int64_t n = int64_t(used.size());
  Value multiplier = intConstant(
      RankedTensorType::get({n}, scale32 ? b.getI32Type() : b.getI16Type()),
      mult);
  Value shifts = intConstant(RankedTensorType::get({n}, b.getI8Type()), shift);
  Value inZp = zeroPoint(inType.getElementType(), inputZp);
  Value outZp = zeroPoint(outType, outputZp);
  return tosa::RescaleOp::create(b, anchor->getLoc(), inType.clone(outType),
                                 input, multiplier, shifts, inZp, outZp,
                                 scale32, tosa::RoundingMode::SINGLE_ROUND,
                                 perChannel,
                                 /*input_unsigned=*/false,
                                 /*output_unsigned=*/false)
      .getResult();
}

FailureOr<Value> IntegerLowering::requantize(const IntValue &in,
                                             const Grid &out,
                                             Operation *anchor) {
  if (in.grid.sameAs(out))
    return in.value;
  return rescale(in.value, in.grid.zeroPoint, {in.grid.scale / out.scale},
                 storageType(out.storageBits), out.zeroPoint, anchor);
}

Value IntegerLowering::clampTo(Value v, num::QuantRange bounds,
                               unsigned storageBits) {
  if (bounds == storageRange(storageBits))
    return v;
  Type elem = storageType(storageBits);
  return tosa::ClampOp::create(b, v.getLoc(), v.getType(), v,
                               b.getIntegerAttr(elem, bounds.qmin),
                               b.getIntegerAttr(elem, bounds.qmax));
}

/// The integer twin of `v`: a lowered fake quant, or a transpose or
/// reshape of one (carried out on the integers).
std::optional<IntValue> IntegerLowering::getLowered(Value v) {
  if (auto it = twins.find(v); it != twins.end())
    return it->second;
  Operation *def = v.getDefiningOp();
  if (auto pad = dyn_cast_if_present<tosa::PadOp>(def))
    return lowerPad(pad);
  if (!def || !movesValues(def))
    return std::nullopt;
  std::optional<IntValue> in = getLowered(def->getOperand(0));
  if (!in)
    return std::nullopt;
  IntValue result{moveIntegers(def, in->value), in->grid};
  twins[v] = result;
  return result;
}

/// A constant pad of lowered values (ONNX's average pools that count the
/// padding import as a pad with 0 and an unpadded pool) pads the integers
/// with the code of the pad value, when that value is on the grid: 0 is the
/// zero point.
std::optional<IntValue> IntegerLowering::lowerPad(tosa::PadOp pad) {
  std::optional<std::vector<float>> value =
      getConstantFloats(pad.getPadConst());
  if (!value || value->size() != 1)
    return std::nullopt;
  std::optional<IntValue> in = getLowered(pad.getInput1());
  if (!in)
    return std::nullopt;
  double code = in->grid.zeroPoint + double((*value)[0]) / in->grid.scale;
  if (code != std::round(code) || code < double(in->grid.range.qmin) ||
      code > double(in->grid.range.qmax))
    return std::nullopt;
  Type elem = storageType(in->grid.storageBits);
  Value twin = tosa::PadOp::create(
      b, pad.getLoc(), withElementType(pad.getType(), elem), in->value,
      pad.getPadding(), zeroPoint(elem, int64_t(code)));
  IntValue result{twin, in->grid};
  twins[pad.getResult()] = result;
  return result;
}

/// The same data movement on integers: a clone of `op` reading `in`.
Value IntegerLowering::moveIntegers(Operation *op, Value in) {
  Operation *twin = b.clone(*op);
  twin->setOperand(0, in);
  twin->getResult(0).setType(
      withElementType(op->getResult(0).getType(),
                      cast<ShapedType>(in.getType()).getElementType()));
  return twin->getResult(0);
}

/// Quantizes float data where it enters the integer domain. Layout ops
/// before the quantizer move after it: quantization is elementwise, and
/// moving bytes is cheaper than moving floats.
Value IntegerLowering::quantizeAtBoundary(Value x, const Grid &grid) {
  Type elem = storageType(grid.storageBits);
  Operation *def = x.getDefiningOp();
  if (def && movesValues(def))
    return moveIntegers(def, quantizeAtBoundary(def->getOperand(0), grid));
  return QuantizeOp::create(
      b, x.getLoc(), withElementType(x.getType(), elem), x,
      b.getF64FloatAttr(grid.scale), b.getI64IntegerAttr(grid.zeroPoint),
      b.getI64IntegerAttr(grid.range.qmin),
      b.getI64IntegerAttr(grid.range.qmax),
      RoundingModeAttr::get(b.getContext(), grid.rounding));
}

LogicalResult IntegerLowering::lowerActivation(FakeQuantOp fq) {
  std::string why;
  FailureOr<Grid> grid = getActivationGrid(fq, why);
  if (failed(grid)) {
    note(fq, why);
    return success();
  }
  b.setInsertionPoint(fq);
  // A ReLU or ReLU6 in front of the quantizer becomes integer bounds:
  // rounding is monotone, so round(clamp(y, lo, hi) / Δ) equals
  // clamp(round(y / Δ), round(lo / Δ), round(hi / Δ)).
  num::QuantRange bounds = grid->range;
  Value x = fq.getInput();
  if (auto clamp = x.getDefiningOp<tosa::ClampOp>()) {
    auto lo = dyn_cast<FloatAttr>(clamp.getMinValAttr());
    auto hi = dyn_cast<FloatAttr>(clamp.getMaxValAttr());
    if (lo && hi) {
      auto onGrid = [&](double v) {
        return num::quantize(float(v), float(grid->scale), grid->zeroPoint,
                             grid->range, toNumerics(grid->rounding));
      };
      bounds.qmin = std::max(bounds.qmin, onGrid(lo.getValueAsDouble()));
      bounds.qmax = std::min(bounds.qmax, onGrid(hi.getValueAsDouble()));
      x = clamp.getInput();
    }
  }
  FailureOr<Value> q = lowerProducer(x, *grid);
  if (failed(q))
    return failure();
  if (!*q) {
    // No integer form for the producer: quantize its float result (after
    // the clamp, which then stays float too).
    bounds = grid->range;
    *q = quantizeAtBoundary(fq.getInput(), *grid);
  }
  twins[fq.getResult()] = {clampTo(*q, bounds, grid->storageBits), *grid};
  return success();
}

/// The integer form of `x` on `out`, a null value if it has none.
FailureOr<Value> IntegerLowering::lowerProducer(Value x, const Grid &out) {
  Operation *anchor = x.getDefiningOp();
  if (std::optional<IntValue> in = getLowered(x))
    return requantize(*in, out, anchor ? anchor : func.getOperation());
  if (!anchor)
    return Value();
  if (auto add = dyn_cast<tosa::AddOp>(anchor))
    if (getLowered(add.getInput1()) && getLowered(add.getInput2()))
      return lowerAdd(add, out);
  if (auto pool = dyn_cast<tosa::AvgPool2dOp>(anchor))
    return lowerAvgPool(pool, out);
  if (auto pool = dyn_cast<tosa::MaxPool2dOp>(anchor)) {
    std::optional<IntValue> in = getLowered(pool.getInput());
    if (!in)
      return Value();
    Value max = tosa::MaxPool2dOp::create(
        b, pool.getLoc(),
        withElementType(pool.getType(), storageType(in->grid.storageBits)),
        in->value, pool.getKernelAttr(), pool.getStrideAttr(),
        pool.getPadAttr(), pool.getNanModeAttr());
    return requantize({max, in->grid}, out, pool);
  }
  if (auto concat = dyn_cast<tosa::ConcatOp>(anchor)) {
    SmallVector<Value> parts;
    for (Value input : concat.getInput1()) {
      std::optional<IntValue> in = getLowered(input);
      if (!in || in->grid.storageBits != out.storageBits)
        return Value();
      FailureOr<Value> part = requantize(*in, out, concat);
      if (failed(part))
        return failure();
      parts.push_back(*part);
    }
    return tosa::ConcatOp::create(
               b, concat.getLoc(),
               withElementType(concat.getType(), storageType(out.storageBits)),
               parts, concat.getAxisAttr())
        .getResult();
  }
  return lowerAccumulatorChain(x, out);
}

/// contraction → (reshape | add constant)* → quantizer: the reshapes and
/// the bias add run on the i32 accumulator, then one rescale.
FailureOr<Value> IntegerLowering::lowerAccumulatorChain(Value x,
                                                        const Grid &out) {
  SmallVector<Operation *> chain;
  Value v = x;
  while (Operation *def = v.getDefiningOp()) {
    if (isa<tosa::ReshapeOp>(def)) {
      chain.push_back(def);
      v = def->getOperand(0);
      continue;
    }
    if (isa<tosa::AddOp>(def)) {
      bool lhsConst = matchPattern(def->getOperand(0), m_Constant());
      bool rhsConst = matchPattern(def->getOperand(1), m_Constant());
      if (lhsConst != rhsConst) {
        chain.push_back(def);
        v = def->getOperand(lhsConst ? 1 : 0);
        continue;
      }
    }
    break;
  }
  Operation *contraction = v.getDefiningOp();
  if (!contraction ||
      !isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp, tosa::MatMulOp>(
          contraction))
    return Value();
  std::optional<Accumulator> acc = lowerContraction(contraction);
  if (!acc)
    return Value();
  int64_t channels = int64_t(acc->scales.size());
  for (Operation *op : llvm::reverse(chain)) {
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    auto accType = type.clone(acc->type);
    if (type.getShape().back() != channels) {
      note(op, "changes the channel dimension of an integer accumulator");
      return Value();
    }
    if (isa<tosa::ReshapeOp>(op)) {
      acc->value = tosa::ReshapeOp::create(b, op->getLoc(), accType, acc->value,
                                           op->getOperand(1));
      continue;
    }
    // The bias constant broadcasts along the channel axis only.
    Value constant = matchPattern(op->getOperand(0), m_Constant())
                         ? op->getOperand(0)
                         : op->getOperand(1);
    auto constType = cast<RankedTensorType>(constant.getType());
    std::optional<std::vector<float>> bias = getConstantFloats(constant);
    int64_t n = constType.getNumElements();
    if (!bias || (n != 1 && n != channels) ||
        (n == channels && constType.getShape().back() != channels)) {
      note(op, "adds a constant that is not a per-channel bias");
      return Value();
    }
    SmallVector<int64_t> q;
    for (int64_t c = 0; c < channels; ++c)
      q.push_back(num::quantizeBias((*bias)[n == 1 ? 0 : c], acc->scales[c],
                                    acc->type.getWidth()));
    acc->bound += maxAbs(q);
    SmallVector<int64_t> biasShape(constType.getRank(), 1);
    biasShape.back() = channels;
    Value biasConst =
        intConstant(RankedTensorType::get(biasShape, acc->type), q);
    acc->value =
        tosa::AddOp::create(b, op->getLoc(), accType, acc->value, biasConst);
  }
  SmallVector<double> multipliers;
  for (double s : acc->scales)
    multipliers.push_back(s / out.scale);
  return rescale(acc->value, 0, multipliers, storageType(out.storageBits),
                 out.zeroPoint, contraction, acc->bound);
}

/// An i8 convolution or matmul with an i32 accumulator, if the data input
/// is quantized and the weight is a fake-quantized constant.
std::optional<Accumulator> IntegerLowering::lowerContraction(Operation *op) {
  std::optional<IntValue> in = getLowered(op->getOperand(0));
  if (!in) {
    note(op, "its input is not quantized");
    return std::nullopt;
  }
  // 16x8: TOSA accumulates int16 × int8 in 48 bits and wants the int16
  // input's zero point 0 (ptq-int16x8 activations are symmetric).
  bool wide = in->grid.storageBits == 16;
  if (wide && in->grid.zeroPoint != 0) {
    note(op, "its 16-bit input has a zero point (TOSA needs 0 there)");
    return std::nullopt;
  }
  FakeQuantOp wfq = getWeightFakeQuant(op);
  std::optional<std::vector<float>> w =
      wfq ? getConstantFloats(wfq.getInput()) : std::nullopt;
  if (!w) {
    note(op, "its weight is not a fake-quantized constant");
    return std::nullopt;
  }
  if (wfq.getIsUnsigned() || wfq.getBits() > 8) {
    note(op, "its weights are not signed with at most 8 bits");
    return std::nullopt;
  }
  ArrayRef<double> scales = wfq.getScales();
  ArrayRef<int64_t> zps = wfq.getZeroPoints();
  std::optional<SmallVector<double>> accScales =
      getAccumulatorScales(op, wfq, in->grid.scale);
  if (!accScales ||
      (wfq.isPerAxis() && llvm::any_of(zps, [](int64_t z) { return z; }))) {
    note(op, "its weights are not quantized per output channel with zero "
             "points 0, or per tensor (TOSA has one weight zero point)");
    return std::nullopt;
  }
  auto wType = cast<RankedTensorType>(wfq.getType());
  std::vector<int64_t> shape(wType.getShape().begin(), wType.getShape().end());
  std::optional<num::AxisLayout> layout = num::getAxisLayout(
      shape, wfq.isPerAxis() ? *wfq.getAxis() : 0, w->size());
  if (!layout) {
    note(op, "its weight shape is not static");
    return std::nullopt;
  }
  // The integers the weight's fake quant rounds onto, with its arithmetic.
  num::QuantRange range = wfq.getRange();
  num::Rounding mode = toNumerics(wfq.getRounding());
  SmallVector<int64_t> q(w->size());
  for (size_t i = 0; i < w->size(); ++i) {
    size_t c = wfq.isPerAxis() ? layout->channelOf(int64_t(i)) : 0;
    q[i] = num::quantize((*w)[i], float(scales[c]), zps[c], range, mode);
  }
  Accumulator acc;
  acc.scales = std::move(*accScales);
  acc.type = b.getIntegerType(wide ? 48 : 32);
  auto outType = cast<RankedTensorType>(op->getResult(0).getType());
  int64_t channels = outType.getShape().back();
  // Output channels are outermost in OHWI weights and innermost in HWCM and
  // [K, N] ones.
  num::AxisLayout outLayout{
      channels, isa<tosa::Conv2DOp>(op) ? int64_t(q.size()) / channels : 1};
  std::vector<double> weightSum(channels, 0.0);
  int64_t wZero = wfq.isPerAxis() ? 0 : zps[0];
  for (size_t i = 0; i < q.size(); ++i)
    weightSum[outLayout.channelOf(int64_t(i))] += std::abs(q[i] - wZero);
  double inputMax = double(std::max(in->grid.range.qmax - in->grid.zeroPoint,
                                    in->grid.zeroPoint - in->grid.range.qmin));
  for (double sum : weightSum)
    acc.bound = std::max(acc.bound, sum * inputMax);

  // A matmul multiplies equal types: 16-bit inputs get i16 weights.
  Type inElem = storageType(in->grid.storageBits);
  Type wElem = wide && isa<tosa::MatMulOp>(op) ? inElem : b.getI8Type();
  auto weightType = withElementType(op->getOperand(1).getType(), wElem);
  Value intWeight = intConstant(weightType, q);
  intWeight.getDefiningOp()->setAttr("qe.bits",
                                     b.getI32IntegerAttr(wfq.getBits()));
  Value inZp = zeroPoint(inElem, in->grid.zeroPoint);
  Value wZp = zeroPoint(wElem, wfq.isPerAxis() ? 0 : zps[0]);
  auto accType = outType.clone(acc.type);
  Location loc = op->getLoc();
  if (auto mm = dyn_cast<tosa::MatMulOp>(op)) {
    acc.value = tosa::MatMulOp::create(b, loc, accType, in->value, intWeight,
                                       inZp, wZp);
    return acc;
  }
  std::optional<std::vector<float>> bias = getConstantFloats(op->getOperand(2));
  if (!bias || (bias->size() != 1 && int64_t(bias->size()) != channels)) {
    note(op, "its bias is not a constant");
    return std::nullopt;
  }
  SmallVector<int64_t> qb;
  for (int64_t c = 0; c < channels; ++c)
    qb.push_back(num::quantizeBias((*bias)[bias->size() == 1 ? 0 : c],
                                   acc.scales[c], acc.type.getWidth()));
  acc.bound += maxAbs(qb);
  Value intBias = intConstant(RankedTensorType::get({channels}, acc.type), qb);
  TypeAttr accAttr = TypeAttr::get(acc.type);
  if (auto conv = dyn_cast<tosa::Conv2DOp>(op))
    acc.value = tosa::Conv2DOp::create(b, loc, accType, in->value, intWeight,
                                       intBias, inZp, wZp, conv.getPadAttr(),
                                       conv.getStrideAttr(),
                                       conv.getDilationAttr(), accAttr);
  else {
    auto dw = cast<tosa::DepthwiseConv2DOp>(op);
    acc.value = tosa::DepthwiseConv2DOp::create(
        b, loc, accType, in->value, intWeight, intBias, inZp, wZp,
        dw.getPadAttr(), dw.getStrideAttr(), dw.getDilationAttr(), accAttr);
  }
  return acc;
}

/// TFLite's integer add: both inputs to i32 at a common fine scale
/// 2·max(Δa, Δb) / 2^20, an exact add, one rescale to the output.
FailureOr<Value> IntegerLowering::lowerAdd(tosa::AddOp add, const Grid &out) {
  IntValue lhs = *getLowered(add.getInput1());
  IntValue rhs = *getLowered(add.getInput2());
  // TFLite's headroom: 20 bits above an 8-bit input, 15 above a 16-bit one,
  // so that the i32 sum cannot overflow.
  unsigned bits = std::max(lhs.grid.storageBits, rhs.grid.storageBits);
  const double leftShift = double(1 << (bits == 8 ? 20 : 15));
  double twice = 2 * std::max(lhs.grid.scale, rhs.grid.scale);
  Type i32 = b.getI32Type();
  FailureOr<Value> a =
      rescale(lhs.value, lhs.grid.zeroPoint,
              {lhs.grid.scale / twice * leftShift}, i32, 0, add);
  if (failed(a))
    return failure();
  FailureOr<Value> c =
      rescale(rhs.value, rhs.grid.zeroPoint,
              {rhs.grid.scale / twice * leftShift}, i32, 0, add);
  if (failed(c))
    return failure();
  Value sum = tosa::AddOp::create(b, add.getLoc(),
                                  withElementType(add.getType(), i32), *a, *c);
  return rescale(sum, 0, {twice / (leftShift * out.scale)},
                 storageType(out.storageBits), out.zeroPoint, add);
}

FailureOr<Value> IntegerLowering::lowerAvgPool(tosa::AvgPool2dOp pool,
                                               const Grid &out) {
  std::optional<IntValue> in = getLowered(pool.getInput());
  if (!in)
    return Value();
  auto inType = cast<RankedTensorType>(in->value.getType());
  ArrayRef<int64_t> kernel = pool.getKernel();
  bool global = inType.hasStaticShape() && kernel[0] == inType.getDimSize(1) &&
                kernel[1] == inType.getDimSize(2) &&
                llvm::all_of(pool.getPad(), [](int64_t p) { return p == 0; });
  if (!global) {
    // The integer pool keeps its input's grid, then one rescale.
    Value zp = zeroPoint(inType.getElementType(), in->grid.zeroPoint);
    Value avg = tosa::AvgPool2dOp::create(
        b, pool.getLoc(),
        withElementType(pool.getType(), inType.getElementType()), in->value, zp,
        zp, pool.getKernelAttr(), pool.getStrideAttr(), pool.getPadAttr(),
        TypeAttr::get(b.getI32Type()));
    return requantize({avg, in->grid}, out, pool);
  }
  // A global average: an exact i32 sum and one rounding, by Δ / (n·Δ_out).
  Type i32 = b.getI32Type();
  Location loc = pool.getLoc();
  Value sum = tosa::CastOp::create(b, loc, inType.clone(i32), in->value);
  for (int32_t axis : {1, 2}) {
    SmallVector<int64_t> shape(
        cast<RankedTensorType>(sum.getType()).getShape());
    shape[axis] = 1;
    sum = tosa::ReduceSumOp::create(b, loc, RankedTensorType::get(shape, i32),
                                    sum, b.getI32IntegerAttr(axis));
  }
  int64_t count = kernel[0] * kernel[1];
  if (in->grid.zeroPoint != 0)
    sum = tosa::SubOp::create(
        b, loc, sum.getType(), sum,
        intConstant(RankedTensorType::get({1, 1, 1, 1}, i32),
                    {count * in->grid.zeroPoint}));
  return rescale(sum, 0, {in->grid.scale / (double(count) * out.scale)},
                 storageType(out.storageBits), out.zeroPoint, pool);
}

void IntegerLowering::cleanUpAndRemark(ArrayRef<FakeQuantOp> lowered) {
  for (FakeQuantOp fq : lowered) {
    const IntValue &twin = twins[fq.getResult()];
    b.setInsertionPointAfter(fq);
    Value y = DequantizeOp::create(b, fq.getLoc(), fq.getType(), twin.value,
                                   b.getF64FloatAttr(twin.grid.scale),
                                   b.getI64IntegerAttr(twin.grid.zeroPoint));
    fq.replaceAllUsesWith(y);
    fq.erase();
  }
  // The float chains the integer ops replace are now dead.
  Block &body = func.getBody().front();
  for (bool changed = true; changed;) {
    changed = false;
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
      if (isOpTriviallyDead(&op)) {
        op.erase();
        changed = true;
      }
  }
  for (Operation &op : body) {
    if (op.hasTrait<OpTrait::ConstantLike>() ||
        isa<tosa::ConstShapeOp, QuantizeOp, DequantizeOp, func::ReturnOp>(op))
      continue;
    bool computesFloat = llvm::any_of(op.getResultTypes(), [](Type t) {
      auto tensor = dyn_cast<RankedTensorType>(t);
      return tensor && isa<FloatType>(tensor.getElementType());
    });
    // A weight's quantizer belongs to its layer, which has its own remark.
    auto fq = dyn_cast<FakeQuantOp>(op);
    if (!computesFloat || (fq && matchPattern(fq.getInput(), m_Constant())))
      continue;
    auto it = reasons.find(&op);
    op.emitRemark() << "stays in float simulation: "
                    << (it != reasons.end()
                            ? it->second
                            : "no integer lowering for this op");
  }
}

LogicalResult IntegerLowering::run() {
  SmallVector<FakeQuantOp> activations;
  func.walk([&](FakeQuantOp fq) {
    if (!matchPattern(fq.getInput(), m_Constant()))
      activations.push_back(fq);
  });
  if (activations.empty()) {
    func.emitRemark() << "no activation fake quants: nothing to lower to "
                         "integer (quantize the model first, e.g. with "
                         "--ptq-int8)";
    return success();
  }
  SmallVector<FakeQuantOp> lowered;
  for (FakeQuantOp fq : activations) {
    if (failed(lowerActivation(fq)))
      return failure();
    if (twins.count(fq.getResult()))
      lowered.push_back(fq);
  }
  cleanUpAndRemark(lowered);
  return success();
}

struct LowerToIntegerPass
    : public qe::impl::LowerToIntegerBase<LowerToIntegerPass> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isDeclaration())
      return;
    if (!func.getBody().hasOneBlock()) {
      func.emitRemark() << "has more than one block; not lowered to integer";
      return;
    }
    IntegerLowering lowering(func, conformantRescale);
    if (failed(lowering.run()))
      signalPassFailure();
  }
};

} // namespace
