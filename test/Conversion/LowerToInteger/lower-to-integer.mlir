// RUN: quant-opt %s -split-input-file -qe-lower-to-integer -verify-diagnostics | FileCheck %s
// RUN: quant-opt %s -split-input-file -qe-lower-to-integer=tosa-conformant-rescale -verify-diagnostics | FileCheck %s --check-prefix=CONFORMANT

// Input grid Δ 0.5, z -1; weights per channel Δ [0.25, 0.125]: [1, -0.5]
// -> q [4, -4]. Accumulator scales 0.5·Δw = [0.125, 0.0625]; bias [0.75,
// 0.3] -> [6, RHAZ(4.8) = 5]. Output Δ 0.0625: M = [2, 1] = 0.5·2^2 and
// 0.5·2^1 -> multiplier 2^30, shifts 31 - 2 = 29 and 30. ReLU6 bounds:
// round(0 / 0.0625) - 128 = -128 and round(6 / 0.0625) - 128 = -32.
// CHECK-LABEL: func @conv_relu6
// CHECK: %[[X:.*]] = qe.quantize %arg0 scale(5.000000e-01) zero_point(-1) range(-128, 127) rounding(rne) : tensor<1x2x2x1xf32> -> tensor<1x2x2x1xi8>
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}4]]], {{\[\[\[}}-4]]]]> : tensor<2x1x1x1xi8>}> {qe.bits = 8 : i32}
// CHECK-DAG: %[[XZP:.*]] = "tosa.const"() <{values = dense<-1> : tensor<1xi8>}>
// CHECK-DAG: %[[WZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
// CHECK-DAG: %[[B:.*]] = "tosa.const"() <{values = dense<[6, 5]> : tensor<2xi32>}>
// CHECK: %[[ACC:.*]] = tosa.conv2d %[[X]], %[[W]], %[[B]], %[[XZP]], %[[WZP]] {acc_type = i32, {{.*}}} : {{.*}} -> tensor<1x2x2x2xi32>
// CHECK-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<2xi32>}>
// CHECK-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<[29, 30]> : tensor<2xi8>}>
// CHECK-DAG: %[[IZ:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}>
// CHECK-DAG: %[[OZ:.*]] = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}>
// CHECK: %[[R:.*]] = tosa.rescale %[[ACC]], %[[M]], %[[S]], %[[IZ]], %[[OZ]] {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = SINGLE_ROUND, scale32 = true}
// CHECK: %[[C:.*]] = tosa.clamp %[[R]] {max_val = -32 : i8, min_val = -128 : i8}
// CHECK: %[[Y:.*]] = qe.dequantize %[[C]] scale(6.250000e-02) zero_point(-128) : tensor<1x2x2x2xi8> -> tensor<1x2x2x2xf32>
// CHECK: return %[[Y]]
// CHECK-NOT: tosa.conv2d
// CHECK-NOT: qe.fake_quant
func.func @conv_relu6(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32> {
  %xq = qe.fake_quant %x bits(8) scales([0.5]) zero_points([-1]) rounding(rne) : tensor<1x2x2x1xf32>
  %w = "tosa.const"() {values = dense<[[[[1.0]]], [[[-0.5]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %wq = qe.fake_quant %w bits(8) narrow_range axis(0) scales([0.25, 0.125]) zero_points([0, 0]) rounding(rne) : tensor<2x1x1x1xf32>
  %b = "tosa.const"() {values = dense<[0.75, 0.3]> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %xq, %wq, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %r = tosa.clamp %c {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %y = qe.fake_quant %r bits(8) scales([0.0625]) zero_points([-128]) rounding(rne) : tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// TFLite's add: 2·max(0.5, 0.25) = 1. Inputs to i32 at 2^20 per unit:
// 0.5·2^20 = 0.5·2^20 (multiplier 2^30, shift 31 - 20 = 11) and 0.25·2^20
// (shift 12); the sum back at 1 / (2^20 · 1) = 0.5·2^-19 (shift 50).
// CHECK-LABEL: func @residual_add
// CHECK: %[[A:.*]] = qe.quantize %arg0 scale(5.000000e-01) zero_point(3)
// CHECK: %[[B:.*]] = qe.quantize %arg1 scale(2.500000e-01) zero_point(0)
// CHECK: %[[S11:.*]] = "tosa.const"() <{values = dense<11> : tensor<1xi8>}>
// CHECK: %[[Z3:.*]] = "tosa.const"() <{values = dense<3> : tensor<1xi8>}>
// CHECK: %[[A32:.*]] = tosa.rescale %[[A]], %{{.*}}, %[[S11]], %[[Z3]], %{{.*}} {{.*}}per_channel = false{{.*}} -> tensor<1x4xi32>
// CHECK: %[[S12:.*]] = "tosa.const"() <{values = dense<12> : tensor<1xi8>}>
// CHECK: %[[B32:.*]] = tosa.rescale %[[B]], %{{.*}}, %[[S12]], {{.*}} -> tensor<1x4xi32>
// CHECK: %[[SUM:.*]] = tosa.add %[[A32]], %[[B32]] : (tensor<1x4xi32>, tensor<1x4xi32>) -> tensor<1x4xi32>
// CHECK: %[[S50:.*]] = "tosa.const"() <{values = dense<50> : tensor<1xi8>}>
// CHECK: %[[Q:.*]] = tosa.rescale %[[SUM]], %{{.*}}, %[[S50]], {{.*}} -> tensor<1x4xi8>
// CHECK: qe.dequantize %[[Q]] scale(1.000000e+00) zero_point(0)
func.func @residual_add(%x: tensor<1x4xf32>, %y: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %a = qe.fake_quant %x bits(8) scales([0.5]) zero_points([3]) rounding(rne) : tensor<1x4xf32>
  %b = qe.fake_quant %y bits(8) scales([0.25]) zero_points([0]) rounding(rne) : tensor<1x4xf32>
  %s = tosa.add %a, %b : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %q = qe.fake_quant %s bits(8) scales([1.0]) zero_points([0]) rounding(rne) : tensor<1x4xf32>
  return %q : tensor<1x4xf32>
}

// -----

// A global average pool sums in i32, removes 4 zero points (4·3 = 12) and
// rescales once by 0.5 / (4 · 0.25) = 0.5 = 0.5·2^0: shift 31.
// CHECK-LABEL: func @global_average_pool
// CHECK: %[[X:.*]] = qe.quantize %arg0
// CHECK: %[[W:.*]] = tosa.cast %[[X]] : (tensor<1x2x2x3xi8>) -> tensor<1x2x2x3xi32>
// CHECK: %[[H:.*]] = tosa.reduce_sum %[[W]] {axis = 1 : i32} : (tensor<1x2x2x3xi32>) -> tensor<1x1x2x3xi32>
// CHECK: %[[S:.*]] = tosa.reduce_sum %[[H]] {axis = 2 : i32} : (tensor<1x1x2x3xi32>) -> tensor<1x1x1x3xi32>
// CHECK: %[[N:.*]] = "tosa.const"() <{values = dense<12> : tensor<1x1x1x1xi32>}>
// CHECK: %[[D:.*]] = tosa.sub %[[S]], %[[N]]
// CHECK-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[SH:.*]] = "tosa.const"() <{values = dense<31> : tensor<1xi8>}>
// CHECK: tosa.rescale %[[D]], %[[M]], %[[SH]]
// CHECK-NOT: tosa.avg_pool2d
func.func @global_average_pool(%x: tensor<1x2x2x3xf32>) -> tensor<1x1x1x3xf32> {
  %a = qe.fake_quant %x bits(8) scales([0.5]) zero_points([3]) rounding(rne) : tensor<1x2x2x3xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %p = tosa.avg_pool2d %a, %zp, %zp {acc_type = f32, kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x3xf32>
  %q = qe.fake_quant %p bits(8) scales([0.25]) zero_points([0]) rounding(rne) : tensor<1x1x1x3xf32>
  return %q : tensor<1x1x1x3xf32>
}

// -----

// A fully connected layer: matmul, reshape, bias add. Weight scales per
// output [1, 0.5, 0.25] (input Δ 1), so the bias [1, 0.5, 0.3] becomes
// [1, 1, RHAZ(1.2) = 1] on the i32 accumulator, after the reshape. Output
// Δ 0.5: M = [2, 1, 0.5] -> shifts [29, 30, 31].
// CHECK-LABEL: func @fully_connected
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[}}1, 4, 4], [2, -2, 8]]]> : tensor<1x2x3xi8>}> {qe.bits = 8 : i32}
// CHECK: %[[MM:.*]] = tosa.matmul %{{.*}}, %[[W]], %{{.*}}, %{{.*}} : {{.*}} -> tensor<1x1x3xi32>
// CHECK: %[[R:.*]] = tosa.reshape %[[MM]], %{{.*}} : (tensor<1x1x3xi32>, !tosa.shape<2>) -> tensor<1x3xi32>
// CHECK: %[[B:.*]] = "tosa.const"() <{values = dense<1> : tensor<1x3xi32>}>
// CHECK: %[[ACC:.*]] = tosa.add %[[R]], %[[B]]
// CHECK: %[[S:.*]] = "tosa.const"() <{values = dense<[29, 30, 31]> : tensor<3xi8>}>
// CHECK: tosa.rescale %[[ACC]], %{{.*}}, %[[S]], {{.*}}per_channel = true
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
  %q = qe.fake_quant %y bits(8) scales([0.5]) zero_points([0]) rounding(rne) : tensor<1x3xf32>
  return %q : tensor<1x3xf32>
}

// -----

// An unsigned 8-bit grid is stored as i8 with its zero point moved by -128
// (10 -> -118); the scale is the f32 the simulation divides by. The sigmoid has no integer form: it stays in float between
// a dequantize and a quantize. The transpose before the first quantizer
// moves after it and runs on i8.
// CHECK-LABEL: func @float_island
// CHECK: %[[Q:.*]] = qe.quantize %arg0 scale(0.10000000149011612) zero_point(-118) range(-128, 127) rounding(rne) : tensor<1x2x4xf32> -> tensor<1x2x4xi8>
// CHECK: %[[T:.*]] = tosa.transpose %[[Q]] {perms = array<i32: 0, 2, 1>} : (tensor<1x2x4xi8>) -> tensor<1x4x2xi8>
// CHECK: %[[D:.*]] = qe.dequantize %[[T]] scale(0.10000000149011612) zero_point(-118)
// CHECK: %[[S:.*]] = tosa.sigmoid %[[D]]
// CHECK: %[[Q2:.*]] = qe.quantize %[[S]] scale(3.906250e-03) zero_point(-128)
// CHECK: qe.dequantize %[[Q2]]
func.func @float_island(%x: tensor<1x2x4xf32>) -> tensor<1x4x2xf32> {
  %t = tosa.transpose %x {perms = array<i32: 0, 2, 1>} : (tensor<1x2x4xf32>) -> tensor<1x4x2xf32>
  %a = qe.fake_quant %t unsigned bits(8) scales([0.1]) zero_points([10]) rounding(rne) : tensor<1x4x2xf32>
  // expected-remark @below {{stays in float simulation: no integer lowering for this op}}
  %s = tosa.sigmoid %a : (tensor<1x4x2xf32>) -> tensor<1x4x2xf32>
  %q = qe.fake_quant %s unsigned bits(8) scales([0.00390625]) zero_points([0]) rounding(rne) : tensor<1x4x2xf32>
  return %q : tensor<1x4x2xf32>
}

// -----

// A convolution whose weight is not quantized stays float, and says why.
// CHECK-LABEL: func @float_weight
// CHECK: tosa.conv2d {{.*}} {acc_type = f32
func.func @float_weight(%x: tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32> {
  %xq = qe.fake_quant %x bits(8) scales([0.5]) zero_points([0]) rounding(rne) : tensor<1x1x1x1xf32>
  %w = "tosa.const"() {values = dense<1.0> : tensor<1x1x1x1xf32>} : () -> tensor<1x1x1x1xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  // expected-remark @below {{stays in float simulation: its weight is not a fake-quantized constant}}
  %c = tosa.conv2d %xq, %w, %b, %b, %b {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32>
  %y = qe.fake_quant %c bits(8) scales([0.5]) zero_points([0]) rounding(rne) : tensor<1x1x1x1xf32>
  return %y : tensor<1x1x1x1xf32>
}

// -----

// A per-axis activation grid has no integer form here.
func.func @per_axis_activation(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  // expected-remark @below {{stays in float simulation: per-axis activation quantization has no integer form here}}
  %a = qe.fake_quant %x bits(8) axis(1) scales([0.5, 0.25]) zero_points([0, 0]) rounding(rne) : tensor<1x2xf32>
  return %a : tensor<1x2xf32>
}

// -----

// Requantizing from Δ 1e-12 to Δ 1 needs M = 1e-12 ≈ 0.55·2^-39, a shift
// of 70: an error naming the op, never a clamped scale.
func.func @shift_out_of_range(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{requantization scale 1.000000e-12 cannot be represented by tosa.rescale (a 31-bit multiplier needs a shift in [2, 62])}}
  %a = qe.fake_quant %x bits(8) scales([1.0e-12]) zero_points([0]) rounding(rne) : tensor<4xf32>
  %b = qe.fake_quant %a bits(8) scales([1.0]) zero_points([0]) rounding(rne) : tensor<4xf32>
  return %b : tensor<4xf32>
}

// -----

// A float model: nothing to lower, nothing changed.
// CHECK-LABEL: func @float_model
// CHECK-NEXT: tosa.sigmoid
// expected-remark @below {{no activation fake quants: nothing to lower to integer}}
func.func @float_model(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = tosa.sigmoid %x : (tensor<4xf32>) -> tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

// Pools and a concat on the integers. The max pool keeps its grid (no
// rescale); the 2x2 average pool is TOSA's integer pool on the input grid
// (zero points 0), then a rescale by 0.5 / 0.25 = 2 (shift 29); the concat
// brings that half back to Δ 0.5 (M = 0.5, shift 31) and keeps the other.
// CHECK-LABEL: func @pools_and_concat
// CHECK: %[[X:.*]] = qe.quantize %arg0
// CHECK: %[[MAX:.*]] = tosa.max_pool2d %[[X]] {{.*}} -> tensor<1x2x2x1xi8>
// CHECK: %[[AVG:.*]] = tosa.avg_pool2d %[[X]], {{.*}}acc_type = i32{{.*}} -> tensor<1x2x2x1xi8>
// CHECK: %[[S29:.*]] = "tosa.const"() <{values = dense<29> : tensor<1xi8>}>
// CHECK: %[[A:.*]] = tosa.rescale %[[AVG]], %{{.*}}, %[[S29]]
// CHECK: %[[S31:.*]] = "tosa.const"() <{values = dense<31> : tensor<1xi8>}>
// CHECK: %[[B:.*]] = tosa.rescale %[[A]], %{{.*}}, %[[S31]]
// CHECK: tosa.concat %[[MAX]], %[[B]] {axis = 3 : i32} : (tensor<1x2x2x1xi8>, tensor<1x2x2x1xi8>) -> tensor<1x2x2x2xi8>
func.func @pools_and_concat(%x: tensor<1x4x4x1xf32>) -> tensor<1x2x2x2xf32> {
  %a = qe.fake_quant %x bits(8) scales([0.5]) zero_points([0]) rounding(rne) : tensor<1x4x4x1xf32>
  %m = tosa.max_pool2d %a {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x1xf32>) -> tensor<1x2x2x1xf32>
  %mq = qe.fake_quant %m bits(8) scales([0.5]) zero_points([0]) rounding(rne) : tensor<1x2x2x1xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %p = tosa.avg_pool2d %a, %zp, %zp {acc_type = f32, kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32>
  %pq = qe.fake_quant %p bits(8) scales([0.25]) zero_points([0]) rounding(rne) : tensor<1x2x2x1xf32>
  %c = tosa.concat %mq, %pq {axis = 3 : i32} : (tensor<1x2x2x1xf32>, tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32>
  %cq = qe.fake_quant %c bits(8) scales([0.5]) zero_points([0]) rounding(rne) : tensor<1x2x2x2xf32>
  return %cq : tensor<1x2x2x2xf32>
}

// -----

// 16x8: i16 input (zero point 0), i8 weight 1.0 / 0.25 = 4, i48 bias and
// accumulator (TOSA's), M = 0.001 · 0.25 / 0.001 = 0.25 = 0.5·2^-1. The
// accumulator is bounded by 4 · 32768 < 2^31, so the 31-bit multiplier
// (2^30, shift 32) is exact in 64 bits; TOSA 1.0's conformant form has a
// 16-bit one: 2^14, shift 15 + 1 = 16.
// CHECK-LABEL: func @int16_activations
// CHECK: %[[X:.*]] = qe.quantize %arg0 {{.*}} -> tensor<1x1x1x1xi16>
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<4> : tensor<1x1x1x1xi8>}>
// CHECK-DAG: %[[XZ:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi16>}>
// CHECK-DAG: %[[B:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi48>}>
// CHECK: %[[ACC:.*]] = tosa.conv2d %[[X]], %[[W]], %[[B]], %[[XZ]], %{{.*}} {acc_type = i48, {{.*}} -> tensor<1x1x1x1xi48>
// CHECK-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<32> : tensor<1xi8>}>
// CHECK: tosa.rescale %[[ACC]], %[[M]], %[[S]], {{.*}}scale32 = true} : (tensor<1x1x1x1xi48>, {{.*}}) -> tensor<1x1x1x1xi16>
// CONFORMANT-LABEL: func @int16_activations
// CONFORMANT-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<16384> : tensor<1xi16>}>
// CONFORMANT-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<16> : tensor<1xi8>}>
// CONFORMANT: tosa.rescale %{{.*}}, %[[M]], %[[S]], {{.*}}scale32 = false
func.func @int16_activations(%x: tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32> {
  %xq = qe.fake_quant %x bits(16) scales([0.001]) zero_points([0]) rounding(rne) : tensor<1x1x1x1xf32>
  %w = "tosa.const"() {values = dense<1.0> : tensor<1x1x1x1xf32>} : () -> tensor<1x1x1x1xf32>
  %wq = qe.fake_quant %w bits(8) narrow_range scales([0.25]) zero_points([0]) rounding(rne) : tensor<1x1x1x1xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %xq, %wq, %b, %b, %b {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32>
  %y = qe.fake_quant %c bits(16) scales([0.001]) zero_points([0]) rounding(rne) : tensor<1x1x1x1xf32>
  return %y : tensor<1x1x1x1xf32>
}

// -----

// A 16-bit input with a zero point cannot feed TOSA's 16x8 convolution.
// CHECK-LABEL: func @int16_zero_point
// CHECK: tosa.conv2d {{.*}}acc_type = f32
func.func @int16_zero_point(%x: tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32> {
  %xq = qe.fake_quant %x bits(16) scales([0.001]) zero_points([7]) rounding(rne) : tensor<1x1x1x1xf32>
  %w = "tosa.const"() {values = dense<1.0> : tensor<1x1x1x1xf32>} : () -> tensor<1x1x1x1xf32>
  %wq = qe.fake_quant %w bits(8) narrow_range scales([0.25]) zero_points([0]) rounding(rne) : tensor<1x1x1x1xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  // expected-remark @below {{stays in float simulation: its 16-bit input has a zero point (TOSA needs 0 there)}}
  %c = tosa.conv2d %xq, %wq, %b, %b, %b {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32>
  %y = qe.fake_quant %c bits(16) scales([0.001]) zero_points([0]) rounding(rne) : tensor<1x1x1x1xf32>
  return %y : tensor<1x1x1x1xf32>
}

// -----

// A slice (the importer's crop before a strided 1x1 shortcut) moves
// integers like a transpose; the same grid on both sides needs no rescale.
// CHECK-LABEL: func @slice
// CHECK: %[[X:.*]] = qe.quantize %arg0
// CHECK: %[[S:.*]] = tosa.slice %[[X]], %{{.*}}, %{{.*}} : (tensor<1x4x4x1xi8>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x2x2x1xi8>
// CHECK-NOT: tosa.rescale
// CHECK: qe.dequantize %[[S]] scale(5.000000e-01) zero_point(0)
func.func @slice(%x: tensor<1x4x4x1xf32>) -> tensor<1x2x2x1xf32> {
  %a = qe.fake_quant %x bits(8) scales([0.5]) zero_points([0]) rounding(rne) : tensor<1x4x4x1xf32>
  %start = tosa.const_shape {values = dense<[0, 1, 1, 0]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %size = tosa.const_shape {values = dense<[1, 2, 2, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %s = tosa.slice %a, %start, %size : (tensor<1x4x4x1xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x2x2x1xf32>
  %q = qe.fake_quant %s bits(8) scales([0.5]) zero_points([0]) rounding(rne) : tensor<1x2x2x1xf32>
  return %q : tensor<1x2x2x1xf32>
}

// -----

// A max pool with no quantizer of its own (ptq-int8 places none) is on its
// input's grid: it runs on the integers, and the convolution it feeds stays
// integer, reading Δ 0.5, z -1 through it (weight 1.0 / 0.25 = 4; output
// M = 0.5 · 0.25 / 0.125 = 1 = 0.5·2^1, shift 30).
// CHECK-LABEL: func @conv_after_max_pool
// CHECK: %[[X:.*]] = qe.quantize %arg0 scale(5.000000e-01) zero_point(-1)
// CHECK: %[[MAX:.*]] = tosa.max_pool2d %[[X]] {{.*}} -> tensor<1x2x2x1xi8>
// CHECK: %[[ACC:.*]] = tosa.conv2d %[[MAX]], {{.*}}acc_type = i32{{.*}} -> tensor<1x2x2x1xi32>
// CHECK: tosa.rescale %[[ACC]]
// CHECK-NOT: xf32>) -> tensor<{{.*}}xf32>
func.func @conv_after_max_pool(%x: tensor<1x4x4x1xf32>) -> tensor<1x2x2x1xf32> {
  %xq = qe.fake_quant %x bits(8) scales([0.5]) zero_points([-1]) rounding(rne) : tensor<1x4x4x1xf32>
  %m = tosa.max_pool2d %xq {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x1xf32>) -> tensor<1x2x2x1xf32>
  %w = "tosa.const"() {values = dense<[[[[1.0]]]]> : tensor<1x1x1x1xf32>} : () -> tensor<1x1x1x1xf32>
  %wq = qe.fake_quant %w bits(8) narrow_range axis(0) scales([0.25]) zero_points([0]) rounding(rne) : tensor<1x1x1x1xf32>
  %b = "tosa.const"() {values = dense<[0.0]> : tensor<1xf32>} : () -> tensor<1xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %m, %wq, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32>
  %y = qe.fake_quant %c bits(8) scales([0.125]) zero_points([0]) rounding(rne) : tensor<1x2x2x1xf32>
  return %y : tensor<1x2x2x1xf32>
}
// -----

// ONNX's average pools that count the padding import as a pad with 0 and an
// unpadded pool: the pad runs on the integers with 0's code, the zero point
// -1, and the pool is TOSA's integer pool (input zero point -1; output
// M = 0.5 / 0.25 = 2, shift 29).
// CHECK-LABEL: func @avg_pool_counting_padding
// CHECK: %[[X:.*]] = qe.quantize %arg0 scale(5.000000e-01) zero_point(-1)
// CHECK: %[[Z:.*]] = "tosa.const"() <{values = dense<-1> : tensor<1xi8>}>
// CHECK: %[[P:.*]] = tosa.pad %[[X]], %{{.*}}, %[[Z]] : {{.*}} -> tensor<1x4x4x1xi8>
// CHECK: %[[AVG:.*]] = tosa.avg_pool2d %[[P]], {{.*}}acc_type = i32{{.*}} -> tensor<1x2x2x1xi8>
// CHECK: %[[S29:.*]] = "tosa.const"() <{values = dense<29> : tensor<1xi8>}>
// CHECK: tosa.rescale %[[AVG]], %{{.*}}, %[[S29]]
// CHECK-NOT: xf32>) -> tensor<{{.*}}xf32>
func.func @avg_pool_counting_padding(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x1xf32> {
  %a = qe.fake_quant %x bits(8) scales([0.5]) zero_points([-1]) rounding(rne) : tensor<1x2x2x1xf32>
  %shape = tosa.const_shape {values = dense<[0, 0, 1, 1, 1, 1, 0, 0]> : tensor<8xindex>} : () -> !tosa.shape<8>
  %zero = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %p = tosa.pad %a, %shape, %zero : (tensor<1x2x2x1xf32>, !tosa.shape<8>, tensor<1xf32>) -> tensor<1x4x4x1xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %avg = tosa.avg_pool2d %p, %zp, %zp {acc_type = f32, kernel = array<i64: 3, 3>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32>
  %y = qe.fake_quant %avg bits(8) scales([0.25]) zero_points([0]) rounding(rne) : tensor<1x2x2x1xf32>
  return %y : tensor<1x2x2x1xf32>
}

// -----

// A pad value off the grid (0.3 with Δ 0.5) has no integer code: the pad
// and the pool stay in float, and their result is quantized.
// CHECK-LABEL: func @pad_off_grid
// CHECK: tosa.pad {{.*}} -> tensor<1x4x4x1xf32>
// CHECK: qe.quantize
func.func @pad_off_grid(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x1xf32> {
  %a = qe.fake_quant %x bits(8) scales([0.5]) zero_points([-1]) rounding(rne) : tensor<1x2x2x1xf32>
  %shape = tosa.const_shape {values = dense<[0, 0, 1, 1, 1, 1, 0, 0]> : tensor<8xindex>} : () -> !tosa.shape<8>
  %v = "tosa.const"() {values = dense<0.3> : tensor<1xf32>} : () -> tensor<1xf32>
  // expected-remark @below {{stays in float simulation}}
  %p = tosa.pad %a, %shape, %v : (tensor<1x2x2x1xf32>, !tosa.shape<8>, tensor<1xf32>) -> tensor<1x4x4x1xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  // expected-remark @below {{stays in float simulation}}
  %avg = tosa.avg_pool2d %p, %zp, %zp {acc_type = f32, kernel = array<i64: 3, 3>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32>
  %y = qe.fake_quant %avg bits(8) scales([0.25]) zero_points([0]) rounding(rne) : tensor<1x2x2x1xf32>
  return %y : tensor<1x2x2x1xf32>
}
