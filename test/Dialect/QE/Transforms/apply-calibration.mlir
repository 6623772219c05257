// RUN: echo '{"dataset": "t", "split": "train", "samples": 8, "tensors": {"input:0": {"min": -1, "max": 3, "count": 8, "lo": -1, "hi": 3, "histogram": [1, 2, 3, 2]}, "relu1": {"min": 0.5, "max": 6, "count": 8, "lo": 0, "hi": 6, "histogram": [2, 2, 2, 2]}, "zero": {"min": 0, "max": 0, "count": 8, "lo": 0, "hi": 0, "histogram": [8, 0, 0, 0]}}}' > %t.json
// RUN: quant-opt %s -split-input-file -verify-diagnostics -qe-apply-calibration="file=%t.json" | FileCheck %s
// RUN: quant-opt %s -split-input-file -verify-diagnostics -qe-apply-calibration="file=%t.json bits=16 symmetric=true" | FileCheck %s --check-prefix=SYM
// RUN: not quant-opt %s -qe-apply-calibration="file=%t.json method=kl" 2>&1 | FileCheck %s --check-prefix=METHOD
// RUN: not quant-opt %s -qe-apply-calibration="file=%t.json bits=1" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not quant-opt %s -qe-apply-calibration="file=%t.missing.json" 2>&1 | FileCheck %s --check-prefix=NOFILE
// RUN: echo '[1, 2]' > %t.bad.json
// RUN: not quant-opt %s -qe-apply-calibration="file=%t.bad.json" 2>&1 | FileCheck %s --check-prefix=BAD
// METHOD: qe-apply-calibration: unknown method 'kl'; expected minmax, percentile, mse or entropy
// BITS: qe-apply-calibration: bits must be in [2, 16], got 1
// NOFILE: qe-apply-calibration: {{.*}}missing.json: cannot read
// BAD: qe-apply-calibration: {{.*}}bad.json: no "tensors" object: not a calibration file

// minmax, 8 bits, signed: [-1, 3] gives scale 4/255 and zero point
// RHAZ(-128 + 1/(4/255)) = RHAZ(-64.25) = -64; [0.5, 6] extends to [0, 6]:
// scale 6/255, zero point -128. The all-zero tensor needs no quantizer.
// Symmetric int16 (narrow, [-32767, 32767]): 3/32767 and 6/32767.
// CHECK-LABEL: func @calibrated
// CHECK: %[[IN:.*]] = qe.fake_quant %arg0 bits(8) scales([0.01568627450980392]) zero_points([-64]) rounding(rne)
// CHECK: %[[R:.*]] = tosa.clamp %[[IN]]
// CHECK-NEXT: %[[RQ:.*]] = qe.fake_quant %[[R]] bits(8) scales([0.023529411764705882]) zero_points([-128]) rounding(rne)
// CHECK-NEXT: %[[Z:.*]] = tosa.sub %[[RQ]], %[[RQ]]
// CHECK-NEXT: return %[[Z]]
// SYM-LABEL: func @calibrated
// SYM: qe.fake_quant %arg0 bits(16) narrow_range scales([9.155552842799158e-05]) zero_points([0])
// SYM: qe.fake_quant %{{.*}} bits(16) narrow_range scales([0.00018311105685598315]) zero_points([0])
func.func @calibrated(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %a = qe.observe %x id("input:0") : tensor<1x4xf32>
  %r = tosa.clamp %a {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %b = qe.observe %r id("relu1") : tensor<1x4xf32>
  %z = tosa.sub %b, %b : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %c = qe.observe %z id("zero") : tensor<1x4xf32>
  return %c : tensor<1x4xf32>
}

// -----

// Statistics of another model: the pass fails before changing anything,
// and names the unknown id.
func.func @other_model(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %a = qe.observe %x id("input:0") : tensor<1x4xf32>
  %r = tosa.clamp %a {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x4xf32>) -> tensor<1x4xf32>
  // expected-error @below {{has no statistics for 'conv7'}}
  %b = qe.observe %r id("conv7") : tensor<1x4xf32>
  return %b : tensor<1x4xf32>
}
