//===- FoldBatchNorm.cpp - Fold qe.batch_norm into convolutions -----------===//

#include "quant-eval/Dialect/QE/IR/QEOps.h"
#include "quant-eval/Dialect/QE/Transforms/Passes.h"
#include "quant-eval/Dialect/QE/Utils/ConstantUtils.h"

#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

namespace mlir::qe {
#define GEN_PASS_DEF_FOLDBATCHNORM
#include "quant-eval/Dialect/QE/Transforms/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;
using namespace mlir::qe;
namespace num = quant_eval::numerics;

namespace {

/// PyTorch's QAT ConvBn exports multiply the convolution by the reciprocal of
/// the γ/σ it folded into the weight, so the total factor is 1 up to a few
/// f32 ulps. Below this distance from 1 a quantized weight is left as it is:
/// its integer grid stays bit-identical, and the error is far below a step.
constexpr double kUnitFactorTolerance = 1e-5;

/// The batch norm's statistics and the per-channel factor γ / σ.
struct Statistics {
  std::vector<float> gamma, beta, mean, var;
  std::vector<double> factor; // γ / sqrt(var + ε)
};

std::optional<Statistics> readStatistics(BatchNormOp bn) {
  Statistics s;
  auto g = getConstantFloats(bn.getScale());
  auto b = getConstantFloats(bn.getOffset());
  auto m = getConstantFloats(bn.getMean());
  auto v = getConstantFloats(bn.getVariance());
  if (!g || !b || !m || !v)
    return std::nullopt;
  s.gamma = std::move(*g);
  s.beta = std::move(*b);
  s.mean = std::move(*m);
  s.var = std::move(*v);
  double eps = bn.getEpsilon().convertToDouble();
  for (size_t c = 0; c < s.gamma.size(); ++c)
    s.factor.push_back(double(s.gamma[c]) / std::sqrt(double(s.var[c]) + eps));
  return s;
}

/// Erases a replaced batch norm and the statistics only it used.
void eraseBatchNorm(BatchNormOp bn) {
  SmallVector<Value> stats = {bn.getScale(), bn.getOffset(), bn.getMean(),
                              bn.getVariance()};
  bn.erase();
  for (Value v : stats)
    eraseIfDeadConstant(v);
}

/// The convolution a batch norm folds into, and the constant per-channel
/// factor C between them (1 without a tosa.mul).
struct Producer {
  Operation *conv = nullptr;
  tosa::MulOp mul; // null for batch_norm(conv)
  std::vector<double> multiplier;
};

bool isConvolution(Operation *op) {
  return isa_and_nonnull<tosa::Conv2DOp, tosa::DepthwiseConv2DOp,
                         tosa::TransposeConv2DOp>(op);
}

/// C per channel when `value` is a constant, or tosa.reciprocal of one
/// (folded here in double), that varies along the last axis only.
std::optional<std::vector<double>> getChannelMultiplier(Value value,
                                                        int64_t channels) {
  auto reciprocal = value.getDefiningOp<tosa::ReciprocalOp>();
  if (reciprocal)
    value = reciprocal.getInput1();
  auto type = dyn_cast<RankedTensorType>(value.getType());
  std::optional<std::vector<float>> c = getConstantFloats(value);
  if (!type || type.getRank() == 0 || !c)
    return std::nullopt;
  // All dimensions but the last are 1, and the last is 1 or the channels.
  int64_t n = type.getNumElements();
  if (n != type.getDimSize(type.getRank() - 1) || (n != 1 && n != channels))
    return std::nullopt;
  std::vector<double> multiplier;
  for (int64_t i = 0; i < channels; ++i) {
    double v = (*c)[n == 1 ? 0 : i];
    multiplier.push_back(reciprocal ? 1.0 / v : v);
  }
  return multiplier;
}

/// Matches batch_norm(conv) and batch_norm(mul(conv, C)), the form PyTorch
/// QAT exports, on the channel (last) axis, with no other user of the
/// convolution or the mul.
std::optional<Producer> findProducer(BatchNormOp bn, int64_t channels) {
  auto type = cast<RankedTensorType>(bn.getType());
  if (int64_t(bn.getAxis()) != type.getRank() - 1 ||
      type.getDimSize(type.getRank() - 1) != channels)
    return std::nullopt;
  Producer p{
      bn.getInput().getDefiningOp(), {}, std::vector<double>(channels, 1.0)};
  if (auto mul = dyn_cast_or_null<tosa::MulOp>(p.conv)) {
    // A shift only applies to integer multiplies; a float one must have 0.
    DenseIntElementsAttr shift;
    if (!mul->hasOneUse() || !matchPattern(mul.getShift(), m_Constant(&shift)))
      return std::nullopt;
    if (llvm::any_of(shift.getValues<APInt>(),
                     [](const APInt &v) { return !v.isZero(); }))
      return std::nullopt;
    Value x = mul.getInput1(), c = mul.getInput2();
    if (!isConvolution(x.getDefiningOp()))
      std::swap(x, c);
    std::optional<std::vector<double>> multiplier =
        getChannelMultiplier(c, channels);
    // The conv's shape must be the mul's, not broadcast by it.
    if (!multiplier || x.getType() != mul.getType())
      return std::nullopt;
    p = {x.getDefiningOp(), mul, std::move(*multiplier)};
  }
  if (!isConvolution(p.conv) || !p.conv->getResult(0).hasOneUse())
    return std::nullopt;
  return p;
}

/// Erases the mul between convolution and batch norm and its constant, or
/// reciprocal of a constant, factor.
void eraseMul(tosa::MulOp mul) {
  SmallVector<Value> operands(mul->getOperands());
  mul.erase();
  for (Value v : operands) {
    if (auto r = v.getDefiningOp<tosa::ReciprocalOp>(); r && r->use_empty()) {
      v = r.getInput1();
      r.erase();
    }
    eraseIfDeadConstant(v);
  }
}

/// Remarks why a batch norm is not folded, and fails.
LogicalResult notFolded(BatchNormOp bn, const Twine &why) {
  return bn.emitRemark() << why << "; lowered to mul/add";
}

/// Each scale of a weight's fake quant times the k of the output channels
/// it covers, or nothing when they differ (a per-tensor scale with unequal
/// k would have to become per axis). Both layouts map flat weight indices.
std::optional<std::vector<double>> scaleGrid(ArrayRef<double> scales,
                                             num::AxisLayout fqLayout,
                                             num::AxisLayout outLayout,
                                             ArrayRef<double> k, int64_t n) {
  std::vector<double> factor(scales.size(), 0); // 0: not seen yet (k > 0)
  for (int64_t i = 0; i < n; ++i) {
    double &f = factor[fqLayout.channelOf(i)];
    double ki = k[outLayout.channelOf(i)];
    if (f != 0 && f != ki)
      return std::nullopt;
    f = ki;
  }
  std::vector<double> scaled;
  for (auto [scale, f] : llvm::zip_equal(scales, factor))
    scaled.push_back(scale * f);
  return scaled;
}

/// Scales the convolution weight by k per output channel. A constant is
/// scaled directly. Any other weight (quantized, or computed) with k ≈ 1 is
/// left alone. For qe.fake_quant(constant) both the constant and the scales
/// are scaled, which keeps every integer, q = round((w·k) / (Δ·k)), so k must
/// be positive and equal within each group of channels sharing a scale.
LogicalResult scaleWeight(OpBuilder &b, BatchNormOp bn, Operation *conv,
                          ArrayRef<double> k) {
  Value weight = conv->getOperand(1);
  auto fq = weight.getDefiningOp<FakeQuantOp>();
  Value constant = fq ? fq.getInput() : weight;
  std::optional<ArrayRef<float>> w = getConstantFloatsView(constant);
  std::optional<std::vector<float>> copy;
  if (!w && (copy = getConstantFloats(constant)))
    w = ArrayRef<float>(*copy);
  if (fq || !w) {
    double deviation = 0;
    for (double v : k)
      deviation = std::max(deviation, std::abs(v - 1));
    if (deviation <= kUnitFactorTolerance)
      return success();
    if (!w)
      return notFolded(bn, "the weight is neither a constant nor a "
                           "fake-quantized constant");
    if (llvm::any_of(k, [](double v) { return !(v > 0); }))
      return notFolded(bn, "a channel factor is not positive, so the "
                           "weight's quantization grid cannot scale by it");
    if (!fq->hasOneUse())
      return notFolded(bn, "the fake-quantized weight has other users");
  }

  // Output channel of each flat weight index: conv2d and transpose_conv2d
  // weights are OHWI (outermost), depthwise ones HWCM (c·M + m, innermost).
  auto wType = cast<RankedTensorType>(constant.getType());
  const int64_t n = static_cast<int64_t>(w->size()),
                channels = static_cast<int64_t>(k.size());
  num::AxisLayout outLayout{channels, n / channels};
  if (isa<tosa::DepthwiseConv2DOp>(conv))
    outLayout.inner = 1;

  num::AxisLayout fqLayout{1, n};
  std::vector<double> scales;
  num::QuantRange range{};
  num::Rounding mode{};
  if (fq) {
    range = fq.getRange();
    mode = toNumerics(fq.getRounding());
    if (fq.isPerAxis()) {
      std::optional<num::AxisLayout> l =
          num::getAxisLayout(wType.getShape().vec(), *fq.getAxis(), n);
      if (!l)
        return notFolded(bn, "the weight's fake quant has no valid axis");
      fqLayout = *l;
    }
    std::optional<std::vector<double>> s =
        scaleGrid(fq.getScales(), fqLayout, outLayout, k, n);
    if (!s)
      return notFolded(bn, "channels with different factors share a "
                           "quantization scale of the weight");
    scales = std::move(*s);
  }

  auto fill = [&](MutableArrayRef<float> out) {
    for (int64_t i = 0; i < n; ++i) {
      out[i] = float(double((*w)[i]) * k[outLayout.channelOf(i)]);
      if (!fq || !std::isfinite((*w)[i]))
        continue;
      // round((w·k) / (Δ·k)) = round(w / Δ) holds exactly only in real
      // arithmetic: where f32 rounding flips a near-tie, the weight moves
      // onto its grid point, which keeps its integer in any rounding mode.
      int64_t c = fqLayout.channelOf(i), z = fq.getZeroPoints()[c];
      int64_t q =
          num::quantize((*w)[i], float(fq.getScales()[c]), z, range, mode);
      if (num::quantize(out[i], float(scales[c]), z, range, mode) != q)
        out[i] = num::dequantize(q, float(scales[c]), z);
    }
  };
  b.setInsertionPoint(fq ? fq.getOperation() : conv);
  Value scaled = createFloatConstant(b, constant.getLoc(), wType, fill,
                                     "qe_folded_weight");
  if (fq) {
    fq.getInputMutable().assign(scaled);
    fq.setScales(scales);
  } else {
    conv->setOperand(1, scaled);
  }
  eraseIfDeadConstant(constant);
  return success();
}

/// Folds the batch norm into the convolution found by findProducer; on
/// failure, remarks why and changes nothing.
LogicalResult foldIntoProducer(OpBuilder &b, BatchNormOp bn,
                               const Statistics &s) {
  int64_t channels = static_cast<int64_t>(s.factor.size());
  std::optional<Producer> p = findProducer(bn, channels);
  if (!p)
    return notFolded(bn, "no convolution to fold into");
  Operation *conv = p->conv;
  Value bias = conv->getOperand(2);
  std::optional<std::vector<float>> bb = getConstantFloats(bias);
  if (!bb || int64_t(bb->size()) != channels)
    return notFolded(bn, "the convolution's bias is not a constant per "
                         "channel");
  // BN(C·(conv + b)) = k·conv + b' with k = C·γ/σ and
  // b' = β + (b·C − μ)·γ/σ.
  std::vector<double> k;
  for (int64_t c = 0; c < channels; ++c)
    k.push_back(p->multiplier[c] * s.factor[c]);
  if (failed(scaleWeight(b, bn, conv, k)))
    return failure();
  for (int64_t c = 0; c < channels; ++c)
    (*bb)[c] = float(double(s.beta[c]) + double((*bb)[c]) * k[c] -
                     double(s.mean[c]) * s.factor[c]);

  b.setInsertionPoint(conv);
  auto bType = cast<RankedTensorType>(bias.getType());
  conv->setOperand(
      2, createFloatConstant(b, bias.getLoc(), bType, *bb, "qe_folded_bias"));
  conv->setAttr("qe.bn_beta", b.getDenseF64ArrayAttr(SmallVector<double>(
                                  s.beta.begin(), s.beta.end())));
  conv->setAttr("qe.bn_gamma", b.getDenseF64ArrayAttr(SmallVector<double>(
                                   s.gamma.begin(), s.gamma.end())));
  bn.replaceAllUsesWith(conv->getResult(0));
  eraseBatchNorm(bn);
  if (p->mul)
    eraseMul(p->mul);
  eraseIfDeadConstant(bias);
  return success();
}

/// x · γ/σ + (β − μ γ/σ), broadcast along the channel axis.
void lowerToMulAdd(OpBuilder &b, BatchNormOp bn, const Statistics &s) {
  auto type = cast<RankedTensorType>(bn.getType());
  SmallVector<int64_t> shape(type.getRank(), 1);
  shape[bn.getAxis()] = static_cast<int64_t>(s.factor.size());
  auto paramType = RankedTensorType::get(shape, type.getElementType());
  std::vector<float> mul, add;
  for (size_t c = 0; c < s.factor.size(); ++c) {
    mul.push_back(float(s.factor[c]));
    add.push_back(float(double(s.beta[c]) - double(s.mean[c]) * s.factor[c]));
  }
  b.setInsertionPoint(bn);
  Location loc = bn.getLoc();
  Value m = createFloatConstant(b, loc, paramType, mul, "qe_bn_scale");
  Value a = createFloatConstant(b, loc, paramType, add, "qe_bn_shift");
  auto shiftType = RankedTensorType::get({1}, b.getI8Type());
  Value shift = tosa::ConstOp::create(
      b, loc, shiftType,
      DenseElementsAttr::get(shiftType, b.getI8IntegerAttr(0)));
  Value y = tosa::MulOp::create(b, loc, type, bn.getInput(), m, shift);
  y = tosa::AddOp::create(b, loc, type, y, a);
  bn.replaceAllUsesWith(y);
  eraseBatchNorm(bn);
}

struct FoldBatchNormPass
    : public qe::impl::FoldBatchNormBase<FoldBatchNormPass> {
  void runOnOperation() override {
    SmallVector<BatchNormOp> bns;
    getOperation().walk([&](BatchNormOp bn) { bns.push_back(bn); });
    OpBuilder b(&getContext());
    for (BatchNormOp bn : bns) {
      std::optional<Statistics> s = readStatistics(bn);
      if (!s) {
        bn.emitRemark() << "batch norm with statistics computed at run time "
                           "is left unfolded";
        continue;
      }
      // foldIntoProducer remarks why when it cannot fold.
      if (failed(foldIntoProducer(b, bn, *s)))
        lowerToMulAdd(b, bn, *s);
    }
  }
};

} // namespace
