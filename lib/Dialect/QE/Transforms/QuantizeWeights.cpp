//===- QuantizeWeights.cpp - Round constant weights onto a grid -----------===//

#include "quant-eval/Dialect/QE/IR/QEOps.h"
#include "quant-eval/Dialect/QE/Transforms/Passes.h"
#include "quant-eval/Dialect/QE/Utils/ConstantUtils.h"
#include "quant-eval/Numerics/SQuant.h"

#include "mlir/IR/DialectResourceBlobManager.h"

#include <cmath>

namespace mlir::qe {
#define GEN_PASS_DEF_QUANTIZEWEIGHTS
#include "quant-eval/Dialect/QE/Transforms/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;
using namespace mlir::qe;
namespace num = quant_eval::numerics;

namespace {

/// A weight as SQuant sees it: [channels][inputs][k], where element
/// (o, i, p) is stored at o * channelStride + i * inputStride + p * kStride,
/// and the stored axis of the channels (if one axis holds them).
struct WeightView {
  int64_t channels = 0, inputs = 0, k = 0;
  int64_t channelStride = 0, inputStride = 0, kStride = 0;
  std::optional<int64_t> axis;
  int64_t index(int64_t o, int64_t i, int64_t p) const {
    return o * channelStride + i * inputStride + p * kStride;
  }
};

/// [OC, KH, KW, IC] (conv2d, transpose_conv2d): [o][i][kh * KW + kw].
WeightView viewOHWI(RankedTensorType t) {
  int64_t oc = t.getDimSize(0), kh = t.getDimSize(1), kw = t.getDimSize(2),
          ic = t.getDimSize(3);
  return {oc, ic, kh * kw, kh * kw * ic, 1, ic, int64_t(0)};
}

/// [KH, KW, C, M] (depthwise): channel c*M+m, one input, KH*KW positions.
WeightView viewHWCM(RankedTensorType t) {
  int64_t kh = t.getDimSize(0), kw = t.getDimSize(1),
          cm = t.getDimSize(2) * t.getDimSize(3);
  WeightView v{cm, 1, kh * kw, 1, 0, cm, std::nullopt};
  if (t.getDimSize(3) == 1)
    v.axis = 2;
  return v;
}

/// [..., K, N] (matmul right-hand side): channel n, K inputs, one position.
WeightView viewKN(RankedTensorType t) {
  int64_t r = t.getRank(), k = t.getDimSize(r - 2), n = t.getDimSize(r - 1);
  if (t.getNumElements() != k * n)
    return {}; // a real batch of weights: not a layer weight
  return {n, k, 1, 1, n, 0, r - 1};
}

struct QuantizeWeightsPass
    : public qe::impl::QuantizeWeightsBase<QuantizeWeightsPass> {
  using Base::Base;

  num::SQuantMode mode = num::SQuantMode::E;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (bits < int(num::kMinBits) || bits > int(num::kMaxBits))
      return emitError(UnknownLoc::get(ctx))
             << "qe-quantize-weights: bits must be in [" << num::kMinBits
             << ", " << num::kMaxBits << "], got " << int(bits);
    if (granularity != "channel" && granularity != "tensor")
      return emitError(UnknownLoc::get(ctx))
             << "qe-quantize-weights: granularity must be channel or tensor, "
                "got '"
             << granularity << "'";
    static const std::pair<const char *, num::SQuantMode> modes[] = {
        {"nearest", num::SQuantMode::E},
        {"squant-e", num::SQuantMode::E},
        {"squant-k", num::SQuantMode::K},
        {"squant-c", num::SQuantMode::C},
        {"squant", num::SQuantMode::KC}};
    for (auto &[name, m] : modes)
      if (rounding == name) {
        mode = m;
        return success();
      }
    return emitError(UnknownLoc::get(ctx))
           << "qe-quantize-weights: unknown rounding '" << rounding
           << "'; expected nearest, squant-e, squant-k, squant-c or squant";
  }

