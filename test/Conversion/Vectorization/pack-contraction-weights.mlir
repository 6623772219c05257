// RUN: quant-opt %s -split-input-file -qe-pack-contraction-weights | FileCheck %s

// A tile reads 2 of the 4 output channels of both filter rows, at an output
// index that steps by 2: the filter [[0, 1, 2, 3], [4, 5, 6, 7]] becomes
// [2 blocks, 2 rows, 2 outputs] = 0 1 4 5 | 2 3 6 7, and the read takes
// block f / 2. The original is no longer read and goes.
// CHECK-NOT: memref.global "private" constant @filter :
// CHECK: memref.global "private" constant @filter_blocks2 : memref<2x2x2xf32> = dense_resource<[[W:.*]]> {alignment = 64 : i64}
// CHECK-NOT: memref.global "private" constant @filter :
// CHECK-LABEL: func @packed
// CHECK: scf.for %[[F:.*]] = %c0 to %c4 step %c2
// CHECK-DAG: %[[B:.*]] = arith.divui %[[F]], %c2
// CHECK-DAG: %[[P:.*]] = memref.get_global @filter_blocks2 : memref<2x2x2xf32>
// CHECK: %[[R:.*]] = vector.transfer_read %[[P]][%[[B]], %c0{{.*}}, %c0{{.*}}], %{{.*}} {in_bounds = [true, true]} : memref<2x2x2xf32>, vector<2x2xf32>
// CHECK: vector.contract {{.*}} %{{.*}}, %[[R]], %{{.*}} : vector<3x2xf32>, vector<2x2xf32> into vector<3x2xf32>
// The blob starts with its alignment (4 bytes), then 0.0, 1.0, 4.0, 5.0,
// 2.0, 3.0, 6.0, 7.0 as little-endian f32.
// CHECK: [[W]]: "0x04000000{{00000000}}{{0000803F}}{{00008040}}{{0000A040}}{{00000040}}{{00004040}}{{0000C040}}{{0000E040}}"
memref.global "private" constant @filter : memref<2x4xf32> = dense<[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]]> {alignment = 64 : i64}

func.func @packed(%x: memref<3x2xf32>, %out: memref<3x4xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %pad = arith.constant 0.0 : f32
  %zero = arith.constant dense<0.0> : vector<3x2xf32>
  %w = memref.get_global @filter : memref<2x4xf32>
  scf.for %f = %c0 to %c4 step %c2 {
    %lhs = vector.transfer_read %x[%c0, %c0], %pad {in_bounds = [true, true]} : memref<3x2xf32>, vector<3x2xf32>
    %rhs = vector.transfer_read %w[%c0, %f], %pad {in_bounds = [true, true]} : memref<2x4xf32>, vector<2x2xf32>
    %r = vector.contract {indexing_maps = [affine_map<(w, f, c) -> (w, c)>, affine_map<(w, f, c) -> (c, f)>, affine_map<(w, f, c) -> (w, f)>],
                          iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>}
         %lhs, %rhs, %zero : vector<3x2xf32>, vector<2x2xf32> into vector<3x2xf32>
    vector.transfer_write %r, %out[%c0, %f] {in_bounds = [true, true]} : vector<3x2xf32>, memref<3x4xf32>
  }
  return
}

// -----

// A 4-D filter [1, 1, 2, 4] read at constant output indices by two tile
// widths: each width gets its copy, and the block is the leading index
// (output 2 in blocks of 2: block 1; output 3 in blocks of 1: block 3).
// CHECK-NOT: memref.global "private" constant @filter4 :
// CHECK-DAG: memref.global "private" constant @filter4_blocks2 : memref<2x1x1x2x2xf32>
// CHECK-DAG: memref.global "private" constant @filter4_blocks1 : memref<4x1x1x2x1xf32>
// CHECK-LABEL: func @leading_dims_and_two_blocks
// CHECK-DAG: vector.transfer_read %{{.*}}[%c1{{.*}}, %c0{{.*}}, %c0{{.*}}, %c0{{.*}}, %c0{{.*}}], %{{.*}} {in_bounds = [true, true]} : memref<2x1x1x2x2xf32>, vector<2x2xf32>
// CHECK-DAG: vector.transfer_read %{{.*}}[%c3{{.*}}, %c0{{.*}}, %c0{{.*}}, %c0{{.*}}, %c0{{.*}}], %{{.*}} {in_bounds = [true, true]} : memref<4x1x1x2x1xf32>, vector<2x1xf32>
memref.global "private" constant @filter4 : memref<1x1x2x4xf32> = dense<1.0> {alignment = 64 : i64}

