//===- Passes.td - Quantization passes on TOSA + qe --------*- tablegen -*-===//

#ifndef QUANT_EVAL_DIALECT_QE_TRANSFORMS_PASSES_TD
#define QUANT_EVAL_DIALECT_QE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FoldBatchNorm : Pass<"qe-fold-batch-norm", "func::FuncOp"> {
  let summary = "Fold qe.batch_norm into the preceding convolution";
  let description = [{
    DFQ step 1 (quantization-algorithms.md §4.1). For a `qe.batch_norm` on
    the channel axis of a `tosa.conv2d`, `tosa.depthwise_conv2d` or
    `tosa.transpose_conv2d` with constant bias and statistics, optionally
    through a `tosa.mul` (shift 0) by a per-channel constant C or by the
    `tosa.reciprocal` of one (the form PyTorch QAT ConvBn modules export: the
    mul undoes the γ/σ they fold into the weight), with no other user of the
    convolution or the mul:

    ```
    σ = sqrt(var + ε),  k[c] = C[c] · γ[c] / σ[c]  (C = 1 without a mul),
    W[c] ← W[c] · k[c],  b[c] ← β[c] + (b[c] · C[c] − μ[c]) · γ[c] / σ[c]
    ```

    and erases the mul. A constant weight is scaled as written. A quantized
    weight keeps its integers:

    * if every `|k[c] − 1| ≤ 1e-5` (the PyTorch case), the weight, whatever
      computes it, is left untouched and only the bias folds;
    * otherwise a `qe.fake_quant` of a constant, used only by this
      convolution, has both the constant and its scales multiplied by k,
      since `round(w·k / (Δ·k)) = round(w / Δ)`. This needs every `k[c] > 0`
      and one k per scale (per axis on the output channel, or per tensor
      with equal k). A weight on which f32 rounding would flip a near-tie
      moves onto its grid point, so the integers stay bit-identical.

    It records the BN's β and γ on the convolution as `qe.bn_beta` and
    `qe.bn_gamma` (f64 arrays): the folded layer's pre-activation output is
    modelled as N(β, γ²), which cross-layer equalization, bias correction
    and data-free activation ranges need.

    A batch norm that cannot fold (another producer, a non-constant bias, a
    shared fake-quantized weight, a factor that is not positive, ...) becomes
    `x · γ/σ + (β − μ γ/σ)` with `tosa.mul` and `tosa.add`, and a remark says
    why. One whose statistics are not constant is left as it is, with a
    remark.
  }];
  let dependentDialects = ["::mlir::tosa::TosaDialect"];
}

def CrossLayerEqualization : Pass<"qe-cross-layer-equalization", "func::FuncOp"> {
  let summary = "Equalize per-channel weight ranges of consecutive layers";
  let description = [{
    DFQ step 3 (quantization-algorithms.md §4.3). For chains
    `layer1 → f → layer2` with f a ReLU, a ReLU6, a PReLU or LeakyReLU with
    a constant slope (`select(x >= 0, x, x * slope)`, as the ONNX importer
    writes it) or nothing, where layer1's output has no other user (a residual add or concat ends a chain), and
    layers that are `tosa.conv2d` or depthwise `tosa.depthwise_conv2d`
    (multiplier 1) with constant weights and biases:

    * pairs: `s_i = sqrt(r1_i / r2_i)` with r1 the output-channel ranges of
      layer1 and r2 the input-channel ranges of layer2 (1 when either is
      0); `W1[i] /= s_i`, `b1[i] /= s_i`, `W2[:, i] *= s_i`;
    * conv → depthwise → conv triplets: `c_i = cbrt(r1 r2 r3)`,
      `S12 = r1 / c`, `S23 = c / r3`, so that all three ranges become c.

    ReLU and PReLU commute with positive per-channel scales (the slope is
    unchanged: `PReLU(x / s) = PReLU(x) / s`); ReLU6 does not, so a ReLU6 inside an
    equalized chain becomes a ReLU, with a remark (it changes float
    outputs). The `qe.bn_beta`/`qe.bn_gamma` statistics of scaled layers are
    scaled too, and each layer records the range of its scales as
    `qe.cle_scale_range`. The chains are equalized again until
    `max |log s| < tolerance` or `max-iterations`.
  }];
  let options = [
    Option<"tolerance", "tolerance", "double", /*default=*/"1e-3",
           "Stop when every |log s| is below this">,
    Option<"maxIterations", "max-iterations", "int", /*default=*/"20",
           "Equalization rounds at most">
  ];
}

