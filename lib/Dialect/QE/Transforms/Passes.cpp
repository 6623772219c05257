//===- Passes.cpp - Registration of quant-eval's passes and pipelines -----===//
//
// Each method is a pipeline of passes a user can also run one by one; the
// registration's description spells the equivalent --pass-pipeline.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Dialect/QE/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include <string>

using namespace mlir;

namespace {
/// BN folding, weights at `bits` per channel with `rounding`, BN-derived
/// activation ranges at the same width (SQuant's clip), first layer's input
/// float, classifier input at 8 bits.
void buildDataFreePipeline(OpPassManager &pm, int bits,
                           const std::string &rounding) {
  pm.addNestedPass<func::FuncOp>(qe::createFoldBatchNorm());
  qe::QuantizeWeightsOptions weights;
  weights.bits = bits;
  weights.rounding = rounding;
  pm.addNestedPass<func::FuncOp>(qe::createQuantizeWeights(weights));
  qe::QuantizeActivationsOptions activations;
  activations.bits = bits;
  activations.range = "bn-sigma";
  pm.addNestedPass<func::FuncOp>(qe::createQuantizeActivations(activations));
}

void registerDataFreePipelines() {
  for (int bits : {4, 6, 8}) {
    for (const char *method : {"squant", "rtn"}) {
      std::string name =
          std::string(method) + "-" + std::to_string(bits) + "bit";
      std::string rounding =
          std::string(method) == "rtn" ? "nearest" : "squant";
      std::string passes =
          "func.func(qe-fold-batch-norm,qe-quantize-weights{bits=" +
          std::to_string(bits) + " rounding=" + rounding +
          "},qe-quantize-activations{bits=" + std::to_string(bits) +
          " range=bn-sigma})";
      std::string description =
          std::string(method == std::string("rtn")
                          ? "Round-to-nearest baseline, "
                          : "SQuant data-free quantization, ") +
          "W" + std::to_string(bits) + "A" + std::to_string(bits) + ": " +
          passes;
      // The registry keeps copies of the name and description.
      PassPipelineRegistration<>(name, description,
                                 [bits, rounding](OpPassManager &pm) {
                                   buildDataFreePipeline(pm, bits, rounding);
                                 });
    }
  }
}
} // namespace

void mlir::qe::registerQuantEvalPasses() {
  registerQETransformsPasses();
  registerDataFreePipelines();
}
