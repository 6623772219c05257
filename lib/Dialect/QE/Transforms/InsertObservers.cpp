//===- InsertObservers.cpp - Calibration probes on activations ------------===//

#include "WeightQuantization.h"

#include "quant-eval/Dialect/QE/IR/QEOps.h"
#include "quant-eval/Dialect/QE/Transforms/Passes.h"
#include "quant-eval/Dialect/QE/Utils/LayerName.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::qe {
#define GEN_PASS_DEF_INSERTOBSERVERS
#include "quant-eval/Dialect/QE/Transforms/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;
using namespace mlir::qe;

namespace {

/// Ops whose result an integer model stores at a scale of its own.
bool requantizes(Operation *op) {
  return isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp, tosa::TransposeConv2DOp,
             tosa::MatMulOp, tosa::ClampOp, tosa::AddOp, tosa::SubOp,
             tosa::MulOp, tosa::ConcatOp, tosa::AvgPool2dOp>(op);
}

/// Whether `v`'s only use takes over its quantization point: a clamp, a
/// bias add (an add of a constant), or a reshape leading to one.
bool fusesIntoUser(Value v) {
  if (!v.hasOneUse())
    return false;
  Operation *user = *v.getUsers().begin();
  if (isa<tosa::ClampOp>(user))
    return true;
  if (auto add = dyn_cast<tosa::AddOp>(user)) {
    Value other = add.getInput1() == v ? add.getInput2() : add.getInput1();
    return matchPattern(other, m_Constant());
  }
  if (isa<tosa::ReshapeOp>(user))
    return fusesIntoUser(user->getResult(0));
  return false;
}

/// Whether `v` is the output of a layer kept in float, or of the ReLU, bias
/// add or reshape it fuses into.
bool isFloatLayerOutput(Value v) {
  Operation *op = v.getDefiningOp();
  if (!op)
    return false;
  if (isKeptFloat(op))
    return true;
  if (isa<tosa::ClampOp, tosa::ReshapeOp, tosa::AddOp>(op))
    for (Value in : op->getOperands())
      if (fusesIntoUser(in) && *in.getUsers().begin() == op &&
          isFloatLayerOutput(in))
        return true;
  return false;
}

/// Whether every use of `v` (through layout changes) is a layer kept in
/// float: then `v` is float input, not a tensor to requantize.
bool feedsOnlyFloatLayers(Value v) {
  if (v.use_empty())
    return false;
  return llvm::all_of(v.getUsers(), [](Operation *user) {
    if (isKeptFloat(user))
      return true;
    if (isa<tosa::TransposeOp, tosa::ReshapeOp>(user))
      return feedsOnlyFloatLayers(user->getResult(0));
    return false;
  });
}

bool isObserved(Value v) {
  return llvm::any_of(v.getUsers(),
                      [](Operation *u) { return isa<ObserveOp>(u); });
}

struct InsertObserversPass
    : public qe::impl::InsertObserversBase<InsertObserversPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    llvm::StringSet<> taken;
    func.walk([&](ObserveOp op) { taken.insert(op.getId()); });
    auto uniqueId = [&](std::string id) {
      std::string candidate = id;
      for (int k = 2; taken.contains(candidate); ++k)
        candidate = id + "#" + std::to_string(k);
      taken.insert(candidate);
      return candidate;
    };

    SmallVector<std::pair<Value, std::string>> sites;
    for (BlockArgument arg : func.getArguments())
      if (isa<RankedTensorType>(arg.getType()) && !isObserved(arg) &&
          !feedsOnlyFloatLayers(arg))
        sites.push_back({arg, "input:" + std::to_string(arg.getArgNumber())});
    func.walk([&](Operation *op) {
      if (!requantizes(op) || op->getNumResults() != 1)
        return;
      Value out = op->getResult(0);
      if (!isa<FloatType>(getElementTypeOrSelf(out.getType())) ||
          fusesIntoUser(out) || isObserved(out) || isFloatLayerOutput(out))
        return;
      std::string name = getLayerName(op).str();
      if (name.empty())
        name = op->getName().getStringRef().str();
      sites.push_back({out, name});
    });

    OpBuilder b(&getContext());
    for (auto &[v, name] : sites) {
      if (!isa<FloatType>(getElementTypeOrSelf(v.getType())))
        continue;
      b.setInsertionPointAfterValue(v);
      auto observe = ObserveOp::create(b, v.getLoc(), v, uniqueId(name));
      v.replaceAllUsesExcept(observe.getResult(), observe);
    }
  }
};

} // namespace
