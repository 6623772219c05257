//===- QEToLinalg.cpp - Lower qe ops to linalg.generic --------------------===//
//
// The bodies mirror the numeric kernels (quant-eval/Numerics) operation for
// operation, so that compiled code, constant folding and the unit-tested
// reference agree bit for bit; see the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Conversion/Passes.h"
#include "quant-eval/Dialect/QE/IR/QEOps.h"
#include "quant-eval/Dialect/QE/Utils/ConstantUtils.h"
#include "quant-eval/Numerics/QKeras.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::qe {
#define GEN_PASS_DEF_CONVERTQETOLINALG
#include "quant-eval/Conversion/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;
using namespace mlir::qe;
namespace num = quant_eval::numerics;

namespace {

/// `qe` ops compute in f64 for f64 tensors and in f32 otherwise.
FloatType getComputeType(Type elemType) {
  if (elemType.isF64())
    return cast<FloatType>(elemType);
  return Float32Type::get(elemType.getContext());
}

Value castFloat(OpBuilder &b, Location loc, Value v, Type to) {
  unsigned from = cast<FloatType>(v.getType()).getWidth();
  unsigned width = cast<FloatType>(to).getWidth();
  if (v.getType() == to)
    return v;
  if (from < width)
    return arith::ExtFOp::create(b, loc, to, v);
  return arith::TruncFOp::create(b, loc, to, v);
}

/// A scale as the kernels use it: rounded once to the compute type.
double scaleIn(FloatType compute, double scale) {
  return compute.isF64() ? scale : double(float(scale));
}

Value floatConst(OpBuilder &b, Location loc, Type type, double v) {
  return arith::ConstantOp::create(b, loc, type, b.getFloatAttr(type, v));
}

/// A 1-D constant of per-channel parameters.
Value paramTensor(OpBuilder &b, Location loc, FloatType type,
                  ArrayRef<double> values) {
  auto tensorType =
      RankedTensorType::get({static_cast<int64_t>(values.size())}, type);
  SmallVector<Attribute> attrs;
  for (double v : values)
    attrs.push_back(b.getFloatAttr(type, v));
  return arith::ConstantOp::create(b, loc, tensorType,
                                   DenseElementsAttr::get(tensorType, attrs));
}

/// Builds an elementwise linalg.generic over `input` (same shape result,
/// of element type `resultElem`, by default the input's) with extra
/// per-channel 1-D operands indexed by `axis`. `body` gets the element and
/// the channel parameters and returns the result element.
Value buildElementwise(
    OpBuilder &b, Location loc, Value input, ValueRange channelParams,
    int64_t axis,
    function_ref<Value(OpBuilder &, Location, Value, ValueRange)> body,
    Type resultElem = {}) {
  auto inType = cast<RankedTensorType>(input.getType());
  auto type = resultElem ? inType.clone(resultElem) : inType;
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, input);
  Value init = tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  SmallVector<AffineMap> maps = {identity};
  for (size_t i = 0; i < channelParams.size(); ++i)
    maps.push_back(AffineMap::get(rank, 0, b.getAffineDimExpr(axis)));
  maps.push_back(identity);
  SmallVector<Value> inputs = {input};
  llvm::append_range(inputs, channelParams);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, type, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value r = body(nb, nloc, args[0], args.slice(1, channelParams.size()));
        linalg::YieldOp::create(nb, nloc, r);
      });
  return generic.getResult(0);
}

Value roundWithMode(OpBuilder &b, Location loc, Value x, RoundingMode mode) {
  switch (mode) {
  case RoundingMode::RNE:
    return math::RoundEvenOp::create(b, loc, x);
  case RoundingMode::RHAZ:
    return math::RoundOp::create(b, loc, x);
  case RoundingMode::RHU: {
    // floor(x) + (x - floor(x) >= 0.5), exact where floor(x + 0.5) is not.
    Value f = math::FloorOp::create(b, loc, x);
    Value frac = arith::SubFOp::create(b, loc, x, f);
    Value half = floatConst(b, loc, x.getType(), 0.5);
    Value up =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, frac, half);
    Value f1 =
        arith::AddFOp::create(b, loc, f, floatConst(b, loc, x.getType(), 1.0));
    return arith::SelectOp::create(b, loc, up, f1, f);
  }
  }
  llvm_unreachable("unknown rounding mode");
}

