//===- QuantizeActivations.cpp - Data-free activation fake quants ---------===//

#include "quant-eval/Dialect/QE/IR/QEOps.h"
#include "quant-eval/Dialect/QE/Transforms/Passes.h"

#include "llvm/ADT/DenseMap.h"

#include <cmath>
#include <limits>
#include <tuple>

namespace mlir::qe {
#define GEN_PASS_DEF_QUANTIZEACTIVATIONS
#include "quant-eval/Dialect/QE/Transforms/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;
using namespace mlir::qe;
namespace num = quant_eval::numerics;

namespace {

/// What is known about a tensor without data: per channel N(mean, std²),
/// and hard bounds from clamps.
struct Statistics {
  std::vector<double> mean, std;
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
};

struct QuantizeActivationsPass
    : public qe::impl::QuantizeActivationsBase<QuantizeActivationsPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override {
    for (int b : {int(bits), int(lastLayerBits)})
      if (b < int(num::kMinBits) || b > int(num::kMaxBits))
        return emitError(UnknownLoc::get(ctx))
               << "qe-quantize-activations: bits must be in [" << num::kMinBits
               << ", " << num::kMaxBits << "], got " << b;
    if (range != "bn" && range != "bn-sigma")
      return emitError(UnknownLoc::get(ctx))
             << "qe-quantize-activations: range must be bn or bn-sigma, got '"
             << range
             << "' (calibrated ranges come from "
                "qe-apply-calibration)";
    if (clipSigmas < 0)
      return emitError(UnknownLoc::get(ctx))
             << "qe-quantize-activations: clip-sigmas must not be negative";
    return success();
  }

  /// The [lo, hi] range of a tensor with statistics `s`.
  /// [min_c(mean - n std), max_c(mean + n std)]: DFQ's per-channel range.
  static std::pair<double, double> sigmaRange(const Statistics &s, double n) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (size_t c = 0; c < s.mean.size(); ++c) {
      lo = std::min(lo, s.mean[c] - n * s.std[c]);
      hi = std::max(hi, s.mean[c] + n * s.std[c]);
    }
    return {lo, hi};
  }

  /// The [lo, hi] range of a tensor with statistics `s`.
  std::pair<double, double> getRange(const Statistics &s, int width) {
    double lo, hi;
    if (range == "bn") {
      std::tie(lo, hi) =
          sigmaRange(s, clipSigmas > 0 ? double(clipSigmas) : 6.0);
    } else {
      // SQuant: alpha = s * sigma of the mixture of the channels.
      double m = 0, m2 = 0;
      for (size_t c = 0; c < s.mean.size(); ++c) {
        m += s.mean[c];
        m2 += s.std[c] * s.std[c] + s.mean[c] * s.mean[c];
      }
      m /= double(s.mean.size());
      m2 /= double(s.mean.size());
      double sigma = std::sqrt(std::max(0.0, m2 - m * m));
      double factor = clipSigmas > 0 ? double(clipSigmas)
                      : width <= 4   ? 12.0
                      : width <= 6   ? 14.0
                                     : 25.0;
      double alpha = factor * sigma;
      if (width < 6) {
        auto [lo6, hi6] = sigmaRange(s, 6.0);
        alpha = std::min(alpha, std::max(std::fabs(lo6), std::fabs(hi6)));
      }
      if (s.lo >= 0) {
        lo = 0, hi = alpha;
      } else {
        lo = -alpha / 1.25, hi = alpha / 1.25;
      }
    }
    return {std::max(lo, s.lo), std::min(hi, s.hi)};
  }

