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

// -----

// PyTorch QAT export: conv(x, fake_quant(W·γ/σ)) · reciprocal(γ/σ), then
// the BN. gamma [2, 6], var [3, 8], eps 1 -> gamma/sigma = [1, 2]; the
// reciprocal of [1, 2] gives C = [1, 0.5], so k = C gamma/sigma = [1, 1]: the
// weight and its fake quant stay as they are, bit for bit.
// b' = beta + (b C - mean) gamma/sigma with b = [1.5, 1], mean [0.5, 2],
// beta [10, 20]: b0 = 10 + (1.5 - 0.5) * 1 = 11, b1 = 20 + (0.5 - 2) * 2 = 17.
// CHECK-LABEL: func @qat_unit_factor
// CHECK: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}3.000000e-01]]], {{\[\[\[}}-0.699999988]]]]> : tensor<2x1x1x1xf32>}>
// CHECK-NEXT: %[[WQ:.*]] = qe.fake_quant %[[W]] bits(8) narrow_range axis(0) scales([0.1, 0.1]) zero_points([0, 0])
// CHECK: %[[B:.*]] = "tosa.const"() <{values = dense<[1.100000e+01, 1.700000e+01]> : tensor<2xf32>}>
// CHECK: %[[C:.*]] = tosa.conv2d %arg0, %[[WQ]], %[[B]], {{.*}} qe.bn_beta = array<f64: 1.000000e+01, 2.000000e+01>, qe.bn_gamma = array<f64: 2.000000e+00, 6.000000e+00>
// CHECK-NOT: tosa.reciprocal
// CHECK-NOT: tosa.mul
// CHECK-NOT: qe.batch_norm
// CHECK: return %[[C]]
func.func @qat_unit_factor(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tosa.const"() {values = dense<[[[[0.3]]], [[[-0.7]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %wq = qe.fake_quant %w bits(8) narrow_range axis(0) scales([0.1, 0.1]) zero_points([0, 0]) rounding(rne) : tensor<2x1x1x1xf32>
  %b = "tosa.const"() {values = dense<[1.5, 1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %wq, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %k = "tosa.const"() {values = dense<[[[[1.0, 2.0]]]]> : tensor<1x1x1x2xf32>} : () -> tensor<1x1x1x2xf32>
  %r = tosa.reciprocal %k : (tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32>
  %shift = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %mul = tosa.mul %c, %r, %shift : (tensor<1x2x2x2xf32>, tensor<1x1x1x2xf32>, tensor<1xi8>) -> tensor<1x2x2x2xf32>
  %g = "tosa.const"() {values = dense<[2.0, 6.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %be = "tosa.const"() {values = dense<[10.0, 20.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %m = "tosa.const"() {values = dense<[0.5, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %v = "tosa.const"() {values = dense<[3.0, 8.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %y = qe.batch_norm %mul, %g, %be, %m, %v axis(3) epsilon(1.0) : tensor<1x2x2x2xf32>, tensor<2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// k = [2, 0.5] on a per-axis fake-quantized weight: C = [2, 0.25] (a plain
// constant) times gamma/sigma = [1, 2]. The weight [0.3, -0.7] becomes
// [0.6, -0.35] and the scales [0.1, 0.1] become [0.2, 0.05], so the integers
// stay 0.3 / 0.1 = 0.6 / 0.2 = 3 and -0.7 / 0.1 = -0.35 / 0.05 = -7.
// b' = beta + (b C - mean) gamma/sigma: b0 = 10 + (1.5 * 2 - 0.5) * 1 = 12.5,
// b1 = 20 + (1 * 0.25 - 2) * 2 = 16.5.
// CHECK-LABEL: func @qat_scaled
// CHECK: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}6.000000e-01]]], {{\[\[\[}}-3.500000e-01]]]]> : tensor<2x1x1x1xf32>}>
// CHECK-NEXT: %[[WQ:.*]] = qe.fake_quant %[[W]] bits(8) narrow_range axis(0) scales([0.2, 0.05]) zero_points([0, 0])
// CHECK: %[[B:.*]] = "tosa.const"() <{values = dense<[1.250000e+01, 1.650000e+01]> : tensor<2xf32>}>
// CHECK: %[[C:.*]] = tosa.conv2d %arg0, %[[WQ]], %[[B]], {{.*}} qe.bn_gamma = array<f64: 2.000000e+00, 6.000000e+00>
// CHECK-NOT: tosa.mul
// CHECK-NOT: qe.batch_norm
// CHECK: return %[[C]]
func.func @qat_scaled(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tosa.const"() {values = dense<[[[[0.3]]], [[[-0.7]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %wq = qe.fake_quant %w bits(8) narrow_range axis(0) scales([0.1, 0.1]) zero_points([0, 0]) rounding(rne) : tensor<2x1x1x1xf32>
  %b = "tosa.const"() {values = dense<[1.5, 1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %wq, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %k = "tosa.const"() {values = dense<[[[[2.0, 0.25]]]]> : tensor<1x1x1x2xf32>} : () -> tensor<1x1x1x2xf32>
  %shift = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %mul = tosa.mul %c, %k, %shift : (tensor<1x2x2x2xf32>, tensor<1x1x1x2xf32>, tensor<1xi8>) -> tensor<1x2x2x2xf32>
  %g = "tosa.const"() {values = dense<[2.0, 6.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %be = "tosa.const"() {values = dense<[10.0, 20.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %m = "tosa.const"() {values = dense<[0.5, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %v = "tosa.const"() {values = dense<[3.0, 8.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %y = qe.batch_norm %mul, %g, %be, %m, %v axis(3) epsilon(1.0) : tensor<1x2x2x2xf32>, tensor<2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// Depthwise (HWCM, fake quant on axis 2), with the factor as the mul's first
// operand: reciprocal([0.5, 4]) = C = [2, 0.25], so k = [2, 0.5] as above:
// weight [0.6, -0.35], scales [0.2, 0.05], bias [12.5, 16.5].
// CHECK-LABEL: func @qat_depthwise
// CHECK: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}6.000000e-01], [-3.500000e-01]]]]> : tensor<1x1x2x1xf32>}>
// CHECK-NEXT: %[[WQ:.*]] = qe.fake_quant %[[W]] bits(8) narrow_range axis(2) scales([0.2, 0.05]) zero_points([0, 0])
// CHECK: %[[B:.*]] = "tosa.const"() <{values = dense<[1.250000e+01, 1.650000e+01]> : tensor<2xf32>}>
// CHECK: %[[C:.*]] = tosa.depthwise_conv2d %arg0, %[[WQ]], %[[B]], {{.*}} qe.bn_gamma = array<f64: 2.000000e+00, 6.000000e+00>
// CHECK-NOT: tosa.reciprocal
// CHECK-NOT: tosa.mul
// CHECK: return %[[C]]
func.func @qat_depthwise(%x: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tosa.const"() {values = dense<[[[[0.3], [-0.7]]]]> : tensor<1x1x2x1xf32>} : () -> tensor<1x1x2x1xf32>
  %wq = qe.fake_quant %w bits(8) narrow_range axis(2) scales([0.1, 0.1]) zero_points([0, 0]) rounding(rne) : tensor<1x1x2x1xf32>
  %b = "tosa.const"() {values = dense<[1.5, 1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.depthwise_conv2d %x, %wq, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<1x1x2x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %k = "tosa.const"() {values = dense<[[[[0.5, 4.0]]]]> : tensor<1x1x1x2xf32>} : () -> tensor<1x1x1x2xf32>
  %r = tosa.reciprocal %k : (tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32>
  %shift = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %mul = tosa.mul %r, %c, %shift : (tensor<1x1x1x2xf32>, tensor<1x2x2x2xf32>, tensor<1xi8>) -> tensor<1x2x2x2xf32>
  %g = "tosa.const"() {values = dense<[2.0, 6.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %be = "tosa.const"() {values = dense<[10.0, 20.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %m = "tosa.const"() {values = dense<[0.5, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %v = "tosa.const"() {values = dense<[3.0, 8.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %y = qe.batch_norm %mul, %g, %be, %m, %v axis(3) epsilon(1.0) : tensor<1x2x2x2xf32>, tensor<2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// A negative factor cannot scale a quantization grid: gamma [-2, 6] and
// C = [1, 0.5] give k = [-1, 1]. Weight, fake quant and the mul stay; the BN
// becomes x * gamma/sigma + (beta - mean gamma/sigma) = x * [-1, 2] +
// [10 - 0.5 * -1, 20 - 2 * 2] = x * [-1, 2] + [10.5, 16].
// CHECK-LABEL: func @qat_negative_factor
// CHECK: %[[WQ:.*]] = qe.fake_quant %{{.*}} scales([0.1, 0.1])
// CHECK: %[[C:.*]] = tosa.conv2d %arg0, %[[WQ]]
// CHECK-NOT: qe.bn_gamma
// CHECK: %[[M:.*]] = tosa.mul %[[C]],
// CHECK-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}-1.000000e+00, 2.000000e+00]]]]> : tensor<1x1x1x2xf32>}>
// CHECK-DAG: %[[A:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}1.050000e+01, 1.600000e+01]]]]> : tensor<1x1x1x2xf32>}>
// CHECK: %[[Y:.*]] = tosa.mul %[[M]], %[[S]]
// CHECK: %[[Z:.*]] = tosa.add %[[Y]], %[[A]]
// CHECK: return %[[Z]]
func.func @qat_negative_factor(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tosa.const"() {values = dense<[[[[0.3]]], [[[-0.7]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %wq = qe.fake_quant %w bits(8) narrow_range axis(0) scales([0.1, 0.1]) zero_points([0, 0]) rounding(rne) : tensor<2x1x1x1xf32>
  %b = "tosa.const"() {values = dense<[1.5, 1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %wq, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %k = "tosa.const"() {values = dense<[[[[1.0, 2.0]]]]> : tensor<1x1x1x2xf32>} : () -> tensor<1x1x1x2xf32>
  %r = tosa.reciprocal %k : (tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32>
  %shift = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %mul = tosa.mul %c, %r, %shift : (tensor<1x2x2x2xf32>, tensor<1x1x1x2xf32>, tensor<1xi8>) -> tensor<1x2x2x2xf32>
  %g = "tosa.const"() {values = dense<[-2.0, 6.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %be = "tosa.const"() {values = dense<[10.0, 20.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %m = "tosa.const"() {values = dense<[0.5, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %v = "tosa.const"() {values = dense<[3.0, 8.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  // expected-remark @+1 {{a channel factor is not positive, so the weight's quantization grid cannot scale by it; lowered to mul/add}}
  %y = qe.batch_norm %mul, %g, %be, %m, %v axis(3) epsilon(1.0) : tensor<1x2x2x2xf32>, tensor<2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// A plain BN (no mul) on a fake-quantized weight: k = gamma/sigma = [1, 2].
// Weight [0.3, -0.7] -> [0.3, -1.4], scales [0.1, 0.1] -> [0.1, 0.2]
// (integers 3 and -7 kept); b' = beta + (b - mean) gamma/sigma =
// [10 + (1.5 - 0.5) * 1, 20 + (1 - 2) * 2] = [11, 18].
// CHECK-LABEL: func @fake_quant_weight
// CHECK: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}3.000000e-01]]], {{\[\[\[}}-1.400000e+00]]]]> : tensor<2x1x1x1xf32>}>
// CHECK-NEXT: %[[WQ:.*]] = qe.fake_quant %[[W]] bits(8) narrow_range axis(0) scales([0.1, 0.2]) zero_points([0, 0])
// CHECK: %[[B:.*]] = "tosa.const"() <{values = dense<[1.100000e+01, 1.800000e+01]> : tensor<2xf32>}>
// CHECK: %[[C:.*]] = tosa.conv2d %arg0, %[[WQ]], %[[B]], {{.*}} qe.bn_gamma = array<f64: 2.000000e+00, 6.000000e+00>
// CHECK-NOT: qe.batch_norm
// CHECK: return %[[C]]
func.func @fake_quant_weight(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tosa.const"() {values = dense<[[[[0.3]]], [[[-0.7]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %wq = qe.fake_quant %w bits(8) narrow_range axis(0) scales([0.1, 0.1]) zero_points([0, 0]) rounding(rne) : tensor<2x1x1x1xf32>
  %b = "tosa.const"() {values = dense<[1.5, 1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %wq, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %g = "tosa.const"() {values = dense<[2.0, 6.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %be = "tosa.const"() {values = dense<[10.0, 20.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %m = "tosa.const"() {values = dense<[0.5, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %v = "tosa.const"() {values = dense<[3.0, 8.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %y = qe.batch_norm %c, %g, %be, %m, %v axis(3) epsilon(1.0) : tensor<1x2x2x2xf32>, tensor<2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// Per-tensor scale with k = [3, 3] (gamma 6, var 3, eps 1): the one scale
// 0.1 becomes 0.1 * 3 = 0.30000000000000004 (f64). 0.3 * 3 = 0.9 keeps its
// integer, but 0.75 / 0.1 rounds (f32) to 7.5 and so to 8 (half to even),
// while 2.25 / 0.3 rounds (f32) to 7.4999995 and so to 7: that weight moves
// to its grid point 0.3 * 8 = 2.4 and keeps the integer 8.
// b' = beta + (0 - 0) * 3 = [1, 2].
// CHECK-LABEL: func @near_tie
// CHECK: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}2.400000e+00]]], {{\[\[\[}}0.900000035]]]]> : tensor<2x1x1x1xf32>}>
// CHECK-NEXT: qe.fake_quant %[[W]] bits(8) scales([0.30000000000000004]) zero_points([0])
// CHECK: %[[B:.*]] = "tosa.const"() <{values = dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>}>
func.func @near_tie(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tosa.const"() {values = dense<[[[[0.75]]], [[[0.3]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %wq = qe.fake_quant %w bits(8) scales([0.1]) zero_points([0]) rounding(rne) : tensor<2x1x1x1xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %wq, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %g = "tosa.const"() {values = dense<[6.0, 6.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %be = "tosa.const"() {values = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %m = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %v = "tosa.const"() {values = dense<3.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %y = qe.batch_norm %c, %g, %be, %m, %v axis(3) epsilon(1.0) : tensor<1x2x2x2xf32>, tensor<2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// One per-tensor scale cannot take k = [1, 2] (it would need per-axis
// scales): the BN becomes mul/add.
// CHECK-LABEL: func @per_tensor_differing
// CHECK: tosa.mul
// CHECK: tosa.add
func.func @per_tensor_differing(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tosa.const"() {values = dense<[[[[0.3]]], [[[-0.7]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %wq = qe.fake_quant %w bits(8) scales([0.1]) zero_points([0]) rounding(rne) : tensor<2x1x1x1xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %wq, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %g = "tosa.const"() {values = dense<[2.0, 6.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %be = "tosa.const"() {values = dense<[10.0, 20.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %m = "tosa.const"() {values = dense<[0.5, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %v = "tosa.const"() {values = dense<[3.0, 8.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  // expected-remark @+1 {{channels with different factors share a quantization scale of the weight; lowered to mul/add}}
  %y = qe.batch_norm %c, %g, %be, %m, %v axis(3) epsilon(1.0) : tensor<1x2x2x2xf32>, tensor<2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// A fake quant with another user cannot change: the BN becomes mul/add.
// CHECK-LABEL: func @shared_fake_quant
// CHECK: tosa.mul
// CHECK: tosa.add
func.func @shared_fake_quant(%x: tensor<1x2x2x1xf32>) -> (tensor<1x2x2x2xf32>, tensor<2x1x1x1xf32>) {
  %w = "tosa.const"() {values = dense<[[[[0.3]]], [[[-0.7]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %wq = qe.fake_quant %w bits(8) axis(0) scales([0.1, 0.1]) zero_points([0, 0]) rounding(rne) : tensor<2x1x1x1xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %wq, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %g = "tosa.const"() {values = dense<[2.0, 6.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %be = "tosa.const"() {values = dense<[10.0, 20.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %m = "tosa.const"() {values = dense<[0.5, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %v = "tosa.const"() {values = dense<[3.0, 8.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  // expected-remark @+1 {{the fake-quantized weight has other users; lowered to mul/add}}
  %y = qe.batch_norm %c, %g, %be, %m, %v axis(3) epsilon(1.0) : tensor<1x2x2x2xf32>, tensor<2xf32>
  return %y, %wq : tensor<1x2x2x2xf32>, tensor<2x1x1x1xf32>
}
