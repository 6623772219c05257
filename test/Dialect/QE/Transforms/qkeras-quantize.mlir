// RUN: quant-opt %s -split-input-file -qe-qkeras-quantize="bits=4" | FileCheck %s --check-prefix=BITS
// RUN: quant-opt %s -split-input-file -qe-qkeras-quantize="bits=4 alpha=auto" | FileCheck %s --check-prefix=AUTO
// RUN: quant-opt %s -split-input-file -qe-qkeras-quantize="bits=4 alpha=auto_po2" | FileCheck %s --check-prefix=APO2
// RUN: quant-opt %s -split-input-file -qe-qkeras-quantize="quantizer=quantized_po2 bits=4" | FileCheck %s --check-prefix=PO2
// RUN: quant-opt %s -split-input-file -qe-qkeras-quantize="quantizer=quantized_relu bits=4 integer=3 apply-to=activations" | FileCheck %s --check-prefix=RELU
// RUN: not quant-opt %s -qe-qkeras-quantize="quantizer=quantized_relu" 2>&1 | FileCheck %s --check-prefix=RELUW
// RUN: not quant-opt %s -qe-qkeras-quantize="quantizer=quantized_po2 alpha=auto" 2>&1 | FileCheck %s --check-prefix=ALPHA
// RUN: not quant-opt %s -qe-qkeras-quantize="quantizer=binary" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RELUW: qe-qkeras-quantize: quantized_relu quantizes activations (apply-to=activations)
// ALPHA: qe-qkeras-quantize: alpha=auto applies to quantized_bits on weights only
// UNKNOWN: qe-qkeras-quantize: unknown quantizer 'binary'

// Weights [[0.3, -0.7], [1.5, 0.02]] (two output channels), 4 bits.
// quantized_bits, alpha none: m = 2^3, q = clip(RNE(8x), -8, 7):
//   2.4 -> 2, -5.6 -> -6, 12 -> 7, 0.16 -> 0: [0.25, -0.75, 0.875, 0],
//   one step 1/8 for the tensor.
// BITS-LABEL: func @conv
// BITS: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}2.500000e-01, -7.500000e-01]]], {{\[\[\[}}8.750000e-01, 0.000000e+00]]]]>
// BITS: qe.fake_quant %[[W]] bits(4) scales([0.125]) zero_points([0]) rounding(rne)
// auto: channel steps max|w| / 7 = 0.1 and 1.5/7; 0.3 -> 3 steps, -0.7 ->
//   -7, 1.5 -> 7, 0.02 -> 0.09 -> 0 (half away from zero).
// AUTO: "tosa.const"() <{values = dense<{{\[\[\[\[}}0.299999982, -0.699999988]]], {{\[\[\[}}1.500000e+00, 0.000000e+00]]]]>
// AUTO: bits(4) narrow_range axis(0) scales([0.09999999829701015, 0.21428571428571427]) zero_points([0, 0]) rounding(rhaz)
// auto_po2: channel 0 starts at 2^RNE(log2 0.1) = 1/8: q = [2, -6], least
//   squares (0.6 + 4.2)/40 = 0.12 -> 1/8 again: [0.25, -0.75]. Channel 1
//   starts at 2^RNE(log2 0.214) = 1/4: q = [6, 0], 9/36 = 1/4: [1.5, 0].
// APO2: "tosa.const"() <{values = dense<{{\[\[\[\[}}2.500000e-01, -7.500000e-01]]], {{\[\[\[}}1.500000e+00, 0.000000e+00]]]]>
// APO2: bits(4) narrow_range axis(0) scales([0.125, 0.25]) zero_points([0, 0]) rounding(rhaz)
// quantized_po2, 4 bits, no max: exponents -4..3; log2 of 0.3, 0.7, 1.5,
//   0.02 round to -2, -1, 1, -6 (clipped to -4): [0.25, -0.5, 2, 1/16].
// PO2: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}2.500000e-01, -5.000000e-01]]], {{\[\[\[}}2.000000e+00, 6.250000e-02]]]]>
// PO2: qe.po2_quant %[[W]] bits(4)
// quantized_relu(4, 3) on the ReLU6 output: step 2^(3-4) = 0.5, values
//   0 .. 7.5; the weights stay float.
// RELU: "tosa.const"() <{values = dense<{{\[\[\[\[}}3.000000e-01
// RELU: %[[R:.*]] = tosa.clamp
// RELU-NEXT: %[[Q:.*]] = qe.fake_quant %[[R]] unsigned bits(4) scales([0.5]) zero_points([0]) rounding(rne)
// RELU-NEXT: return %[[Q]]
func.func @conv(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %w = "tosa.const"() {values = dense<[[[[0.3, -0.7]]], [[[1.5, 0.02]]]]> : tensor<2x1x1x2xf32>} : () -> tensor<2x1x1x2xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %r = tosa.clamp %c {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  return %r : tensor<1x4x4x2xf32>
}
