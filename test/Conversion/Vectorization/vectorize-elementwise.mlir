// RUN: quant-opt %s -split-input-file -qe-vectorize-elementwise | FileCheck %s
// RUN: not quant-opt %s -qe-vectorize-elementwise="inner-tile=0" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: qe-vectorize-elementwise: tile sizes must be positive (inner-tile=0, outer-tile=8)

// A bias-and-clamp over NHWC gets tiles of 8 columns x 16 channels: 56 and
// 144 are divisible by 8 and 16, so the tiles are static and whole.
// CHECK-LABEL: func @bias_relu6
// CHECK-NOT: linalg.generic
// CHECK: scf.for %{{.*}} = %c0 to %c56 step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c56 step %c8
// CHECK: scf.for %{{.*}} = %c0 to %c144 step %c16
// CHECK: vector.transfer_read {{.*}} : tensor<1x56x56x144xf32>, vector<8x16xf32>
// CHECK: vector.broadcast {{.*}} : vector<16xf32> to vector<8x16xf32>
// CHECK: arith.addf {{.*}} : vector<8x16xf32>
// CHECK: arith.minimumf
// CHECK: arith.maximumf
// CHECK: vector.transfer_write {{.*}} : vector<8x16xf32>, tensor<1x1x8x16xf32>
// CHECK: tensor.insert_slice {{.*}} [1, 1, 8, 16] [1, 1, 1, 1] : tensor<1x1x8x16xf32> into tensor<1x56x56x144xf32>
#nhwc = affine_map<(n, h, w, c) -> (n, h, w, c)>
#chan = affine_map<(n, h, w, c) -> (c)>
func.func @bias_relu6(%x: tensor<1x56x56x144xf32>, %b: tensor<144xf32>) -> tensor<1x56x56x144xf32> {
  %lo = arith.constant 0.0 : f32
  %hi = arith.constant 6.0 : f32
  %e = tensor.empty() : tensor<1x56x56x144xf32>
  %0 = linalg.generic {indexing_maps = [#nhwc, #chan, #nhwc], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
         ins(%x, %b : tensor<1x56x56x144xf32>, tensor<144xf32>) outs(%e : tensor<1x56x56x144xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %m = arith.minimumf %s, %hi : f32
    %r = arith.maximumf %m, %lo : f32
    linalg.yield %r : f32
  } -> tensor<1x56x56x144xf32>
  return %0 : tensor<1x56x56x144xf32>
}

// -----

// Tiles shrink to divisors: 3 channels (an RGB input) take the whole
// dimension, 10 columns take 5 of the requested 8. Unit dimensions leave
// the vector type.
// CHECK-LABEL: func @small_dims
// CHECK: vector.transfer_read {{.*}} : tensor<4x10x3xf32>, vector<5x3xf32>
// CHECK: vector.transfer_write {{.*}} : vector<5x3xf32>, tensor<1x5x3xf32>
func.func @small_dims(%x: tensor<4x10x3xf32>) -> tensor<4x10x3xf32> {
  %e = tensor.empty() : tensor<4x10x3xf32>
  %0 = linalg.copy ins(%x : tensor<4x10x3xf32>) outs(%e : tensor<4x10x3xf32>) -> tensor<4x10x3xf32>
  return %0 : tensor<4x10x3xf32>
}

// -----

// A pad becomes a vectorized fill of the padded tensor and an insert_slice
// of the source.
// CHECK-LABEL: func @pad
// CHECK-NOT: tensor.pad
// CHECK: vector.transfer_write {{.*}} : vector<5x16xf32>, tensor<1x1x5x16xf32>
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 1, 1, 0] [1, 8, 8, 32] [1, 1, 1, 1]
func.func @pad(%x: tensor<1x8x8x32xf32>) -> tensor<1x10x10x32xf32> {
  %zero = arith.constant 0.0 : f32
  %0 = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x8x8x32xf32> to tensor<1x10x10x32xf32>
  return %0 : tensor<1x10x10x32xf32>
}

// -----

// A fill that two ops share as their destination is cloned, so that
// bufferization can write each result in place instead of copying.
// CHECK-LABEL: func @unshare
// CHECK: %[[E1:.*]] = tensor.empty() : tensor<4x16xf32>
// CHECK: %[[F1:.*]] = vector.transfer_write %{{.*}}, %[[E1]]
// CHECK: %[[E2:.*]] = tensor.empty() : tensor<4x16xf32>
// CHECK: %[[F2:.*]] = vector.transfer_write %{{.*}}, %[[E2]]
// CHECK: vector.transfer_write {{.*}}, %[[F2]]
// CHECK: vector.transfer_write {{.*}}, %[[F1]]
#id = affine_map<(i, j) -> (i, j)>
func.func @unshare(%x: tensor<4x16xf32>, %y: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
         ins(%x : tensor<4x16xf32>) outs(%f : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
         ins(%y : tensor<4x16xf32>) outs(%f : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  return %0, %1 : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// Reductions, dynamic shapes and 48-bit integers (TOSA 16x8 accumulators,
// which LLVM's vector code got wrong here) are left alone.
// CHECK-LABEL: func @left_alone
// CHECK: linalg.reduce
// CHECK: linalg.copy ins(%{{.*}} : tensor<?x16xf32>)
// CHECK: linalg.copy ins(%{{.*}} : tensor<4x16xi48>)
func.func @left_alone(%x: tensor<4x16xf32>, %init: tensor<4xf32>, %d: tensor<?x16xf32>, %di: tensor<?x16xf32>,
                      %w: tensor<4x16xi48>, %wi: tensor<4x16xi48>) -> (tensor<4xf32>, tensor<?x16xf32>, tensor<4x16xi48>) {
  %0 = linalg.reduce ins(%x : tensor<4x16xf32>) outs(%init : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %1 = linalg.copy ins(%d : tensor<?x16xf32>) outs(%di : tensor<?x16xf32>) -> tensor<?x16xf32>
  %2 = linalg.copy ins(%w : tensor<4x16xi48>) outs(%wi : tensor<4x16xi48>) -> tensor<4x16xi48>
  return %0, %1, %2 : tensor<4xf32>, tensor<?x16xf32>, tensor<4x16xi48>
}
