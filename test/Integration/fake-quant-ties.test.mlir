// Model for fake-quant-ties.test (not a test by itself).
func.func @main(%x: tensor<1x6xf32>) -> tensor<4x6xf32> {
  %a = qe.fake_quant %x bits(8) narrow_range scales([0.5]) zero_points([0]) rounding(rne) : tensor<1x6xf32>
  %b = qe.fake_quant %x bits(8) narrow_range scales([0.5]) zero_points([0]) rounding(rhaz) : tensor<1x6xf32>
  %c = qe.fake_quant %x bits(8) narrow_range scales([0.5]) zero_points([0]) rounding(rhu) : tensor<1x6xf32>
  %d = qe.po2_quant %x bits(4) : tensor<1x6xf32>
  %r = tosa.concat %a, %b, %c, %d {axis = 0 : i32} : (tensor<1x6xf32>, tensor<1x6xf32>, tensor<1x6xf32>, tensor<1x6xf32>) -> tensor<4x6xf32>
  return %r : tensor<4x6xf32>
}
