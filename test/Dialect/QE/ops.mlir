// RUN: quant-opt %s | FileCheck %s
// Round trip: the printed form parses back to the same IR.
// RUN: quant-opt %s | quant-opt | FileCheck %s
// The generic form carries the same attributes.
// RUN: quant-opt %s -mlir-print-op-generic | quant-opt | FileCheck %s

// CHECK-LABEL: func @fake_quant_per_tensor
func.func @fake_quant_per_tensor(%x: tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> {
  // CHECK: qe.fake_quant %{{.*}} bits(8) scales([0.125]) zero_points([-3]) rounding(rne) : tensor<1x4x4x8xf32>
  %0 = qe.fake_quant %x bits(8) scales([0.125]) zero_points([-3]) rounding(rne) : tensor<1x4x4x8xf32>
  return %0 : tensor<1x4x4x8xf32>
}

// CHECK-LABEL: func @fake_quant_per_axis_narrow
func.func @fake_quant_per_axis_narrow(%w: tensor<2x3x3x4xf32>) -> tensor<2x3x3x4xf32> {
  // CHECK: qe.fake_quant %{{.*}} bits(4) narrow_range axis(0) scales([0.1, 0.02]) zero_points([0, 0]) rounding(rhaz)
  %0 = qe.fake_quant %w bits(4) narrow_range axis(0) scales([0.1, 0.02]) zero_points([0, 0]) rounding(rhaz) : tensor<2x3x3x4xf32>
  return %0 : tensor<2x3x3x4xf32>
}

// CHECK-LABEL: func @fake_quant_unsigned_16bit
func.func @fake_quant_unsigned_16bit(%x: tensor<?x10xf16>) -> tensor<?x10xf16> {
  // CHECK: qe.fake_quant %{{.*}} unsigned bits(16) scales([0.0003]) zero_points([32768]) rounding(rhu) : tensor<?x10xf16>
  %0 = qe.fake_quant %x unsigned bits(16) scales([3.0e-4]) zero_points([32768]) rounding(rhu) : tensor<?x10xf16>
  return %0 : tensor<?x10xf16>
}

// CHECK-LABEL: func @fake_quant_two_bits_bf16
func.func @fake_quant_two_bits_bf16(%x: tensor<4xbf16>) -> tensor<4xbf16> {
  // CHECK: qe.fake_quant %{{.*}} bits(2) scales([0.5]) zero_points([-2]) rounding(rne) : tensor<4xbf16>
  %0 = qe.fake_quant %x bits(2) scales([0.5]) zero_points([-2]) rounding(rne) : tensor<4xbf16>
  return %0 : tensor<4xbf16>
}

// CHECK-LABEL: func @po2_quant
func.func @po2_quant(%x: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  // CHECK: qe.po2_quant %{{.*}} bits(4) : tensor<16xf32>
  %0 = qe.po2_quant %x bits(4) : tensor<16xf32>
  // CHECK: qe.po2_quant %{{.*}} bits(8) max_value(1.000000e+00) : tensor<16xf32>
  %1 = qe.po2_quant %x bits(8) max_value(1.0) : tensor<16xf32>
  return %0, %1 : tensor<16xf32>, tensor<16xf32>
}

// CHECK-LABEL: func @batch_norm
func.func @batch_norm(%x: tensor<1x8x8x16xf32>, %g: tensor<16xf32>, %b: tensor<16xf32>,
                      %m: tensor<16xf32>, %v: tensor<16xf32>) -> tensor<1x8x8x16xf32> {
  // CHECK: qe.batch_norm %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} axis(3) epsilon(1.000000e-05) : tensor<1x8x8x16xf32>, tensor<16xf32>
  %0 = qe.batch_norm %x, %g, %b, %m, %v axis(3) epsilon(1.0e-5) : tensor<1x8x8x16xf32>, tensor<16xf32>
  return %0 : tensor<1x8x8x16xf32>
}

// CHECK-LABEL: func @observe
func.func @observe(%x: tensor<1x10xf32>) -> tensor<1x10xf32> {
  // CHECK: qe.observe %{{.*}} id("fc/Gemm:0") : tensor<1x10xf32>
  %0 = qe.observe %x id("fc/Gemm:0") : tensor<1x10xf32>
  // CHECK: qe.observe %{{.*}} id("softmax:0") : tensor<1x10xf32>
  %1 = qe.observe %0 id("softmax:0") : tensor<1x10xf32>
  return %1 : tensor<1x10xf32>
}

// Scales survive a round trip bit for bit: the default dense-array printer
// would print 7 significant digits and turn 1e-50 into 0.
// CHECK-LABEL: func @scales_round_trip_exactly
func.func @scales_round_trip_exactly(%x: tensor<3xf64>) -> tensor<3xf64> {
  // CHECK: scales([0.01234567891234]) zero_points([0])
  %0 = qe.fake_quant %x bits(8) scales([0.01234567891234]) zero_points([0]) rounding(rne) : tensor<3xf64>
  // CHECK: scales([1.0e-50]) zero_points([0])
  %1 = qe.fake_quant %0 bits(8) scales([1.0e-50]) zero_points([0]) rounding(rne) : tensor<3xf64>
  // CHECK: scales([0.30000000000000004]) zero_points([0])
  %2 = qe.fake_quant %1 bits(8) scales([0.30000000000000004]) zero_points([0]) rounding(rne) : tensor<3xf64>
  return %2 : tensor<3xf64>
}

// The integer boundary of a lowered model; a scale that is not a short
// decimal survives the round trip (the f32 nearest 0.1).
// CHECK-LABEL: func @integer_boundary
// CHECK: %[[Q:.*]] = qe.quantize %arg0 scale(0.10000000149011612) zero_point(-118) range(-128, 127) rounding(rne) : tensor<2x3xf32> -> tensor<2x3xi8>
// CHECK: qe.dequantize %[[Q]] scale(0.10000000149011612) zero_point(-118) : tensor<2x3xi8> -> tensor<2x3xf32>
// CHECK: qe.quantize %{{.*}} scale(2.500000e-01) zero_point(0) range(-32767, 32767) rounding(rhaz) : tensor<2x3xf32> -> tensor<2x3xi16>
func.func @integer_boundary(%x: tensor<2x3xf32>) -> tensor<2x3xi16> {
  %q = qe.quantize %x scale(0.10000000149011612) zero_point(-118) range(-128, 127) rounding(rne) : tensor<2x3xf32> -> tensor<2x3xi8>
  %y = qe.dequantize %q scale(0.10000000149011612) zero_point(-118) : tensor<2x3xi8> -> tensor<2x3xf32>
  %w = qe.quantize %y scale(0.25) zero_point(0) range(-32767, 32767) rounding(rhaz) : tensor<2x3xf32> -> tensor<2x3xi16>
  return %w : tensor<2x3xi16>
}
