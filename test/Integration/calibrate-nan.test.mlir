func.func @main(%x: tensor<1x1x28x28xf32>) -> tensor<1x1x28x28xf32> {
  %l = tosa.log %x : (tensor<1x1x28x28xf32>) -> tensor<1x1x28x28xf32>
  %s = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %m = tosa.mul %l, %l, %s : (tensor<1x1x28x28xf32>, tensor<1x1x28x28xf32>, tensor<1xi8>) -> tensor<1x1x28x28xf32> loc("square_of_log")
  return %m : tensor<1x1x28x28xf32>
}
