// RUN: quant-opt %s -split-input-file -qe-absorb-high-bias | FileCheck %s

// Channel 0 ~ N(5, 1): c = max(0, 5 - 3) = 2; channel 1 ~ N(1, 1): c = 0.
// b1 = [5 - 2, 1] = [3, 1], beta = [3, 1]; the next layer's 3x3 weights are
// all 0.5, so each input channel sums to 4.5: b2 = 0 + 4.5 * 2 = 9.
// CHECK-LABEL: func @conv_relu_conv
// CHECK: %[[B1:.*]] = "tosa.const"() <{values = dense<[3.000000e+00, 1.000000e+00]> : tensor<2xf32>}>
// CHECK: tosa.conv2d %arg0, %{{.*}}, %[[B1]], {{.*}}qe.bn_beta = array<f64: 3.000000e+00, 1.000000e+00>, qe.bn_gamma = array<f64: 1.000000e+00, 1.000000e+00>
// CHECK: %[[B2:.*]] = "tosa.const"() <{values = dense<9.000000e+00> : tensor<1xf32>}>
// CHECK: tosa.conv2d %{{.*}}, %{{.*}}, %[[B2]]
func.func @conv_relu_conv(%x: tensor<1x4x4x1xf32>) -> tensor<1x2x2x1xf32> {
  %w1 = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b1 = "tosa.const"() {values = dense<[5.0, 1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %w2 = "tosa.const"() {values = dense<0.5> : tensor<1x3x3x2xf32>} : () -> tensor<1x3x3x2xf32>
  %b2 = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1 = tosa.conv2d %x, %w1, %b1, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qe.bn_beta = array<f64: 5.0, 1.0>, qe.bn_gamma = array<f64: 1.0, 1.0>} : (tensor<1x4x4x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %r = tosa.clamp %c1 {max_val = 3.40282347E+38 : f32, min_val = 0.0 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %c2 = tosa.conv2d %r, %w2, %b2, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1x3x3x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32>
  return %c2 : tensor<1x2x2x1xf32>
}

// -----

// A ReLU6 is not the identity above c: nothing moves.
// CHECK-LABEL: func @relu6
// CHECK: "tosa.const"() <{values = dense<[5.000000e+00, 1.000000e+00]> : tensor<2xf32>}>
func.func @relu6(%x: tensor<1x4x4x1xf32>) -> tensor<1x2x2x1xf32> {
  %w1 = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b1 = "tosa.const"() {values = dense<[5.0, 1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %w2 = "tosa.const"() {values = dense<0.5> : tensor<1x3x3x2xf32>} : () -> tensor<1x3x3x2xf32>
  %b2 = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1 = tosa.conv2d %x, %w1, %b1, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qe.bn_beta = array<f64: 5.0, 1.0>, qe.bn_gamma = array<f64: 1.0, 1.0>} : (tensor<1x4x4x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %r = tosa.clamp %c1 {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %c2 = tosa.conv2d %r, %w2, %b2, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1x3x3x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32>
  return %c2 : tensor<1x2x2x1xf32>
}
