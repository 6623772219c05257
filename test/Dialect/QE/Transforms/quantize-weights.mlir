// RUN: quant-opt %s -split-input-file -qe-quantize-weights="bits=4" | FileCheck %s --check-prefix=RTN
// RUN: quant-opt %s -split-input-file -qe-quantize-weights="bits=4 rounding=squant" | FileCheck %s --check-prefix=SQ
// RUN: quant-opt %s -split-input-file -qe-quantize-weights="bits=4 granularity=tensor" | FileCheck %s --check-prefix=TENSOR
// RUN: not quant-opt %s -qe-quantize-weights="bits=17" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not quant-opt %s -qe-quantize-weights="rounding=stochastic" 2>&1 | FileCheck %s --check-prefix=ROUNDING

// BITS: qe-quantize-weights: bits must be in [2, 16], got 17
// ROUNDING: qe-quantize-weights: unknown rounding 'stochastic'; expected nearest, squant-e, squant-k, squant-c or squant

// A 1x1x3 kernel per channel (OHWI [2, 1, 3, 1]), 4 bits: qmax 7. Weights
// are f32: 0.7f = 0.699999988, 1.4f = 1.399999976, so the scales are
// 0.7f / 7 = 0.0999999983 and 1.4f / 7 = 0.1999999966 (0.2f once rounded
// to f32 for the division).
// Channel 0: x = [7.0, 3.3, 3.3]: nearest [7, 3, 3] (kernel error -0.6);
// SQuant's kernel stage flips one 3.3 up, the lower index on the tie:
// [7, 4, 3], error 0.4.
// Channel 1: 0.7f / 0.2f = 3.4999998, so x = [7.0, -3.4999998, 0]:
// nearest [7, -3, 0]; SQuant sees a kernel error of +0.5000000 and flips
// the largest down-candidate: [7, -4, 0].
// RTN-LABEL: func @conv
// RTN: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}0.699999988], [3.000000e-01], [3.000000e-01]]], {{\[\[\[}}1.400000e+00], [-6.000000e-01], [0.000000e+00]]]]> : tensor<2x1x3x1xf32>}>
// RTN: %[[Q:.*]] = qe.fake_quant %[[W]] bits(4) narrow_range axis(0) scales([0.09999999829701015, 0.1999999965940203]) zero_points([0, 0]) rounding(rne)
// RTN: tosa.conv2d %arg0, %[[Q]]
// SQ-LABEL: func @conv
// SQ: "tosa.const"() <{values = dense<{{\[\[\[\[}}0.699999988], [4.000000e-01], [3.000000e-01]]], {{\[\[\[}}1.400000e+00], [-8.000000e-01], [0.000000e+00]]]]>
// Per tensor: one scale, 0.2f: channel 0 is x = [3.4999998, 1.65, 1.65]
// -> [3, 2, 2].
// TENSOR-LABEL: func @conv
// TENSOR: "tosa.const"() <{values = dense<{{\[\[\[\[}}6.000000e-01], [4.000000e-01], [4.000000e-01]]], {{\[\[\[}}1.400000e+00], [-6.000000e-01], [0.000000e+00]]]]>
// TENSOR: qe.fake_quant %{{.*}} bits(4) narrow_range scales([0.1999999965940203]) zero_points([0]) rounding(rne)
func.func @conv(%x: tensor<1x4x4x1xf32>) -> tensor<1x4x2x2xf32> {
  %w = "tosa.const"() {values = dense<[[[[0.7], [0.33], [0.33]]], [[[1.4], [-0.7], [0.0]]]]> : tensor<2x1x3x1xf32>} : () -> tensor<2x1x3x1xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xf32>, tensor<2x1x3x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x2x2xf32>
  return %c : tensor<1x4x2x2xf32>
}

// -----

// A fully connected weight reaches tosa.matmul through a reshape of a
// [K, N] constant: channels are the N columns (axis 1).
// Column 0: [0.7, 0.1] -> scale 0.7f / 7, [7, 1]; column 1: [-1.4, 0.3]
// -> 0.2f, [-7, 0.3f / 0.2f = 1.5 -> 2].
// RTN-LABEL: func @fc
// RTN: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[}}0.699999988, -1.400000e+00], [1.000000e-01, 4.000000e-01]]> : tensor<2x2xf32>}>
// RTN: %[[Q:.*]] = qe.fake_quant %[[W]] bits(4) narrow_range axis(1) scales([0.09999999829701015, 0.1999999965940203])
// RTN: tosa.reshape %[[Q]]
func.func @fc(%a: tensor<1x1x2xf32>) -> tensor<1x1x2xf32> {
  %w = "tosa.const"() {values = dense<[[0.7, -1.4], [0.1, 0.3]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %s = tosa.const_shape {values = dense<[1, 2, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %w3 = tosa.reshape %w, %s : (tensor<2x2xf32>, !tosa.shape<3>) -> tensor<1x2x2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %y = tosa.matmul %a, %w3, %zp, %zp : (tensor<1x1x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32>
  return %y : tensor<1x1x2xf32>
}

// -----

// Weights already quantized (an imported QDQ model) are left alone.
// RTN-LABEL: func @already_quantized
// RTN: qe.fake_quant %{{.*}} bits(8)
// RTN-NOT: qe.fake_quant
func.func @already_quantized(%x: tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32> {
  %w = "tosa.const"() {values = dense<0.5> : tensor<1x1x1x1xf32>} : () -> tensor<1x1x1x1xf32>
  %wq = qe.fake_quant %w bits(8) scales([0.5]) zero_points([0]) rounding(rne) : tensor<1x1x1x1xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %wq, %b, %b, %b {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x1xf32>
  return %c : tensor<1x4x4x1xf32>
}
