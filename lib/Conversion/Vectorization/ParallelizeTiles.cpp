//===- ParallelizeTiles.cpp - Parallel loops over output tiles ------------===//

#include "quant-eval/Conversion/Passes.h"

#include "TilingUtils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::qe {
#define GEN_PASS_DEF_PARALLELIZETILES
#include "quant-eval/Conversion/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;

namespace {
struct ParallelizeTilesPass
    : public qe::impl::ParallelizeTilesBase<ParallelizeTilesPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<scf::ForOp> marked;
    getOperation().walk<WalkOrder::PreOrder>([&](scf::ForOp loop) {
      if (!loop->hasAttr(qe::kParallelTileAttr))
        return WalkResult::advance();
      marked.push_back(loop);
      // Loops inside stay sequential: one level of parallelism.
      return WalkResult::skip();
    });
    // The marks only serve this pass; nested ones stay sequential.
    getOperation().walk(
        [](scf::ForOp loop) { loop->removeAttr(qe::kParallelTileAttr); });
    IRRewriter rewriter(&getContext());
    for (scf::ForOp loop : marked) {
      if (loop.getNumResults() != 0 || loop->getParentOfType<scf::ParallelOp>())
        continue;
      std::optional<APInt> trips = loop.getStaticTripCount();
      if (trips && trips->getSExtValue() < minIterations)
        continue;
      rewriter.setInsertionPoint(loop);
      auto parallel = scf::ParallelOp::create(
          rewriter, loop.getLoc(), ValueRange{loop.getLowerBound()},
          ValueRange{loop.getUpperBound()}, ValueRange{loop.getStep()});
      Block *body = parallel.getBody();
      // The parallel body ends in scf.reduce; the loop's body (minus its
      // yield) goes in front of it, with the induction variable remapped.
      rewriter.eraseOp(loop.getBody()->getTerminator());
      rewriter.inlineBlockBefore(loop.getBody(), body->getTerminator(),
                                 ValueRange{parallel.getInductionVars()[0]});
      rewriter.eraseOp(loop);
    }
  }
};
} // namespace
