// RUN: quant-opt %s -split-input-file -qe-correct-bias="bits=4" | FileCheck %s
// RUN: echo '{"c2": [0.25]}' > %t.errors.json
// RUN: quant-opt %s -split-input-file -qe-correct-bias="errors-file=%t.errors.json" | FileCheck %s --check-prefix=EMP
// RUN: echo '[1, 2]' > %t.bad.json
// RUN: not quant-opt %s -qe-correct-bias="errors-file=%t.bad.json" 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: is not a JSON object of layer name -> per-channel means

// The second conv's weights [0.7, 0.33] (one output, two inputs) on 4 bits:
// scale 0.7f/7, x = [7, 3.3] -> [7, 3]: the 0.33 becomes 3 * 0.1f, an error
// of 0.3f - 0.33f = -0.030000001. Its input has no activation and the first
// conv's statistics give E[x] = beta = [2, 4], so the mean error is
// -0.030000001 * 4 = -0.120000005 and the bias becomes 0 + 0.120000005.
// CHECK-LABEL: func @identity_input
// CHECK: %[[B:.*]] = "tosa.const"() <{values = dense<0.120000005> : tensor<1xf32>}>
// CHECK: tosa.conv2d %{{.*}}, %{{.*}}, %[[B]], {{.*}}qe.bias_correction = 0.12000000476837158
// With an errors file, the measured mean error 0.25 is subtracted instead.
// EMP-LABEL: func @identity_input
// EMP: "tosa.const"() <{values = dense<-2.500000e-01> : tensor<1xf32>}>
func.func @identity_input(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x1xf32> {
  %w1 = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b1 = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %w2 = "tosa.const"() {values = dense<[[[[0.7, 0.33]]]]> : tensor<1x1x1x2xf32>} : () -> tensor<1x1x1x2xf32>
  %b2 = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1 = tosa.conv2d %x, %w1, %b1, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qe.bn_beta = array<f64: 2.0, 4.0>, qe.bn_gamma = array<f64: 1.0, 1.0>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %c2 = tosa.conv2d %c1, %w2, %b2, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32> loc("c2")
  return %c2 : tensor<1x2x2x1xf32>
}

// -----

// Through a ReLU the input mean is the clipped normal's: N(0, 1) gives
// 1/sqrt(2 pi) = 0.39894228 for both channels, so the correction is
// -0.030000001 * 0.39894228 = -0.011968269 and the bias 0.011968269.
// CHECK-LABEL: func @relu_input
// CHECK: "tosa.const"() <{values = dense<0.011968269> : tensor<1xf32>}>
func.func @relu_input(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x1xf32> {
  %w1 = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b1 = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %w2 = "tosa.const"() {values = dense<[[[[0.7, 0.33]]]]> : tensor<1x1x1x2xf32>} : () -> tensor<1x1x1x2xf32>
  %b2 = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1 = tosa.conv2d %x, %w1, %b1, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qe.bn_beta = array<f64: 0.0, 0.0>, qe.bn_gamma = array<f64: 1.0, -1.0>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %r = tosa.clamp %c1 {max_val = 3.40282347E+38 : f32, min_val = 0.0 : f32} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %c2 = tosa.conv2d %r, %w2, %b2, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32>
  return %c2 : tensor<1x2x2x1xf32>
}

// -----

// A fully connected layer as the importer writes Gemm: matmul on reshapes,
// then the bias added to the reshaped result. The weights [[0.7], [0.33]]
// (K = 2, N = 1) and E[x] = beta = [2, 4] give the same -0.120000005 as
// @identity_input, so the bias 0.5 becomes 0.5 + 0.120000005 = 0.62.
// CHECK-LABEL: func @fully_connected
// CHECK: tosa.matmul {{.*}}qe.bias_correction = 0.12000000476837158
// CHECK: %[[B:.*]] = "tosa.const"() <{values = dense<6.200000e-01> : tensor<1x1xf32>}>
// CHECK: tosa.add %{{.*}}, %[[B]]
func.func @fully_connected(%x: tensor<1x1x1x1xf32>) -> tensor<1x1xf32> {
  %w1 = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b1 = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1 = tosa.conv2d %x, %w1, %b1, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qe.bn_beta = array<f64: 2.0, 4.0>, qe.bn_gamma = array<f64: 1.0, 1.0>} : (tensor<1x1x1x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x2xf32>
  %s3 = tosa.const_shape {values = dense<[1, 1, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %a = tosa.reshape %c1, %s3 : (tensor<1x1x1x2xf32>, !tosa.shape<3>) -> tensor<1x1x2xf32>
  %w = "tosa.const"() {values = dense<[[0.7], [0.33]]> : tensor<2x1xf32>} : () -> tensor<2x1xf32>
  %sw = tosa.const_shape {values = dense<[1, 2, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %w3 = tosa.reshape %w, %sw : (tensor<2x1xf32>, !tosa.shape<3>) -> tensor<1x2x1xf32>
  %m = tosa.matmul %a, %w3, %zp, %zp : (tensor<1x1x2xf32>, tensor<1x2x1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1xf32>
  %s2 = tosa.const_shape {values = dense<[1, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %y = tosa.reshape %m, %s2 : (tensor<1x1x1xf32>, !tosa.shape<2>) -> tensor<1x1xf32>
  %bias = "tosa.const"() {values = dense<0.5> : tensor<1x1xf32>} : () -> tensor<1x1xf32>
  %out = tosa.add %y, %bias : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>
  return %out : tensor<1x1xf32>
}
