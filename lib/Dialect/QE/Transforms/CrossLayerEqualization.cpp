//===- CrossLayerEqualization.cpp - Equalize consecutive layers -----------===//

#include "quant-eval/Dialect/QE/IR/QEOps.h"
#include "quant-eval/Dialect/QE/Transforms/Passes.h"
#include "quant-eval/Dialect/QE/Utils/ConstantUtils.h"

#include <cmath>
#include <limits>

namespace mlir::qe {
#define GEN_PASS_DEF_CROSSLAYEREQUALIZATION
#include "quant-eval/Dialect/QE/Transforms/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;
using namespace mlir::qe;

namespace {

/// A layer's weights and bias in memory while the pass works on them.
/// Convolutions are OHWI [OC, KH, KW, IC]; depthwise HWC1 [KH, KW, C, 1].
struct Layer {
  Operation *op = nullptr;
  bool depthwise = false;
  std::vector<float> w, b;
  int64_t oc = 0, ic = 0, spatial = 0; // spatial = KH * KW

  static std::optional<Layer> get(Operation *op) {
    Layer l;
    l.op = op;
    l.depthwise = isa<tosa::DepthwiseConv2DOp>(op);
    if (!l.depthwise && !isa<tosa::Conv2DOp>(op))
      return std::nullopt;
    auto t = cast<RankedTensorType>(op->getOperand(1).getType());
    if (l.depthwise && t.getDimSize(3) != 1)
      return std::nullopt; // channel multipliers do not equalize per channel
    auto w = getConstantFloats(op->getOperand(1));
    auto b = getConstantFloats(op->getOperand(2));
    if (!w || !b)
      return std::nullopt;
    l.w = std::move(*w);
    l.b = std::move(*b);
    l.spatial =
        t.getDimSize(l.depthwise ? 0 : 1) * t.getDimSize(l.depthwise ? 1 : 2);
    l.oc = l.depthwise ? t.getDimSize(2) : t.getDimSize(0);
    l.ic = l.depthwise ? l.oc : t.getDimSize(3);
    if (int64_t(l.b.size()) != l.oc)
      return std::nullopt;
    return l;
  }