def AbsorbHighBias : Pass<"qe-absorb-high-bias", "func::FuncOp"> {
  let summary = "Move large positive biases through ReLUs into the next layer";
  let description = [{
    DFQ step 4 (quantization-algorithms.md §4.4). For `layer1 → ReLU →
    layer2` (conv or depthwise, constant weights and biases, layer1's
    output used only by the ReLU and the ReLU only by layer2), with
    layer1's statistics N(β, γ²) from `qe-fold-batch-norm`:

    ```
    c_i = max(0, β_i − 3|γ_i|),  b1 −= c,  β −= c,
    b2[o] += Σ_i Σ_hw W2[o, i, h, w] · c_i
    ```

    Almost every pre-activation value of a channel lies above c_i, where
    ReLU is the identity, so the shift passes through it; layer1's output
    range shrinks by c_i, which helps its quantization. Exact except where
    zero padding in layer2 sees the shifted values.
  }];
}

def CorrectBias : Pass<"qe-correct-bias", "func::FuncOp"> {
  let summary = "Correct biases for the mean error weight quantization adds";
  let description = [{
    DFQ step 5 (quantization-algorithms.md §4.5). Quantizing a layer's
    weights changes its output's mean by `ε·E[x]`, with `ε = Ŵ − W`; this
    pass subtracts that from the bias of every convolution, depthwise
    convolution and fully connected layer (a `tosa.matmul` whose result,
    possibly reshaped, gets a constant bias added) whose input expectation
    it can derive:

    * analytically (default), from the statistics `qe-fold-batch-norm`
      recorded on the producing layer, N(β, γ²) passed through the
      activation in between: β without one, the clipped-normal mean for a
      ReLU or ReLU6 (with |γ|), sums through residual adds, concatenation
      through concats, unchanged through average pooling and reshapes;
    * empirically with `errors-file`: a JSON object mapping layer names (the
      ONNX node names kept as locations) to per-channel means of
      `y_quantized − y_float` measured on data; those are subtracted as
      they are.

    It runs before `qe-quantize-weights` and predicts Ŵ with the same
    options (`bits`, `granularity`, `symmetric`, `rounding`), which must
    therefore match the weight quantization that follows. Each corrected
    layer records the largest |correction| as `qe.bias_correction`.
  }];
  let options = [
    Option<"bits", "bits", "int", /*default=*/"8",
           "Weight bit width the following qe-quantize-weights uses">,
    Option<"granularity", "granularity", "std::string", /*default=*/"\"channel\"",
           "channel or tensor, as for qe-quantize-weights">,
    Option<"symmetric", "symmetric", "bool", /*default=*/"true",
           "As for qe-quantize-weights">,
    Option<"rounding", "rounding", "std::string", /*default=*/"\"nearest\"",
           "As for qe-quantize-weights">,
    Option<"errorsFile", "errors-file", "std::string", /*default=*/"\"\"",
           "JSON of measured per-channel output error means (empirical mode)">
  ];
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

def QuantizeActivations : Pass<"qe-quantize-activations", "func::FuncOp"> {
  let summary = "Insert per-tensor fake quants on activations, data-free";
  let description = [{
    Puts a per-tensor `qe.fake_quant` (asymmetric, unsigned when the tensor
    cannot be negative, round half to even) on every activation whose range
    it can derive without data (quantization-algorithms.md §4.6 and §5):

    * The output of a convolution that `qe-fold-batch-norm` annotated is
      modelled per channel as N(β, γ²); a following `tosa.clamp`
      (ReLU/ReLU6) is quantized instead of the convolution and bounds the
      range. Residual `tosa.add`s sum means and variances; `tosa.concat`s
      concatenate channels; pooling and reshapes keep their input's range.
    * `range=bn` (DFQ): `[min_c(β − Nγ), max_c(β + Nγ)]` with
      N = `clip-sigmas` (6 by default).
    * `range=bn-sigma` (SQuant): a clip `α = s·σ` on the channel mixture's
      σ, with s = `clip-sigmas`, or by default 12, 14 and 25 for 4, 6 and 8
      bits (signed tensors α/1.25 each side); below 6 bits α is at most the
      6σ range.
    * The model input stays float (it has no statistics to derive a range
      from), and the input of the last matmul (the classifier) uses
      `last-layer-bits` (8 by default).

    A tensor without statistics (a model without batch norms) gets a remark
    that BN-based ranges are unavailable and stays float.
  }];
  let dependentDialects = ["::mlir::qe::QEDialect"];
  let options = [
    Option<"bits", "bits", "int", /*default=*/"8",
           "Activation bit width, 2 to 16">,
    Option<"range", "range", "std::string", /*default=*/"\"bn\"",
           "bn (DFQ, N sigma per channel) or bn-sigma (SQuant clip)">,
    Option<"clipSigmas", "clip-sigmas", "double", /*default=*/"0",
           "N for range=bn (default 6), s for bn-sigma (default by bits)">,
    Option<"lastLayerBits", "last-layer-bits", "int", /*default=*/"8",
           "Bits of the last matmul's input">
  ];
}

def CastWeights : Pass<"qe-cast-weights", "func::FuncOp"> {
  let summary = "Store layer weights as float16 or bfloat16";
  let description = [{
    TFLite's float16 post-training quantization (what the thesis called
    16-bit, quantization-algorithms.md §1): every layer weight (convolution,
    depthwise and transposed convolution, fully connected) becomes a
    constant of `type`, rounded to nearest even, read through a `tosa.cast`
    back to f32. The model still computes in f32, on the rounded weights,
    and stores 2 bytes per weight.

    A weight with a value beyond the type's range (it would become an
    infinity) stays f32, with a warning; so does one with a NaN. Weights
    already quantized (behind a `qe.fake_quant`) are left alone.
  }];
  let options = [
    Option<"type", "type", "std::string", /*default=*/"\"f16\"",
           "f16 or bf16">
  ];
}

