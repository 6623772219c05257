// RUN: quant-opt %s -split-input-file -qe-fold-batch-norm -verify-diagnostics | FileCheck %s

// W[c] *= gamma / sigma, b = beta + (b - mean) gamma / sigma, with
// sigma = sqrt(var + eps). Channel 0: gamma 2, var 3, eps 1 -> factor 1;
// channel 1: gamma 6, var 8 -> sigma 3, factor 2.
// W (OHWI, 1x1, 1 input) = [1, 1] -> [1, 2]; b = [0.5, 1]:
// b0 = 10 + (0.5 - 0.5) * 1 = 10, b1 = 20 + (1 - 2) * 2 = 18.
// CHECK-LABEL: func @conv
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}1.000000e+00]]], {{\[\[\[}}2.000000e+00]]]]> : tensor<2x1x1x1xf32>}>
// CHECK-DAG: %[[B:.*]] = "tosa.const"() <{values = dense<[1.000000e+01, 1.800000e+01]> : tensor<2xf32>}>
// CHECK: %[[C:.*]] = tosa.conv2d %arg0, %[[W]], %[[B]], {{.*}} {acc_type = f32, {{.*}} qe.bn_beta = array<f64: 1.000000e+01, 2.000000e+01>, qe.bn_gamma = array<f64: 2.000000e+00, 6.000000e+00>
// CHECK-NOT: qe.batch_norm
// CHECK: return %[[C]]
func.func @conv(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b = "tosa.const"() {values = dense<[0.5, 1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %g = "tosa.const"() {values = dense<[2.0, 6.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %be = "tosa.const"() {values = dense<[10.0, 20.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %m = "tosa.const"() {values = dense<[0.5, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %v = "tosa.const"() {values = dense<[3.0, 8.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %y = qe.batch_norm %c, %g, %be, %m, %v axis(3) epsilon(1.0) : tensor<1x2x2x2xf32>, tensor<2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// Depthwise [KH, KW, C, M]: the channel is the last two dimensions.
// 1x1 kernel of ones, factors [1, 2] -> [[[[1], [2]]]].
// CHECK-LABEL: func @depthwise
// CHECK: "tosa.const"() <{values = dense<{{\[\[\[\[}}1.000000e+00], [2.000000e+00]]]]> : tensor<1x1x2x1xf32>}>
// CHECK: tosa.depthwise_conv2d {{.*}}qe.bn_gamma = array<f64: 2.000000e+00, 6.000000e+00>
func.func @depthwise(%x: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tosa.const"() {values = dense<1.0> : tensor<1x1x2x1xf32>} : () -> tensor<1x1x2x1xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.depthwise_conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<1x1x2x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %g = "tosa.const"() {values = dense<[2.0, 6.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %be = "tosa.const"() {values = dense<[10.0, 20.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %m = "tosa.const"() {values = dense<[0.5, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %v = "tosa.const"() {values = dense<[3.0, 8.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %y = qe.batch_norm %c, %g, %be, %m, %v axis(3) epsilon(1.0) : tensor<1x2x2x2xf32>, tensor<2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// No convolution to fold into: x * [1, 2] + [10 - 0.5, 20 - 4] = [9.5, 16].
// CHECK-LABEL: func @no_producer
// CHECK-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<{{\[\[}}1.000000e+00, 2.000000e+00]]> : tensor<1x2xf32>}>
// CHECK-DAG: %[[A:.*]] = "tosa.const"() <{values = dense<{{\[\[}}9.500000e+00, 1.600000e+01]]> : tensor<1x2xf32>}>
// CHECK: %[[Y:.*]] = tosa.mul %arg0, %[[M]]
// CHECK: tosa.add %[[Y]], %[[A]]
func.func @no_producer(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %g = "tosa.const"() {values = dense<[2.0, 6.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %be = "tosa.const"() {values = dense<[10.0, 20.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %m = "tosa.const"() {values = dense<[0.5, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %v = "tosa.const"() {values = dense<[3.0, 8.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  // expected-remark @+1 {{no convolution to fold into; lowered to mul/add}}
  %y = qe.batch_norm %x, %g, %be, %m, %v axis(1) epsilon(1.0) : tensor<1x2xf32>, tensor<2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Statistics computed at run time: left alone, with a remark.
// CHECK-LABEL: func @runtime_stats
// CHECK: qe.batch_norm
func.func @runtime_stats(%x: tensor<1x2xf32>, %p: tensor<2xf32>) -> tensor<1x2xf32> {
  // expected-remark @+1 {{batch norm with statistics computed at run time is left unfolded}}
  %y = qe.batch_norm %x, %p, %p, %p, %p axis(1) epsilon(1.0) : tensor<1x2xf32>, tensor<2xf32>
  return %y : tensor<1x2xf32>
}
