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

/// DFQ (Nagel et al. 2019) at 8 bits: BN folding, cross-layer
/// equalization, high-bias absorption, per-tensor weights rounded to
/// nearest, analytical bias correction, BN-derived activation ranges.
void buildDFQInt8Pipeline(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(qe::createFoldBatchNorm());
  pm.addNestedPass<func::FuncOp>(qe::createCrossLayerEqualization());
  pm.addNestedPass<func::FuncOp>(qe::createAbsorbHighBias());
  qe::CorrectBiasOptions correct;
  correct.bits = 8;
  correct.granularity = "tensor";
  pm.addNestedPass<func::FuncOp>(qe::createCorrectBias(correct));
  qe::QuantizeWeightsOptions weights;
  weights.bits = 8;
  weights.granularity = "tensor";
  pm.addNestedPass<func::FuncOp>(qe::createQuantizeWeights(weights));
  qe::QuantizeActivationsOptions activations;
  activations.bits = 8;
  activations.range = "bn";
  pm.addNestedPass<func::FuncOp>(qe::createQuantizeActivations(activations));
}

void registerDataFreePipelines() {
  PassPipelineRegistration<>(
      "dfq-int8",
      "DFQ data-free quantization, per-tensor W8A8: "
      "func.func(qe-fold-batch-norm,qe-cross-layer-equalization,"
      "qe-absorb-high-bias,qe-correct-bias{bits=8 granularity=tensor},"
      "qe-quantize-weights{bits=8 granularity=tensor},"
      "qe-quantize-activations{bits=8 range=bn})",
      buildDFQInt8Pipeline);
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

/// Options of the calibrated PTQ pipelines.
struct PTQOptions : public PassPipelineOptions<PTQOptions> {
  Option<std::string> calibration{
      *this, "calibration",
      llvm::cl::desc("Statistics from quant-eval calibrate (required)")};
  Option<std::string> method{
      *this, "method", llvm::cl::desc("minmax, percentile, mse or entropy"),
      llvm::cl::init("minmax")};
  Option<double> percentile{
      *this, "percentile",
      llvm::cl::desc("For method=percentile, in (50, 100]"),
      llvm::cl::init(99.99)};
  Option<std::string> granularity{*this, "granularity",
                                  llvm::cl::desc("Weights: channel or tensor"),
                                  llvm::cl::init("channel")};
  ListOption<std::string> exclude{
      *this, "exclude",
      llvm::cl::desc("ONNX node names of layers to keep in float")};
  Option<int> excludeFirst{*this, "exclude-first",
                           llvm::cl::desc("Keep the first N layers in float"),
                           llvm::cl::init(0)};
  Option<bool> excludeLast{*this, "exclude-last",
                           llvm::cl::desc("Keep the last layer in float"),
                           llvm::cl::init(false)};
};

/// TFLite-style post-training quantization with calibration data: BN
/// folding, symmetric narrow-range weights at `weightBits` (nearest), and
/// activations at `activationBits` from the calibrated ranges (asymmetric,
/// or symmetric for int16), biases on their integer accumulator grid.
void buildPTQPipeline(OpPassManager &pm, const PTQOptions &options,
                      int weightBits, int activationBits,
                      bool symmetricActivations) {
  pm.addNestedPass<func::FuncOp>(qe::createFoldBatchNorm());
  if (!options.exclude.empty() || options.excludeFirst > 0 ||
      options.excludeLast) {
    qe::ExcludeLayersOptions exclude;
    exclude.names.assign(options.exclude.begin(), options.exclude.end());
    exclude.first = options.excludeFirst;
    exclude.last = options.excludeLast;
    pm.addNestedPass<func::FuncOp>(qe::createExcludeLayers(exclude));
  }
  qe::QuantizeWeightsOptions weights;
  weights.bits = weightBits;
  weights.granularity = options.granularity;
  pm.addNestedPass<func::FuncOp>(qe::createQuantizeWeights(weights));
  pm.addNestedPass<func::FuncOp>(qe::createInsertObservers());
  qe::ApplyCalibrationOptions activations;
  activations.file = options.calibration;
  activations.method = options.method;
  activations.percentile = options.percentile;
  activations.bits = activationBits;
  activations.symmetric = symmetricActivations;
  pm.addNestedPass<func::FuncOp>(qe::createApplyCalibration(activations));
  // The bias is stored as an integer of the accumulator's scale: int32,
  // or int64 beside 16-bit activations (TFLite 16x8).
  qe::QuantizeBiasOptions bias;
  bias.bits = activationBits > 8 ? 64 : 32;
  pm.addNestedPass<func::FuncOp>(qe::createQuantizeBias(bias));
}

void registerPTQPipelines() {
  auto passes = [](int w, int a, bool symmetric) {
    return "func.func(qe-fold-batch-norm,[qe-exclude-layers{names=<exclude> "
           "first=<exclude-first> last=<exclude-last>},]qe-quantize-weights{"
           "bits=" +
           std::to_string(w) +
           " granularity=<granularity>},qe-insert-observers,"
           "qe-apply-calibration{file=<calibration> method=<method> bits=" +
           std::to_string(a) + (symmetric ? " symmetric=true" : "") +
           "},qe-quantize-bias{bits=" + (a > 8 ? "64" : "32") + "})";
  };
  PassPipelineRegistration<PTQOptions>(
      "ptq-int8",
      "TFLite-style int8 post-training quantization (W8A8, calibrated "
      "asymmetric activations); calibration=FILE from quant-eval calibrate: " +
          passes(8, 8, false),
      [](OpPassManager &pm, const PTQOptions &options) {
        buildPTQPipeline(pm, options, 8, 8, false);
      });
  PassPipelineRegistration<PTQOptions>(
      "ptq-int16x8",
      "TFLite-style 16x8 post-training quantization (int8 weights, "
      "symmetric int16 activations): " +
          passes(8, 16, true),
      [](OpPassManager &pm, const PTQOptions &options) {
        buildPTQPipeline(pm, options, 8, 16, true);
      });
  PassPipelineRegistration<>(
      "ptq-f16",
      "TFLite-style float16 post-training quantization (weights stored as "
      "IEEE half, computed in f32; no calibration): "
      "func.func(qe-fold-batch-norm,qe-cast-weights{type=f16})",
      [](OpPassManager &pm) {
        pm.addNestedPass<func::FuncOp>(qe::createFoldBatchNorm());
        pm.addNestedPass<func::FuncOp>(qe::createCastWeights());
      });
  for (int bits = 2; bits <= 7; ++bits)
    PassPipelineRegistration<PTQOptions>(
        "ptq-" + std::to_string(bits) + "bit",
        "Calibrated post-training quantization at " + std::to_string(bits) +
            " bits (weights and activations): " + passes(bits, bits, false),
        [bits](OpPassManager &pm, const PTQOptions &options) {
          buildPTQPipeline(pm, options, bits, bits, false);
        });
}

/// Options of the QKeras pipelines. The defaults are QKeras' own (alpha
/// none, integer 0): the honest post-training result. alpha=auto (or
/// auto_po2) and relu-integer=3 (ReLU6 fits) are the fair variant.
struct QKerasOptions : public PassPipelineOptions<QKerasOptions> {
  Option<std::string> alpha{
      *this, "alpha",
      llvm::cl::desc("quantized_bits weights: none, auto or auto_po2"),
      llvm::cl::init("none")};
  Option<int> reluInteger{
      *this, "relu-integer",
      llvm::cl::desc("Integer bits of the activations' quantized_relu"),
      llvm::cl::init(0)};
};

/// BN folding, a QKeras quantizer on the weights, quantized_relu on ReLU
/// outputs.
void buildQKerasPipeline(OpPassManager &pm, const QKerasOptions &options,
                         const std::string &weightQuantizer, int bits) {
  pm.addNestedPass<func::FuncOp>(qe::createFoldBatchNorm());
  qe::QKerasQuantizeOptions weights;
  weights.quantizer = weightQuantizer;
  weights.bits = bits;
  if (weightQuantizer == "quantized_bits")
    weights.alpha = options.alpha;
  pm.addNestedPass<func::FuncOp>(qe::createQKerasQuantize(weights));
  qe::QKerasQuantizeOptions activations;
  activations.quantizer = "quantized_relu";
  activations.bits = bits;
  activations.integer = options.reluInteger;
  activations.applyTo = "activations";
  pm.addNestedPass<func::FuncOp>(qe::createQKerasQuantize(activations));
}

void registerQKerasPipelines() {
  for (int bits : {4, 6, 8}) {
    for (const char *kind : {"bits", "po2"}) {
      std::string quantizer = std::string("quantized_") + kind;
      std::string n = std::to_string(bits);
      std::string passes =
          "func.func(qe-fold-batch-norm,qe-qkeras-quantize{quantizer=" +
          quantizer + " bits=" + n +
          (quantizer == "quantized_bits" ? " alpha=<alpha>" : "") +
          "},qe-qkeras-quantize{quantizer=quantized_relu bits=" + n +
          " integer=<relu-integer> apply-to=activations})";
      PassPipelineRegistration<QKerasOptions>(
          "qkeras-" + std::string(kind) + "-" + n,
          "QKeras " + quantizer + "(" + n + ") weights and quantized_relu(" +
              n + ") activations, post-training: " + passes,
          [quantizer, bits](OpPassManager &pm, const QKerasOptions &options) {
            buildQKerasPipeline(pm, options, quantizer, bits);
          });
    }
  }
}
} // namespace

void mlir::qe::registerQuantEvalPasses() {
  registerQETransformsPasses();
  registerDataFreePipelines();
  registerPTQPipelines();
  registerQKerasPipelines();
}
