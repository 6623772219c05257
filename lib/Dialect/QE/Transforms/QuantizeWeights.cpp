//===- QuantizeWeights.cpp - Round constant weights onto a grid -----------===//

#include "quant-eval/Dialect/QE/IR/QEOps.h"
#include "quant-eval/Dialect/QE/Transforms/Passes.h"
#include "quant-eval/Dialect/QE/Utils/ConstantUtils.h"
#include "quant-eval/Numerics/SQuant.h"

#include <cmath>

namespace mlir::qe {
#define GEN_PASS_DEF_QUANTIZEWEIGHTS
#include "quant-eval/Dialect/QE/Transforms/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;
using namespace mlir::qe;
namespace num = quant_eval::numerics;

namespace {

/// A weight as SQuant sees it: [channels][inputs][k], with the flat index
/// of each element in the stored tensor, and the stored axis of channels.
struct WeightView {
  int64_t channels = 0, inputs = 0, k = 0;
  std::vector<int64_t> storedIndex; // SQuant order -> stored flat index
  std::optional<int64_t> axis;      // channel axis in the stored tensor
};

/// [OC, KH, KW, IC] (conv2d, transpose_conv2d): [o][i][kh * KW + kw].
WeightView viewOHWI(RankedTensorType t) {
  WeightView v;
  int64_t oc = t.getDimSize(0), kh = t.getDimSize(1), kw = t.getDimSize(2),
          ic = t.getDimSize(3);
  v.channels = oc, v.inputs = ic, v.k = kh * kw, v.axis = 0;
  for (int64_t o = 0; o < oc; ++o)
    for (int64_t i = 0; i < ic; ++i)
      for (int64_t p = 0; p < kh * kw; ++p)
        v.storedIndex.push_back((o * kh * kw + p) * ic + i);
  return v;
}

/// [KH, KW, C, M] (depthwise): channel c*M+m, one input, KH*KW positions.
WeightView viewHWCM(RankedTensorType t) {
  WeightView v;
  int64_t kh = t.getDimSize(0), kw = t.getDimSize(1),
          cm = t.getDimSize(2) * t.getDimSize(3);
  v.channels = cm, v.inputs = 1, v.k = kh * kw;
  if (t.getDimSize(3) == 1)
    v.axis = 2;
  for (int64_t c = 0; c < cm; ++c)
    for (int64_t p = 0; p < kh * kw; ++p)
      v.storedIndex.push_back(p * cm + c);
  return v;
}

/// [..., K, N] (matmul right-hand side): channel n, K inputs, one position.
WeightView viewKN(RankedTensorType t) {
  WeightView v;
  int64_t r = t.getRank(), k = t.getDimSize(r - 2), n = t.getDimSize(r - 1);
  if (t.getNumElements() != k * n)
    return v; // a real batch of weights: not a layer weight
  v.channels = n, v.inputs = k, v.k = 1, v.axis = r - 1;
  for (int64_t o = 0; o < n; ++o)
    for (int64_t i = 0; i < k; ++i)
      v.storedIndex.push_back(i * n + o);
  return v;
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
    std::optional<std::vector<float>> w = getConstantFloats(weight);
    if (!w)
      return;
    auto type = cast<RankedTensorType>(weight.getType());
    bool perChannel = granularity == "channel" && view.axis;
    int64_t groups = perChannel ? view.channels : 1;
    int64_t perGroup = int64_t(w->size()) / groups;
    num::QuantRange range =
        *num::getQuantRange(bits, /*isSigned=*/true, /*narrowRange=*/symmetric);

    // Grid parameters per group (SQuant order groups channels together).
    std::vector<num::AffineParams> params;
    for (int64_t g = 0; g < groups; ++g) {
      double lo = 0, hi = 0, absMax = 0;
      for (int64_t j = g * perGroup; j < (g + 1) * perGroup; ++j) {
        double v = (*w)[view.storedIndex[j]];
        lo = std::min(lo, v), hi = std::max(hi, v);
        absMax = std::max(absMax, std::fabs(v));
      }
      std::optional<num::AffineParams> p =
          symmetric ? num::computeSymmetricParams(absMax, range)
                    : num::computeAsymmetricParams(lo, hi, range);
      if (!p)
        return; // NaN or infinite weights: leave the layer alone
      params.push_back(*p);
    }

    // Grid coordinates in SQuant order, rounded, written back dequantized.
    std::vector<double> x(w->size());
    for (size_t j = 0; j < x.size(); ++j) {
      const num::AffineParams &p = params[j / perGroup];
      x[j] = double((*w)[view.storedIndex[j]]) / float(p.scale) +
             double(p.zeroPoint);
    }
    // Per-tensor grids still round per channel for SQuant's channel stage.
    std::vector<int64_t> q =
        num::squantRound(x, view.channels, view.inputs, view.k, range, mode);
    std::vector<float> out(w->size());
    for (size_t j = 0; j < q.size(); ++j) {
      const num::AffineParams &p = params[j / perGroup];
      out[view.storedIndex[j]] =
          num::dequantize(q[j], float(p.scale), p.zeroPoint);
    }

    OpBuilder b(operand.getOwner());
    Location loc = weight.getLoc();
    Value c = createFloatConstant(b, loc, type, out, "qe_quantized_weight");
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
