// RUN: quant-opt %s -split-input-file -verify-diagnostics -qe-quantize-weights="bits=4 rounding=squant" | FileCheck %s

// A NaN weight has no grid: the layer stays float, untouched, and says so.
// CHECK-LABEL: func @nan_weight
// CHECK: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}0x7FC00000, 1.000000e+00]]]]>
// CHECK-NOT: qe.fake_quant
// CHECK: tosa.conv2d %arg0, %[[W]]
func.func @nan_weight(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x1xf32> {
  %w = "tosa.const"() {values = dense<[[[[0x7FC00000, 1.0]]]]> : tensor<1x1x1x2xf32>} : () -> tensor<1x1x1x2xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  // expected-warning @below {{qe-quantize-weights: the weight holds NaN or infinite values; the layer stays in float}}
  %c = tosa.conv2d %x, %w, %b, %b, %b {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x1xf32>
  return %c : tensor<1x4x4x1xf32>
}

// -----

// So does an infinite one, in any channel of a per-channel grid.
// CHECK-LABEL: func @infinite_weight
// CHECK-NOT: qe.fake_quant
func.func @infinite_weight(%x: tensor<1x4x4x1xf32>) -> tensor<1x4x4x2xf32> {
  %w = "tosa.const"() {values = dense<[[[[0.5]]], [[[0x7F800000]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  // expected-warning @below {{the weight holds NaN or infinite values}}
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  return %c : tensor<1x4x4x2xf32>
}