  /// Quantizes the constant feeding `operand` (a weight of `view`'s shape),
  /// and routes the operand through a qe.fake_quant recording the grid.
  void quantize(OpOperand &operand, Value weight, const WeightView &view) {
    if (view.channels == 0 || weight.getDefiningOp<FakeQuantOp>())
      return;
    std::optional<ArrayRef<float>> w = getConstantFloatsView(weight);
    std::optional<std::vector<float>> copy;
    if (!w) {
      copy = getConstantFloats(weight);
      if (!copy)
        return;
      w = ArrayRef<float>(*copy);
    }
    auto type = cast<RankedTensorType>(weight.getType());
    bool perChannel = granularity == "channel" && view.axis;
    num::QuantRange range =
        *num::getQuantRange(bits, /*isSigned=*/true, /*narrowRange=*/symmetric);
    const int64_t perChannelCount = view.inputs * view.k;

    // Grid parameters: per channel, or one over all channels.
    auto channelParams = [&](int64_t first,
                             int64_t last) -> std::optional<num::AffineParams> {
      double lo = 0, hi = 0, absMax = 0;
      for (int64_t o = first; o < last; ++o)
        for (int64_t i = 0; i < view.inputs; ++i)
          for (int64_t p = 0; p < view.k; ++p) {
            double v = (*w)[view.index(o, i, p)];
            lo = std::min(lo, v), hi = std::max(hi, v);
            absMax = std::max(absMax, std::fabs(v));
          }
      return symmetric ? num::computeSymmetricParams(absMax, range)
                       : num::computeAsymmetricParams(lo, hi, range);
    };
    std::vector<num::AffineParams> params;
    for (int64_t o = 0; o < (perChannel ? view.channels : 1); ++o) {
      std::optional<num::AffineParams> p =
          perChannel ? channelParams(o, o + 1)
                     : channelParams(0, view.channels);
      if (!p)
        return; // NaN or infinite weights: leave the layer alone
      params.push_back(*p);
    }

    // Round channel by channel (SQuant's stages stay within a channel,
    // whatever the grid's granularity) straight into the new blob.
    AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
        w->size() * sizeof(float), alignof(float));
    auto *out = reinterpret_cast<float *>(blob.getMutableData().data());
    std::vector<double> x(perChannelCount);
    std::vector<int64_t> q(perChannelCount);
    num::SQuantRounder rounder;
    for (int64_t o = 0; o < view.channels; ++o) {
      const num::AffineParams &p = params[perChannel ? o : 0];
      const float scale = float(p.scale);
      for (int64_t i = 0; i < view.inputs; ++i)
        for (int64_t k = 0; k < view.k; ++k)
          x[i * view.k + k] =
              double((*w)[view.index(o, i, k)]) / scale + double(p.zeroPoint);
      rounder.roundChannel(x.data(), view.inputs, view.k, range, mode,
                           q.data());
      for (int64_t i = 0; i < view.inputs; ++i)
        for (int64_t k = 0; k < view.k; ++k)
          out[view.index(o, i, k)] =
              num::dequantize(q[i * view.k + k], scale, p.zeroPoint);
    }

    OpBuilder b(operand.getOwner());
    Location loc = weight.getLoc();
    // Small weights stay readable inline, like the importer's.
    Value c =
        type.getNumElements() <= 64
            ? createFloatConstant(b, loc, type, ArrayRef<float>(out, w->size()))
            : tosa::ConstOp::create(
                  b, loc, type,
                  DenseResourceElementsAttr::get(type, "qe_quantized_weight",
                                                 std::move(blob)));
    SmallVector<double> scales;
    SmallVector<int64_t> zeroPoints;
    for (const num::AffineParams &p : params) {
      scales.push_back(p.scale);
      zeroPoints.push_back(p.zeroPoint);
    }
    auto fq = FakeQuantOp::create(
        b, loc, type, c, b.getI32IntegerAttr(bits), UnitAttr(),
        symmetric ? b.getUnitAttr() : UnitAttr(),
        perChannel ? b.getI64IntegerAttr(*view.axis) : IntegerAttr(),
        b.getDenseF64ArrayAttr(scales), b.getDenseI64ArrayAttr(zeroPoints),
        RoundingModeAttr::get(b.getContext(), RoundingMode::RNE));
    operand.set(fq.getResult());
    eraseIfDeadConstant(weight);
  }

  void runOnOperation() override {
    getOperation().walk([&](Operation *op) {
      if (isa<tosa::Conv2DOp, tosa::TransposeConv2DOp>(op)) {
        OpOperand &w = op->getOpOperand(1);
        quantize(w, w.get(),
                 viewOHWI(cast<RankedTensorType>(w.get().getType())));
      } else if (isa<tosa::DepthwiseConv2DOp>(op)) {
        OpOperand &w = op->getOpOperand(1);
        quantize(w, w.get(),
                 viewHWCM(cast<RankedTensorType>(w.get().getType())));
      } else if (auto mm = dyn_cast<tosa::MatMulOp>(op)) {
        // The importer feeds FC weights through a reshape of a constant.
        Value b = mm.getB();
        if (auto reshape = b.getDefiningOp<tosa::ReshapeOp>()) {
          OpOperand &w = reshape->getOpOperand(0);
          auto t = cast<RankedTensorType>(w.get().getType());
          if (t.getRank() >= 2)
            quantize(w, w.get(), viewKN(t));
        } else {
          OpOperand &w = mm->getOpOperand(1);
          quantize(w, w.get(), viewKN(cast<RankedTensorType>(b.getType())));
        }
      }
    });
  }
};

} // namespace
