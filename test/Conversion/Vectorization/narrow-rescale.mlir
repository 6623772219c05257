// RUN: quant-opt %s -split-input-file -qe-narrow-rescale | FileCheck %s

// A per-channel requantization as tosa-to-arith expands it: multipliers and
// shifts (all in [33, 63]) come from constant tensors. The 64-bit rounded
// shift becomes the multiply-high (sext, mul, >> 32, trunc) plus
// 2^(s - 33), shifted by s - 32, all in i32.
// CHECK-LABEL: func @per_channel
// CHECK: ^bb0(%[[X:.*]]: i32, %[[M:.*]]: i32, %[[S:.*]]: i8, %{{.*}}: i8):
// CHECK-DAG: %[[XW:.*]] = arith.extsi %[[X]] : i32 to i64
// CHECK-DAG: %[[MW:.*]] = arith.extsi %[[M]] : i32 to i64
// CHECK: %[[P:.*]] = arith.muli %[[XW]], %[[MW]] : i64
// CHECK: %[[H64:.*]] = arith.shrsi %[[P]], %c32_i64 : i64
// CHECK: %[[H:.*]] = arith.trunci %[[H64]] : i64 to i32
// CHECK: %[[S32:.*]] = arith.extui %[[S]] : i8 to i32
// CHECK: %[[E:.*]] = arith.subi %[[S32]], %c33_i32 : i32
// CHECK: %[[R:.*]] = arith.shli %c1_i32, %[[E]] : i32
// CHECK: %[[A:.*]] = arith.subi %[[S32]], %c32_i32 : i32
// CHECK: %[[SUM:.*]] = arith.addi %[[H]], %[[R]] : i32
// CHECK: %[[Y:.*]] = arith.shrsi %[[SUM]], %[[A]] : i32
// CHECK: arith.addi %[[Y]], %c-4_i32 : i32
#id = affine_map<(d0, d1) -> (d0, d1)>
#ch = affine_map<(d0, d1) -> (d1)>
func.func @per_channel(%acc: tensor<4x2xi32>) -> tensor<4x2xi8> {
  %m = arith.constant dense<[1076419042, 2001441891]> : tensor<2xi32>
  %s = arith.constant dense<[35, 40]> : tensor<2xi8>
  %c1_i64 = arith.constant 1 : i64
  %c-4_i32 = arith.constant -4 : i32
  %c-128_i32 = arith.constant -128 : i32
  %c127_i32 = arith.constant 127 : i32
  %e = tensor.empty() : tensor<4x2xi8>
  %0 = linalg.generic {indexing_maps = [#id, #ch, #ch, #id], iterator_types = ["parallel", "parallel"]}
      ins(%acc, %m, %s : tensor<4x2xi32>, tensor<2xi32>, tensor<2xi8>) outs(%e : tensor<4x2xi8>) {
  ^bb0(%x: i32, %mul: i32, %sh: i8, %out: i8):
    %1 = arith.extsi %x : i32 to i64
    %2 = arith.extsi %mul : i32 to i64
    %3 = arith.muli %1, %2 : i64
    %4 = arith.extui %sh : i8 to i64
    %5 = arith.shli %c1_i64, %4 : i64
    %6 = arith.shrui %5, %c1_i64 : i64
    %7 = arith.addi %3, %6 : i64
    %8 = arith.shrsi %7, %4 : i64
    %9 = arith.trunci %8 : i64 to i32
    %10 = arith.addi %9, %c-4_i32 : i32
    %11 = arith.maxsi %10, %c-128_i32 : i32
    %12 = arith.minsi %11, %c127_i32 : i32
    %13 = arith.trunci %12 : i32 to i8
    linalg.yield %13 : i8
  } -> tensor<4x2xi8>
  return %0 : tensor<4x2xi8>
}

// -----

// Per-tensor: the multiplier, the shift (35) and the rounding term (2^34)
// are constants; the narrow form uses 2^2 and a shift by 3.
// CHECK-LABEL: func @per_tensor
// CHECK: arith.muli %{{.*}}, %c1389891641_i64 : i64
// CHECK: arith.shrsi %{{.*}}, %c32_i64 : i64
// CHECK: %[[H:.*]] = arith.trunci %{{.*}} : i64 to i32
// CHECK: %[[SUM:.*]] = arith.addi %[[H]], %c4_i32 : i32
// CHECK: arith.shrsi %[[SUM]], %c3_i32 : i32
#id1 = affine_map<(d0) -> (d0)>
func.func @per_tensor(%acc: tensor<8xi32>) -> tensor<8xi32> {
  %m = arith.constant 1389891641 : i64
  %r = arith.constant 17179869184 : i64
  %s = arith.constant 35 : i64
  %e = tensor.empty() : tensor<8xi32>
  %0 = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%acc : tensor<8xi32>) outs(%e : tensor<8xi32>) {
  ^bb0(%x: i32, %out: i32):
    %1 = arith.extsi %x : i32 to i64
    %2 = arith.muli %1, %m : i64
    %3 = arith.addi %2, %r : i64
    %4 = arith.shrsi %3, %s : i64
    %5 = arith.trunci %4 : i64 to i32
    linalg.yield %5 : i32
  } -> tensor<8xi32>
  return %0 : tensor<8xi32>
}

// -----

// Left as they are: a shift of 32 (its rounding term is not a multiple of
// 2^32), a rounding term that is not 2^(s-1), and multipliers from a tensor
// that is not a constant (their sign is unknown).
// CHECK-LABEL: func @left_alone
// CHECK-COUNT-3: arith.shrsi {{.*}} : i64
// CHECK-NOT: arith.shrsi {{.*}} : i32
#id2 = affine_map<(d0) -> (d0)>
func.func @left_alone(%acc: tensor<8xi32>, %mt: tensor<8xi32>) -> (tensor<8xi32>, tensor<8xi32>, tensor<8xi32>) {
  %m = arith.constant 1389891641 : i64
  %r32 = arith.constant 2147483648 : i64
  %s32 = arith.constant 32 : i64
  %r35 = arith.constant 17179869185 : i64
  %s35 = arith.constant 35 : i64
  %e = tensor.empty() : tensor<8xi32>
  %0 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel"]}
      ins(%acc : tensor<8xi32>) outs(%e : tensor<8xi32>) {
  ^bb0(%x: i32, %out: i32):
    %1 = arith.extsi %x : i32 to i64
    %2 = arith.muli %1, %m : i64
    %3 = arith.addi %2, %r32 : i64
    %4 = arith.shrsi %3, %s32 : i64
    %5 = arith.trunci %4 : i64 to i32
    linalg.yield %5 : i32
  } -> tensor<8xi32>
  %6 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel"]}
      ins(%acc : tensor<8xi32>) outs(%e : tensor<8xi32>) {
  ^bb0(%x: i32, %out: i32):
    %1 = arith.extsi %x : i32 to i64
    %2 = arith.muli %1, %m : i64
    %3 = arith.addi %2, %r35 : i64
    %4 = arith.shrsi %3, %s35 : i64
    %5 = arith.trunci %4 : i64 to i32
    linalg.yield %5 : i32
  } -> tensor<8xi32>
  %7 = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel"]}
      ins(%acc, %mt : tensor<8xi32>, tensor<8xi32>) outs(%e : tensor<8xi32>) {
  ^bb0(%x: i32, %mm: i32, %out: i32):
    %1 = arith.extsi %x : i32 to i64
    %2 = arith.extsi %mm : i32 to i64
    %3 = arith.muli %1, %2 : i64
    %4 = arith.addi %3, %r35 : i64
    %5 = arith.shrsi %4, %s35 : i64
    %8 = arith.trunci %5 : i64 to i32
    linalg.yield %8 : i32
  } -> tensor<8xi32>
  return %0, %6, %7 : tensor<8xi32>, tensor<8xi32>, tensor<8xi32>
}

// -----

// Shifts read from an i64 tensor are truncated to i32 (not extended).
// CHECK-LABEL: func @wide_shift_tensor
// CHECK: ^bb0(%{{.*}}: i32, %[[S:.*]]: i64, %{{.*}}: i32):
// CHECK: %[[S32:.*]] = arith.trunci %[[S]] : i64 to i32
// CHECK: arith.subi %[[S32]], %c33_i32 : i32
#id3 = affine_map<(d0) -> (d0)>
func.func @wide_shift_tensor(%acc: tensor<2xi32>) -> tensor<2xi32> {
  %s = arith.constant dense<[35, 40]> : tensor<2xi64>
  %m = arith.constant 1389891641 : i64
  %c1_i64 = arith.constant 1 : i64
  %e = tensor.empty() : tensor<2xi32>
  %0 = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel"]}
      ins(%acc, %s : tensor<2xi32>, tensor<2xi64>) outs(%e : tensor<2xi32>) {
  ^bb0(%x: i32, %sh: i64, %out: i32):
    %1 = arith.extsi %x : i32 to i64
    %2 = arith.muli %1, %m : i64
    %3 = arith.shli %c1_i64, %sh : i64
    %4 = arith.shrui %3, %c1_i64 : i64
    %5 = arith.addi %2, %4 : i64
    %6 = arith.shrsi %5, %sh : i64
    %7 = arith.trunci %6 : i64 to i32
    linalg.yield %7 : i32
  } -> tensor<2xi32>
  return %0 : tensor<2xi32>
}