struct FakeQuantLowering : OpConversionPattern<FakeQuantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(FakeQuantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    FloatType compute = getComputeType(type.getElementType());
    num::QuantRange range = op.getRange();
    SmallVector<double> scales, lo, hi;
    for (auto [s, z] : llvm::zip(op.getScales(), op.getZeroPoints())) {
      // Round the scale to the compute type once, as the kernel does.
      scales.push_back(scaleIn(compute, s));
      lo.push_back(double(range.qmin - z));
      hi.push_back(double(range.qmax - z));
    }
    RoundingMode mode = op.getRounding();
    Type elemType = type.getElementType();
    auto body = [&](OpBuilder &b, Location l, Value x, Value s, Value qlo,
                    Value qhi) {
      Value v = castFloat(b, l, x, compute);
      Value q = arith::DivFOp::create(b, l, v, s);
      Value r = roundWithMode(b, l, q, mode);
      r = arith::MaximumFOp::create(b, l, r, qlo);
      r = arith::MinimumFOp::create(b, l, r, qhi);
      return castFloat(b, l, arith::MulFOp::create(b, l, s, r), elemType);
    };
    Value result;
    if (op.isPerAxis()) {
      SmallVector<Value> params = {paramTensor(rewriter, loc, compute, scales),
                                   paramTensor(rewriter, loc, compute, lo),
                                   paramTensor(rewriter, loc, compute, hi)};
      result = buildElementwise(
          rewriter, loc, adaptor.getInput(), params, *op.getAxis(),
          [&](OpBuilder &b, Location l, Value x, ValueRange p) {
            return body(b, l, x, p[0], p[1], p[2]);
          });
    } else {
      Value s = floatConst(rewriter, loc, compute, scales[0]);
      Value qlo = floatConst(rewriter, loc, compute, lo[0]);
      Value qhi = floatConst(rewriter, loc, compute, hi[0]);
      result =
          buildElementwise(rewriter, loc, adaptor.getInput(), {}, 0,
                           [&](OpBuilder &b, Location l, Value x, ValueRange) {
                             return body(b, l, x, s, qlo, qhi);
                           });
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Like FakeQuantLowering up to the clamp, then adds the zero point and
/// converts to the integer type; NaN becomes the zero point.
struct QuantizeLowering : OpConversionPattern<QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    auto outType = cast<RankedTensorType>(op.getType());
    FloatType compute = getComputeType(inType.getElementType());
    double scale = scaleIn(compute, op.getScale().convertToDouble());
    int64_t z = op.getZeroPointAttr().getInt();
    RoundingMode mode = op.getRounding();
    Type intType = outType.getElementType();
    Value result = buildElementwise(
        rewriter, loc, adaptor.getInput(), {}, 0,
        [&](OpBuilder &b, Location l, Value x, ValueRange) -> Value {
          Value v = castFloat(b, l, x, compute);
          Value r = roundWithMode(
              b, l,
              arith::DivFOp::create(b, l, v, floatConst(b, l, compute, scale)),
              mode);
          r = arith::MaximumFOp::create(
              b, l, r,
              floatConst(b, l, compute, double(op.getQminAttr().getInt() - z)));
          r = arith::MinimumFOp::create(
              b, l, r,
              floatConst(b, l, compute, double(op.getQmaxAttr().getInt() - z)));
          Value isNan =
              arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, v, v);
          r = arith::SelectOp::create(b, l, isNan,
                                      floatConst(b, l, compute, 0.0), r);
          // r + z is an integer in [qmin, qmax], exact in the compute type.
          r = arith::AddFOp::create(b, l, r,
                                    floatConst(b, l, compute, double(z)));
          return arith::FPToSIOp::create(b, l, intType, r);
        },
        intType);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Δ · float(q − z), the subtraction in i32 (exact for every storage type).
struct DequantizeLowering : OpConversionPattern<DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = cast<RankedTensorType>(op.getType());
    Type elemType = outType.getElementType();
    FloatType compute = getComputeType(elemType);
    double scale = scaleIn(compute, op.getScale().convertToDouble());
    Type i32 = rewriter.getI32Type();
    int32_t z = int32_t(op.getZeroPointAttr().getInt());
    Value result = buildElementwise(
        rewriter, loc, adaptor.getInput(), {}, 0,
        [&](OpBuilder &b, Location l, Value q, ValueRange) {
          if (q.getType() != i32)
            q = arith::ExtSIOp::create(b, l, i32, q);
          q = arith::SubIOp::create(
              b, l, q,
              arith::ConstantOp::create(b, l, i32, b.getI32IntegerAttr(z)));
          Value r = arith::SIToFPOp::create(b, l, compute, q);
          r = arith::MulFOp::create(b, l, floatConst(b, l, compute, scale), r);
          return castFloat(b, l, r, elemType);
        },
        elemType);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct Po2QuantLowering : OpConversionPattern<Po2QuantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Po2QuantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    std::optional<double> maxValue;
    if (std::optional<APFloat> m = op.getMaxValue())
      maxValue = m->convertToDouble();
    std::optional<num::Po2ExponentRange> range =
        num::getPo2ExponentRange(op.getBits(), maxValue);
    if (!range)
      return rewriter.notifyMatchFailure(op, "invalid bits or max_value");
    Type elemType = cast<RankedTensorType>(op.getType()).getElementType();
    Type f64 = rewriter.getF64Type();
    Value result = buildElementwise(
        rewriter, loc, adaptor.getInput(), {}, 0,
        [&](OpBuilder &b, Location l, Value x, ValueRange) {
          // In f64, like the kernel: log2 in f32 would move exponents near
          // the rounding boundaries.
          Value v = castFloat(b, l, x, f64);
          Value zero = floatConst(b, l, f64, 0.0);
          Value neg =
              arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, v, zero);
          Value sign =
              arith::SelectOp::create(b, l, neg, floatConst(b, l, f64, -1.0),
                                      floatConst(b, l, f64, 1.0));
          Value a = math::AbsFOp::create(b, l, v);
          Value tiny = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, a,
                                             floatConst(b, l, f64, 1e-7));
          Value am = a;
          if (maxValue)
            am = arith::MinimumFOp::create(b, l, a,
                                           floatConst(b, l, f64, *maxValue));
          Value e =
              math::RoundEvenOp::create(b, l, math::Log2Op::create(b, l, am));
          Value minE = floatConst(b, l, f64, double(range->minExp));
          e = arith::MaximumFOp::create(b, l, e, minE);
          e = arith::MinimumFOp::create(
              b, l, e, floatConst(b, l, f64, double(range->maxExp)));
          e = arith::SelectOp::create(b, l, tiny, minE, e);
          Value p = math::Exp2Op::create(b, l, e);
          return castFloat(b, l, arith::MulFOp::create(b, l, sign, p),
                           elemType);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct BatchNormLowering : OpConversionPattern<BatchNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BatchNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type elemType = cast<RankedTensorType>(op.getType()).getElementType();
    FloatType compute = getComputeType(elemType);
    double eps = op.getEpsilon().convertToDouble();

    // With constant statistics, scale / sqrt(variance + eps) is computed
    // once here instead of for every element.
    // Imported statistics are often resource blobs (f32); f16 models hold
    // dense elements.
    auto constantValues = [](Value v) -> std::optional<SmallVector<double>> {
      if (std::optional<std::vector<float>> f32 = getConstantFloats(v))
        return SmallVector<double>(f32->begin(), f32->end());
      DenseFPElementsAttr dense;
      if (!matchPattern(v, m_Constant(&dense)))
        return std::nullopt;
      return llvm::map_to_vector(dense.getValues<APFloat>(),
                                 [](APFloat x) { return x.convertToDouble(); });
    };
    std::optional<SmallVector<double>> scale = constantValues(op.getScale());
    std::optional<SmallVector<double>> variance =
        constantValues(op.getVariance());
    if (scale && variance && scale->size() == variance->size()) {
      SmallVector<double> inv;
      for (auto [g, v] : llvm::zip(*scale, *variance))
        inv.push_back(g / std::sqrt(v + eps));
      Value invTensor = paramTensor(rewriter, loc, compute, inv);
      Value result = buildElementwise(
          rewriter, loc, adaptor.getInput(),
          {invTensor, adaptor.getOffset(), adaptor.getMean()}, op.getAxis(),
          [&](OpBuilder &b, Location l, Value x, ValueRange p) {
            auto c = [&](Value v) { return castFloat(b, l, v, compute); };
            Value centered = arith::SubFOp::create(b, l, c(x), c(p[2]));
            Value y = arith::AddFOp::create(
                b, l, arith::MulFOp::create(b, l, centered, p[0]), c(p[1]));
            return castFloat(b, l, y, elemType);
          });
      rewriter.replaceOp(op, result);
      return success();
    }

    Value result = buildElementwise(
        rewriter, loc, adaptor.getInput(),
        {adaptor.getScale(), adaptor.getOffset(), adaptor.getMean(),
         adaptor.getVariance()},
        op.getAxis(), [&](OpBuilder &b, Location l, Value x, ValueRange p) {
          auto c = [&](Value v) { return castFloat(b, l, v, compute); };
          Value var = arith::AddFOp::create(b, l, c(p[3]),
                                            floatConst(b, l, compute, eps));
          Value inv = arith::DivFOp::create(b, l, c(p[0]),
                                            math::SqrtOp::create(b, l, var));
          Value centered = arith::SubFOp::create(b, l, c(x), c(p[2]));
          Value y = arith::AddFOp::create(
              b, l, arith::MulFOp::create(b, l, centered, inv), c(p[1]));
          return castFloat(b, l, y, elemType);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ObserveErasure : OpConversionPattern<ObserveOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ObserveOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

struct ConvertQEToLinalgPass
    : public qe::impl::ConvertQEToLinalgBase<ConvertQEToLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!eraseObservers) {
      WalkResult w = func.walk([](ObserveOp op) {
        op.emitOpError() << "has no execution lowering here; run the "
                            "calibration lowering first, or pass "
                            "erase-observers=true to drop probes";
        return WalkResult::interrupt();
      });
      if (w.wasInterrupted())
        return signalPassFailure();
    }
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<QEDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    populateQEToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(func, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::qe::populateQEToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<FakeQuantLowering, QuantizeLowering, DequantizeLowering,
               Po2QuantLowering, BatchNormLowering, ObserveErasure>(
      patterns.getContext());
}