def ExcludeLayers : Pass<"qe-exclude-layers", "func::FuncOp"> {
  let summary = "Keep chosen layers in float";
  let description = [{
    Marks layers (convolutions, depthwise and transposed convolutions,
    fully connected matmuls) with `qe.keep_float`, which the quantization
    passes respect: `qe-quantize-weights` and `qe-cast-weights` leave their
    weights alone, and `qe-insert-observers` does not probe their outputs
    (nor the ReLU, bias add or reshape they fuse into), so they run in
    float between quantized neighbours. Sensitive first and last layers are
    the usual candidates.

    Layers are chosen by ONNX node name (`names`), as the first `first` in
    program order, or the last one (`last`). A name no layer has is an
    error that names it, so a typo cannot quietly quantize everything.
  }];
  let options = [
    ListOption<"names", "names", "std::string",
               "ONNX node names of layers to keep in float">,
    Option<"first", "first", "int", /*default=*/"0",
           "Keep the first N layers in float">,
    Option<"last", "last", "bool", /*default=*/"false",
           "Keep the last layer in float">
  ];
}

def QKerasQuantize : Pass<"qe-qkeras-quantize", "func::FuncOp"> {
  let summary = "Apply a QKeras quantizer to weights or activations, "
                "post-training";
  let description = [{
    Applies one QKeras quantizer with QKeras' own semantics
    (quantization-algorithms.md §3) to a trained float model, without
    retraining:

    * `quantizer=quantized_bits` on weights: `alpha=none` uses the fixed
      grid 2^(integer − bits + 1) per tensor (QKeras' default, the honest
      post-training result: trained weights rarely fit it); `alpha=auto`
      scales each output channel to max|w| (round half away from zero), and
      `alpha=auto_po2` to a power of two fitted by least squares. The
      weights are rewritten to their quantized values and recorded with a
      `qe.fake_quant`.
    * `quantizer=quantized_po2` on weights: every weight becomes ±2^e
      (`max-value` bounds it), recorded with a `qe.po2_quant`.
    * On activations (`apply-to=activations`), the outputs of ReLUs
      (`tosa.clamp` with a lower bound of 0) get the quantizer as a
      `qe.fake_quant` (`quantized_relu`, `quantized_bits` with alpha none)
      or a `qe.po2_quant`. `quantized_relu` clips at 2^integer − 2^(integer
      − bits): with the default integer 0, a ReLU6 is cut at 1.

    Layers kept in float (`qe.keep_float`) are left alone. A weight whose
    values the quantizer cannot take (NaN, infinities) stays float with a
    warning.
  }];
  let dependentDialects = ["::mlir::qe::QEDialect"];
  let options = [
    Option<"quantizer", "quantizer", "std::string",
           /*default=*/"\"quantized_bits\"",
           "quantized_bits, quantized_po2 or quantized_relu">,
    Option<"bits", "bits", "int", /*default=*/"8",
           "Bits, sign included, 2 to 16">,
    Option<"integer", "integer", "int", /*default=*/"0",
           "Integer bits, sign excluded (quantized_bits, quantized_relu)">,
    Option<"alpha", "alpha", "std::string", /*default=*/"\"none\"",
           "quantized_bits weights: none, auto or auto_po2">,
    Option<"symmetric", "symmetric", "bool", /*default=*/"false",
           "quantized_bits: drop the most negative level">,
    Option<"maxValue", "max-value", "double", /*default=*/"0",
           "quantized_po2: the largest magnitude (0: none)">,
    Option<"applyTo", "apply-to", "std::string", /*default=*/"\"weights\"",
           "weights or activations">
  ];
}

