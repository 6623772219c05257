// RUN: quant-opt %s -split-input-file -qe-insert-observers | FileCheck %s
// RUN: quant-opt %s -split-input-file -qe-insert-observers -qe-insert-observers | FileCheck %s

// The input, and each layer's output after its ReLU: a clamp takes over
// the convolution's quantization point. Ids are the ONNX node names.
// CHECK-LABEL: func @conv_relu_conv
// CHECK-NEXT: %[[IN:.*]] = qe.observe %arg0 id("input:0")
// CHECK: %[[C1:.*]] = tosa.conv2d %[[IN]]
// CHECK-NOT: qe.observe %[[C1]]
// CHECK: %[[R:.*]] = tosa.clamp %[[C1]]
// CHECK-NEXT: %[[RO:.*]] = qe.observe %[[R]] id("relu1")
// CHECK: %[[C2:.*]] = tosa.conv2d %[[RO]]
// CHECK-NEXT: %[[C2O:.*]] = qe.observe %[[C2]] id("conv2")
// CHECK-NEXT: return %[[C2O]]
// CHECK-NOT: qe.observe
func.func @conv_relu_conv(%x: tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32> {
  %w = "tosa.const"() {values = dense<1.0> : tensor<1x1x1x1xf32>} : () -> tensor<1x1x1x1xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1 = tosa.conv2d %x, %w, %b, %b, %b {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x1xf32> loc("conv1")
  %r = tosa.clamp %c1 {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32> loc("relu1")
  %c2 = tosa.conv2d %r, %w, %b, %b, %b {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x1xf32> loc("conv2")
  return %c2 : tensor<1x4x4x1xf32>
}

// -----

// A fully connected layer: the matmul's product reaches the bias add
// through a reshape, so only the add is observed. Reshapes keep scales.
// CHECK-LABEL: func @fc
// CHECK: qe.observe %arg0 id("input:0")
// CHECK: %[[M:.*]] = tosa.matmul
// CHECK-NOT: qe.observe %[[M]]
// CHECK: %[[A:.*]] = tosa.add
// CHECK-NEXT: qe.observe %[[A]] id("fc")
func.func @fc(%a: tensor<1x1x2xf32>) -> tensor<1x2xf32> {
  %w = "tosa.const"() {values = dense<1.0> : tensor<1x2x2xf32>} : () -> tensor<1x2x2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %m = tosa.matmul %a, %w, %zp, %zp : (tensor<1x1x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32> loc("fc")
  %s = tosa.const_shape {values = dense<[1, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %r = tosa.reshape %m, %s : (tensor<1x1x2xf32>, !tosa.shape<2>) -> tensor<1x2xf32> loc("fc")
  %bias = "tosa.const"() {values = dense<0.5> : tensor<1x2xf32>} : () -> tensor<1x2xf32>
  %y = tosa.add %r, %bias : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32> loc("fc")
  return %y : tensor<1x2xf32>
}

// -----

// A residual add of two computed tensors is observed, as are both
// operands; two ops of one ONNX node get distinct ids; ops without a name
// are known by their kind.
// CHECK-LABEL: func @residual
// CHECK: tosa.clamp
// CHECK-NEXT: qe.observe %{{.*}} id("block")
// CHECK: tosa.clamp
// CHECK-NEXT: qe.observe %{{.*}} id("block#2")
// CHECK: tosa.add
// CHECK-NEXT: qe.observe %{{.*}} id("tosa.add")
func.func @residual(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %r1 = tosa.clamp %x {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x4xf32>) -> tensor<1x4xf32> loc("block")
  %r2 = tosa.clamp %x {max_val = 1.0 : f32, min_val = 0.0 : f32} : (tensor<1x4xf32>) -> tensor<1x4xf32> loc("block")
  %s = tosa.add %r1, %r2 : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  return %s : tensor<1x4xf32>
}