  /// Calls fn(index, channel) for the weights of output channel(s).
  template <typename Fn> void forOutput(Fn fn) {
    for (int64_t i = 0; i < int64_t(w.size()); ++i)
      fn(i, depthwise ? i % oc : i / (spatial * ic));
  }
  template <typename Fn> void forInput(Fn fn) {
    for (int64_t i = 0; i < int64_t(w.size()); ++i)
      fn(i, depthwise ? i % oc : i % ic);
  }
  std::vector<double> outputRanges() {
    std::vector<double> r(oc, 0.0);
    forOutput([&](int64_t i, int64_t c) {
      r[c] = std::max(r[c], double(std::fabs(w[i])));
    });
    return r;
  }
  std::vector<double> inputRanges() {
    std::vector<double> r(ic, 0.0);
    forInput([&](int64_t i, int64_t c) {
      r[c] = std::max(r[c], double(std::fabs(w[i])));
    });
    return r;
  }
  /// Output channel c (weights, bias, statistics) divided by s[c].
  void divideOutputs(const std::vector<double> &s) {
    forOutput([&](int64_t i, int64_t c) { w[i] = float(w[i] / s[c]); });
    for (int64_t c = 0; c < oc; ++c)
      b[c] = float(b[c] / s[c]);
    for (const char *name : {"qe.bn_beta", "qe.bn_gamma"})
      if (auto stats = op->getAttrOfType<DenseF64ArrayAttr>(name)) {
        SmallVector<double> v(stats.asArrayRef());
        if (int64_t(v.size()) == oc)
          for (int64_t c = 0; c < oc; ++c)
            v[c] /= s[c];
        op->setAttr(name, DenseF64ArrayAttr::get(op->getContext(), v));
      }
  }
  /// Input channel c of the weights multiplied by s[c].
  void multiplyInputs(const std::vector<double> &s) {
    forInput([&](int64_t i, int64_t c) { w[i] = float(w[i] * s[c]); });
  }
  void store(OpBuilder &b) {
    b.setInsertionPoint(op);
    Value oldW = op->getOperand(1), oldB = op->getOperand(2);
    op->setOperand(1,
                   createFloatConstant(b, oldW.getLoc(),
                                       cast<RankedTensorType>(oldW.getType()),
                                       w, "qe_equalized_weight"));
    op->setOperand(2,
                   createFloatConstant(b, oldB.getLoc(),
                                       cast<RankedTensorType>(oldB.getType()),
                                       this->b, "qe_equalized_bias"));
    eraseIfDeadConstant(oldW);
    eraseIfDeadConstant(oldB);
  }
};

/// ReLU (clamp [0, +inf)) or ReLU6 (clamp [0, 6]) between two layers.
bool isReluLike(tosa::ClampOp clamp, bool &isRelu6) {
  auto lo = dyn_cast<FloatAttr>(clamp.getMinValAttr());
  auto hi = dyn_cast<FloatAttr>(clamp.getMaxValAttr());
  if (!lo || !hi || lo.getValueAsDouble() != 0.0)
    return false;
  isRelu6 = hi.getValueAsDouble() < std::numeric_limits<float>::max();
  return true;
}

/// The output of a PReLU or LeakyReLU applied to `v`, as the importer spells
/// it: select(v >= 0, v, v * slope) with a constant slope. Like ReLU it is
/// positively homogeneous per channel, PReLU(x / s) = PReLU(x) / s for s > 0,
/// so equalization may scale through it. Null unless `v` feeds exactly that.
Value preluOutput(Value v) {
  tosa::GreaterEqualOp ge;
  tosa::MulOp mul;
  tosa::SelectOp select;
  for (Operation *user : v.getUsers()) {
    if (auto g = dyn_cast<tosa::GreaterEqualOp>(user); g && !ge)
      ge = g;
    else if (auto m = dyn_cast<tosa::MulOp>(user); m && !mul)
      mul = m;
    else if (auto s = dyn_cast<tosa::SelectOp>(user); s && !select)
      select = s;
    else
      return nullptr;
  }
  if (!ge || !mul || !select || ge.getInput1() != v || mul.getInput1() != v ||
      select.getInput1() != ge.getResult() || select.getInput2() != v ||
      select.getInput3() != mul.getResult() || !ge->hasOneUse() ||
      !mul->hasOneUse())
    return nullptr;
  auto zero = getConstantFloats(ge.getInput2());
  if (!zero || !llvm::all_of(*zero, [](float z) { return z == 0.0f; }) ||
      !getConstantFloats(mul.getInput2()))
    return nullptr;
  return select.getResult();
}

/// The layer consuming `op`'s result directly or through one activation that
/// commutes with positive per-channel scaling (ReLU, ReLU6 with a remark,
/// PReLU, LeakyReLU), if every value in between has that single consumer.
/// `activation` is set to the activation's last op, or null.
Operation *nextInChain(Operation *op, Operation *&activation) {
  Value v = op->getResult(0);
  activation = nullptr;
  if (Value p = preluOutput(v)) {
    activation = p.getDefiningOp();
    v = p;
  } else if (!v.hasOneUse()) {
    return nullptr;
  } else if (auto c = dyn_cast<tosa::ClampOp>(*v.getUsers().begin())) {
    bool relu6;
    if (!isReluLike(c, relu6))
      return nullptr;
    activation = c;
    v = c.getResult();
  }
  if (!v.hasOneUse())
    return nullptr;
  Operation *user = *v.getUsers().begin();
  if (!isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp>(user) ||
      user->getOperand(0) != v)
    return nullptr;
  return user;
}

struct Chain {
  SmallVector<Operation *, 3> layers;
  SmallVector<Operation *, 2> activations; // between layers, or null
};

struct CrossLayerEqualizationPass
    : public qe::impl::CrossLayerEqualizationBase<CrossLayerEqualizationPass> {
  using Base::Base;

  void runOnOperation() override {
    // Chains: pairs, or conv -> depthwise -> conv triplets. A layer starts
    // at most one chain and ends at most one.
    SmallVector<Chain> chains;
    llvm::DenseSet<Operation *> used;
    getOperation().walk([&](Operation *op) {
      if (!isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp>(op) || used.count(op))
        return;
      Operation *a1, *a2;
      Operation *second = nextInChain(op, a1);
      if (!second || used.count(second))
        return;
      Chain chain{{op, second}, {a1}};
      if (isa<tosa::Conv2DOp>(op) && isa<tosa::DepthwiseConv2DOp>(second))
        if (Operation *third = nextInChain(second, a2))
          if (isa<tosa::Conv2DOp>(third) && !used.count(third)) {
            chain.layers.push_back(third);
            chain.activations.push_back(a2);
          }
      // Only the first layer may be reused as the end of another chain.
      for (Operation *l : ArrayRef(chain.layers).drop_front())
        used.insert(l);
      chains.push_back(chain);
    });

    OpBuilder builder(&getContext());
    for (Chain &chain : chains) {
      SmallVector<Layer, 3> layers;
      for (Operation *op : chain.layers) {
        std::optional<Layer> l = Layer::get(op);
        if (!l)
          break;
        layers.push_back(std::move(*l));
      }
      if (layers.size() < 2)
        continue;
      if (layers.size() == 2 && layers[0].oc != layers[1].ic)
        continue;
      double minScale = std::numeric_limits<double>::infinity(), maxScale = 0;
      for (int iter = 0; iter < maxIterations; ++iter) {
        double worst = 0;
        auto note = [&](const std::vector<double> &s) {
          for (double v : s) {
            worst = std::max(worst, std::fabs(std::log(v)));
            minScale = std::min(minScale, v);
            maxScale = std::max(maxScale, v);
          }
        };
        if (layers.size() == 2) {
          std::vector<double> r1 = layers[0].outputRanges(),
                              r2 = layers[1].inputRanges(), s(r1.size());
          for (size_t i = 0; i < s.size(); ++i)
            s[i] = (r1[i] > 0 && r2[i] > 0) ? std::sqrt(r1[i] / r2[i]) : 1.0;
          layers[0].divideOutputs(s);
          layers[1].multiplyInputs(s);
          note(s);
        } else {
          std::vector<double> r1 = layers[0].outputRanges(),
                              r2 = layers[1].outputRanges(),
                              r3 = layers[2].inputRanges();
          std::vector<double> s12(r1.size(), 1.0), s23(r1.size(), 1.0);
          for (size_t i = 0; i < r1.size(); ++i)
            if (r1[i] > 0 && r2[i] > 0 && r3[i] > 0) {
              double c = std::cbrt(r1[i] * r2[i] * r3[i]);
              s12[i] = r1[i] / c;
              s23[i] = c / r3[i];
            }
          layers[0].divideOutputs(s12);
          layers[1].multiplyInputs(s12);
          layers[1].divideOutputs(s23);
          layers[2].multiplyInputs(s23);
          note(s12);
          note(s23);
        }
        if (worst < tolerance)
          break;
      }
      for (Layer &l : layers) {
        l.store(builder);
        l.op->setAttr("qe.cle_scale_range",
                      builder.getDenseF64ArrayAttr({minScale, maxScale}));
      }
      for (Operation *activation : chain.activations) {
        auto clamp = dyn_cast_or_null<tosa::ClampOp>(activation);
        bool relu6 = false;
        if (!clamp || !isReluLike(clamp, relu6) || !relu6)
          continue;
        clamp.emitRemark() << "ReLU6 replaced by ReLU for cross-layer "
                              "equalization; this changes float outputs "
                              "above 6";
        clamp.setMaxValAttr(
            builder.getF32FloatAttr(std::numeric_limits<float>::max()));
      }
    }
  }
};

} // namespace
