// RUN: quant-opt %s -split-input-file -qe-exclude-layers="names=conv1" -qe-quantize-weights -qe-insert-observers | FileCheck %s --check-prefix=NAME
// RUN: quant-opt %s -split-input-file -qe-exclude-layers="first=1 last=true" | FileCheck %s --check-prefix=ENDS
// RUN: quant-opt %s -split-input-file -qe-exclude-layers="names=conv1 names=fc" | FileCheck %s --check-prefix=TWO
// RUN: quant-opt %s -split-input-file -qe-exclude-layers="first=1" -qe-insert-observers | FileCheck %s --check-prefix=FIRST
// RUN: not quant-opt %s -qe-exclude-layers="names=conv9" 2>&1 | FileCheck %s --check-prefix=TYPO
// TYPO: qe-exclude-layers: no layer is named 'conv9'

// conv1 stays float: its weight has no fake quant, its ReLU output no
// probe, and nor has the model input it alone reads; conv2 is quantized
// and observed as usual.
// NAME-LABEL: func @net
// NAME-NOT: qe.observe %arg0
// NAME: %[[C1:.*]] = tosa.conv2d %arg0, %{{[0-9]+}}, {{.*}}qe.keep_float
// NAME: %[[R:.*]] = tosa.clamp %[[C1]]
// NAME-NOT: qe.observe %[[R]]
// NAME: %[[W2:.*]] = qe.fake_quant
// NAME: tosa.conv2d %[[R]], %[[W2]]
// NAME: qe.observe %{{.*}} id("conv2")
// The first layer and the last (the fully connected one).
// ENDS-LABEL: func @net
// ENDS: tosa.conv2d {{.*}}qe.keep_float
// ENDS: tosa.conv2d
// ENDS-NOT: qe.keep_float
// ENDS-SAME: -> tensor<1x4x4x2xf32>
// ENDS: tosa.matmul {{.*}}qe.keep_float
// A float first layer reads the model input in float: no probe on it.
// FIRST-LABEL: func @net
// FIRST-NOT: id("input:0")
// FIRST: id("conv2")
// TWO-LABEL: func @net
// TWO: tosa.conv2d {{.*}}qe.keep_float
// TWO: tosa.matmul {{.*}}qe.keep_float
func.func @net(%x: tensor<1x4x4x1xf32>) -> tensor<1x1x2xf32> {
  %w1 = "tosa.const"() {values = dense<0.5> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %w2 = "tosa.const"() {values = dense<[[[[0.5, 0.25]]], [[[1.0, -1.0]]]]> : tensor<2x1x1x2xf32>} : () -> tensor<2x1x1x2xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1 = tosa.conv2d %x, %w1, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("conv1")
  %r = tosa.clamp %c1 {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> loc("conv1")
  %c2 = tosa.conv2d %r, %w2, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("conv2")
  %s = tosa.const_shape {values = dense<[1, 1, 32]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %f = tosa.reshape %c2, %s : (tensor<1x4x4x2xf32>, !tosa.shape<3>) -> tensor<1x1x32xf32>
  %wf = "tosa.const"() {values = dense<0.1> : tensor<32x2xf32>} : () -> tensor<32x2xf32>
  %s2 = tosa.const_shape {values = dense<[1, 32, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %wf3 = tosa.reshape %wf, %s2 : (tensor<32x2xf32>, !tosa.shape<3>) -> tensor<1x32x2xf32>
  %y = tosa.matmul %f, %wf3, %zp, %zp : (tensor<1x1x32xf32>, tensor<1x32x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32> loc("fc")
  return %y : tensor<1x1x2xf32>
}