def InsertObservers : Pass<"qe-insert-observers", "func::FuncOp"> {
  let summary = "Put calibration probes on the activations a quantized model "
                "requantizes";
  let description = [{
    Puts a `qe.observe` on every tensor that a TFLite-style integer model
    stores at its own scale (quantization-algorithms.md §1): the function's
    arguments (the model input) and the results of convolutions, matmuls,
    clamps, element-wise adds, subtractions and multiplications, concats
    and average pooling. A result whose only use takes over its
    quantization point is not observed: a clamp (ReLU/ReLU6 fuse into the
    layer before), a bias `tosa.add` with a constant operand, or a reshape
    leading to one of them. Reshapes, transposes, max pooling, pads and
    slices keep their input's scale and are not observed either.
    Layers marked `qe.keep_float` (`qe-exclude-layers`) run in float: their
    outputs are not observed, nor a model input that only they read.

    Ids are stable across runs and model versions: the producing op's ONNX
    node name (its location), `input:N` for argument N, and `#2`, `#3`… on
    repeats. Values already observed keep their probe, so running the pass
    twice changes nothing. `quant-eval calibrate` runs it, executes the
    model on training samples and writes the statistics per id;
    `qe-apply-calibration` turns them into fake quants.
  }];
  let dependentDialects = ["::mlir::qe::QEDialect"];
}

