//===- ExpandAllocaScopes.cpp - alloca_scope to stack save/restore --------===//

#include "quant-eval/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::qe {
#define GEN_PASS_DEF_EXPANDALLOCASCOPES
#include "quant-eval/Conversion/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;

namespace {
struct ExpandAllocaScopesPass
    : public qe::impl::ExpandAllocaScopesBase<ExpandAllocaScopesPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<memref::AllocaScopeOp> scopes;
    getOperation().walk([&](memref::AllocaScopeOp scope) {
      if (scope.getNumResults() == 0 && scope.getBodyRegion().hasOneBlock())
        scopes.push_back(scope);
    });
    IRRewriter rewriter(&getContext());
    auto ptr = LLVM::LLVMPointerType::get(&getContext());
    // Innermost first (the walk is post-order), so that inlining a scope
    // never moves one that is still to be expanded.
    for (memref::AllocaScopeOp scope : scopes) {
      rewriter.setInsertionPoint(scope);
      Value saved = LLVM::StackSaveOp::create(rewriter, scope.getLoc(), ptr);
      Block &body = scope.getBodyRegion().front();
      rewriter.eraseOp(body.getTerminator());
      rewriter.inlineBlockBefore(&body, scope);
      LLVM::StackRestoreOp::create(rewriter, scope.getLoc(), saved);
      rewriter.eraseOp(scope);
    }
  }
};
} // namespace
