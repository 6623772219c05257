//===- WeightQuantization.cpp - Rounding layer weights onto a grid --------===//

#include "WeightQuantization.h"

#include "quant-eval/Dialect/QE/IR/QEOps.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

#include <cmath>

namespace num = quant_eval::numerics;

namespace mlir::qe {

std::optional<std::pair<OpOperand *, WeightView>>
getLayerWeight(Operation *op) {
  auto typeOf = [](OpOperand &o) {
    return cast<RankedTensorType>(o.get().getType());
  };
  if (isa<tosa::Conv2DOp, tosa::TransposeConv2DOp>(op)) {
    OpOperand &w = op->getOpOperand(1);
    return std::pair{&w, viewOHWI(typeOf(w))};
  }
  if (isa<tosa::DepthwiseConv2DOp>(op)) {
    OpOperand &w = op->getOpOperand(1);
    return std::pair{&w, viewHWCM(typeOf(w))};
  }
  if (auto mm = dyn_cast<tosa::MatMulOp>(op)) {
    // The importer feeds FC weights through a reshape of a constant.
    if (auto reshape = mm.getB().getDefiningOp<tosa::ReshapeOp>()) {
      OpOperand &w = reshape->getOpOperand(0);
      if (typeOf(w).getRank() < 2)
        return std::nullopt;
      return std::pair{&w, viewKN(typeOf(w))};
    }
    OpOperand &w = mm->getOpOperand(1);
    return std::pair{&w, viewKN(typeOf(w))};
  }
  return std::nullopt;
}

void forEachQuantizableWeight(
    Operation *root,
    llvm::function_ref<void(Operation *, OpOperand &, const WeightView &)> fn) {
  root->walk([&](Operation *op) {
    auto weight = getLayerWeight(op);
    if (!weight || isKeptFloat(op))
      return;
    Operation *producer = weight->first->get().getDefiningOp();
    if (producer && isa<FakeQuantOp, Po2QuantOp>(producer))
      return;
    fn(op, *weight->first, weight->second);
  });
}

std::optional<num::SQuantMode> parseWeightRounding(llvm::StringRef name) {
  if (name == "nearest" || name == "squant-e")
    return num::SQuantMode::E;
  if (name == "squant-k")
    return num::SQuantMode::K;
  if (name == "squant-c")
    return num::SQuantMode::C;
  if (name == "squant")
    return num::SQuantMode::KC;
  return std::nullopt;
}

namespace {
/// Calls fn(i, p, at) for each element (i, p) of channel o, stored at `at`,
/// with the unit stride innermost: OHWI weights store a channel's inputs
/// contiguously for each kernel position.
/// (The view is copied so that the compiler need not reload its strides
/// after every store through a float pointer.)
template <typename Fn>
void forEachInChannel(const WeightView view, int64_t o, Fn fn) {
  const int64_t base = o * view.channelStride;
  if (view.inputStride == 1 && view.k > 1) {
    for (int64_t p = 0; p < view.k; ++p)
      for (int64_t i = 0; i < view.inputs; ++i)
        fn(i, p, base + p * view.kStride + i);
    return;
  }
  for (int64_t i = 0; i < view.inputs; ++i)
    for (int64_t p = 0; p < view.k; ++p)
      fn(i, p, base + i * view.inputStride + p * view.kStride);
}

/// Value range of some weights, counting 0 in (the grid holds zero).
struct Range {
  float lo = 0, hi = 0;
  bool nan = false;
  void add(const Range &r) {
    lo = std::min(lo, r.lo), hi = std::max(hi, r.hi);
    nan |= r.nan;
  }
};

/// Whether each channel of `view` is one block of inputs * k elements, as
/// [k][inputs] (OHWI convolutions) or [inputs][k].
bool isChannelContiguous(const WeightView &view) {
  return (view.inputStride == 1 && view.kStride == view.inputs) ||
         (view.kStride == 1 && view.inputStride == view.k);
}

Range channelRange(ArrayRef<float> w, const WeightView &view, int64_t o) {
  Range r;
  if (!isChannelContiguous(view)) {
    forEachInChannel(view, o, [&](int64_t, int64_t, int64_t at) {
      float v = w[at];
      r.lo = v < r.lo ? v : r.lo;
      r.hi = v > r.hi ? v : r.hi;
      r.nan |= v != v;
    });
    return r;
  }
  // Four lanes: one running minimum is a chain as long as the channel.
  const float *v = w.data() + o * view.channelStride;
  const int64_t n = view.inputs * view.k;
  float lo[4] = {0, 0, 0, 0}, hi[4] = {0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 4 <= n; j += 4)
    for (int lane = 0; lane < 4; ++lane) {
      float x = v[j + lane];
      lo[lane] = x < lo[lane] ? x : lo[lane];
      hi[lane] = x > hi[lane] ? x : hi[lane];
      r.nan |= x != x;
    }
  for (; j < n; ++j) {
    lo[0] = v[j] < lo[0] ? v[j] : lo[0];
    hi[0] = v[j] > hi[0] ? v[j] : hi[0];
    r.nan |= v[j] != v[j];
  }
  r.lo = std::min({lo[0], lo[1], lo[2], lo[3]});
  r.hi = std::max({hi[0], hi[1], hi[2], hi[3]});
  return r;
}
} // namespace

std::optional<std::vector<num::AffineParams>>
roundWeights(ArrayRef<float> w, const WeightView &view,
             const WeightGridOptions &options, float *out,
             num::SQuantStats *stats, WeightError *error) {
  bool perChannel = options.perChannel && view.axis;
  num::QuantRange range = *num::getQuantRange(
      options.bits, /*isSigned=*/true, /*narrowRange=*/options.symmetric);

  // Grid parameters: per channel, or one over all channels. NaN would slip
  // through min and max, so it is looked for; infinities fail the grid.
  auto gridOf = [&](const Range &r) -> std::optional<num::AffineParams> {
    if (r.nan)
      return std::nullopt;
    double lo = r.lo, hi = r.hi;
    return options.symmetric
               ? num::computeSymmetricParams(std::max(-lo, hi), range)
               : num::computeAsymmetricParams(lo, hi, range);
  };
  std::vector<num::AffineParams> params;
  if (!perChannel) {
    Range all;
    for (int64_t o = 0; o < view.channels; ++o)
      all.add(channelRange(w, view, o));
    std::optional<num::AffineParams> p = gridOf(all);
    if (!p)
      return std::nullopt;
    params.push_back(*p);
  }

  // Round channel by channel: SQuant's stages stay within a channel,
  // whatever the grid's granularity.
  const int64_t perChannelCount = view.inputs * view.k;
  std::vector<double> x(perChannelCount);
  std::vector<int32_t> q(perChannelCount);
  // Contiguous channels (OHWI weights store each as [k][inputs]) are
  // rounded where they lie, without a transpose either way.
  const bool contiguous = isChannelContiguous(view);
  const num::ChannelLayout layout = contiguous && view.inputStride == 1
                                        ? num::ChannelLayout::PositionMajor
                                        : num::ChannelLayout::InputMajor;
  num::SQuantRounder rounder;
  double signal = 0, noise = 0;
  for (int64_t o = 0; o < view.channels; ++o) {
    // A channel's grid just before its rounding, which then finds the
    // channel in cache. Failing half-way is fine: `out` is then dropped.
    if (perChannel) {
      std::optional<num::AffineParams> p = gridOf(channelRange(w, view, o));
      if (!p)
        return std::nullopt;
      params.push_back(*p);
    }
    const num::AffineParams &p = params[perChannel ? o : 0];
    const float scale = float(p.scale);
    const double zeroPoint = double(p.zeroPoint);
    const int64_t base = o * view.channelStride;
    if (contiguous) {
      for (int64_t j = 0; j < perChannelCount; ++j)
        x[j] = double(w[base + j]) / scale + zeroPoint;
    } else {
      forEachInChannel(view, o, [&](int64_t i, int64_t k, int64_t at) {
        x[i * view.k + k] = double(w[at]) / scale + zeroPoint;
      });
    }
    rounder.roundChannel(x.data(), view.inputs, view.k, range, options.mode,
                         q.data(), stats, layout);
    if (!contiguous) {
      forEachInChannel(view, o, [&](int64_t i, int64_t k, int64_t at) {
        float v = num::dequantize(q[i * view.k + k], scale, p.zeroPoint);
        out[at] = v;
        double d = double(w[at]) - double(v);
        signal += double(w[at]) * double(w[at]);
        noise += d * d;
      });
      continue;
    }
    // Four lanes for the error sums: one running sum would be a chain of
    // dependent additions as long as the model.
    double s[4] = {0, 0, 0, 0}, e[4] = {0, 0, 0, 0};
    auto store = [&](int64_t j, int lane) {
      float v = num::dequantize(q[j], scale, p.zeroPoint);
      out[base + j] = v;
      double wj = w[base + j], d = wj - double(v);
      s[lane] += wj * wj;
      e[lane] += d * d;
    };
    int64_t j = 0;
    for (; j + 4 <= perChannelCount; j += 4)
      for (int lane = 0; lane < 4; ++lane)
        store(j + lane, lane);
    for (; j < perChannelCount; ++j)
      store(j, 0);
    signal += (s[0] + s[1]) + (s[2] + s[3]);
    noise += (e[0] + e[1]) + (e[2] + e[3]);
  }
  if (error)
    *error = {signal, noise};
  return params;
}

} // namespace mlir::qe