#lhs = affine_map<(f, c) -> (c)>
#rhs = affine_map<(f, c) -> (c, f)>
#acc = affine_map<(f, c) -> (f)>
func.func @leading_dims_and_two_blocks(%x: vector<2xf32>) -> (vector<2xf32>, vector<1xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %pad = arith.constant 0.0 : f32
  %w = memref.get_global @filter4 : memref<1x1x2x4xf32>
  %r2 = vector.transfer_read %w[%c0, %c0, %c0, %c2], %pad {in_bounds = [true, true]} : memref<1x1x2x4xf32>, vector<2x2xf32>
  %r1 = vector.transfer_read %w[%c0, %c0, %c0, %c3], %pad {in_bounds = [true, true]} : memref<1x1x2x4xf32>, vector<2x1xf32>
  %a2 = arith.constant dense<0.0> : vector<2xf32>
  %a1 = arith.constant dense<0.0> : vector<1xf32>
  %y2 = vector.contract {indexing_maps = [#lhs, #rhs, #acc], iterator_types = ["parallel", "reduction"], kind = #vector.kind<add>}
        %x, %r2, %a2 : vector<2xf32>, vector<2x2xf32> into vector<2xf32>
  %y1 = vector.contract {indexing_maps = [#lhs, #rhs, #acc], iterator_types = ["parallel", "reduction"], kind = #vector.kind<add>}
        %x, %r1, %a1 : vector<2xf32>, vector<2x1xf32> into vector<1xf32>
  return %y2, %y1 : vector<2xf32>, vector<1xf32>
}

// -----

// Left alone: a read of every output channel (nothing to gain), an output
// index that is not a multiple of the block (1, or a loop stepping by 1), a
// global that is not constant, an out-of-bounds read, integer weights. A
// filter that something else also reads is packed but kept.
// CHECK-NOT: _blocks
// CHECK: memref.global "private" constant @shared_blocks2 : memref<2x2x2xf32>
// CHECK-NEXT: memref.global "private" constant @shared : memref<2x4xf32>
// CHECK-NOT: _blocks
// CHECK-LABEL: func @left_alone
// CHECK: memref.get_global @whole
// CHECK: vector.transfer_read {{.*}} : memref<2x4xf32>, vector<2x4xf32>
// CHECK: vector.transfer_read {{.*}} : memref<2x4xf32>, vector<2x2xf32>
// CHECK: scf.for
// CHECK: vector.transfer_read {{.*}} : memref<2x4xf32>, vector<2x2xf32>
// CHECK: memref.get_global @mutable
// CHECK: vector.transfer_read {{.*}} : memref<2x4xf32>, vector<2x2xf32>
// CHECK: vector.transfer_read {{.*}} {in_bounds = [true, false]} : memref<2x4xf32>, vector<2x2xf32>
// CHECK: vector.transfer_read {{.*}} : memref<2x4xi32>, vector<2x2xi32>
// CHECK: memref.get_global @shared_blocks2
// CHECK: memref.load
// CHECK-NOT: _blocks
memref.global "private" constant @whole : memref<2x4xf32> = dense<1.0> {alignment = 64 : i64}
memref.global "private" @mutable : memref<2x4xf32> = dense<1.0> {alignment = 64 : i64}
memref.global "private" constant @ints : memref<2x4xi32> = dense<1> {alignment = 64 : i64}
memref.global "private" constant @shared : memref<2x4xf32> = dense<1.0> {alignment = 64 : i64}

#lhs = affine_map<(f, c) -> (c)>
#rhs = affine_map<(f, c) -> (c, f)>
#acc = affine_map<(f, c) -> (f)>
func.func @left_alone(%x: vector<2xf32>, %xi: vector<2xi32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %pad = arith.constant 0.0 : f32
  %ipad = arith.constant 0 : i32
  %a4 = arith.constant dense<0.0> : vector<4xf32>
  %a2 = arith.constant dense<0.0> : vector<2xf32>
  %ai = arith.constant dense<0> : vector<2xi32>
  %whole = memref.get_global @whole : memref<2x4xf32>
  %r0 = vector.transfer_read %whole[%c0, %c0], %pad {in_bounds = [true, true]} : memref<2x4xf32>, vector<2x4xf32>
  %y0 = vector.contract {indexing_maps = [#lhs, #rhs, #acc], iterator_types = ["parallel", "reduction"], kind = #vector.kind<add>}
        %x, %r0, %a4 : vector<2xf32>, vector<2x4xf32> into vector<4xf32>
  %r1 = vector.transfer_read %whole[%c0, %c1], %pad {in_bounds = [true, true]} : memref<2x4xf32>, vector<2x2xf32>
  %y1 = vector.contract {indexing_maps = [#lhs, #rhs, #acc], iterator_types = ["parallel", "reduction"], kind = #vector.kind<add>}
        %x, %r1, %a2 : vector<2xf32>, vector<2x2xf32> into vector<2xf32>
  scf.for %f = %c0 to %c2 step %c1 {
    %r = vector.transfer_read %whole[%c0, %f], %pad {in_bounds = [true, true]} : memref<2x4xf32>, vector<2x2xf32>
    %y = vector.contract {indexing_maps = [#lhs, #rhs, #acc], iterator_types = ["parallel", "reduction"], kind = #vector.kind<add>}
         %x, %r, %a2 : vector<2xf32>, vector<2x2xf32> into vector<2xf32>
    vector.print %y : vector<2xf32>
  }
  %mutable = memref.get_global @mutable : memref<2x4xf32>
  %r2 = vector.transfer_read %mutable[%c0, %c2], %pad {in_bounds = [true, true]} : memref<2x4xf32>, vector<2x2xf32>
  %y2 = vector.contract {indexing_maps = [#lhs, #rhs, #acc], iterator_types = ["parallel", "reduction"], kind = #vector.kind<add>}
        %x, %r2, %a2 : vector<2xf32>, vector<2x2xf32> into vector<2xf32>
  %r3 = vector.transfer_read %whole[%c0, %c2], %pad {in_bounds = [true, false]} : memref<2x4xf32>, vector<2x2xf32>
  %y3 = vector.contract {indexing_maps = [#lhs, #rhs, #acc], iterator_types = ["parallel", "reduction"], kind = #vector.kind<add>}
        %x, %r3, %a2 : vector<2xf32>, vector<2x2xf32> into vector<2xf32>
  %ints = memref.get_global @ints : memref<2x4xi32>
  %r4 = vector.transfer_read %ints[%c0, %c2], %ipad {in_bounds = [true, true]} : memref<2x4xi32>, vector<2x2xi32>
  %y4 = vector.contract {indexing_maps = [#lhs, #rhs, #acc], iterator_types = ["parallel", "reduction"], kind = #vector.kind<add>}
        %xi, %r4, %ai : vector<2xi32>, vector<2x2xi32> into vector<2xi32>
  %shared = memref.get_global @shared : memref<2x4xf32>
  %r5 = vector.transfer_read %shared[%c0, %c2], %pad {in_bounds = [true, true]} : memref<2x4xf32>, vector<2x2xf32>
  %y5 = vector.contract {indexing_maps = [#lhs, #rhs, #acc], iterator_types = ["parallel", "reduction"], kind = #vector.kind<add>}
        %x, %r5, %a2 : vector<2xf32>, vector<2x2xf32> into vector<2xf32>
  %v = memref.load %shared[%c1, %n] : memref<2x4xf32>
  vector.print %y0 : vector<4xf32>
  vector.print %y1 : vector<2xf32>
  vector.print %y2 : vector<2xf32>
  vector.print %y3 : vector<2xf32>
  vector.print %y4 : vector<2xi32>
  vector.print %y5 : vector<2xf32>
  return %v : f32
}
