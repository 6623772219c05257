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
    * `qe.quantize`: the same up to the clamp, then `+ z` and a conversion
      to the integer type; `qe.dequantize`: `Δ · float(q − z)`.
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

def LowerToInteger : Pass<"qe-lower-to-integer", "func::FuncOp"> {
  let summary = "Turn fake-quant islands into integer TOSA (QAT/PTQ lowering)";
  let description = [{
    Rewrites a fake-quantized float model (the result of a PTQ pipeline, or
    an imported QDQ/QAT model after `qe-fold-batch-norm`) into integer TOSA
    (quantization-algorithms.md §1 "Requantization" and §2):

    * every per-tensor activation `qe.fake_quant` becomes an i8 (i16 above
      8 bits) tensor on the same grid. Unsigned 8-bit grids are stored as i8 with
      the zero point moved by −128, which changes no value;
    * `tosa.conv2d`, `tosa.depthwise_conv2d` and `tosa.matmul` whose data
      input is quantized and whose weight is a fake-quantized constant
      (signed, at most 8 bits, per output channel with zero points 0, or per
      tensor) become i8 ops with zero-point operands and i32 accumulators.
      The weights become i8 constants (marked `qe.bits` for size
      accounting), the bias an i32 constant with scale `Δ_in·Δ_w[c]`
      (round half away from zero, saturated). A bias `tosa.add` and
      reshapes between the contraction and its output quantizer are carried
      out on the accumulator;
    * the accumulator reaches the output grid by `tosa.rescale` with the
      multiplier and shift of `M[c] = Δ_in·Δ_w[c] / Δ_out` (31-bit
      normalized multiplier, `SINGLE_ROUND`, per channel where the weights
      are). A scale that needs a shift outside [2, 62] is an error naming
      the op: it is never clamped;
    * a `tosa.clamp` (ReLU, ReLU6) before an output quantizer becomes the
      integer bounds `round(lo/Δ)+z`, `round(hi/Δ)+z` (the quantizer's
      rounding), intersected with its range;
    * `tosa.add` of two quantized tensors: both are rescaled to i32 at
      `2^20 / (2·max(Δ_a, Δ_b))` per unit, added, and rescaled to the
      output (the TFLite scheme); `tosa.concat`, `tosa.max_pool2d`,
      `tosa.transpose` and `tosa.reshape` work on the integers and rescale
      where the output grid differs (a max pool with no quantizer of its
      own, as ptq-int8 leaves it, stays on its input's grid, and so do the
      layers it feeds); a constant `tosa.pad` pads the integers with its
      value's code when that value is on the grid (ONNX's average pools
      that count their padding import as a pad with 0 and an unpadded
      pool); a global `tosa.avg_pool2d` sums in i32
      and rescales once by `Δ_in / (n·Δ_out)`, any other average pool uses
      the integer `tosa.avg_pool2d` on its input grid and then rescales.

    Float stays only where data enters and leaves: `qe.quantize` at the
    model input (moved before layout transposes so that they run on
    integers) and `qe.dequantize` at the output, with the arithmetic of the
    fake quants they replace. A part that cannot be lowered (another op, a
    per-axis activation grid, 16-bit activations into a convolution, an
    unquantized weight) stays in float simulation between a
    `qe.dequantize` and a `qe.quantize`, and gets a remark per op saying
    so. A function without activation fake quants is left unchanged, with
    a remark.

    16-bit activations (ptq-int16x8) follow TOSA's 16x8 profile: i16
    inputs with zero point 0, i8 weights (i16 for a matmul, whose operands
    share a type), i48 accumulators and biases. TOSA 1.0 rescales i48 only
    with a 16-bit multiplier, whose 15 bits leave a 16-bit output several
    steps off the simulation; so where the accumulator's bound (weights ×
    input range + bias) stays below 2^31, the 31-bit multiplier is used
    instead: its product fits the 64-bit arithmetic MLIR lowers
    `tosa.rescale` to. `tosa-conformant-rescale` keeps the 16-bit form.

    The rescale rounds half up where the simulation rounds half to even,
    and it approximates `M` with 31 bits; the bias is rounded onto the
    accumulator grid (run `qe-quantize-bias` first, as the ptq pipelines
    do, and the simulation adds the same bias). The integer model
    therefore agrees with the simulation up to rare ±1 differences, which
    test/Integration/integer-lowering.test measures.
  }];
  let dependentDialects = [
    "::mlir::tosa::TosaDialect",
    "::mlir::qe::QEDialect"
  ];
  let options = [
    Option<"conformantRescale", "tosa-conformant-rescale", "bool",
           /*default=*/"false",
           "Rescale 48-bit accumulators with 16-bit multipliers only, as "
           "TOSA 1.0 specifies">
  ];
}

