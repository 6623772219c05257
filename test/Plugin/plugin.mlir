// Debian's stock mlir-opt with quant-eval as a plugin: it parses qe IR and
// runs quant-eval passes and named pipelines, through --pass-pipeline (flags
// are parsed before plugins load).
// An ASan-instrumented plugin cannot load into Debian's uninstrumented
// mlir-opt (the ASan runtime must come first in the process).
// UNSUPPORTED: asan
// RUN: mlir-opt %s --load-dialect-plugin=%qe_obj_root/lib/QuantEvalPlugin.so --load-pass-plugin=%qe_obj_root/lib/QuantEvalPlugin.so --pass-pipeline='builtin.module(func.func(qe-fold-batch-norm))' | FileCheck %s --check-prefix=FOLD
// RUN: mlir-opt %s --load-dialect-plugin=%qe_obj_root/lib/QuantEvalPlugin.so --load-pass-plugin=%qe_obj_root/lib/QuantEvalPlugin.so --pass-pipeline='builtin.module(squant-4bit)' > %t.plugin.mlir
// The plugin's pipeline gives exactly what quant-opt's does.
// RUN: quant-opt %s --squant-4bit > %t.quant-opt.mlir
// RUN: diff %t.plugin.mlir %t.quant-opt.mlir
// RUN: FileCheck %s --check-prefix=SQ < %t.plugin.mlir
// Without the plugin, mlir-opt knows neither the dialect nor the passes.
// RUN: not mlir-opt %s --pass-pipeline='builtin.module(squant-4bit)' 2>&1 | FileCheck %s --check-prefix=NONE

// BN folding: factors 1 and 2 scale the weights [1, 1] to [1, 2].
// FOLD-LABEL: func @main
// FOLD: "tosa.const"() <{values = dense<{{\[\[\[\[}}1.000000e+00]]], {{\[\[\[}}2.000000e+00]]]]> : tensor<2x1x1x1xf32>}>
// FOLD-NOT: qe.batch_norm
// SQ-LABEL: func @main
// SQ: qe.fake_quant %{{.*}} bits(4) narrow_range axis(0)
// SQ: qe.fake_quant %{{.*}} unsigned bits(4)
// NONE: error
func.func @main(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b = "tosa.const"() {values = dense<[0.5, 1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %g = "tosa.const"() {values = dense<[2.0, 6.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %be = "tosa.const"() {values = dense<[10.0, 20.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %m = "tosa.const"() {values = dense<[0.5, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %v = "tosa.const"() {values = dense<[3.0, 8.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %y = qe.batch_norm %c, %g, %be, %m, %v axis(3) epsilon(1.0) : tensor<1x2x2x2xf32>, tensor<2xf32>
  %r = tosa.clamp %y {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %r : tensor<1x2x2x2xf32>
}
