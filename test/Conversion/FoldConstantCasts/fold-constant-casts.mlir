// RUN: quant-opt %s --split-input-file --qe-fold-constant-casts | FileCheck %s

// f16 weights (1.0, 2.5, -0.333251953125 = the f16 nearest to -1/3, 65504 =
// the largest f16) become the same values in f32, exactly; the f16
// constant goes.
// CHECK-LABEL: func.func @dense_f16
// CHECK-NOT: f16
// CHECK: "tosa.const"() <{values = dense<[1.000000e+00, 2.500000e+00, -0.333251953, 6.550400e+04]> : tensor<4xf32>}>
// CHECK-NOT: tosa.cast
func.func @dense_f16() -> tensor<4xf32> {
  %0 = "tosa.const"() {values = dense<[1.0, 2.5, -0.333251953125, 65504.0]> : tensor<4xf16>} : () -> tensor<4xf16>
  %1 = tosa.cast %0 : (tensor<4xf16>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// A dense_resource blob of bf16: 0x3F80 = 1.0, 0xC040 = -3.0, little-endian
// after the 4-byte alignment header.
// CHECK-LABEL: func.func @resource_bf16
// CHECK: "tosa.const"() <{values = dense<[1.000000e+00, -3.000000e+00]> : tensor<2xf32>}>
// CHECK-NOT: tosa.cast
func.func @resource_bf16() -> tensor<2xf32> {
  %0 = "tosa.const"() {values = dense_resource<w> : tensor<2xbf16>} : () -> tensor<2xbf16>
  %1 = tosa.cast %0 : (tensor<2xbf16>) -> tensor<2xf32>
  return %1 : tensor<2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x02000000803F40C0"
    }
  }
#-}

// -----

// Casts of values computed at run time, and casts to other types, stay.
// CHECK-LABEL: func.func @not_constant
// CHECK: tosa.cast %arg0 : (tensor<2xf16>) -> tensor<2xf32>
// CHECK: tosa.cast %{{.*}} : (tensor<2xf32>) -> tensor<2xf16>
func.func @not_constant(%x: tensor<2xf16>) -> (tensor<2xf32>, tensor<2xf16>) {
  %0 = tosa.cast %x : (tensor<2xf16>) -> tensor<2xf32>
  %1 = "tosa.const"() {values = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %2 = tosa.cast %1 : (tensor<2xf32>) -> tensor<2xf16>
  return %0, %2 : tensor<2xf32>, tensor<2xf16>
}
