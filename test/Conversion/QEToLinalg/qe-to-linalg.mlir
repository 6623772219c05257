// RUN: quant-opt %s -split-input-file -convert-qe-to-linalg | FileCheck %s
// RUN: quant-opt %s -split-input-file -convert-qe-to-linalg="erase-observers=false" -verify-diagnostics -o /dev/null

// Per tensor: the scale and the clamp bounds qmin - z, qmax - z are scalar
// constants: unsigned 8 bits with z = 3 gives [-3, 252].
// CHECK-LABEL: func @per_tensor
// CHECK-DAG: %[[S:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG: %[[LO:.*]] = arith.constant -3.000000e+00 : f32
// CHECK-DAG: %[[HI:.*]] = arith.constant 2.520000e+02 : f32
// CHECK: linalg.generic
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[Q:.*]] = arith.divf %[[X]], %[[S]] : f32
// CHECK: %[[R:.*]] = math.roundeven %[[Q]] : f32
// CHECK: %[[A:.*]] = arith.maximumf %[[R]], %[[LO]] : f32
// CHECK: %[[B:.*]] = arith.minimumf %[[A]], %[[HI]] : f32
// CHECK: %[[Y:.*]] = arith.mulf %[[S]], %[[B]] : f32
// CHECK: linalg.yield %[[Y]]
func.func @per_tensor(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = qe.fake_quant %x unsigned bits(8) scales([0.5]) zero_points([3]) rounding(rne) : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Per axis: the parameters are 1-D constants indexed by the axis; f16
// computes in f32. RHAZ is math.round.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[AX:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func @per_axis
// CHECK-DAG: arith.constant dense<[2.500000e-01, 1.000000e+00]> : tensor<2xf32>
// CHECK-DAG: arith.constant dense<-1.270000e+02> : tensor<2xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[AX]], #[[AX]], #[[AX]], #[[ID]]]
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: math.round
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @per_axis(%x: tensor<3x2xf16>) -> tensor<3x2xf16> {
  %0 = qe.fake_quant %x bits(8) narrow_range axis(1) scales([0.25, 1.0]) zero_points([0, 0]) rounding(rhaz) : tensor<3x2xf16>
  return %0 : tensor<3x2xf16>
}

// -----

// Round half up is floor plus a comparison of the fraction with 1/2.
// CHECK-LABEL: func @half_up
// CHECK: %[[F:.*]] = math.floor %[[Q:.*]] : f32
// CHECK: %[[FR:.*]] = arith.subf %[[Q]], %[[F]] : f32
// CHECK: %[[UP:.*]] = arith.cmpf oge, %[[FR]], %{{.*}} : f32
// CHECK: arith.select %[[UP]]
func.func @half_up(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qe.fake_quant %x bits(4) scales([0.5]) zero_points([0]) rounding(rhu) : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// po2 works in f64: exponents from log2, rounded to even, clamped to
// [-4, 3] for 4 bits; |x| < 1e-7 takes the smallest exponent.
// CHECK-LABEL: func @po2
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: math.log2 %{{.*}} : f64
// CHECK: math.roundeven %{{.*}} : f64
// CHECK: math.exp2 %{{.*}} : f64
// CHECK: arith.truncf %{{.*}} : f64 to f32
func.func @po2(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qe.po2_quant %x bits(4) : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// batch_norm: (x - mean) * scale / sqrt(var + eps) + offset per channel.
// CHECK-LABEL: func @batch_norm
// CHECK: linalg.generic
// CHECK: math.sqrt
// CHECK-NOT: qe.batch_norm
func.func @batch_norm(%x: tensor<1x2x2x3xf32>, %p: tensor<3xf32>) -> tensor<1x2x2x3xf32> {
  %0 = qe.batch_norm %x, %p, %p, %p, %p axis(3) epsilon(1.0e-5) : tensor<1x2x2x3xf32>, tensor<3xf32>
  return %0 : tensor<1x2x2x3xf32>
}

// -----

// Observers disappear by default; with erase-observers=false they are an
// error, so that a calibration build never silently loses its probes.
// CHECK-LABEL: func @observe
// CHECK-NEXT: return %arg0
func.func @observe(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{has no execution lowering here}}
  %0 = qe.observe %x id("a") : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Constant statistics: scale / sqrt(variance + eps) is folded per channel:
// 2 / sqrt(3 + 1) = 1 and 6 / sqrt(8 + 1) = 2.
// CHECK-LABEL: func @batch_norm_constant
// CHECK: arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK: linalg.generic
// CHECK-NOT: math.sqrt
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @batch_norm_constant(%x: tensor<1x2xf32>, %p: tensor<2xf32>) -> tensor<1x2xf32> {
  %g = arith.constant dense<[2.0, 6.0]> : tensor<2xf32>
  %v = arith.constant dense<[3.0, 8.0]> : tensor<2xf32>
  %0 = qe.batch_norm %x, %g, %p, %p, %v axis(1) epsilon(1.0) : tensor<1x2xf32>, tensor<2xf32>
  return %0 : tensor<1x2xf32>
}

// -----

// Imported statistics are resource blobs (tosa.const): folded the same way.
// The blobs hold 2, 6 and 3, 8 as little-endian f32 after the 4-byte
// alignment header (0x40000000 is 2.0, 0x40C00000 is 6.0, 0x40400000 is 3.0,
// 0x41000000 is 8.0).
// CHECK-LABEL: func @batch_norm_resource
// CHECK: arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-NOT: math.sqrt
func.func @batch_norm_resource(%x: tensor<1x2xf32>, %p: tensor<2xf32>) -> tensor<1x2xf32> {
  %g = "tosa.const"() <{values = dense_resource<gamma> : tensor<2xf32>}> : () -> tensor<2xf32>
  %v = "tosa.const"() <{values = dense_resource<variance> : tensor<2xf32>}> : () -> tensor<2xf32>
  %0 = qe.batch_norm %x, %g, %p, %p, %v axis(1) epsilon(1.0) : tensor<1x2xf32>, tensor<2xf32>
  return %0 : tensor<1x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      gamma: "0x04000000000000400000C040",
      variance: "0x040000000000404000000041"
    }
  }
#-}

// -----

// qe.quantize: the fake quant's arithmetic up to the clamp (bounds
// qmin - z = -128 + 118 = -10 and qmax - z = 245), NaN to 0 before adding
// z back, then the conversion. The f32 scale is the attribute's value.
// CHECK-LABEL: func @quantize
// CHECK: linalg.generic
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: i8):
// CHECK: %[[S:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: %[[Q:.*]] = arith.divf %[[X]], %[[S]] : f32
// CHECK: %[[R:.*]] = math.roundeven %[[Q]] : f32
// CHECK: %[[LO:.*]] = arith.constant -1.000000e+01 : f32
// CHECK: %[[A:.*]] = arith.maximumf %[[R]], %[[LO]] : f32
// CHECK: %[[HI:.*]] = arith.constant 2.450000e+02 : f32
// CHECK: %[[B:.*]] = arith.minimumf %[[A]], %[[HI]] : f32
// CHECK: %[[NAN:.*]] = arith.cmpf uno, %[[X]], %[[X]] : f32
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[C:.*]] = arith.select %[[NAN]], %[[ZERO]], %[[B]] : f32
// CHECK: %[[ZP:.*]] = arith.constant -1.180000e+02 : f32
// CHECK: %[[D:.*]] = arith.addf %[[C]], %[[ZP]] : f32
// CHECK: %[[I:.*]] = arith.fptosi %[[D]] : f32 to i8
// CHECK: linalg.yield %[[I]] : i8
// CHECK-LABEL: func @dequantize
// CHECK: ^bb0(%[[Q:.*]]: i8, %{{.*}}: f32):
// CHECK: %[[W:.*]] = arith.extsi %[[Q]] : i8 to i32
// CHECK: %[[Z:.*]] = arith.constant -118 : i32
// CHECK: %[[D:.*]] = arith.subi %[[W]], %[[Z]] : i32
// CHECK: %[[F:.*]] = arith.sitofp %[[D]] : i32 to f32
// CHECK: %[[S:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: %[[Y:.*]] = arith.mulf %[[S]], %[[F]] : f32
// CHECK: linalg.yield %[[Y]] : f32
func.func @quantize(%x: tensor<2x3xf32>) -> tensor<2x3xi8> {
  %q = qe.quantize %x scale(0.5) zero_point(-118) range(-128, 127) rounding(rne) : tensor<2x3xf32> -> tensor<2x3xi8>
  return %q : tensor<2x3xi8>
}
func.func @dequantize(%q: tensor<2x3xi8>) -> tensor<2x3xf32> {
  %y = qe.dequantize %q scale(0.5) zero_point(-118) : tensor<2x3xi8> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