def ApplyCalibration : Pass<"qe-apply-calibration", "func::FuncOp"> {
  let summary = "Replace calibration probes by fake quants with calibrated "
                "ranges";
  let description = [{
    Reads the statistics `quant-eval calibrate` wrote (`file`) and replaces
    each `qe.observe` by a per-tensor asymmetric `qe.fake_quant` of `bits`
    bits (signed, zero point nudged so 0.0 is exact, round half to even;
    with `symmetric`, narrow range around a zero point of 0, as TFLite's
    16x8 mode quantizes activations), with the range `method` derives from
    the tensor's statistics:

    * `minmax`: the observed extremes (TFLite);
    * `percentile`: the `percentile`-th and (100 − percentile)-th
      percentiles of the histogram;
    * `mse`: the clip minimizing the quantization error over the
      histogram;
    * `entropy`: the threshold minimizing the KL divergence between the
      clipped and quantized histograms (TensorRT).

    Every range holds 0. An observer whose id the file lacks is an error
    (the file belongs to another model), and so is a file that cannot be
    read; the IR is then left unchanged. Observers whose statistics saw
    only zeros become exact (the identity) and are removed.
  }];
  let dependentDialects = ["::mlir::qe::QEDialect"];
  let options = [
    Option<"file", "file", "std::string", /*default=*/"\"\"",
           "Statistics written by quant-eval calibrate (JSON)">,
    Option<"method", "method", "std::string", /*default=*/"\"minmax\"",
           "minmax, percentile, mse or entropy">,
    Option<"bits", "bits", "int", /*default=*/"8",
           "Activation bit width, 2 to 16">,
    Option<"percentile", "percentile", "double", /*default=*/"99.99",
           "For method=percentile: the upper percentile, in (50, 100]">,
    Option<"symmetric", "symmetric", "bool", /*default=*/"false",
           "Symmetric narrow-range grid, zero point 0 (int16 activations)">
  ];
}

def Report : Pass<"qe-report", "ModuleOp"> {
  let summary = "Write the per-layer quantization report as JSON";
  let description = [{
    Collects what the quantization passes recorded on each layer and writes
    it to `file`, keyed by the layer's ONNX node name (its location):

    * `weight_sqnr_db`: 10·log10(Σw² / Σ(w − ŵ)²) of the quantized weights
      (null when they are exact), from `qe-quantize-weights`;
    * `flips`: SQuant's kernel- and channel-stage flips;
    * `cle_scale_range`: the smallest and largest equalization scale;
    * `bias_correction`: the largest bias correction;
    * `bn_beta_range`, `bn_gamma_range`: the recorded statistics' extremes.

    Run it last: `quant-opt --squant-4bit --qe-report=report.json`
    (quant-opt's shorthand for `--qe-report=file=report.json`; in a pass
    pipeline string it is `qe-report{file=report.json}`). It changes
    nothing in the IR.
  }];
  let options = [
    Option<"file", "file", "std::string", /*default=*/"\"\"",
           "Where to write the JSON report">
  ];
}

def QuantizeBias : Pass<"qe-quantize-bias", "func::FuncOp"> {
  let summary = "Round layer biases onto their integer accumulator grid";
  let description = [{
    An integer convolution or matmul adds its bias to the accumulator, so
    the bias is stored as an integer of scale `Δ_in · Δ_w[c]` (TFLite: int32
    for int8 layers, int64 for 16x8; quantization-algorithms.md §1). This
    pass makes the float simulation do the same: for every
    `tosa.conv2d` and `tosa.depthwise_conv2d` (bias operand) and every
    `tosa.matmul` followed by reshapes and a `tosa.add` of a constant (the
    fully connected bias) whose data input is a per-tensor `qe.fake_quant`
    (looking through transposes and reshapes) and whose weight is a
    fake-quantized constant, each bias value becomes
    `Δ_in·Δ_w[c] · clamp(round(b / (Δ_in·Δ_w[c])))`, rounded half away from
    zero and saturated to `bits`. `qe-lower-to-integer` then finds the same
    integers, and simulation and integer model agree.

    A layer with a quantized weight whose input is not quantized is left
    alone with a remark.
  }];
  let options = [
    Option<"bits", "bits", "unsigned", /*default=*/"32",
           "Width of the stored bias (32, or 64 for 16x8)">
  ];
}

#endif // QUANT_EVAL_DIALECT_QE_TRANSFORMS_PASSES_TD
