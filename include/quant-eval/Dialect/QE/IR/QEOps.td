//===- QEOps.td - Operations of the `qe` dialect -----------*- tablegen -*-===//

#ifndef QUANT_EVAL_DIALECT_QE_IR_QEOPS_TD
#define QUANT_EVAL_DIALECT_QE_IR_QEOPS_TD

include "quant-eval/Dialect/QE/IR/QEDialect.td"
include "quant-eval/Dialect/QE/IR/QEAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

class QE_Op<string mnemonic, list<Trait> traits = []>
    : Op<QE_Dialect, mnemonic, traits>;

// Fake quantization keeps tensors in float; these are the element types it
// simulates integer grids on.
def QE_FloatTensor : RankedTensorOf<[F16, BF16, F32, F64]>;

//===----------------------------------------------------------------------===//
// qe.fake_quant
//===----------------------------------------------------------------------===//

def QE_FakeQuantOp : QE_Op<"fake_quant",
    [Pure, SameOperandsAndResultType]> {
  let summary = "uniform affine quantize-dequantize in float";
  let description = [{
    Rounds every element onto a uniform affine integer grid and maps it back
    to float, so that a float model computes what the integer model would.
    With step `Δ` (scale), zero point `z` and integer range `[qmin, qmax]`:

    ```
    q = clamp(round(x / Δ) + z, qmin, qmax)
    y = Δ · (q − z)
    ```

    (Adding the integer zero point after rounding equals rounding `x / Δ + z`
    and keeps the addition exact, as ONNX, TFLite and PyTorch do.)

    * `bits` is 2 to 16. The range is `[-2^(bits-1), 2^(bits-1) - 1]`, or
      `[0, 2^bits - 1]` with `unsigned`; `narrow_range` drops the lowest
      value (`[-127, 127]` for signed 8 bits).
    * Per tensor: `scales` and `zero_points` hold one value each. Per axis:
      `axis(d)` names the dimension (an output channel, usually 0 for weights)
      and they hold one value per index of that dimension, which must then be
      static.
    * `rounding` is `rne`, `rhaz` or `rhu` (see `RoundingMode`).

    The arithmetic runs in the element type for `f32` and `f64` tensors and in
    `f32` for `f16` and `bf16` (the result is rounded back to the element type
    to nearest-even). The division is a true division by `Δ`, not a
    multiplication by its reciprocal, because the two differ at ties. A NaN
    stays NaN; infinities saturate to the range ends.

    QKeras `quantized_bits` with a fixed alpha is this op with a power-of-two
    scale and zero point 0; `quantized_relu` is its unsigned form.

    Constant inputs fold at compile time, and a fake quant of a fake quant
    with the same parameters folds to the inner one (quantization is
    idempotent on its own grid).

    Example, per-channel symmetric narrow int4 weights:

    ```mlir
    %w4 = qe.fake_quant %w bits(4) narrow_range axis(0)
            scales([0.1, 0.02]) zero_points([0, 0]) rounding(rne)
            : tensor<2x3x3x8xf32>
    ```
  }];

  let arguments = (ins
    QE_FloatTensor:$input,
    I32Attr:$bits,
    UnitAttr:$is_unsigned,
    UnitAttr:$narrow_range,
    OptionalAttr<I64Attr>:$axis,
    DenseF64ArrayAttr:$scales,
    DenseI64ArrayAttr:$zero_points,
    QE_RoundingModeAttr:$rounding
  );
  let results = (outs QE_FloatTensor:$output);

  let assemblyFormat = [{
    $input (`unsigned` $is_unsigned^)? `bits` `(` $bits `)`
    (`narrow_range` $narrow_range^)? (`axis` `(` $axis^ `)`)?
    `scales` `(` custom<ExactF64List>($scales) `)` `zero_points` `(` $zero_points `)`
    `rounding` `(` $rounding `)` attr-dict `:` type($input)
  }];

  let extraClassDeclaration = [{
    /// The integer range `[qmin, qmax]` this op rounds onto.
    ::quant_eval::numerics::QuantRange getRange();
    /// True when the op has one scale per index of `axis`.
    bool isPerAxis() { return getAxis().has_value(); }
    /// The parameters as an upstream `!quant.uniform` type (per tensor or per
    /// axis), for compilers that read the quant dialect but not `qe`.
    ::mlir::quant::QuantizedType getQuantizedType();
    /// True when `other` quantizes onto the same grid with the same rounding.
    bool hasSameParameters(FakeQuantOp other);
    /// Creates a fake quant with the parameters of an upstream quantized type
    /// (per tensor or per axis). Emits an error at `loc` and returns failure
    /// for a type it cannot express: a storage range that is neither the full
    /// nor the narrow range of its width, or a width outside 2..16.
    static ::mlir::FailureOr<FakeQuantOp>
    createFromType(::mlir::OpBuilder &builder, ::mlir::Location loc,
                   ::mlir::Value input, ::mlir::quant::QuantizedType type,
                   ::mlir::qe::RoundingMode rounding);
  }];

  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// qe.quantize and qe.dequantize
//===----------------------------------------------------------------------===//

// The storage types of integer activations.
def QE_IntegerTensor : RankedTensorOf<[I8, I16]>;

def QE_QuantizeOp : QE_Op<"quantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "float to integer at the input of an integer model";
  let description = [{
    Maps floats onto the integers of one uniform grid, per tensor:

    ```
    q = clamp(round(x / Δ) + z, qmin, qmax)
    ```

    with the same arithmetic as `qe.fake_quant` (a true division in f32, or
    f64 for f64 inputs, and the op's rounding mode), so that an integer model
    starts from exactly the integers its fake-quant simulation had.
    `qe-lower-to-integer` places it where float data enters the integer
    domain: the model input, and the input of a layer after a part that
    stays float.

    The grid is given in the signed storage domain of the result element
    type: an unsigned 8-bit grid `[0, 255]` with zero point `z` is stored as
    `[-128, 127]` with zero point `z − 128`, which changes no dequantized
    value. `qmin`, `qmax` and `zero_point` must be representable in the
    result type. A NaN becomes the zero point.

    ```mlir
    %q = qe.quantize %x scale(0.0235) zero_point(-128) range(-128, 127)
           rounding(rne) : tensor<1x28x28x1xf32> -> tensor<1x28x28x1xi8>
    ```
  }];

  let arguments = (ins
    QE_FloatTensor:$input,
    F64Attr:$scale,
    I64Attr:$zero_point,
    I64Attr:$qmin,
    I64Attr:$qmax,
    QE_RoundingModeAttr:$rounding
  );
  let results = (outs QE_IntegerTensor:$output);

  let assemblyFormat = [{
    $input `scale` `(` $scale `)` `zero_point` `(` $zero_point `)`
    `range` `(` $qmin `,` $qmax `)` `rounding` `(` $rounding `)` attr-dict
    `:` type($input) `->` type($output)
  }];

  let hasVerifier = 1;
}

def QE_DequantizeOp : QE_Op<"dequantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "integer to float at the output of an integer model";
  let description = [{
    `y = Δ · (q − z)`, computed as `qe.fake_quant` computes its result (the
    integer difference converted to f32, or f64 for an f64 result, times
    `Δ` rounded to that type), so that an integer model's float outputs are
    the values its simulation would give for the same integers.
    `qe-lower-to-integer` places it where integers leave for float: the
    model output, and the input of a part that stays float.

    ```mlir
    %y = qe.dequantize %q scale(0.0714) zero_point(-4)
           : tensor<1x10xi8> -> tensor<1x10xf32>
    ```
  }];

  let arguments = (ins
    QE_IntegerTensor:$input,
    F64Attr:$scale,
    I64Attr:$zero_point
  );
  let results = (outs QE_FloatTensor:$output);

  let assemblyFormat = [{
    $input `scale` `(` $scale `)` `zero_point` `(` $zero_point `)` attr-dict
    `:` type($input) `->` type($output)
  }];

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// qe.po2_quant
//===----------------------------------------------------------------------===//

def QE_Po2QuantOp : QE_Op<"po2_quant", [Pure, SameOperandsAndResultType]> {
  let summary = "power-of-two quantizer (QKeras quantized_po2)";
  let description = [{
    Rounds every element to a signed power of two, the QKeras
    `quantized_po2(bits, max_value)` forward pass. A multiply by such a value
    is a shift, which integer lowering can exploit.

    ```
    sign = x < 0 ? -1 : +1                       (zero counts as positive)
    t    = (max_value is absent or > 1) ? 1 : 0
    eb   = bits - 1 - t
    e    = clamp(rne(log2(min(|x|, max_value))), -2^eb, 2^eb - 1)
    y    = sign · 2^e
    ```

    `|x| < 1e-7` gives the smallest exponent: zero is not representable and
    maps to `+2^(-2^eb)`. `bits` is 2 to 16 and counts the sign;
    `max_value`, when present, is finite and positive. Arithmetic is done in
    `f64` and rounded to the element type. NaN stays NaN.

    Example: 4 bits without `max_value` gives exponents -4 to 3.

    ```mlir
    %y = qe.po2_quant %x bits(4) : tensor<16xf32>
    %z = qe.po2_quant %x bits(4) max_value(1.0) : tensor<16xf32>
    ```
  }];

  let arguments = (ins
    QE_FloatTensor:$input,
    I32Attr:$bits,
    OptionalAttr<F64Attr>:$max_value
  );
  let results = (outs QE_FloatTensor:$output);

  let assemblyFormat = [{
    $input `bits` `(` $bits `)` (`max_value` `(` $max_value^ `)`)?
    attr-dict `:` type($input)
  }];

  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// qe.batch_norm
//===----------------------------------------------------------------------===//

def QE_BatchNormOp : QE_Op<"batch_norm", [Pure,
    AllTypesMatch<["input", "output"]>,
    AllTypesMatch<["scale", "offset", "mean", "variance"]>]> {
  let summary = "inference batch normalization, kept until a pass folds it";
  let description = [{
    Normalizes `input` per channel along `axis` with fixed statistics:

    ```
    y = scale · (x − mean) / sqrt(variance + epsilon) + offset
    ```

    Data-free quantization (DFQ, SQuant) needs these statistics: `offset` (β)
    and `scale` (γ) model the pre-activation output of the preceding layer as
    `N(β, γ²)`. The importer therefore keeps ONNX BatchNormalization as this
    op instead of folding it, and `qe-fold-batch-norm` folds it into the
    producing convolution while recording β and γ there.

    `scale`, `offset`, `mean` and `variance` are 1-D with one value per index
    of `axis` (the channel dimension, 3 in the NHWC bodies quant-eval builds),
    and share the input's element type. `epsilon` is finite and ≥ 0; a
    constant `variance` must be non-negative.

    ```mlir
    %y = qe.batch_norm %x, %gamma, %beta, %mean, %var axis(3) epsilon(1.0e-05)
           : tensor<1x8x8x16xf32>, tensor<16xf32>
    ```
  }];

  let arguments = (ins
    QE_FloatTensor:$input,
    1DTensorOf<[F16, BF16, F32, F64]>:$scale,
    1DTensorOf<[F16, BF16, F32, F64]>:$offset,
    1DTensorOf<[F16, BF16, F32, F64]>:$mean,
    1DTensorOf<[F16, BF16, F32, F64]>:$variance,
    I64Attr:$axis,
    F64Attr:$epsilon
  );
  let results = (outs QE_FloatTensor:$output);

  let assemblyFormat = [{
    $input `,` $scale `,` $offset `,` $mean `,` $variance
    `axis` `(` $axis `)` `epsilon` `(` $epsilon `)` attr-dict
    `:` type($input) `,` type($scale)
  }];

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// qe.observe
//===----------------------------------------------------------------------===//

def QE_ObserveOp : QE_Op<"observe", [AllTypesMatch<["input", "output"]>]> {
  let summary = "calibration probe: records statistics of a tensor";
  let description = [{
    Returns its input unchanged and, when the model runs for calibration,
    records the tensor's statistics (min/max and a histogram) under `id`.
    The id is stable: it is derived from the observed value's source (for an
    imported model, the ONNX node and output name), so the statistics of one
    run can be written back into any later version of the same model. Ids are
    non-empty and unique within a function.

    The op has side effects on purpose: the canonicalizer must neither erase
    an observer whose result looks unused nor merge two of them.

    ```mlir
    %0 = qe.observe %x id("conv1/Relu:0") : tensor<1x8x8x16xf32>
    ```
  }];

  let arguments = (ins QE_FloatTensor:$input, StrAttr:$id);
  let results = (outs QE_FloatTensor:$output);

  let assemblyFormat = [{
    $input `id` `(` $id `)` attr-dict `:` type($input)
  }];

  let hasVerifier = 1;
}

#endif // QUANT_EVAL_DIALECT_QE_IR_QEOPS_TD