  /// A per-tensor fake quant of `v` for statistics `s`, built at the
  /// builder's insertion point; null if the range is empty.
  FakeQuantOp createFakeQuant(OpBuilder &b, Value v, const Statistics &s,
                              int width) {
    auto [lo, hi] = getRange(s, width);
    if (!(hi > lo))
      return {};
    bool isUnsigned = lo >= 0;
    num::QuantRange r = *num::getQuantRange(width, !isUnsigned, false);
    std::optional<num::AffineParams> p =
        num::computeAsymmetricParams(lo, hi, r);
    if (!p || !std::isfinite(float(p->scale)) || float(p->scale) <= 0)
      return {};
    return FakeQuantOp::create(b, v.getLoc(), v, width, isUnsigned,
                               /*narrow_range=*/false, IntegerAttr(),
                               {p->scale}, {p->zeroPoint}, RoundingMode::RNE);
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    llvm::DenseMap<Value, Statistics> stats;
    SmallVector<Value> points; // activations to quantize, in order

    func.walk([&](Operation *op) {
      if (op->getNumResults() != 1)
        return;
      Value out = op->getResult(0);
      if (isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp, tosa::TransposeConv2DOp>(
              op)) {
        auto beta = op->getAttrOfType<DenseF64ArrayAttr>("qe.bn_beta");
        auto gamma = op->getAttrOfType<DenseF64ArrayAttr>("qe.bn_gamma");
        if (!beta || !gamma) {
          op->emitRemark() << "BN-based ranges are unavailable (no "
                              "qe.bn_beta/qe.bn_gamma; run qe-fold-batch-norm "
                              "on a model with batch norms); its output stays "
                              "float";
          return;
        }
        Statistics s;
        s.mean.assign(beta.asArrayRef().begin(), beta.asArrayRef().end());
        for (double g : gamma.asArrayRef())
          s.std.push_back(std::fabs(g)); // |gamma|: the sign is a reflection
        stats[out] = s;
        // A clamp right after takes the quantization point.
        bool clampOnly =
            out.hasOneUse() && isa<tosa::ClampOp>(*out.getUsers().begin());
        if (!clampOnly)
          points.push_back(out);
        return;
      }
      if (auto clamp = dyn_cast<tosa::ClampOp>(op)) {
        auto it = stats.find(clamp.getInput());
        if (it == stats.end())
          return;
        Statistics s = it->second;
        if (auto lo = dyn_cast<FloatAttr>(clamp.getMinValAttr()))
          s.lo = std::max(s.lo, lo.getValueAsDouble());
        if (auto hi = dyn_cast<FloatAttr>(clamp.getMaxValAttr()))
          s.hi = std::min(s.hi, hi.getValueAsDouble());
        stats[out] = s;
        points.push_back(out);
        return;
      }
      if (auto add = dyn_cast<tosa::AddOp>(op)) {
        auto a = stats.find(add.getInput1()), c = stats.find(add.getInput2());
        if (a == stats.end() || c == stats.end() ||
            a->second.mean.size() != c->second.mean.size())
          return;
        Statistics s;
        for (size_t i = 0; i < a->second.mean.size(); ++i) {
          s.mean.push_back(a->second.mean[i] + c->second.mean[i]);
          s.std.push_back(std::hypot(a->second.std[i], c->second.std[i]));
        }
        s.lo = a->second.lo + c->second.lo;
        s.hi = a->second.hi + c->second.hi;
        stats[out] = s;
        points.push_back(out);
        return;
      }
      if (auto cat = dyn_cast<tosa::ConcatOp>(op)) {
        auto type = cast<RankedTensorType>(out.getType());
        if (int64_t(cat.getAxis()) != type.getRank() - 1)
          return;
        Statistics s;
        s.lo = std::numeric_limits<double>::infinity();
        s.hi = -s.lo;
        for (Value in : cat.getInput1()) {
          auto it = stats.find(in);
          if (it == stats.end())
            return;
          llvm::append_range(s.mean, it->second.mean);
          llvm::append_range(s.std, it->second.std);
          s.lo = std::min(s.lo, it->second.lo);
          s.hi = std::max(s.hi, it->second.hi);
        }
        stats[out] = s;
        points.push_back(out);
        return;
      }
      // Ranges survive pooling and reshapes.
      if (isa<tosa::AvgPool2dOp, tosa::MaxPool2dOp, tosa::ReshapeOp>(op)) {
        auto it = stats.find(op->getOperand(0));
        if (it != stats.end()) {
          // Copy before inserting: insertion may grow the map and move
          // the element `it` points to.
          Statistics s = it->second;
          stats[out] = std::move(s);
        }
      }
    });

    OpBuilder b(&getContext());
    for (Value v : points) {
      b.setInsertionPointAfterValue(v);
      if (FakeQuantOp fq = createFakeQuant(b, v, stats[v], bits))
        v.replaceAllUsesExcept(fq.getResult(), fq);
    }

    // The classifier's input (the last matmul's left operand, through
    // reshapes) gets its own, wider fake quant.
    tosa::MatMulOp last;
    func.walk([&](tosa::MatMulOp mm) { last = mm; });
    if (!last)
      return;
    Value src = last.getA();
    while (auto r = src.getDefiningOp<tosa::ReshapeOp>())
      src = r.getInput1();
    auto it = stats.find(src);
    if (it == stats.end())
      return;
    b.setInsertionPoint(last);
    if (FakeQuantOp fq =
            createFakeQuant(b, last.getA(), it->second, lastLayerBits))
      last->setOperand(0, fq.getResult());
  }
};

} // namespace
