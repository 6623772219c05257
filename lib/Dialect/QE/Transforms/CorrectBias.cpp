//===- CorrectBias.cpp - Bias correction for weight quantization ----------===//

#include "WeightQuantization.h"

#include "quant-eval/Dialect/QE/IR/QEOps.h"
#include "quant-eval/Dialect/QE/Transforms/Passes.h"
#include "quant-eval/Dialect/QE/Utils/ConstantUtils.h"
#include "quant-eval/Dialect/QE/Utils/LayerName.h"
#include "quant-eval/Numerics/ClippedNormal.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>
#include <limits>

namespace mlir::qe {
#define GEN_PASS_DEF_CORRECTBIAS
#include "quant-eval/Dialect/QE/Transforms/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;
using namespace mlir::qe;
namespace num = quant_eval::numerics;

namespace {

/// E[v] per channel, derived without data; nothing if unknown.
std::optional<std::vector<double>> expectation(Value v) {
  Operation *op = v.getDefiningOp();
  if (!op)
    return std::nullopt; // a function argument: the model input
  auto statsOf = [](Operation *layer, std::vector<double> &mean,
                    std::vector<double> &sigma) {
    auto beta = layer->getAttrOfType<DenseF64ArrayAttr>("qe.bn_beta");
    auto gamma = layer->getAttrOfType<DenseF64ArrayAttr>("qe.bn_gamma");
    if (!beta || !gamma || beta.size() != gamma.size())
      return false;
    mean.assign(beta.asArrayRef().begin(), beta.asArrayRef().end());
    sigma.assign(gamma.asArrayRef().begin(), gamma.asArrayRef().end());
    return true;
  };
  std::vector<double> mean, sigma;
  if (isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp>(op)) {
    if (!statsOf(op, mean, sigma))
      return std::nullopt;
    return mean;
  }
  if (auto clamp = dyn_cast<tosa::ClampOp>(op)) {
    Operation *layer = clamp.getInput().getDefiningOp();
    auto lo = dyn_cast<FloatAttr>(clamp.getMinValAttr());
    auto hi = dyn_cast<FloatAttr>(clamp.getMaxValAttr());
    if (!layer || !lo || !hi || !statsOf(layer, mean, sigma))
      return std::nullopt;
    double l = lo.getValueAsDouble(), h = hi.getValueAsDouble();
    if (h >= std::numeric_limits<float>::max())
      h = std::numeric_limits<double>::infinity();
    for (size_t c = 0; c < mean.size(); ++c)
      mean[c] = num::clippedNormalMean(mean[c], sigma[c], l, h);
    return mean;
  }
  if (auto add = dyn_cast<tosa::AddOp>(op)) {
    auto a = expectation(add.getInput1()), b = expectation(add.getInput2());
    if (!a || !b || a->size() != b->size())
      return std::nullopt;
    for (size_t c = 0; c < a->size(); ++c)
      (*a)[c] += (*b)[c];
    return a;
  }
  if (auto cat = dyn_cast<tosa::ConcatOp>(op)) {
    auto type = cast<RankedTensorType>(cat.getType());
    if (int64_t(cat.getAxis()) != type.getRank() - 1)
      return std::nullopt;
    std::vector<double> all;
    for (Value in : cat.getInput1()) {
      auto e = expectation(in);
      if (!e)
        return std::nullopt;
      all.insert(all.end(), e->begin(), e->end());
    }
    return all;
  }
  // Averages and reshapes keep the per-channel mean.
  if (isa<tosa::AvgPool2dOp, tosa::ReshapeOp>(op))
    return expectation(op->getOperand(0));
  return std::nullopt;
}

/// The operand holding `layer`'s bias: a convolution's third operand, or
/// for a fully connected layer (tosa.matmul, as the importer writes Gemm)
/// the value added to its result, after an optional reshape, when it has
/// one element per output. Null for other layers; the caller reads the
/// bias and skips it unless it is constant.
OpOperand *getBiasOperand(Operation *layer, int64_t outputs) {
  if (isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp>(layer))
    return &layer->getOpOperand(2);
  if (!isa<tosa::MatMulOp>(layer))
    return nullptr;
  Value y = layer->getResult(0);
  if (!y.hasOneUse())
    return nullptr;
  Operation *user = *y.getUsers().begin();
  if (isa<tosa::ReshapeOp>(user)) {
    y = user->getResult(0);
    if (!y.hasOneUse())
      return nullptr;
    user = *y.getUsers().begin();
  }
  auto add = dyn_cast<tosa::AddOp>(user);
  if (!add)
    return nullptr;
  OpOperand &bias = add->getOpOperand(add.getInput1() == y ? 1 : 0);
  auto type = cast<RankedTensorType>(bias.get().getType());
  if (!type.hasStaticShape() || type.getNumElements() != outputs ||
      type.getDimSize(type.getRank() - 1) != outputs)
    return nullptr;
  return &bias;
}

struct CorrectBiasPass : public qe::impl::CorrectBiasBase<CorrectBiasPass> {
  using Base::Base;

