// RUN: quant-opt %s -canonicalize -split-input-file | FileCheck %s
//
// Constant inputs fold through qe.fake_quant and qe.po2_quant. Every expected
// value is worked by hand from q = clamp(round(x / scale) + zp) and
// y = scale * (q - zp) (or the quantized_po2 formula) in the comments.

// int8 narrow, scale 0.5: x/scale = [2.5, -2.5, 1.5, 200, -200, 0].
// CHECK-LABEL: func @per_tensor_ties
// CHECK-DAG: arith.constant dense<[1.000000e+00, -1.000000e+00, 1.000000e+00, 6.350000e+01, -6.350000e+01, 0.000000e+00]>
// CHECK-DAG: arith.constant dense<[1.500000e+00, -1.500000e+00, 1.000000e+00, 6.350000e+01, -6.350000e+01, 0.000000e+00]>
// CHECK-DAG: arith.constant dense<[1.500000e+00, -1.000000e+00, 1.000000e+00, 6.350000e+01, -6.350000e+01, 0.000000e+00]>
// CHECK-NOT: qe.fake_quant
func.func @per_tensor_ties() -> (tensor<6xf32>, tensor<6xf32>, tensor<6xf32>) {
  %c = arith.constant dense<[1.25, -1.25, 0.75, 100.0, -100.0, 0.0]> : tensor<6xf32>
  // RNE: 2.5 -> 2, -2.5 -> -2, 1.5 -> 2; 200 and -200 clamp to +-127.
  %rne = qe.fake_quant %c bits(8) narrow_range scales([0.5]) zero_points([0]) rounding(rne) : tensor<6xf32>
  // RHAZ: 2.5 -> 3, -2.5 -> -3.
  %rhaz = qe.fake_quant %c bits(8) narrow_range scales([0.5]) zero_points([0]) rounding(rhaz) : tensor<6xf32>
  // RHU: 2.5 -> 3, -2.5 -> -2.
  %rhu = qe.fake_quant %c bits(8) narrow_range scales([0.5]) zero_points([0]) rounding(rhu) : tensor<6xf32>
  return %rne, %rhaz, %rhu : tensor<6xf32>, tensor<6xf32>, tensor<6xf32>
}

// -----

