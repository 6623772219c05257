// RUN: quant-opt %s -split-input-file -qe-quantize-bias -verify-diagnostics | FileCheck %s

// Input Δ 0.5 (through a transpose), weight Δ [0.25, 0.125] per channel:
// accumulator scales [0.125, 0.0625]. Bias [0.75, 0.3] -> [6, RHAZ(4.8)
// = 5] -> [0.75, 0.3125].
// CHECK-LABEL: func @conv
// CHECK: %[[B:.*]] = "tosa.const"() <{values = dense<[7.500000e-01, 3.125000e-01]> : tensor<2xf32>}>
// CHECK: tosa.conv2d %{{.*}}, %{{.*}}, %[[B]]
func.func @conv(%x: tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %xq = qe.fake_quant %x bits(8) scales([0.5]) zero_points([-1]) rounding(rne) : tensor<1x1x2x2xf32>
  %t = tosa.transpose %xq {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x1x2x2xf32>) -> tensor<1x2x2x1xf32>
  %w = "tosa.const"() {values = dense<[[[[1.0]]], [[[-0.5]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %wq = qe.fake_quant %w bits(8) narrow_range axis(0) scales([0.25, 0.125]) zero_points([0, 0]) rounding(rne) : tensor<2x1x1x1xf32>
  %b = "tosa.const"() {values = dense<[0.75, 0.3]> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %t, %wq, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  return %c : tensor<1x2x2x2xf32>
}

// -----

// A fully connected bias after the matmul's reshape: scales [1, 0.5, 0.25],
// bias [1, 0.5, 0.3] -> [1, 1, RHAZ(1.2) = 1] -> [1, 0.5, 0.25]. A single
// broadcast bias value (here 0.3 for all three) becomes one per channel:
// [RHAZ(0.3) = 0, RHAZ(0.6) = 1 -> 0.5, RHAZ(1.2) = 1 -> 0.25].
// CHECK-LABEL: func @fully_connected
// CHECK: %[[B:.*]] = "tosa.const"() <{values = dense<{{\[\[}}1.000000e+00, 5.000000e-01, 2.500000e-01]]> : tensor<1x3xf32>}>
// CHECK: tosa.add %{{.*}}, %[[B]]
// CHECK-LABEL: func @broadcast_bias
// CHECK: %[[B:.*]] = "tosa.const"() <{values = dense<{{\[\[}}0.000000e+00, 5.000000e-01, 2.500000e-01]]> : tensor<1x3xf32>}>
// CHECK: tosa.add %{{.*}}, %[[B]] : (tensor<1x3xf32>, tensor<1x3xf32>)
func.func @fully_connected(%x: tensor<1x1x2xf32>) -> tensor<1x3xf32> {
  %a = qe.fake_quant %x bits(8) scales([1.0]) zero_points([0]) rounding(rne) : tensor<1x1x2xf32>
  %w = "tosa.const"() {values = dense<[[1.0, 2.0, 1.0], [2.0, -1.0, 2.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  %wq = qe.fake_quant %w bits(8) narrow_range axis(1) scales([1.0, 0.5, 0.25]) zero_points([0, 0, 0]) rounding(rne) : tensor<2x3xf32>
  %s3 = tosa.const_shape {values = dense<[1, 2, 3]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %w3 = tosa.reshape %wq, %s3 : (tensor<2x3xf32>, !tosa.shape<3>) -> tensor<1x2x3xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %m = tosa.matmul %a, %w3, %zp, %zp : (tensor<1x1x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x3xf32>
  %s2 = tosa.const_shape {values = dense<[1, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %r = tosa.reshape %m, %s2 : (tensor<1x1x3xf32>, !tosa.shape<2>) -> tensor<1x3xf32>
  %b = "tosa.const"() {values = dense<[[1.0, 0.5, 0.3]]> : tensor<1x3xf32>} : () -> tensor<1x3xf32>
  %y = tosa.add %r, %b : (tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}
func.func @broadcast_bias(%x: tensor<1x1x2xf32>) -> tensor<1x3xf32> {
  %a = qe.fake_quant %x bits(8) scales([1.0]) zero_points([0]) rounding(rne) : tensor<1x1x2xf32>
  %w = "tosa.const"() {values = dense<[[1.0, 2.0, 1.0], [2.0, -1.0, 2.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  %wq = qe.fake_quant %w bits(8) narrow_range axis(1) scales([1.0, 0.5, 0.25]) zero_points([0, 0, 0]) rounding(rne) : tensor<2x3xf32>
  %s3 = tosa.const_shape {values = dense<[1, 2, 3]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %w3 = tosa.reshape %wq, %s3 : (tensor<2x3xf32>, !tosa.shape<3>) -> tensor<1x2x3xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %m = tosa.matmul %a, %w3, %zp, %zp : (tensor<1x1x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x3xf32>
  %s2 = tosa.const_shape {values = dense<[1, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %r = tosa.reshape %m, %s2 : (tensor<1x1x3xf32>, !tosa.shape<2>) -> tensor<1x3xf32>
  %b = "tosa.const"() {values = dense<0.3> : tensor<1x1xf32>} : () -> tensor<1x1xf32>
  %y = tosa.add %r, %b : (tensor<1x3xf32>, tensor<1x1xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// A quantized weight behind an unquantized input: the bias has no grid.
// CHECK-LABEL: func @float_input
// CHECK: "tosa.const"() <{values = dense<3.000000e-01> : tensor<1xf32>}>
func.func @float_input(%x: tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32> {
  %w = "tosa.const"() {values = dense<1.0> : tensor<1x1x1x1xf32>} : () -> tensor<1x1x1x1xf32>
  %wq = qe.fake_quant %w bits(8) narrow_range scales([0.25]) zero_points([0]) rounding(rne) : tensor<1x1x1x1xf32>
  %b = "tosa.const"() {values = dense<0.3> : tensor<1xf32>} : () -> tensor<1xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  // expected-remark @below {{bias left in float: the layer's input is not quantized per tensor}}
  %c = tosa.conv2d %x, %wq, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32>
  return %c : tensor<1x1x1x1xf32>
}
