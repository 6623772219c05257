//===- FoldBatchNorm.cpp - Fold qe.batch_norm into convolutions -----------===//

#include "quant-eval/Dialect/QE/IR/QEOps.h"
#include "quant-eval/Dialect/QE/Transforms/Passes.h"
#include "quant-eval/Dialect/QE/Utils/ConstantUtils.h"

#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"

#include <cmath>

namespace mlir::qe {
#define GEN_PASS_DEF_FOLDBATCHNORM
#include "quant-eval/Dialect/QE/Transforms/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;
using namespace mlir::qe;

namespace {

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

LogicalResult foldIntoProducer(OpBuilder &b, BatchNormOp bn,
                               const Statistics &s) {
  Operation *conv = bn.getInput().getDefiningOp();
  if (!conv ||
      !isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp, tosa::TransposeConv2DOp>(
          conv) ||
      !conv->getResult(0).hasOneUse())
    return failure();
  auto outType = cast<RankedTensorType>(conv->getResult(0).getType());
  if (int64_t(bn.getAxis()) != outType.getRank() - 1)
    return failure();
  Value weight = conv->getOperand(1), bias = conv->getOperand(2);
  std::optional<ArrayRef<float>> w = getConstantFloatsView(weight);
  std::optional<std::vector<float>> copy;
  if (!w && (copy = getConstantFloats(weight)))
    w = ArrayRef<float>(*copy);
  auto bb = getConstantFloats(bias);
  auto wType = cast<RankedTensorType>(weight.getType());
  auto bType = cast<RankedTensorType>(bias.getType());
  int64_t channels = static_cast<int64_t>(s.factor.size());
  if (!w || !bb || bType.getNumElements() != channels ||
      outType.getDimSize(outType.getRank() - 1) != channels)
    return failure();

  for (int64_t c = 0; c < channels; ++c)
    (*bb)[c] = float(double(s.beta[c]) +
                     (double((*bb)[c]) - double(s.mean[c])) * s.factor[c]);

  // Scale the weights straight into the new constant. Depthwise channels
  // are the innermost (HWCM) dimensions, convolution channels the outermost
  // (OHWI).
  const int64_t n = static_cast<int64_t>(w->size());
  const bool channelsInner = isa<tosa::DepthwiseConv2DOp>(conv);
  const int64_t block = channelsInner ? channels : n / channels;
  auto fill = [&](MutableArrayRef<float> out) {
    for (int64_t start = 0; start < n; start += block)
      for (int64_t j = 0; j < block; ++j) {
        int64_t c = channelsInner ? j : start / block;
        out[start + j] = float(double((*w)[start + j]) * s.factor[c]);
      }
  };
  b.setInsertionPoint(conv);
  conv->setOperand(1, createFloatConstant(b, weight.getLoc(), wType, fill,
                                          "qe_folded_weight"));
  conv->setOperand(
      2, createFloatConstant(b, bias.getLoc(), bType, *bb, "qe_folded_bias"));
  conv->setAttr("qe.bn_beta", b.getDenseF64ArrayAttr(SmallVector<double>(
                                  s.beta.begin(), s.beta.end())));
  conv->setAttr("qe.bn_gamma", b.getDenseF64ArrayAttr(SmallVector<double>(
                                   s.gamma.begin(), s.gamma.end())));
  bn.replaceAllUsesWith(conv->getResult(0));
  eraseBatchNorm(bn);
  eraseIfDeadConstant(weight);
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
      if (succeeded(foldIntoProducer(b, bn, *s)))
        continue;
      bn.emitRemark() << "no convolution to fold into; lowered to mul/add";
      lowerToMulAdd(b, bn, *s);
    }
  }
};

} // namespace
