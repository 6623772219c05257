// A tiny NHWC CNN in TOSA with its convolution weights behind a per-channel
// symmetric 4-bit qe.fake_quant (narrow range [-7, 7], scale = max|w| / 7).
// `quant-opt --canonicalize` folds the fake quant into the constant, so the
// weights that remain are exactly the 4-bit grid values.
//
// Channel 0: max|w| = 0.7 -> scale 0.1;  channel 1: max|w| = 1.4 -> scale 0.2.
func.func @main(%input: tensor<1x4x4x1xf32>) -> tensor<1x2x2x2xf32> {
  %weights = "tosa.const"() {values = dense<[
      [[[0.7], [0.33], [-0.26]], [[0.05], [-0.7], [0.14]], [[0.0], [0.25], [-0.49]]],
      [[[1.4], [-0.31], [0.5]], [[0.09], [0.11], [-1.4]], [[0.7], [0.29], [0.0]]]
    ]> : tensor<2x3x3x1xf32>} : () -> tensor<2x3x3x1xf32>
  %w4 = qe.fake_quant %weights bits(4) narrow_range axis(0)
          scales([0.1, 0.2]) zero_points([0, 0]) rounding(rne)
          : tensor<2x3x3x1xf32>
  %bias = "tosa.const"() {values = dense<[0.5, -0.25]> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %conv = tosa.conv2d %input, %w4, %bias, %zp, %zp
            {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>,
             stride = array<i64: 1, 1>}
          : (tensor<1x4x4x1xf32>, tensor<2x3x3x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>)
          -> tensor<1x2x2x2xf32>
  %relu = tosa.clamp %conv {max_val = 6.0 : f32, min_val = 0.0 : f32}
          : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %relu : tensor<1x2x2x2xf32>
}
