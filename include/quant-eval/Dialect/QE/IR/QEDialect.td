//===- QEDialect.td - The quant-eval `qe` dialect ----------*- tablegen -*-===//
//
// The `qe` dialect holds what TOSA lacks for evaluating quantization methods:
// fake-quantization ops that keep a model in float while simulating integer
// rounding, a power-of-two quantizer, an inference batch norm that survives
// import until a pass folds it, and a calibration probe.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_DIALECT_QE_IR_QEDIALECT_TD
#define QUANT_EVAL_DIALECT_QE_IR_QEDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/IR/CommonAttrConstraints.td"

def QE_Dialect : Dialect {
  let name = "qe";
  let cppNamespace = "::mlir::qe";
  let summary = "Quantization simulation and calibration ops of quant-eval";
  let description = [{
    The `qe` dialect (the design's `quant-eval` dialect; MLIR namespaces cannot
    hold a hyphen) carries quantization through a float model:

    * `qe.fake_quant` quantizes and dequantizes a float tensor on a uniform
      affine grid (2 to 16 bits, signed or unsigned, narrow range, per tensor
      or per axis) with a named rounding mode. QKeras `quantized_bits` and
      `quantized_relu` are instances of it (power-of-two scales, zero point 0).
    * `qe.po2_quant` rounds to signed powers of two (QKeras `quantized_po2`).
    * `qe.batch_norm` is an inference batch normalization kept from import
      until a pass folds it, because data-free methods need its statistics.
    * `qe.observe` is a calibration probe with a stable identifier.

    The numerical contract of every op is the project's
    `quantization-algorithms.md`; the arithmetic itself lives in the plain C++
    kernels of `quant-eval/Numerics`, which the folders call, so that compile
    time folding and the unit-tested reference agree bit for bit.
  }];
  let dependentDialects = [
    // Folded constants are materialized as arith.constant.
    "::mlir::arith::ArithDialect",
    // getQuantizedType() creates !quant.uniform types.
    "::mlir::quant::QuantDialect"
  ];
  let hasConstantMaterializer = 1;
  let useDefaultAttributePrinterParser = 0;
}

#endif // QUANT_EVAL_DIALECT_QE_IR_QEDIALECT_TD