// Unsigned 4-bit, scale 0.5, zero point 3, range [0, 15]:
// -2 -> -4 + 3 = -1 -> 0 -> -1.5; 0.25 -> RNE(0.5) = 0 -> 3 -> 0;
// 10 -> 20 + 3 = 23 -> 15 -> 6; 1.75 -> RNE(3.5) = 4 -> 7 -> 2.
// CHECK-LABEL: func @unsigned_zero_point
// CHECK: arith.constant dense<[-1.500000e+00, 0.000000e+00, 6.000000e+00, 2.000000e+00]> : tensor<4xf32>
func.func @unsigned_zero_point() -> tensor<4xf32> {
  %c = arith.constant dense<[-2.0, 0.25, 10.0, 1.75]> : tensor<4xf32>
  %0 = qe.fake_quant %c unsigned bits(4) scales([0.5]) zero_points([3]) rounding(rne) : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// [[0.3, -0.7], [0.3, -0.7]] with scales [0.25, 1.0].
// Axis 0 (rows): row 0: 1.2 -> 1, -2.8 -> -3; row 1: 0.3 -> 0, -0.7 -> -1.
// Axis 1 (columns): column 0 uses 0.25, column 1 uses 1.0.
// CHECK-LABEL: func @per_axis
// CHECK-DAG: arith.constant dense<{{\[}}[2.500000e-01, -7.500000e-01], [0.000000e+00, -1.000000e+00]]>
// CHECK-DAG: arith.constant dense<{{\[}}[2.500000e-01, -1.000000e+00], [2.500000e-01, -1.000000e+00]]>
func.func @per_axis() -> (tensor<2x2xf32>, tensor<2x2xf32>) {
  %c = arith.constant dense<[[0.3, -0.7], [0.3, -0.7]]> : tensor<2x2xf32>
  %rows = qe.fake_quant %c bits(8) axis(0) scales([0.25, 1.0]) zero_points([0, 0]) rounding(rne) : tensor<2x2xf32>
  %cols = qe.fake_quant %c bits(8) axis(1) scales([0.25, 1.0]) zero_points([0, 0]) rounding(rne) : tensor<2x2xf32>
  return %rows, %cols : tensor<2x2xf32>, tensor<2x2xf32>
}

// -----

// A splat folds to a splat: 0.3 / 0.25 = 1.2 -> 1 -> 0.25.
// CHECK-LABEL: func @splat
// CHECK: arith.constant dense<2.500000e-01> : tensor<4xf32>
func.func @splat() -> tensor<4xf32> {
  %c = arith.constant dense<0.3> : tensor<4xf32>
  %0 = qe.fake_quant %c bits(8) scales([0.25]) zero_points([0]) rounding(rne) : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// f16 computes in f32 and rounds back: 0.3 -> 0.25, 1.0 -> 1.0,
// -0.4 / 0.25 = -1.6 -> -2 -> -0.5.
// CHECK-LABEL: func @half
// CHECK: arith.constant dense<[2.500000e-01, 1.000000e+00, -5.000000e-01]> : tensor<3xf16>
func.func @half() -> tensor<3xf16> {
  %c = arith.constant dense<[0.3, 1.0, -0.4]> : tensor<3xf16>
  %0 = qe.fake_quant %c bits(8) scales([0.25]) zero_points([0]) rounding(rne) : tensor<3xf16>
  return %0 : tensor<3xf16>
}

// -----

// The 2-bit signed range is [-2, 1]: 0.9 / 0.5 = 1.8 -> 2 -> 1 -> 0.5;
// -3 -> -6 -> -2 -> -1.
// CHECK-LABEL: func @two_bits
// CHECK: arith.constant dense<[5.000000e-01, -1.000000e+00]> : tensor<2xf64>
func.func @two_bits() -> tensor<2xf64> {
  %c = arith.constant dense<[0.9, -3.0]> : tensor<2xf64>
  %0 = qe.fake_quant %c bits(2) scales([0.5]) zero_points([0]) rounding(rne) : tensor<2xf64>
  return %0 : tensor<2xf64>
}

// -----

// NaN stays NaN; infinities saturate to the range ends (+-127 * 0.5).
// CHECK-LABEL: func @non_finite
// CHECK: arith.constant dense<[0x7FC00000, 6.350000e+01, -6.400000e+01]> : tensor<3xf32>
func.func @non_finite() -> tensor<3xf32> {
  %c = arith.constant dense<[0x7FC00000, 0x7F800000, 0xFF800000]> : tensor<3xf32>
  %0 = qe.fake_quant %c bits(8) scales([0.5]) zero_points([0]) rounding(rne) : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Large weights arrive as dense_resource blobs (little-endian f32 after a
// 4-byte alignment header): 0x3E99999A = 0.3, 0x3F800000 = 1.0.
// CHECK-LABEL: func @resource_blob
// CHECK: arith.constant dense<[2.500000e-01, 1.000000e+00]> : tensor<2xf32>
func.func @resource_blob() -> tensor<2xf32> {
  %c = arith.constant dense_resource<weights> : tensor<2xf32>
  %0 = qe.fake_quant %c bits(8) scales([0.25]) zero_points([0]) rounding(rne) : tensor<2xf32>
  return %0 : tensor<2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      weights: "0x040000009A99993E0000803F"
    }
  }
#-}

// -----

// Quantization is idempotent on its own grid: the outer op folds away when
// its parameters match, and stays when they differ.
// CHECK-LABEL: func @idempotent
// CHECK: %[[A:.*]] = qe.fake_quant %arg0 bits(8) scales([0.1])
// CHECK-NOT: qe.fake_quant %[[A]] bits(8) scales([0.1])
// CHECK: %[[B:.*]] = qe.fake_quant %[[A]] bits(4) scales([0.1])
// CHECK: return %[[A]], %[[B]]
func.func @idempotent(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %0 = qe.fake_quant %x bits(8) scales([0.1]) zero_points([0]) rounding(rne) : tensor<8xf32>
  %1 = qe.fake_quant %0 bits(8) scales([0.1]) zero_points([0]) rounding(rne) : tensor<8xf32>
  %2 = qe.fake_quant %1 bits(4) scales([0.1]) zero_points([0]) rounding(rne) : tensor<8xf32>
  return %1, %2 : tensor<8xf32>, tensor<8xf32>
}

// -----

// quantized_po2, 4 bits, no max_value: exponents in [-4, 3].
// 0.3 -> 2^-2; 100 -> 2^3; -0.01 -> -2^-4; 0 -> +2^-4 (zero is not
// representable); 0.75 -> 2^0.
// CHECK-LABEL: func @po2
// CHECK-DAG: arith.constant dense<[2.500000e-01, 8.000000e+00, -6.250000e-02, 6.250000e-02, 1.000000e+00]> : tensor<5xf32>
// With max_value 1.0 the exponents are [-8, 7] and |x| is clipped to 1:
// 5 -> 1, -5 -> -1, 0.003 -> 2^-8.
// CHECK-DAG: arith.constant dense<[1.000000e+00, -1.000000e+00, 3.906250e-03]> : tensor<3xf32>
// CHECK-NOT: qe.po2_quant
func.func @po2() -> (tensor<5xf32>, tensor<3xf32>) {
  %c = arith.constant dense<[0.3, 100.0, -0.01, 0.0, 0.75]> : tensor<5xf32>
  %0 = qe.po2_quant %c bits(4) : tensor<5xf32>
  %d = arith.constant dense<[5.0, -5.0, 0.003]> : tensor<3xf32>
  %1 = qe.po2_quant %d bits(4) max_value(1.0) : tensor<3xf32>
  return %0, %1 : tensor<5xf32>, tensor<3xf32>
}

// -----

// Non-constant inputs stay.
// CHECK-LABEL: func @not_constant
// CHECK: qe.fake_quant
// CHECK: qe.po2_quant
func.func @not_constant(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qe.fake_quant %x bits(8) scales([0.5]) zero_points([0]) rounding(rne) : tensor<4xf32>
  %1 = qe.po2_quant %0 bits(4) : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// Observers are probes: the canonicalizer neither erases an unused one nor
// merges two identical ones.
// CHECK-LABEL: func @observers_survive
// CHECK: qe.observe %arg0 id("a")
// CHECK: qe.observe %arg0 id("b")
func.func @observers_survive(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qe.observe %x id("a") : tensor<4xf32>
  %1 = qe.observe %x id("b") : tensor<4xf32>
  return %x : tensor<4xf32>
}
