// RUN: quant-opt %s -split-input-file -qe-fuse-elementwise | FileCheck %s

// An elementwise producer read broadcast by a reduction (a requantized
// pooled vector feeding a classifier's matrix-vector product) stays apart:
// fused, it would be recomputed for each of the 4 outputs.
// CHECK-LABEL: func @broadcast_into_reduction
// CHECK: %[[SCALED:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]
// CHECK: arith.muli
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[SCALED]], %{{.*}} : tensor<8xi32>, tensor<4x8xi32>)
// CHECK-NOT: c3_i32
// CHECK: return
#id = affine_map<(k) -> (k)>
func.func @broadcast_into_reduction(%x: tensor<8xi32>, %w: tensor<4x8xi32>, %acc: tensor<4xi32>) -> tensor<4xi32> {
  %e = tensor.empty() : tensor<8xi32>
  %c3 = arith.constant 3 : i32
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<8xi32>) outs(%e : tensor<8xi32>) {
  ^bb0(%in: i32, %out: i32):
    %m = arith.muli %in, %c3 : i32
    linalg.yield %m : i32
  } -> tensor<8xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(n, k) -> (k)>, affine_map<(n, k) -> (n, k)>, affine_map<(n, k) -> (n)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%scaled, %w : tensor<8xi32>, tensor<4x8xi32>) outs(%acc : tensor<4xi32>) {
  ^bb0(%a: i32, %b: i32, %out: i32):
    %p = arith.muli %a, %b : i32
    %s = arith.addi %p, %out : i32
    linalg.yield %s : i32
  } -> tensor<4xi32>
  return %r : tensor<4xi32>
}

// -----

// Read along every parallel loop, the producer is computed once per use
// either way, and fuses as upstream would: into a reduction, and into an
// elementwise consumer.
// CHECK-LABEL: func @fused
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: arith.muli
// CHECK: arith.addi
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel"]
// CHECK: arith.muli
// CHECK: arith.subi
// CHECK-NOT: linalg.generic
#id2 = affine_map<(n, k) -> (n, k)>
func.func @fused(%x: tensor<4x8xi32>, %acc: tensor<4xi32>, %y: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xi32>) {
  %e = tensor.empty() : tensor<4x8xi32>
  %c3 = arith.constant 3 : i32
  %scaled = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xi32>) outs(%e : tensor<4x8xi32>) {
  ^bb0(%in: i32, %out: i32):
    %m = arith.muli %in, %c3 : i32
    linalg.yield %m : i32
  } -> tensor<4x8xi32>
  %r = linalg.generic {indexing_maps = [#id2, affine_map<(n, k) -> (n)>], iterator_types = ["parallel", "reduction"]}
      ins(%scaled : tensor<4x8xi32>) outs(%acc : tensor<4xi32>) {
  ^bb0(%a: i32, %out: i32):
    %s = arith.addi %a, %out : i32
    linalg.yield %s : i32
  } -> tensor<4xi32>
  %e1 = tensor.empty() : tensor<4xi32>
  %y3 = linalg.generic {indexing_maps = [affine_map<(n) -> (n)>, affine_map<(n) -> (n)>], iterator_types = ["parallel"]}
      ins(%y : tensor<4xi32>) outs(%e1 : tensor<4xi32>) {
  ^bb0(%in: i32, %out: i32):
    %m = arith.muli %in, %c3 : i32
    linalg.yield %m : i32
  } -> tensor<4xi32>
  %z = linalg.generic {indexing_maps = [affine_map<(n) -> (n)>, affine_map<(n) -> (n)>], iterator_types = ["parallel"]}
      ins(%y3 : tensor<4xi32>) outs(%e1 : tensor<4xi32>) {
  ^bb0(%in: i32, %out: i32):
    %d = arith.subi %in, %c3 : i32
    linalg.yield %d : i32
  } -> tensor<4xi32>
  return %r, %z : tensor<4xi32>, tensor<4xi32>
}
