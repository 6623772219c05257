// RUN: quant-opt %s -split-input-file -verify-diagnostics

func.func @bits_too_small(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{bits must be in [2, 16], got 1}}
  %0 = qe.fake_quant %x bits(1) scales([0.5]) zero_points([0]) rounding(rne) : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @bits_too_large(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{bits must be in [2, 16], got 17}}
  %0 = qe.fake_quant %x bits(17) scales([0.5]) zero_points([0]) rounding(rne) : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @scale_zero(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{scale #0 must be finite and positive, got 0}}
  %0 = qe.fake_quant %x bits(8) scales([0.0]) zero_points([0]) rounding(rne) : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @scale_negative(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{scale #1 must be finite and positive, got -5.000000e-01}}
  %0 = qe.fake_quant %x bits(8) axis(0) scales([0.5, -0.5]) zero_points([0, 0]) rounding(rne) : tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @scale_nan(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{scale #0 must be finite and positive, got nan}}
  %0 = qe.fake_quant %x bits(8) scales([0x7FF8000000000000]) zero_points([0]) rounding(rne) : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @scale_inf(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{scale #0 must be finite and positive, got INF}}
  %0 = qe.fake_quant %x bits(8) scales([0x7FF0000000000000]) zero_points([0]) rounding(rne) : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @scale_underflows_f32(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{scale #0 (1.000000e-50) is not a positive finite 'f32', the type this op computes in}}
  %0 = qe.fake_quant %x bits(8) scales([1.0e-50]) zero_points([0]) rounding(rne) : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// An f64 tensor computes in f64, where the same scale is fine.
func.func @tiny_scale_f64_ok(%x: tensor<4xf64>) -> tensor<4xf64> {
  %0 = qe.fake_quant %x bits(8) scales([1.0e-50]) zero_points([0]) rounding(rne) : tensor<4xf64>
  return %0 : tensor<4xf64>
}

// -----

func.func @zero_point_above_signed_range(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{zero point #0 (128) is outside the range [-128, 127] of signed 8-bit integers}}
  %0 = qe.fake_quant %x bits(8) scales([0.5]) zero_points([128]) rounding(rne) : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @zero_point_below_unsigned_range(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{zero point #0 (-1) is outside the range [0, 15] of unsigned 4-bit integers}}
  %0 = qe.fake_quant %x unsigned bits(4) scales([0.5]) zero_points([-1]) rounding(rne) : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @zero_point_outside_narrow_range(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{zero point #0 (-128) is outside the range [-127, 127] of narrow signed 8-bit integers}}
  %0 = qe.fake_quant %x bits(8) narrow_range scales([0.5]) zero_points([-128]) rounding(rne) : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @scale_zero_point_count_mismatch(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{has 2 scales but 1 zero points}}
  %0 = qe.fake_quant %x bits(8) axis(0) scales([0.5, 0.25]) zero_points([0]) rounding(rne) : tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @no_scales(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{needs at least one scale}}
  %0 = qe.fake_quant %x bits(8) scales([]) zero_points([]) rounding(rne) : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @per_tensor_with_many_scales(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{per-tensor quantization (no axis) takes one scale and zero point, got 2}}
  %0 = qe.fake_quant %x bits(8) scales([0.5, 0.25]) zero_points([0, 0]) rounding(rne) : tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @axis_out_of_range(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{axis 2 is out of range for a tensor of rank 2}}
  %0 = qe.fake_quant %x bits(8) axis(2) scales([0.5, 0.25]) zero_points([0, 0]) rounding(rne) : tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @axis_negative(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{axis -1 is out of range for a tensor of rank 2}}
  %0 = qe.fake_quant %x bits(8) axis(-1) scales([0.5, 0.25, 1.0, 1.0]) zero_points([0, 0, 0, 0]) rounding(rne) : tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @axis_dynamic(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{axis 0 has a dynamic size; per-axis quantization needs it static}}
  %0 = qe.fake_quant %x bits(8) axis(0) scales([0.5, 0.25]) zero_points([0, 0]) rounding(rne) : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @axis_size_mismatch(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{axis 0 has size 3 but 2 scales were given}}
  %0 = qe.fake_quant %x bits(8) axis(0) scales([0.5, 0.25]) zero_points([0, 0]) rounding(rne) : tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @fake_quant_of_integers(%x: tensor<4xi8>) -> tensor<4xi8> {
  // expected-error @+1 {{operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %0 = qe.fake_quant %x bits(8) scales([0.5]) zero_points([0]) rounding(rne) : tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @unknown_rounding(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'rounding' [rne, rhaz, rhu]}}
  %0 = qe.fake_quant %x bits(8) scales([0.5]) zero_points([0]) rounding(nearest) : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @po2_bits(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{bits must be in [2, 16], got 1}}
  %0 = qe.po2_quant %x bits(1) : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @po2_max_value_zero(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{max_value must be finite and positive, got 0}}
  %0 = qe.po2_quant %x bits(4) max_value(0.0) : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @po2_max_value_negative(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{max_value must be finite and positive, got -2}}
  %0 = qe.po2_quant %x bits(4) max_value(-2.0) : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @po2_max_value_inf(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{max_value must be finite and positive, got INF}}
  %0 = qe.po2_quant %x bits(4) max_value(0x7FF0000000000000) : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @batch_norm_axis(%x: tensor<1x4x4x8xf32>, %p: tensor<8xf32>) -> tensor<1x4x4x8xf32> {
  // expected-error @+1 {{axis 4 is out of range for a tensor of rank 4}}
  %0 = qe.batch_norm %x, %p, %p, %p, %p axis(4) epsilon(1.0e-5) : tensor<1x4x4x8xf32>, tensor<8xf32>
  return %0 : tensor<1x4x4x8xf32>
}

// -----

func.func @batch_norm_channel_count(%x: tensor<1x4x4x8xf32>, %p: tensor<4xf32>) -> tensor<1x4x4x8xf32> {
  // expected-error @+1 {{statistics have 4 values but axis 3 of the input has size 8}}
  %0 = qe.batch_norm %x, %p, %p, %p, %p axis(3) epsilon(1.0e-5) : tensor<1x4x4x8xf32>, tensor<4xf32>
  return %0 : tensor<1x4x4x8xf32>
}

// -----

func.func @batch_norm_element_type(%x: tensor<1x8xf32>, %p: tensor<8xf16>) -> tensor<1x8xf32> {
  // expected-error @+1 {{statistics have element type 'f16' but the input has 'f32'}}
  %0 = qe.batch_norm %x, %p, %p, %p, %p axis(1) epsilon(1.0e-5) : tensor<1x8xf32>, tensor<8xf16>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @batch_norm_epsilon(%x: tensor<1x8xf32>, %p: tensor<8xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{epsilon must be finite and non-negative, got -1.000000e-03}}
  %0 = qe.batch_norm %x, %p, %p, %p, %p axis(1) epsilon(-1.0e-3) : tensor<1x8xf32>, tensor<8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @batch_norm_negative_variance(%x: tensor<1x2xf32>, %p: tensor<2xf32>) -> tensor<1x2xf32> {
  %v = arith.constant dense<[1.0, -0.25]> : tensor<2xf32>
  // expected-error @+1 {{variance #1 must be non-negative, got -2.500000e-01}}
  %0 = qe.batch_norm %x, %p, %p, %p, %v axis(1) epsilon(1.0e-5) : tensor<1x2xf32>, tensor<2xf32>
  return %0 : tensor<1x2xf32>
}

// -----

func.func @batch_norm_mismatched_statistics(%x: tensor<1x2xf32>, %p: tensor<2xf32>, %q: tensor<3xf32>) -> tensor<1x2xf32> {
  // expected-error @+1 {{all of {scale, offset, mean, variance} have same type}}
  %0 = "qe.batch_norm"(%x, %p, %p, %q, %p) {axis = 1 : i64, epsilon = 1.0e-5 : f64} : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<3xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}

// -----

func.func @observe_empty_id(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{needs a non-empty id}}
  %0 = qe.observe %x id("") : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @observe_duplicate_id(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{id "conv1" is used by another qe.observe in the same function}}
  %0 = qe.observe %x id("conv1") : tensor<4xf32>
  %1 = qe.observe %0 id("conv1") : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// The same id in two functions is fine: ids are unique per function.
func.func @observe_a(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qe.observe %x id("conv1") : tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func @observe_b(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qe.observe %x id("conv1") : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @quantize_empty_range(%x: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error @below {{'qe.quantize' op range (10, -10) is empty}}
  %q = qe.quantize %x scale(0.5) zero_point(0) range(10, -10) rounding(rne) : tensor<4xf32> -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

func.func @quantize_range_beyond_type(%x: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error @below {{'qe.quantize' op qmax 255 does not fit 'i8' [-128, 127]}}
  %q = qe.quantize %x scale(0.5) zero_point(0) range(0, 255) rounding(rne) : tensor<4xf32> -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

func.func @quantize_zero_scale(%x: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error @below {{'qe.quantize' op scale must be a positive finite 'f32', got 0}}
  %q = qe.quantize %x scale(0.0) zero_point(0) range(-128, 127) rounding(rne) : tensor<4xf32> -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

func.func @dequantize_zero_point_beyond_type(%q: tensor<4xi8>) -> tensor<4xf32> {
  // expected-error @below {{'qe.dequantize' op zero_point -129 does not fit 'i8' [-128, 127]}}
  %y = qe.dequantize %q scale(0.5) zero_point(-129) : tensor<4xi8> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @dequantize_shape_mismatch(%q: tensor<4xi8>) -> tensor<2xf32> {
  // expected-error @below {{'qe.dequantize' op requires the same shape for all operands and results}}
  %y = qe.dequantize %q scale(0.5) zero_point(0) : tensor<4xi8> -> tensor<2xf32>
  return %y : tensor<2xf32>
}