def VectorizeContractions : Pass<"qe-vectorize-contractions", "func::FuncOp"> {
  let summary = "Tile and vectorize convolutions and matmuls on tensors";
  let description = [{
    Gives the compute-heavy linalg ops (2-D convolutions, `matmul`,
    `batch_matmul`, as produced by tosa-to-linalg-named, window pools, and
    reductions in `linalg.generic` form such as a classifier's fused
    matrix-vector product) register-sized tiles and turns each tile into
    vector code, so that none of them runs as scalar loops:

    0. rewrite the integer ops with zero points (`conv_2d_nhwc_fhwc_q`,
       `depthwise_conv_2d_nhwc_hwcm_q`, single-batch
       `quantized_batch_matmul`), when the weights are constant with zero
       point 0, to their plain i8 x i8 -> i32 forms on an init lowered by
       `zx * sum(w)` per output channel (on a constant fill, the init is a
       broadcast of `fill - zx * sum(w)` folded at compile time); rewrite `conv_2d_nhwc_fhwc` with a
       constant filter (f32 or i8) to `conv_2d_nhwc_hwcf`, transposing the
       filter at compile time (the layout the decomposition and the
       vectorizer handle), and `depthwise_conv_2d_nhwc_hwcm` with multiplier
       1 to the HWC form;
    1. tile with `scf.for` loops (sizes per op kind, below), over output
       positions outermost, except for a float 2-D convolution whose
       filter is larger than its input (the deep layers of a CNN): its
       loops run over output-channel blocks outermost, so that each
       block's weights (stored together by qe-pack-contraction-weights)
       stay in cache while every output position uses them. That order
       took f32 ResNet-50 from 41.4 to 39.0 ms here; integer filters,
       four times smaller, gained nothing from it (int8 ResNet-50 12.1
       against 12.4 ms, the others within noise) and keep the default;
    2. decompose the tiled 2-D convolutions, whose kernel window is now one
       row, into 1-D convolutions;
    3. vectorize them (`vector.contract`, `vector.fma`) and fold the tensor
       slices into vector transfers;
    4. hoist each tile's accumulator out of the reduction loops (kernel rows
       and columns, input-channel tiles), so that it is read and written
       once per tile instead of once per reduction step;
    5. when the init is a per-channel constant (a fill, a bias or
       zero-point correction broadcast from a 1-D constant) and each tile
       reads it only before writing its own slice, start the accumulator
       from that constant and the tile loops from an empty tensor: the init
       is never written to memory;
    6. when a 2-D or depthwise convolution's result goes only to one
       elementwise op (its requantization, clamp or residual add, made one
       op by qe-fuse-elementwise; seen through reshapes of unit
       dimensions), tile that op along the convolution's output tiles and
       compute each convolution tile inside its loops
       (`fuse-consumers`): the consumer takes the accumulator vector
       straight from the registers, and the i32 (or f32) feature map is
       never written and read back. A tile's bias then comes from a read
       of the per-channel constant, as in 5. Where the width is split
       (below), the consumer is split instead and the convolution computed
       in the loops of both parts.

    A strided slice that is one whole row of a vector (a strided
    convolution's column) becomes `vector.extract`/`vector.insert`; the
    LLVM lowering moved such slices element by element.

    It also gives every op its own zero-filled destination: CSE merges
    identical fills, and bufferization then copies the shared one per user.

    A tile size is lowered to the largest divisor of its loop range, so that
    every tile is static; on the output-channel (vector lane) dimension it
    prefers a multiple of the register width, else one half or quarter
    register (24 channels tile by 8 with AVX-512: as 24-lane vectors they
    became element shuffles through the stack). Ops it cannot handle
    (dynamic shapes, other kinds, i48 accumulators) are left as they are
    and lower to loops. The default tiles depend on the target's vector width, read from
    `qe.target_features` (qe-annotate-target): with AVX-512, convolutions
    tile as 7 output columns x 32 channels x 16 input channels (14 zmm
    accumulators); otherwise as measured on AVX2/FMA, 8 x 8 x 8, since
    larger output tiles spill its 16 registers. Integer (i8) convolutions
    on 256-bit x86 tile for the dot products of qe-lower-int8-contractions:
    2 x 32 x 8 with pmaddwd (AVX2), so that each broadcast activation pair
    feeds four instructions, and 4 x 16 x 16 with AVX-VNNI.
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
               "Tiles of batch_matmul over (b, m, n, k); matmul drops b">,
    Option<"fuseConsumers", "fuse-consumers", "bool", /*default=*/"true",
           "Compute each convolution tile inside the tile loops of its "
           "elementwise consumer (requantization, clamp, residual add)">
  ];
}

def LowerInt8Contractions : Pass<"qe-lower-int8-contractions", "ModuleOp"> {
  let summary = "Lower i8 x i8 -> i32 vector contractions to dot-product instructions";
  let description = [{
    After `qe-vectorize-contractions`, an integer convolution tile is a
    `vector.contract` of sign-extended i8 operands, `[1, W, C] x [C, F] ->
    [1, W, F]` in i32. Lowered as it is, every MAC is a 32-bit multiply and
    add, and int8 code ran slower than f32 here. This pass rewrites such
    contractions, when F is a multiple of 4, into the target's dot-product
    instruction, which sums the products of a group of input channels in
    each i32 lane (a last group of fewer input channels, as in an RGB stem,
    is padded with zero weights):

    - x86 with AVX512-VNNI: `vpdpbusd` on zmm (16 lanes x 4 MACs), or on ymm
      with AVX-VNNI. It multiplies unsigned by signed bytes, so the
      activations are offset by 128 (`x ^ 0x80`) and `128 * sum(w)` is
      subtracted: the result is exact.
    - AArch64 with the dot-product extension: `sdot` (4 lanes x 4 MACs),
      signed by signed.
    - x86 without VNNI: `pmaddwd` on pairs of input channels sign-extended
      to i16 (16 lanes x 2 MACs with AVX-512BW, 8 with AVX2, 4 with SSE2,
      which every x86-64 has), followed by an i32 add. It is exact for
      bytes (`2 * 128 * 128` fits in i32). `pmaddubsw`, which takes bytes
      directly, is not used: its i16 pair sums saturate.

    Output channels go in blocks of the widest instruction that fits (24 =
    16 + 8 lanes with AVX-512, using the 256-bit vpdpbusd for the rest; 4
    lanes at least). Each output column's activations of a group of input
    channels are broadcast as one word (loaded from memory when the tile is
    a plain `vector.transfer_read`): 4 bytes as an i32, or for pmaddwd 2
    bytes as an i16, sign-extended to i16 pairs after the broadcast. The dot
    instruction needs, for each output channel in its lanes, the weights of
    those input channels adjacent:

    - Weights read from a constant `memref.global` `[..., C, F]` (the
      filters of a bufferized model), at a channel index that is a multiple
      of the tile's C, are repacked at compile time into a new global
      `[..., ceil(C/4), F*4]` (`<name>_dot4`; for pmaddwd `[..., ceil(C/2),
      F*2]` in i16, `<name>_dot2`): one load per group and lane block.
      When the tile reads `Ft < F` outputs at an output index that is a
      multiple of `Ft`, each block of `Ft` outputs is stored on its own,
      `[F/Ft, ..., ceil(C/4), Ft*4]` (`<name>_dot4_blocks<Ft>`), so that a
      tile's weights are consecutive in memory rather than spread over
      rows `F*4` bytes apart (as qe-pack-contraction-weights does for
      floats; int8 ResNet-50 went from 13.8 to 12.1 ms here).
      For vpdpbusd, `128 * sum(w)` of each tile's channels is precomputed
      too (`<name>_dot4_offsets<C>`, `[..., C'/C, F]` in i32). Filters that
      nothing else reads are removed.
    - Other weights are interleaved in the loop with three shuffles per
      group and lane block (one and a sign extension for pairs), and
      `128 * sum(w)` comes from one more `vpdpbusd` of 128s per group.

    The target comes from `qe.target_features` and the module's triple
    (`qe-annotate-target`; an x86-64 triple without features means SSE2),
    or from `isa`. Other contractions are left to the default lowering.
  }];
  let dependentDialects = [
    "::mlir::vector::VectorDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::arith::ArithDialect"
  ];
  let options = [
    Option<"isa", "isa", "std::string", /*default=*/"\"auto\"",
           "auto (from the module's target), avx512-vnni, avx-vnni, "
           "neon-dotprod, avx512bw, avx2, sse2 or none">
  ];
}

def VectorizeElementwise : Pass<"qe-vectorize-elementwise", "func::FuncOp"> {
  let summary = "Tile and vectorize elementwise ops, fills, copies, transposes and pads";
  let description = [{
    Everything that is not a contraction still touches every element of a
    feature map: bias and batch-norm arithmetic, activations, requantization,
    layout transposes, and the fills and copies of padded inputs. Lowered to
    scalar loops these cost as much as the convolutions themselves. This pass
    gives such ops vector code:

    1. decompose `tensor.pad` into a fill of the padded tensor and an
       `insert_slice` of the source (bufferization then writes the producer
       straight into the padded buffer, once `eliminate-empty-tensors` runs);
    2. tile every static, all-parallel linalg op (`generic`, `fill`, `copy`,
       `transpose`, `add`, ...) with `scf.for` loops so that a tile
       has `inner-tile` elements on the innermost non-unit dimension and
       `outer-tile` on the next one (largest divisors of the ranges);
    3. vectorize the tiles and fold the tensor slices into vector transfers.

    Ops already inside a tiled loop nest (the tiles of
    `qe-vectorize-contractions`) are left alone, as are ops with reductions
    or dynamic shapes; those lower to loops.
  }];
  let dependentDialects = [
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let options = [
    Option<"innerTile", "inner-tile", "int64_t", /*default=*/"16",
           "Elements per tile along the innermost non-unit dimension">,
    Option<"outerTile", "outer-tile", "int64_t", /*default=*/"8",
           "Elements per tile along the next non-unit dimension">
  ];
}

def FuseElementwise : Pass<"qe-fuse-elementwise", "func::FuncOp"> {
  let summary = "Fuse elementwise producers into their consumers, unless that recomputes them";
  let description = [{
    Upstream `linalg-fuse-elementwise-ops` with one rule more. It fuses a
    `linalg.generic` producer into its consumer whenever the producer has
    one use; when the consumer is a reduction that reads the producer's
    result broadcast along one of its parallel loops, the fused op
    recomputes the producer for every entry of that loop. In MobileNetV2's
    int8 classifier, the requantization of the 1280 pooled values was thus
    computed again for each of the 1000 classes, in 64-bit arithmetic: a
    tenth of the inference time here.

    This pass fuses like the upstream pass (with the same reshape
    propagation and canonicalizations) but leaves such a producer unfused:
    it then runs once, and the reduction reads its result.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::affine::AffineDialect"
  ];
}

def NarrowRescale : Pass<"qe-narrow-rescale", "func::FuncOp"> {
  let summary = "Requantize in 32-bit arithmetic where the shifts allow it";
  let description = [{
    `tosa-to-arith{include-apply-rescale=true}` expands TOSA's apply_scale
    (single round) in 64 bits inside the requantizing `linalg.generic`:

      trunc((ext(x) * ext(m) + 2^(s-1)) >> s)

    Vectorized, each 16 lanes of i32 become two halves of i64 lanes to
    multiply, add and shift: a fifth of MobileNetV2's int8 time here. With
    a shift of at least 33, the rounding term is a multiple of 2^32, and
    the same value is

      (mulhi(x, m) + 2^(s-33)) >> (s-32)

    in 32 bits (numerics::applyScaleHigh32, tested against the exact
    apply_scale). This pass rewrites the expansion into that form when every
    shift is a constant in [33, 63] and every multiplier a non-negative
    constant (TOSA's are), scalars or per-channel tensors read by the
    generic. Other expansions (smaller shifts, double rounding) are left as
    they are.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def VectorizeCopies : Pass<"qe-vectorize-copies", "func::FuncOp"> {
  let summary = "Lower static memref.copy ops to vector loops";
  let description = [{
    Bufferization leaves `memref.copy` ops behind: the source of a padded
    convolution input copied into the interior of its padded buffer, and the
    result copied into the caller's output. A copy between non-contiguous
    memrefs lowers to a call of the runtime's element-by-element
    `memrefCopy`, which cost a third of MobileNetV2's inference time here.

    This pass rewrites every copy with static shapes and unit innermost
    strides into `scf.for` loops over the outer dimensions and vector
    transfers along the innermost one. Trailing dimensions that are
    contiguous in both memrefs are merged first, so that a copy of
    `224x224x3` into a padded `225x225x3` buffer moves rows of 672 elements,
    not triples. Other copies are left to the default lowering.
  }];
  let dependentDialects = [
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
    "::mlir::memref::MemRefDialect"
  ];
  let options = [
    Option<"vectorBytes", "vector-bytes", "int64_t", /*default=*/"64",
           "Bytes moved by one vector transfer (at most)">
  ];
}

def PackContractionWeights
    : Pass<"qe-pack-contraction-weights", "ModuleOp"> {
  let summary = "Store each tile's constant weights contiguously";
  let description = [{
    After `qe-vectorize-contractions` and bufferization, a convolution or
    matmul tile reads its weights as `vector.transfer_read %w[..., c, f]`
    of a constant global `[..., C, F]` (an HWCF filter), one vector of
    `Ct x Ft` input x output channels per reduction step: `Ft` output
    channels of each of `Ct` rows that lie a whole filter row (`F`
    values) apart. With ResNet-50's 512 and 2048 outputs those rows are 2
    and 8 KiB apart, so a tile's weight lines pile into a few cache sets,
    and the same code ran 20% slower or faster depending only on where the
    weights landed in memory.

    This pass repacks such a global once, at compile time, as
    `[F / Ft, ..., C, Ft]` (numerics::packOutputBlocks): the weights of one
    block of `Ft` outputs, for every tap and input channel, are one
    contiguous run, and each read becomes `%packed[f / Ft, ..., c, 0]`.
    It applies to f32 contractions (f16 and bf16 weights are f32 by then,
    qe-fold-constant-casts) whose right-hand side is an
    unmasked in-bounds read of the global's two trailing dimensions with
    fewer output channels than `F`, at an output index that is a multiple
    of `Ft` (a constant or a tile loop counter with such a start and step).
    Integer contractions get the same blocks in the dot-product layout of
    qe-lower-int8-contractions. The original global is removed when
    nothing reads it any more.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def ParallelizeTiles : Pass<"qe-parallelize-tiles", "func::FuncOp"> {
  let summary = "Run the outermost loop over output tiles in parallel";
  let description = [{
    The vectorization passes mark the outermost loop of each tiled op with
    `qe.parallel_tile` when it runs over a parallel dimension (output rows,
    channels or elements): its iterations write disjoint tiles of the
    output and only read shared inputs. After bufferization, this pass turns
    each such loop (with no results, not nested in another parallel loop)
    into `scf.parallel`, which `convert-scf-to-openmp` then distributes over
    threads. Reduction loops are never marked. `qe-lower-to-llvm` runs it
    only when `threads` is above 1, so single-threaded code needs no OpenMP
    runtime.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
  let options = [
    Option<"minIterations", "min-iterations", "int64_t", /*default=*/"2",
           "Loops with fewer iterations stay sequential">
  ];
}

def FoldConstantCasts : Pass<"qe-fold-constant-casts", "func::FuncOp"> {
  let summary = "Convert float constants behind a tosa.cast to f32 at compile time";
  let description = [{
    `ptq-f16` (and `qe-cast-weights` in general) stores weights in a narrower
    float type and casts them to f32 where they are used, so that the model
    states what a deployment stores. Compiled as written, every inference
    converts every weight again, element by element: the f16 zoo models ran
    12-37x slower than their f32 form. This pass replaces each `tosa.cast`
    of an f16, bf16 or f64 constant (dense elements or a dense_resource
    blob) to f32 by an f32 constant holding the converted values, as
    runtimes do when they load such a model. Widening to f32 is exact, so
    outputs do not change; narrowing from f64 rounds to nearest even, as
    the cast would. Casts of other values, and to other types, stay.

    Run before lowering (`qe-lower-to-llvm` does): sizes reported by
    `quant-eval run` are measured on the model as given, before this.
  }];
}

def ExpandAllocaScopes : Pass<"qe-expand-alloca-scopes", "func::FuncOp"> {
  let summary = "Replace memref.alloca_scope by stack save and restore";
  let description = [{
    `convert-scf-to-openmp` wraps each work-sharing loop body in a
    `memref.alloca_scope`, whose region must stay a single block; the loops
    inside it become several blocks in `convert-scf-to-cf`, and the IR no
    longer verifies. This pass inlines each scope without results between
    `llvm.intr.stacksave` and `llvm.intr.stackrestore`, which is what the
    LLVM lowering of the scope does, early enough for the CFG conversion.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def AnnotateTarget : Pass<"qe-annotate-target", "ModuleOp"> {
  let summary = "Record the code-generation target and expose public functions to C";
  let description = [{
    Sets `llvm.target_triple` (and `qe.target_cpu`, `qe.target_features` for
    the object emitter) on the module, and `llvm.emit_c_interface` on every
    public function so that runners call them through `_mlir_ciface_*`
    wrappers with memref descriptors. Empty options mean the host. An x86
    `cpu` given without `features` gets that CPU's features (`cpu=haswell`
    means AVX2 and FMA to the passes that read them).
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
