//===- NarrowRescale.cpp - Requantization in 32-bit arithmetic ------------===//
//
// TOSA's apply_scale, expanded by tosa-to-arith, multiplies, rounds and
// shifts in 64 bits. Vector code then splits every i32 vector into two
// halves of i64 lanes. For shifts of at least 33 the same integer comes from
// a 32-bit multiply-high (numerics::applyScaleHigh32 states and tests the
// identity); this pass rewrites the expansion into that form.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qe {
#define GEN_PASS_DEF_NARROWRESCALE
#include "quant-eval/Conversion/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;

namespace {

/// Every value `v` can take inside `generic`'s body: a constant, or the
/// elements of the constant tensor a block argument reads (zero- or
/// sign-extended). Nothing if unknown.
std::optional<SmallVector<int64_t>>
getPossibleValues(Value v, linalg::GenericOp generic, bool zeroExtend) {
  APInt value;
  if (matchPattern(v, m_ConstantInt(&value)))
    return SmallVector<int64_t>{zeroExtend ? int64_t(value.getZExtValue())
                                           : value.getSExtValue()};
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != generic.getBody() ||
      arg.getArgNumber() >= generic.getNumDpsInputs())
    return std::nullopt;
  DenseIntElementsAttr elements;
  if (!matchPattern(generic.getDpsInputs()[arg.getArgNumber()],
                    m_Constant(&elements)))
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &e : elements.getValues<APInt>())
    values.push_back(zeroExtend ? int64_t(e.getZExtValue()) : e.getSExtValue());
  return values;
}

/// The narrower value `v` extends (extsi or extui), or `v` itself.
Value stripExtension(Value v, bool &zeroExtend) {
  zeroExtend = false;
  if (auto ext = v.getDefiningOp<arith::ExtSIOp>())
    return ext.getIn();
  if (auto ext = v.getDefiningOp<arith::ExtUIOp>()) {
    zeroExtend = true;
    return ext.getIn();
  }
  return v;
}

/// trunc_i32((extsi(x) * m + round) >> s) with round = (1 << s) >> 1, in a
/// linalg.generic body, to (mulhi(x, m) + (1 << (s - 33))) >> (s - 32).
struct NarrowApplyScale : OpRewritePattern<arith::TruncIOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::TruncIOp trunc,
                                PatternRewriter &rewriter) const override {
    auto generic = dyn_cast<linalg::GenericOp>(trunc->getParentOp());
    Type i32 = rewriter.getI32Type();
    if (!generic || !trunc.getIn().getType().isInteger(64) ||
        trunc.getType() != i32)
      return rewriter.notifyMatchFailure(trunc, "not i64 -> i32 in a generic");
    auto shr = trunc.getIn().getDefiningOp<arith::ShRSIOp>();
    auto add = shr ? shr.getLhs().getDefiningOp<arith::AddIOp>() : nullptr;
    if (!add)
      return rewriter.notifyMatchFailure(trunc, "not a rounded shift");
    Value shift = shr.getRhs(), product = add.getLhs(), round = add.getRhs();
    if (!product.getDefiningOp<arith::MulIOp>())
      std::swap(product, round);
    auto mul = product.getDefiningOp<arith::MulIOp>();
    if (!mul)
      return rewriter.notifyMatchFailure(trunc, "no product");

    // The value: a sign-extended i32; the multiplier: a non-negative i32.
    Value a = mul.getLhs(), b = mul.getRhs();
    bool zext;
    if (!a.getDefiningOp<arith::ExtSIOp>())
      std::swap(a, b);
    auto valueExt = a.getDefiningOp<arith::ExtSIOp>();
    if (!valueExt || valueExt.getIn().getType() != i32)
      return rewriter.notifyMatchFailure(trunc, "value is not an i32");
    Value multiplier = stripExtension(b, zext);
    std::optional<SmallVector<int64_t>> multipliers =
        getPossibleValues(multiplier, generic, zext);
    if (!multipliers || llvm::any_of(*multipliers, [](int64_t m) {
          return m < 0 || m > std::numeric_limits<int32_t>::max();
        }))
      return rewriter.notifyMatchFailure(trunc, "multiplier not known in i32");

    // The shift: every value in [33, 63]; the rounding term 2^(s-1).
    Value narrowShift = stripExtension(shift, zext);
    std::optional<SmallVector<int64_t>> shifts =
        getPossibleValues(narrowShift, generic, zext);
    if (!shifts ||
        llvm::any_of(*shifts, [](int64_t s) { return s < 33 || s > 63; }))
      return rewriter.notifyMatchFailure(trunc, "shift not known in [33, 63]");
    APInt roundValue;
    bool constantShift = shifts->size() == 1 &&
                         matchPattern(narrowShift, m_ConstantInt(&roundValue));
    if (constantShift) {
      if (!matchPattern(round, m_ConstantInt(&roundValue)) ||
          roundValue != APInt(64, 1).shl((*shifts)[0] - 1))
        return rewriter.notifyMatchFailure(trunc, "not round half up");
    } else {
      auto half = round.getDefiningOp<arith::ShRUIOp>();
      auto power =
          half ? half.getLhs().getDefiningOp<arith::ShLIOp>() : nullptr;
      if (!power || power.getRhs() != shift ||
          !matchPattern(power.getLhs(), m_One()) ||
          !matchPattern(half.getRhs(), m_One()))
        return rewriter.notifyMatchFailure(trunc, "not round half up");
    }

    if (multiplier.getType() != i32 && multipliers->size() != 1)
      return rewriter.notifyMatchFailure(trunc, "multiplier wider than i32");

    Location loc = trunc.getLoc();
    auto constant = [&](int64_t v) -> Value {
      return arith::ConstantIntOp::create(rewriter, loc, i32, v);
    };
    Value m32 =
        multiplier.getType() == i32 ? multiplier : constant((*multipliers)[0]);
    // The high half as LLVM's multiply-high idiom (sext, mul, shift by 32,
    // trunc), which it selects as such (vpmuldq on even and odd lanes with
    // AVX-512); arith.mulsi_extended has no lowering for n-D vectors.
    Type i64 = rewriter.getI64Type();
    Value wide =
        arith::MulIOp::create(rewriter, loc, valueExt.getResult(),
                              arith::ExtSIOp::create(rewriter, loc, i64, m32));
    Value high = arith::TruncIOp::create(
        rewriter, loc, i32,
        arith::ShRSIOp::create(
            rewriter, loc, wide,
            arith::ConstantIntOp::create(rewriter, loc, i64, 32)));
    Value rounding, amount;
    if (constantShift) {
      rounding = constant(int64_t(1) << ((*shifts)[0] - 33));
      amount = constant((*shifts)[0] - 32);
    } else {
      Value s = narrowShift;
      unsigned bits = s.getType().getIntOrFloatBitWidth();
      if (bits < 32)
        s = arith::ExtUIOp::create(rewriter, loc, i32, s);
      else if (bits > 32)
        s = arith::TruncIOp::create(rewriter, loc, i32, s);
      rounding = arith::ShLIOp::create(
          rewriter, loc, constant(1),
          arith::SubIOp::create(rewriter, loc, s, constant(33)));
      amount = arith::SubIOp::create(rewriter, loc, s, constant(32));
    }
    Value sum = arith::AddIOp::create(rewriter, loc, high, rounding);
    rewriter.replaceOpWithNewOp<arith::ShRSIOp>(trunc, sum, amount);
    return success();
  }
};

struct NarrowRescalePass
    : public qe::impl::NarrowRescaleBase<NarrowRescalePass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<NarrowApplyScale>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