  num::SQuantMode mode = num::SQuantMode::E;
  llvm::StringMap<std::vector<double>> measured;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (bits < int(num::kMinBits) || bits > int(num::kMaxBits))
      return emitError(UnknownLoc::get(ctx))
             << "qe-correct-bias: bits must be in [" << num::kMinBits << ", "
             << num::kMaxBits << "], got " << int(bits);
    if (granularity != "channel" && granularity != "tensor")
      return emitError(UnknownLoc::get(ctx))
             << "qe-correct-bias: granularity must be channel or tensor";
    std::optional<num::SQuantMode> m = parseWeightRounding(rounding);
    if (!m)
      return emitError(UnknownLoc::get(ctx))
             << "qe-correct-bias: unknown rounding '" << rounding << "'";
    mode = *m;
    if (errorsFile.empty())
      return success();
    auto buffer = llvm::MemoryBuffer::getFile(errorsFile);
    if (!buffer)
      return emitError(UnknownLoc::get(ctx))
             << "qe-correct-bias: cannot read " << errorsFile;
    llvm::Expected<llvm::json::Value> json =
        llvm::json::parse((*buffer)->getBuffer());
    const llvm::json::Object *object = json ? json->getAsObject() : nullptr;
    if (!object) {
      if (!json)
        llvm::consumeError(json.takeError());
      return emitError(UnknownLoc::get(ctx))
             << "qe-correct-bias: " << errorsFile
             << " is not a JSON object of layer name -> per-channel means";
    }
    for (const auto &kv : *object) {
      const llvm::json::Array *values = kv.second.getAsArray();
      if (!values)
        return emitError(UnknownLoc::get(ctx))
               << "qe-correct-bias: " << errorsFile << ": '" << kv.first.str()
               << "' is not an array of numbers";
      std::vector<double> &means = measured[kv.first.str()];
      for (const llvm::json::Value &v : *values) {
        std::optional<double> d = v.getAsNumber();
        if (!d)
          return emitError(UnknownLoc::get(ctx))
                 << "qe-correct-bias: " << errorsFile << ": '" << kv.first.str()
                 << "' has a non-number";
        means.push_back(*d);
      }
    }
    return success();
  }

  /// The correction of `layer`'s bias: measured, or ε·E[x].
  std::optional<std::vector<double>>
  correction(Operation *layer, const WeightView &view, ArrayRef<float> w) {
    if (!errorsFile.empty()) {
      auto it = measured.find(getLayerName(layer));
      if (it == measured.end())
        return std::nullopt;
      return it->second;
    }
    std::optional<std::vector<double>> ex = expectation(layer->getOperand(0));
    bool depthwise = isa<tosa::DepthwiseConv2DOp>(layer);
    if (!ex || int64_t(ex->size()) != (depthwise ? view.channels : view.inputs))
      return std::nullopt;
    std::vector<float> quantized(w.size());
    WeightGridOptions options{bits, granularity == "channel", symmetric, mode};
    if (!roundWeights(w, view, options, quantized.data()))
      return std::nullopt;
    std::vector<double> corr(view.channels, 0.0);
    for (int64_t o = 0; o < view.channels; ++o)
      for (int64_t i = 0; i < view.inputs; ++i)
        for (int64_t p = 0; p < view.k; ++p) {
          int64_t at = view.index(o, i, p);
          double eps = double(quantized[at]) - double(w[at]);
          corr[o] += eps * (*ex)[depthwise ? o : i];
        }
    return corr;
  }

  void runOnOperation() override {
    OpBuilder b(&getContext());
    getOperation().walk([&](Operation *op) {
      auto weight = getLayerWeight(op);
      if (!weight || weight->second.channels == 0 ||
          weight->first->get().getDefiningOp<FakeQuantOp>())
        return;
      OpOperand *biasOperand = getBiasOperand(op, weight->second.channels);
      if (!biasOperand)
        return;
      auto w = getConstantFloats(weight->first->get());
      auto bias = getConstantFloats(biasOperand->get());
      if (!w || !bias)
        return;
      std::optional<std::vector<double>> corr =
          correction(op, weight->second, *w);
      if (!corr || corr->size() != bias->size()) {
        if (corr)
          op->emitWarning()
              << "errors-file gives " << corr->size() << " channel means for "
              << bias->size() << " channels; bias left alone";
        return;
      }
      double largest = 0;
      for (size_t c = 0; c < bias->size(); ++c) {
        (*bias)[c] = float((*bias)[c] - (*corr)[c]);
        largest = std::max(largest, std::fabs((*corr)[c]));
      }
      Value old = biasOperand->get();
      b.setInsertionPoint(biasOperand->getOwner());
      biasOperand->set(createFloatConstant(
          b, old.getLoc(), cast<RankedTensorType>(old.getType()), *bias,
          "qe_corrected_bias"));
      eraseIfDeadConstant(old);
      op->setAttr("qe.bias_correction", b.getF64FloatAttr(largest));
    });
  }
};

} // namespace
