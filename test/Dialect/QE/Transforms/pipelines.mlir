// RUN: quant-opt %s --squant-4bit | FileCheck %s --check-prefix=SQ
// RUN: quant-opt %s --rtn-8bit | FileCheck %s --check-prefix=RTN
// The pipeline equals its pass list.
// RUN: quant-opt %s --squant-4bit > %t.pipeline.mlir
// RUN: quant-opt %s --pass-pipeline="builtin.module(func.func(qe-fold-batch-norm,qe-quantize-weights{bits=4 rounding=squant},qe-quantize-activations{bits=4 range=bn-sigma}))" > %t.passes.mlir
// RUN: diff %t.pipeline.mlir %t.passes.mlir
// RUN: quant-opt %s --dfq-int8 > %t.dfq.mlir 2> /dev/null
// RUN: quant-opt %s --pass-pipeline="builtin.module(func.func(qe-fold-batch-norm,qe-cross-layer-equalization,qe-absorb-high-bias,qe-correct-bias{bits=8 granularity=tensor},qe-quantize-weights{bits=8 granularity=tensor},qe-quantize-activations{bits=8 range=bn}))" > %t.dfq-passes.mlir 2> /dev/null
// RUN: diff %t.dfq.mlir %t.dfq-passes.mlir
// RUN: FileCheck %s --check-prefix=DFQ < %t.dfq.mlir
// ptq-int8 with statistics for the input and the ReLU6 output (the conv's
// output fuses into the clamp): [-1, 3] gives scale 4/255 and zero point
// RHAZ(-128 + 63.75) = -64; [0, 6] gives 6/255 and -128.
// RUN: echo '{"tensors": {"input:0": {"min": -1, "max": 3, "count": 4, "lo": -1, "hi": 3, "histogram": [1, 1, 1, 1]}, "tosa.clamp": {"min": 0, "max": 6, "count": 4, "lo": 0, "hi": 6, "histogram": [1, 1, 1, 1]}}}' > %t.stats.json
// RUN: quant-opt %s --ptq-int8="calibration=%t.stats.json" > %t.ptq.mlir
// RUN: quant-opt %s --pass-pipeline="builtin.module(func.func(qe-fold-batch-norm,qe-quantize-weights{bits=8 granularity=channel},qe-insert-observers,qe-apply-calibration{file=%t.stats.json method=minmax bits=8},qe-quantize-bias{bits=32}))" > %t.ptq-passes.mlir
// RUN: diff %t.ptq.mlir %t.ptq-passes.mlir
// RUN: FileCheck %s --check-prefix=PTQ < %t.ptq.mlir
// RUN: not quant-opt %s --ptq-int8 2>&1 | FileCheck %s --check-prefix=NOSTATS
// NOSTATS: qe-apply-calibration: needs file=<statistics from quant-eval calibrate>

// BN folded (factor 1 and 2), weights on a 4-bit grid with their fake
// quant, the ReLU6 output quantized at 4 bits. With 4 bits the weights
// [1] and [2] are exactly representable (scale 1/7 and 2/7).
// SQ-LABEL: func @main
// SQ-NOT: qe.batch_norm
// SQ: %[[W:.*]] = qe.fake_quant %{{.*}} bits(4) narrow_range axis(0)
// SQ: %[[C:.*]] = tosa.conv2d %arg0, %[[W]], {{.*}}qe.bn_gamma
// SQ: %[[R:.*]] = tosa.clamp %[[C]]
// SQ: qe.fake_quant %[[R]] unsigned bits(4)
// RTN-LABEL: func @main
// RTN: qe.fake_quant %{{.*}} bits(8) narrow_range axis(0)
// RTN: qe.fake_quant %{{.*}} unsigned bits(8)
// dfq-int8 gives per-tensor 8-bit weights (no axis) and 8-bit activations.
// DFQ-LABEL: func @main
// DFQ: qe.fake_quant %{{.*}} bits(8) narrow_range scales(
// DFQ: qe.fake_quant %{{.*}} unsigned bits(8)
// PTQ-LABEL: func @main
// PTQ: %[[IN:.*]] = qe.fake_quant %arg0 bits(8) scales([0.01568627450980392]) zero_points([-64])
// PTQ: %[[W:.*]] = qe.fake_quant %{{.*}} bits(8) narrow_range axis(0)
// PTQ: %[[C:.*]] = tosa.conv2d %[[IN]], %[[W]]
// PTQ: %[[R:.*]] = tosa.clamp %[[C]]
// PTQ-NEXT: qe.fake_quant %[[R]] bits(8) scales([0.023529411764705882]) zero_points([-128])
func.func @main(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b = "tosa.const"() {values = dense<[0.5, 1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %g = "tosa.const"() {values = dense<[2.0, 6.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %be = "tosa.const"() {values = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %m = "tosa.const"() {values = dense<[0.5, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %v = "tosa.const"() {values = dense<[3.0, 8.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %y = qe.batch_norm %c, %g, %be, %m, %v axis(3) epsilon(1.0) : tensor<1x2x2x2xf32>, tensor<2xf32>
  %r = tosa.clamp %y {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %r : tensor<1x2x2x2xf32>
}
