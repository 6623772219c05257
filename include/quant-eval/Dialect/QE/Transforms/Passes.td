//===- Passes.td - Quantization passes on TOSA + qe --------*- tablegen -*-===//

#ifndef QUANT_EVAL_DIALECT_QE_TRANSFORMS_PASSES_TD
#define QUANT_EVAL_DIALECT_QE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FoldBatchNorm : Pass<"qe-fold-batch-norm", "func::FuncOp"> {
  let summary = "Fold qe.batch_norm into the preceding convolution";
  let description = [{
    DFQ step 1 (quantization-algorithms.md §4.1). For a `qe.batch_norm` on
    the channel axis of a `tosa.conv2d`, `tosa.depthwise_conv2d` or
    `tosa.transpose_conv2d` with constant weight, bias and statistics, and
    no other user of the convolution:

    ```
    σ = sqrt(var + ε),  W[c] ← W[c] · γ[c] / σ[c],
    b[c] ← β[c] + (b[c] − μ[c]) · γ[c] / σ[c]
    ```

    and records the BN's β and γ on the convolution as `qe.bn_beta` and
    `qe.bn_gamma` (f64 arrays): the folded layer's pre-activation output is
    modelled as N(β, γ²), which cross-layer equalization, bias correction
    and data-free activation ranges need.

    A batch norm with nothing to fold into (another producer, a shared or
    quantized weight) becomes `x · γ/σ + (β − μ γ/σ)` with `tosa.mul` and
    `tosa.add`, and a remark says so. One whose statistics are not constant
    is left as it is, with a remark.
  }];
  let dependentDialects = ["::mlir::tosa::TosaDialect"];
}

def QuantizeWeights : Pass<"qe-quantize-weights", "func::FuncOp"> {
  let summary = "Quantize constant weights (round to nearest or SQuant)";
  let description = [{
    Rewrites the constant weights of `tosa.conv2d`, `tosa.depthwise_conv2d`,
    `tosa.transpose_conv2d` and `tosa.matmul` (directly or through a
    `tosa.reshape`) to values on a `bits`-wide integer grid, and puts a
    `qe.fake_quant` with the grid's parameters on the new constant, so the
    quantization is recorded (and counted at its width by `quant-eval run`).

    * `granularity=channel`: one scale per output channel; `tensor`: one.
    * `symmetric=true` (default): scale = max|W| / qmax on the narrow range
      [−qmax, qmax], zero point 0 (TFLite style); `false`: min/max with a
      nudged zero point on the full range.
    * `rounding`: `nearest` (half to even), or SQuant's `squant-e`
      (nearest), `squant-k` (kernel flipping), `squant-c` (channel
      flipping) and `squant` (kernel then channel), §5. SQuant works on
      the weight viewed as [output channel][input channel][kernel position].

    Weights already behind a `qe.fake_quant` (an imported QDQ model) are
    left alone.
  }];
  let dependentDialects = ["::mlir::tosa::TosaDialect", "::mlir::qe::QEDialect"];
  let options = [
    Option<"bits", "bits", "int", /*default=*/"8",
           "Weight bit width, 2 to 16">,
    Option<"granularity", "granularity", "std::string", /*default=*/"\"channel\"",
           "channel or tensor">,
    Option<"symmetric", "symmetric", "bool", /*default=*/"true",
           "Symmetric narrow-range grid (false: asymmetric, full range)">,
    Option<"rounding", "rounding", "std::string", /*default=*/"\"nearest\"",
           "nearest, squant-e, squant-k, squant-c or squant">
  ];
}

#endif // QUANT_EVAL_DIALECT_QE_TRANSFORMS_PASSES_TD
