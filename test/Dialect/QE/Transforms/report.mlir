// RUN: quant-opt %s --qe-fold-batch-norm --qe-quantize-weights="bits=4 rounding=squant" --qe-report=file=%t.json -o /dev/null
// RUN: FileCheck %s < %t.json
// The quant-opt shorthand --qe-report=FILE writes the same report.
// RUN: quant-opt %s --qe-fold-batch-norm --qe-quantize-weights="bits=4 rounding=squant" --qe-report=%t.short.json -o /dev/null
// RUN: diff %t.json %t.short.json
// RUN: not quant-opt %s --qe-report 2>&1 | FileCheck %s --check-prefix=NOFILE
// NOFILE: qe-report needs file=PATH

// One layer, keyed by its ONNX node name. The weights [1, 2] (one per
// channel, per-channel 4-bit grid) are exact on the grid (scale w/7, q = 7),
// so there is no SQNR (null) and no flip; the BN statistics' ranges come
// from the fold.
// CHECK: "layers": {
// CHECK-NEXT: "features.0/Conv": {
// CHECK-NEXT: "bn_beta_range": [
// CHECK-NEXT: 1,
// CHECK-NEXT: 2
// CHECK: "bn_gamma_range": [
// CHECK-NEXT: 2,
// CHECK-NEXT: 6
// CHECK: "flips": {
// CHECK-NEXT: "channel": 0,
// CHECK-NEXT: "kernel": 0
// CHECK: "op": "tosa.conv2d",
// CHECK-NEXT: "weight_sqnr_db": null
func.func @main(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b = "tosa.const"() {values = dense<[0.5, 1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32> loc("features.0/Conv")
  %g = "tosa.const"() {values = dense<[2.0, 6.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %be = "tosa.const"() {values = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %m = "tosa.const"() {values = dense<[0.5, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %v = "tosa.const"() {values = dense<[3.0, 8.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %y = qe.batch_norm %c, %g, %be, %m, %v axis(3) epsilon(1.0) : tensor<1x2x2x2xf32>, tensor<2xf32>
  return %y : tensor<1x2x2x2xf32>
}
