// RUN: quant-opt %s -split-input-file -qe-quantize-activations="bits=8" -verify-diagnostics | FileCheck %s --check-prefix=BN
// RUN: quant-opt %s -split-input-file -qe-quantize-activations="bits=8 range=bn-sigma" -verify-diagnostics | FileCheck %s --check-prefix=SIG8
// RUN: quant-opt %s -split-input-file -qe-quantize-activations="bits=4 range=bn-sigma" -verify-diagnostics | FileCheck %s --check-prefix=SIG4
// RUN: not quant-opt %s -qe-quantize-activations="range=calibrated" 2>&1 | FileCheck %s --check-prefix=RANGE
// RANGE: qe-quantize-activations: range must be bn or bn-sigma, got 'calibrated'

// Channels N(1, 0.5^2) and N(-1, 0.25^2), then ReLU6.
// bn (6 sigma): [min(1 - 3, -1 - 1.5), max(1 + 3, -1 + 1.5)] = [-2.5, 4],
//   clamped by the ReLU6 to [0, 4]: unsigned, scale 4/255, zero point 0.
// bn-sigma, 8 bits: the mixture has mean 0 and E[x^2] = (1.25 + 1.0625)/2,
//   sigma = 1.0753, alpha = 25 sigma = 26.9, clamped to [0, 6]: 6/255.
// bn-sigma, 4 bits: alpha = 12 sigma = 12.9 is capped at the 6-sigma range's
//   extent 4: [0, 4] on 4 bits, scale 4/15.
// BN-LABEL: func @conv_relu6
// BN: %[[R:.*]] = tosa.clamp
// BN: qe.fake_quant %[[R]] unsigned bits(8) scales([0.01568627450980392]) zero_points([0]) rounding(rne)
// SIG8-LABEL: func @conv_relu6
// SIG8: qe.fake_quant %{{.*}} unsigned bits(8) scales([0.023529411764705882]) zero_points([0])
// SIG4-LABEL: func @conv_relu6
// SIG4: qe.fake_quant %{{.*}} unsigned bits(4) scales([0.26666666666666666]) zero_points([0])
func.func @conv_relu6(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qe.bn_beta = array<f64: 1.0, -1.0>, qe.bn_gamma = array<f64: 0.5, 0.25>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %r = tosa.clamp %c {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %r : tensor<1x2x2x2xf32>
}

// -----

// A residual add sums means and variances: N(1, 0.5^2) + N(2, 1.2^2) =
// N(3, 1.3^2). bn: [3 - 7.8, 3 + 7.8] = [-4.8, 10.8] on signed 8 bits:
// scale 15.6/255, zero point RHAZ(-128 + 4.8/scale) = RHAZ(-49.54) = -50.
// The two inputs: [-2, 4] (scale 6/255, zp RHAZ(-128 + 85) = -43) and
// [-5.2, 9.2] (scale 14.4/255, zp RHAZ(-128 + 92.08) = -36). The bounds are
// sums in floating point, so the scales are checked to 14 digits.
// BN-LABEL: func @residual
// BN-DAG: qe.fake_quant %{{.*}} bits(8) scales([0.023529411764705882]) zero_points([-43])
// BN-DAG: qe.fake_quant %{{.*}} bits(8) scales([0.056470588235294{{[0-9]+}}]) zero_points([-36])
// BN: %[[S:.*]] = tosa.add
// BN: qe.fake_quant %[[S]] bits(8) scales([0.06117647058823{{[0-9]+}}]) zero_points([-50])
func.func @residual(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x1xf32> {
  %w = "tosa.const"() {values = dense<1.0> : tensor<1x1x1x1xf32>} : () -> tensor<1x1x1x1xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %a = tosa.conv2d %x, %w, %b, %b, %b {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qe.bn_beta = array<f64: 1.0>, qe.bn_gamma = array<f64: 0.5>} : (tensor<1x2x2x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32>
  %c = tosa.conv2d %x, %w, %b, %b, %b {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qe.bn_beta = array<f64: 2.0>, qe.bn_gamma = array<f64: 1.2>} : (tensor<1x2x2x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32>
  %s = tosa.add %a, %c : (tensor<1x2x2x1xf32>, tensor<1x2x2x1xf32>) -> tensor<1x2x2x1xf32>
  return %s : tensor<1x2x2x1xf32>
}

// -----

// The classifier's input (through pooling and a reshape) is quantized at
// last-layer-bits = 8 even when the activations are at 4 bits.
// SIG4-LABEL: func @classifier
// SIG4: %[[R:.*]] = tosa.clamp
// SIG4: qe.fake_quant %[[R]] unsigned bits(4)
// SIG4: %[[F:.*]] = tosa.reshape
// SIG4: %[[Q:.*]] = qe.fake_quant %[[F]] unsigned bits(8)
// SIG4: tosa.matmul %[[Q]]
func.func @classifier(%x: tensor<1x2x2x1xf32>) -> tensor<1x1x3xf32> {
  %w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qe.bn_beta = array<f64: 1.0, -1.0>, qe.bn_gamma = array<f64: 0.5, 0.25>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %r = tosa.clamp %c {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %p = tosa.avg_pool2d %r, %zp, %zp {acc_type = f32, kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x2xf32>
  %s = tosa.const_shape {values = dense<[1, 1, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %f = tosa.reshape %p, %s : (tensor<1x1x1x2xf32>, !tosa.shape<3>) -> tensor<1x1x2xf32>
  %fc = "tosa.const"() {values = dense<1.0> : tensor<1x2x3xf32>} : () -> tensor<1x2x3xf32>
  %y = tosa.matmul %f, %fc, %zp, %zp : (tensor<1x1x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x3xf32>
  return %y : tensor<1x1x3xf32>
}

// -----

// Without batch-norm statistics there is no data-free range: a remark, and
// the tensor stays float.
// BN-LABEL: func @no_statistics
// BN-NOT: qe.fake_quant
func.func @no_statistics(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x1xf32> {
  %w = "tosa.const"() {values = dense<1.0> : tensor<1x1x1x1xf32>} : () -> tensor<1x1x1x1xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  // expected-remark @+1 {{BN-based ranges are unavailable}}
  %c = tosa.conv2d %x, %w, %b, %b, %b {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32>
  return %c : tensor<1x2x2x1xf32>
}
