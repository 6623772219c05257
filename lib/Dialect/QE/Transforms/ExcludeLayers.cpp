//===- ExcludeLayers.cpp - Layers kept in float ---------------------------===//

#include "WeightQuantization.h"

#include "quant-eval/Dialect/QE/Transforms/Passes.h"
#include "quant-eval/Dialect/QE/Utils/LayerName.h"

#include "llvm/ADT/StringSet.h"

namespace mlir::qe {
#define GEN_PASS_DEF_EXCLUDELAYERS
#include "quant-eval/Dialect/QE/Transforms/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;
using namespace mlir::qe;

namespace {

struct ExcludeLayersPass
    : public qe::impl::ExcludeLayersBase<ExcludeLayersPass> {
  using Base::Base;

  void runOnOperation() override {
    if (first < 0) {
      emitError(getOperation().getLoc())
          << "qe-exclude-layers: first must be >= 0, got " << int(first);
      return signalPassFailure();
    }
    SmallVector<Operation *> layers;
    getOperation().walk([&](Operation *op) {
      if (getLayerWeight(op))
        layers.push_back(op);
    });
    llvm::StringSet<> wanted, found;
    for (const std::string &name : names)
      wanted.insert(name);
    SmallVector<Operation *> chosen;
    for (auto [i, op] : llvm::enumerate(layers)) {
      StringRef name = getLayerName(op);
      bool byName = !name.empty() && wanted.contains(name);
      if (byName)
        found.insert(name);
      if (byName || int64_t(i) < first || (last && i + 1 == layers.size()))
        chosen.push_back(op);
    }
    bool missing = false;
    for (const std::string &name : names)
      if (!found.contains(name)) {
        emitError(getOperation().getLoc())
            << "qe-exclude-layers: no layer is named '" << name << "'";
        missing = true;
      }
    if (missing)
      return signalPassFailure();
    for (Operation *op : chosen)
      op->setAttr(kKeepFloatAttr, UnitAttr::get(&getContext()));
  }
};

} // namespace
