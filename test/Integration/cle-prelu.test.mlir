// conv -> PReLU -> conv with output-channel ranges spread over two orders
// of magnitude; see cle-prelu.test.
func.func @main(%x: tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xf32> {
  %w1 = "tosa.const"() {values = dense<[[[[ 0.01 ,  2.39 ]]], [[[-0.137, -0.445]]], [[[-0.909, -1.983]]], [[[ 0.006,  0.134]]]]> : tensor<4x1x1x2xf32>} : () -> tensor<4x1x1x2xf32>
  %b1 = "tosa.const"() {values = dense<[-0.492, -0.62 ,  0.49 ,  0.357]> : tensor<4xf32>} : () -> tensor<4xf32>
  %w2 = "tosa.const"() {values = dense<[[[[ 0.105, -0.93 , -0.029,  0.695]]], [[[-1.344, -0.458, -1.901, -1.29 ]]]]> : tensor<2x1x1x4xf32>} : () -> tensor<2x1x1x4xf32>
  %b2 = "tosa.const"() {values = dense<[-1.842, -0.235]> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %zero = "tosa.const"() {values = dense<0.0> : tensor<1x1x1x1xf32>} : () -> tensor<1x1x1x1xf32>
  %slope = "tosa.const"() {values = dense<[[[[0.25, 0.1 , 0.5 , 0.05]]]]> : tensor<1x1x1x4xf32>} : () -> tensor<1x1x1x4xf32>
  %shift = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %c1 = tosa.conv2d %x, %w1, %b1, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x3x3x2xf32>, tensor<4x1x1x2xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x3x4xf32>
  %ge = tosa.greater_equal %c1, %zero : (tensor<1x3x3x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x3x3x4xi1>
  %m = tosa.mul %c1, %slope, %shift : (tensor<1x3x3x4xf32>, tensor<1x1x1x4xf32>, tensor<1xi8>) -> tensor<1x3x3x4xf32>
  %p = tosa.select %ge, %c1, %m : (tensor<1x3x3x4xi1>, tensor<1x3x3x4xf32>, tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32>
  %c2 = tosa.conv2d %p, %w2, %b2, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x3x3x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x3x2xf32>
  return %c2 : tensor<1x3x3x2xf32>
}
