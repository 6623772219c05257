// RUN: quant-opt %s -split-input-file -verify-diagnostics -qe-cast-weights | FileCheck %s
// RUN: quant-opt %s -split-input-file -qe-cast-weights="type=bf16" | FileCheck %s --check-prefix=BF16
// RUN: not quant-opt %s -qe-cast-weights="type=f8" 2>&1 | FileCheck %s --check-prefix=TYPE
// TYPE: qe-cast-weights: type must be f16 or bf16, got 'f8'

// 0.1 is 0x3DCCCCCD in f32; to nearest even it is 0x2E66 in f16
// (0.0999755859375) and 0x3DCD in bf16 (0.10009765625); 1.5 and -2 are
// exact in both.
// CHECK-LABEL: func @conv
// CHECK: %[[H:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}9.997550e-02, 1.500000e+00]]], {{\[\[\[}}-2.000000e+00, 0.000000e+00]]]]> : tensor<2x1x1x2xf16>}>
// CHECK: %[[W:.*]] = tosa.cast %[[H]] : (tensor<2x1x1x2xf16>) -> tensor<2x1x1x2xf32>
// CHECK: tosa.conv2d %arg0, %[[W]]
// BF16-LABEL: func @conv
// BF16: "tosa.const"() <{values = dense<{{\[\[\[\[}}1.000980e-01, 1.500000e+00]]], {{\[\[\[}}-2.000000e+00, 0.000000e+00]]]]> : tensor<2x1x1x2xbf16>}>
func.func @conv(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %w = "tosa.const"() {values = dense<[[[[0.1, 1.5]]], [[[-2.0, 0.0]]]]> : tensor<2x1x1x2xf32>} : () -> tensor<2x1x1x2xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  return %c : tensor<1x4x4x2xf32>
}

// -----

// f16's largest value is 65504; 65520 rounds (to even) to infinity, so
// this weight stays f32. bf16 reaches 3.4e38 and takes it.
// CHECK-LABEL: func @overflow
// CHECK-NOT: tosa.cast
// BF16-LABEL: func @overflow
// BF16: tosa.cast
func.func @overflow(%x: tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32> {
  %w = "tosa.const"() {values = dense<65520.0> : tensor<1x1x1x1xf32>} : () -> tensor<1x1x1x1xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  // expected-warning @below {{qe-cast-weights: the weight has values a}}
  %c = tosa.conv2d %x, %w, %b, %b, %b {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x1xf32>
  return %c : tensor<1x4x4x1xf32>
}
