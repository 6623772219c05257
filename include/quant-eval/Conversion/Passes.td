//===- Passes.td - quant-eval conversion passes ------------*- tablegen -*-===//

#ifndef QUANT_EVAL_CONVERSION_PASSES_TD
#define QUANT_EVAL_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertQEToLinalg : Pass<"convert-qe-to-linalg", "func::FuncOp"> {
  let summary = "Lower qe ops to linalg.generic on arith and math";
  let description = [{
    Turns the `qe` simulation ops into elementwise `linalg.generic` ops whose
    bodies compute exactly what the numeric kernels of `quant-eval/Numerics`
    compute, so compiled models agree bit for bit with constant folding and
    with the unit-tested reference:

    * `qe.fake_quant`: `y = Δ · clamp(round(x / Δ), qmin − z, qmax − z)` in
      f32 (f64 for f64 tensors), with a true division and the op's rounding
      mode (`math.roundeven`, `math.round`, or floor plus a comparison for
      round-half-up). Per-axis scales and zero points are constant tensors
      indexed by the axis.
    * `qe.po2_quant`: sign · 2^clamp(roundeven(log2(min(|x|, max)))) in f64.
    * `qe.batch_norm`: `(x − mean) · scale / sqrt(variance + ε) + offset`;
      with constant statistics the per-channel factor is computed at
      compile time (in f64, rounded once).
    * `qe.observe`: removed (the statistics runtime is a separate lowering);
      with `erase-observers=false` the pass fails instead, so a calibration
      build never loses its probes silently.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let options = [
    Option<"eraseObservers", "erase-observers", "bool", /*default=*/"true",
           "Remove qe.observe probes instead of failing on them">
  ];
}

def VectorizeContractions : Pass<"qe-vectorize-contractions", "func::FuncOp"> {
  let summary = "Tile and vectorize convolutions and matmuls on tensors";
  let description = [{
    Gives the compute-heavy linalg ops (2-D convolutions, `matmul`,
    `batch_matmul`, as produced by tosa-to-linalg-named) register-sized
    tiles and turns each tile into vector code, so that no convolution or
    matmul runs as scalar loops:

    0. rewrite `conv_2d_nhwc_fhwc` with a constant filter to
       `conv_2d_nhwc_hwcf`, transposing the filter at compile time (the
       layout the decomposition and the vectorizer handle), and
       `depthwise_conv_2d_nhwc_hwcm` with multiplier 1 to the HWC form;
    1. tile with `scf.for` loops (sizes per op kind, below);
    2. decompose the tiled 2-D convolutions, whose kernel window is now one
       row, into 1-D convolutions;
    3. vectorize them (`vector.contract`, `vector.fma`) and fold the tensor
       slices into vector transfers.

    A tile size is lowered to the largest divisor of its loop range, so that
    every tile is static. Ops it cannot handle (dynamic shapes, other kinds)
    are left as they are and lower to loops. The tile sizes follow measurements on AVX2/FMA:
    larger output tiles spill registers.
  }];
  let dependentDialects = [
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let options = [
    ListOption<"convTileSizes", "conv-tile-sizes", "int64_t",
               "Tiles of conv_2d_nhwc_hwcf over (n, oh, ow, f, kh, kw, c)">,
    ListOption<"depthwiseTileSizes", "depthwise-tile-sizes", "int64_t",
               "Tiles of depthwise_conv_2d_nhwc_hwc over (n, oh, ow, c, kh, kw)">,
    ListOption<"matmulTileSizes", "matmul-tile-sizes", "int64_t",
               "Tiles of batch_matmul over (b, m, n, k); matmul drops b">
  ];
}

def AnnotateTarget : Pass<"qe-annotate-target", "ModuleOp"> {
  let summary = "Record the code-generation target and expose public functions to C";
  let description = [{
    Sets `llvm.target_triple` (and `qe.target_cpu`, `qe.target_features` for
    the object emitter) on the module, and `llvm.emit_c_interface` on every
    public function so that runners call them through `_mlir_ciface_*`
    wrappers with memref descriptors. Empty options mean the host.
  }];
  let options = [
    Option<"targetTriple", "target-triple", "std::string", /*default=*/"\"\"",
           "Target triple (default: the host)">,
    Option<"cpu", "cpu", "std::string", /*default=*/"\"\"",
           "Target CPU (default: the host's)">,
    Option<"features", "features", "std::string", /*default=*/"\"\"",
           "Target features such as +avx2,+fma (default: the host's)">
  ];
}

#endif // QUANT_EVAL_CONVERSION_PASSES_TD
