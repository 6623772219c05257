//===- QEAttrs.td - Attributes of the `qe` dialect ---------*- tablegen -*-===//

#ifndef QUANT_EVAL_DIALECT_QE_IR_QEATTRS_TD
#define QUANT_EVAL_DIALECT_QE_IR_QEATTRS_TD

include "quant-eval/Dialect/QE/IR/QEDialect.td"
include "mlir/IR/EnumAttr.td"

def QE_RoundingRNE : I32EnumAttrCase<"RNE", 0, "rne">;
def QE_RoundingRHAZ : I32EnumAttrCase<"RHAZ", 1, "rhaz">;
def QE_RoundingRHU : I32EnumAttrCase<"RHU", 2, "rhu">;

def QE_RoundingModeAttr : I32EnumAttr<"RoundingMode",
    "how a value halfway between two grid points is rounded", [
      QE_RoundingRNE, QE_RoundingRHAZ, QE_RoundingRHU
    ]> {
  let cppNamespace = "::mlir::qe";
  let description = [{
    The rounding mode decides bit-exactness against the framework a method
    comes from, so every quantizer names it:

    * `rne`: round half to even (`std::nearbyint`; PyTorch, ONNX
      QuantizeLinear, QKeras `quantized_bits` with a fixed alpha).
    * `rhaz`: round half away from zero (`std::round`; the TFLite converter,
      QKeras alpha "auto").
    * `rhu`: round half up, `floor(x + 0.5)` (TF FakeQuant forward, TOSA
      single-round rescale).
  }];
}

#endif // QUANT_EVAL_DIALECT_QE_IR_QEATTRS_TD
