// RUN: quant-opt %s -split-input-file -qe-lower-int8-contractions="isa=avx512-vnni" | FileCheck %s --check-prefix=VNNI
// RUN: quant-opt %s -split-input-file -qe-lower-int8-contractions="isa=neon-dotprod" | FileCheck %s --check-prefix=SDOT
// RUN: quant-opt %s -split-input-file -qe-lower-int8-contractions="isa=avx2" | FileCheck %s --check-prefix=PAIRS
// RUN: quant-opt %s -split-input-file -qe-lower-int8-contractions | FileCheck %s --check-prefix=NONE
// RUN: not quant-opt %s -qe-lower-int8-contractions="isa=sse9" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: qe-lower-int8-contractions: unknown isa 'sse9' (expected auto, avx512-vnni, avx-vnni, neon-dotprod, avx512bw, avx2, sse2 or none)

// Two output columns, 8 input channels (two groups of 4), 16 outputs.
// vpdpbusd: activations flipped to unsigned (x ^ 0x80); per group one
// correction dot (128 x the weights) and one dot per column: 2 x (1 + 2) =
// 6 calls; the correction is subtracted once per column.
// sdot: signed x signed, 4 lanes: 16 outputs are 4 blocks, 2 groups x 4
// blocks x 2 columns = 16 calls, no correction.
// pmaddwd (AVX2, 8 lanes): no correction either, but no accumulator
// operand: each product of pairs is added after. 16 outputs are 2 blocks,
// 4 pairs x 2 blocks x 2 columns = 16 calls; each column's pair of bytes
// is broadcast as one i16 (a b a b ...), then the bytes are sign-extended.
// Without a target (no qe-annotate-target attributes) nothing changes.
// VNNI-LABEL: func @conv_tile
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI: arith.xori {{.*}} : vector<16xi32>
// VNNI-COUNT-5: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI-NOT: llvm.call_intrinsic
// VNNI-COUNT-2: arith.subi {{.*}} : vector<16xi32>
// VNNI-NOT: vector.contract
// SDOT-LABEL: func @conv_tile
// SDOT-NOT: arith.xori
// SDOT-COUNT-16: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
// SDOT-NOT: arith.subi
// PAIRS-LABEL: func @conv_tile
// PAIRS-NOT: arith.xori
// PAIRS: %[[X:.*]] = vector.extract_strided_slice %{{.*}} {offsets = [0], sizes = [2], strides = [1]} : vector<8xi8> to vector<2xi8>
// PAIRS: %[[XW:.*]] = vector.bitcast %[[X]] : vector<2xi8> to vector<1xi16>
// PAIRS: %[[XS:.*]] = vector.extract %[[XW]][0] : i16 from vector<1xi16>
// PAIRS: %[[XB:.*]] = vector.broadcast %[[XS]] : i16 to vector<8xi16>
// PAIRS: %[[XP:.*]] = vector.bitcast %[[XB]] : vector<8xi16> to vector<16xi8>
// PAIRS: %[[XE:.*]] = arith.extsi %[[XP]] : vector<16xi8> to vector<16xi16>
// PAIRS: %[[S:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[XE]], %{{.*}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// PAIRS: arith.addi %{{.*}}, %[[S]] : vector<8xi32>
// PAIRS-COUNT-15: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// PAIRS-NOT: llvm.call_intrinsic
// PAIRS-NOT: arith.subi
// PAIRS-NOT: vector.contract
// NONE-LABEL: func @conv_tile
// NONE: vector.contract
func.func @conv_tile(%x: vector<2x8xi8>, %w: vector<8x16xi8>, %acc: vector<2x16xi32>) -> vector<2x16xi32> {
  %xe = arith.extsi %x : vector<2x8xi8> to vector<2x8xi32>
  %we = arith.extsi %w : vector<8x16xi8> to vector<8x16xi32>
  %0 = vector.contract {indexing_maps = [affine_map<(w, f, c) -> (w, c)>, affine_map<(w, f, c) -> (c, f)>, affine_map<(w, f, c) -> (w, f)>],
                        iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>}
       %xe, %we, %acc : vector<2x8xi32>, vector<8x16xi32> into vector<2x16xi32>
  return %0 : vector<2x16xi32>
}

// -----

// The weights of four input channels interleave byte by byte: the pair
// shuffle takes a0 b0 a1 b1 ..., the quad shuffle a0 b0 c0 d0 a1 b1 c1 d1.
// VNNI-LABEL: func @interleave
// VNNI: vector.shuffle {{.*}} [0, 16, 1, 17, 2, 18
// VNNI: vector.shuffle {{.*}} [0, 1, 32, 33, 2, 3, 34, 35
// A strided convolution's single column ([C] x [C, F]) is handled too.
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// For pairs, one shuffle per 8-lane block, then the sign extension.
// PAIRS-LABEL: func @interleave
// PAIRS: %[[P:.*]] = vector.shuffle {{.*}} [0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15] : vector<8xi8>, vector<8xi8>
// PAIRS: %[[E:.*]] = arith.extsi %[[P]] : vector<16xi8> to vector<16xi16>
// PAIRS: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%{{.*}}, %[[E]])
func.func @interleave(%x: vector<4xi8>, %w: vector<4x16xi8>, %acc: vector<16xi32>) -> vector<16xi32> {
  %xe = arith.extsi %x : vector<4xi8> to vector<4xi32>
  %we = arith.extsi %w : vector<4x16xi8> to vector<4x16xi32>
  %0 = vector.contract {indexing_maps = [affine_map<(f, c) -> (c)>, affine_map<(f, c) -> (c, f)>, affine_map<(f, c) -> (f)>],
                        iterator_types = ["parallel", "reduction"], kind = #vector.kind<add>}
       %xe, %we, %acc : vector<4xi32>, vector<4x16xi32> into vector<16xi32>
  return %0 : vector<16xi32>
}

// -----

// Outputs that no instruction width divides (6: neither 16, 8 nor 4
// lanes), and float contractions, keep their vector.contract.
// VNNI-LABEL: func @left_alone
// VNNI-NOT: llvm.call_intrinsic
// VNNI-COUNT-2: vector.contract
// PAIRS-LABEL: func @left_alone
// PAIRS-NOT: llvm.call_intrinsic
// PAIRS-COUNT-2: vector.contract
func.func @left_alone(%y: vector<2x8xi8>, %v: vector<8x6xi8>, %acc8: vector<2x6xi32>,
                      %a: vector<2x8xf32>, %b: vector<8x16xf32>, %accf: vector<2x16xf32>)
    -> (vector<2x6xi32>, vector<2x16xf32>) {
  %ye = arith.extsi %y : vector<2x8xi8> to vector<2x8xi32>
  %ve = arith.extsi %v : vector<8x6xi8> to vector<8x6xi32>
  %1 = vector.contract {indexing_maps = [affine_map<(w, f, c) -> (w, c)>, affine_map<(w, f, c) -> (c, f)>, affine_map<(w, f, c) -> (w, f)>],
                        iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>}
       %ye, %ve, %acc8 : vector<2x8xi32>, vector<8x6xi32> into vector<2x6xi32>
  %2 = vector.contract {indexing_maps = [affine_map<(w, f, c) -> (w, c)>, affine_map<(w, f, c) -> (c, f)>, affine_map<(w, f, c) -> (w, f)>],
                        iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>}
       %a, %b, %accf : vector<2x8xf32>, vector<8x16xf32> into vector<2x16xf32>
  return %1, %2 : vector<2x6xi32>, vector<2x16xf32>
}

// -----

// 24 output channels are a 16-lane and an 8-lane block with AVX-512 (the
// 256-bit vpdpbusd), 6 blocks of 4 with sdot; one group of 4 channels.
// VNNI-LABEL: func @mixed_widths
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"{{.*}} -> vector<16xi32>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"{{.*}} -> vector<16xi32>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"{{.*}} -> vector<8xi32>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"{{.*}} -> vector<8xi32>
// VNNI-NOT: llvm.call_intrinsic
// VNNI: vector.insert_strided_slice {{.*}} {offsets = [16], strides = [1]} : vector<8xi32> into vector<24xi32>
// SDOT-LABEL: func @mixed_widths
// SDOT-COUNT-6: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
// SDOT-NOT: llvm.call_intrinsic
// SDOT: return
func.func @mixed_widths(%x: vector<4xi8>, %w: vector<4x24xi8>, %acc: vector<24xi32>) -> vector<24xi32> {
  %xe = arith.extsi %x : vector<4xi8> to vector<4xi32>
  %we = arith.extsi %w : vector<4x24xi8> to vector<4x24xi32>
  %0 = vector.contract {indexing_maps = [affine_map<(f, c) -> (c)>, affine_map<(f, c) -> (c, f)>, affine_map<(f, c) -> (f)>],
                        iterator_types = ["parallel", "reduction"], kind = #vector.kind<add>}
       %xe, %we, %acc : vector<4xi32>, vector<4x24xi32> into vector<24xi32>
  return %0 : vector<24xi32>
}

// -----

// Three input channels (an RGB stem) are one group padded with a zero
// activation and zero weights.
// VNNI-LABEL: func @partial_group
// VNNI: vector.shuffle %{{.*}}, %{{.*}} [0, 1, 2, 3] : vector<3xi8>, vector<4xi8>
// VNNI: vector.shuffle %{{.*}}, %{{.*}} [0, 1, 2, 3] : vector<3xi8>, vector<4xi8>
// VNNI-COUNT-3: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI-NOT: vector.contract
// In pairs, the second pair is channel 2 and a zero: 2 pairs x 2 blocks x
// 2 columns.
// PAIRS-LABEL: func @partial_group
// PAIRS-COUNT-4: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// PAIRS: vector.shuffle %{{.*}}, %{{.*}} [0, 1] : vector<1xi8>, vector<2xi8>
// PAIRS: vector.shuffle %{{.*}}, %{{.*}} [0, 1] : vector<1xi8>, vector<2xi8>
// PAIRS-COUNT-4: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// PAIRS-NOT: vector.contract
func.func @partial_group(%x: vector<2x3xi8>, %w: vector<3x16xi8>, %acc: vector<2x16xi32>) -> vector<2x16xi32> {
  %xe = arith.extsi %x : vector<2x3xi8> to vector<2x3xi32>
  %we = arith.extsi %w : vector<3x16xi8> to vector<3x16xi32>
  %0 = vector.contract {indexing_maps = [affine_map<(w, f, c) -> (w, c)>, affine_map<(w, f, c) -> (c, f)>, affine_map<(w, f, c) -> (w, f)>],
                        iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>}
       %xe, %we, %acc : vector<2x3xi32>, vector<3x16xi32> into vector<2x16xi32>
  return %0 : vector<2x16xi32>
}

// -----

// Weights read from a constant global are packed at compile time: w[c][f]
// = c, so each output's 4 bytes of group 0 are 00 01 02 03, of group 1
// 04 05 06 07. vpdpbusd's offsets are 128 * (0 + 1 + ... + 7) = 3584 =
// 0xE00 per output for channels 0-7 and 128 * 92 = 0x2E00 for 8-15,
// little-endian. The tile loops over the 16 channels in
// steps of 8, so its channel index is a multiple of 8 and the packed index
// is c / 4. The activations are broadcast straight from memory. The
// original filter is no longer read and goes.
// VNNI-NOT: memref.global "private" constant @filter :
// VNNI: memref.global "private" constant @filter_dot4 : memref<1x4x64xi8> = dense_resource<[[W:.*]]> {alignment = 64 : i64}
// VNNI: memref.global "private" constant @filter_dot4_offsets8 : memref<1x2x16xi32> = dense_resource<[[O:.*]]> {alignment = 64 : i64}
// VNNI-LABEL: func @packed
// VNNI-DAG: %[[W4:.*]] = memref.get_global @filter_dot4
// VNNI-DAG: %[[OFF:.*]] = memref.get_global @filter_dot4_offsets8
// VNNI-DAG: %[[Q:.*]] = arith.divui %[[C:.*]], %c4
// VNNI-DAG: %[[B:.*]] = arith.divui %[[C]], %c8
// VNNI-DAG: vector.load %[[OFF]][%c0{{.*}}, %[[B]], %c0{{.*}}] : memref<1x2x16xi32>, vector<16xi32>
// VNNI-DAG: vector.load %{{.*}}[%c0{{.*}}, %c0{{.*}}, %[[C]]] : memref<1x2x16xi8>, vector<4xi8>
// VNNI-DAG: vector.load %[[W4]][%c0{{.*}}, %[[Q]], %c0{{.*}}] : memref<1x4x64xi8>, vector<64xi8>
// VNNI-NOT: vector.shuffle
// VNNI-COUNT-4: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI-NOT: llvm.call_intrinsic
// The blobs start with their alignment, 1 and 4 bytes.
// VNNI: [[W]]: "0x01000000{{(00010203){16}(04050607){16}(08090A0B){16}(0C0D0E0F){16}"}}
// VNNI: [[O]]: "0x04000000{{(000E0000){16}(002E0000){16}"}}
// SDOT-NOT: _offsets
// SDOT: memref.global "private" constant @filter_dot4 : memref<1x4x64xi8>
// SDOT-NOT: _offsets
// SDOT-LABEL: func @packed
// SDOT-COUNT-16: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
// Pairs are packed as i16: each output's pair k is (2k, 2k + 1), 16-bit
// little-endian: 0000 0100, then 0200 0300, ...; c / 2 indexes them, and
// the second 8-lane block starts 16 values on.
// PAIRS-NOT: _offsets
// PAIRS: memref.global "private" constant @filter_dot2 : memref<1x8x32xi16> = dense_resource<[[PW:.*]]> {alignment = 64 : i64}
// PAIRS-LABEL: func @packed
// PAIRS-DAG: %[[W2:.*]] = memref.get_global @filter_dot2
// PAIRS-DAG: %[[H:.*]] = arith.divui %[[C:.*]], %c2
// PAIRS-DAG: %[[X:.*]] = vector.load %{{.*}}[%c0{{.*}}, %c0{{.*}}, %[[C]]] : memref<1x2x16xi8>, vector<2xi8>
// PAIRS-DAG: vector.load %[[W2]][%c0{{.*}}, %[[H]], %c0{{.*}}] : memref<1x8x32xi16>, vector<16xi16>
// PAIRS-DAG: vector.load %[[W2]][%c0{{.*}}, %[[H]], %c16{{.*}}] : memref<1x8x32xi16>, vector<16xi16>
// PAIRS-DAG: vector.bitcast %[[X]] : vector<2xi8> to vector<1xi16>
// PAIRS-NOT: vector.shuffle
// PAIRS: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// PAIRS-NOT: vector.shuffle
// PAIRS: return
// PAIRS: [[PW]]: "0x02000000{{(00000100){16}(02000300){16}(04000500){16}(06000700){16}(08000900){16}(0A000B00){16}(0C000D00){16}(0E000F00){16}"}}
memref.global "private" constant @filter : memref<1x16x16xi8> = dense<[
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
   [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3],
   [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5],
   [6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6], [7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7],
   [8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8], [9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9],
   [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10], [11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11],
   [12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12], [13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13],
   [14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14], [15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15]]]>
func.func @packed(%in: memref<1x2x16xi8>, %init: vector<2x16xi32>) -> vector<2x16xi32> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c0_i8 = arith.constant 0 : i8
  %g = memref.get_global @filter : memref<1x16x16xi8>
  %r = scf.for %c = %c0 to %c16 step %c8 iter_args(%acc = %init) -> (vector<2x16xi32>) {
    %x = vector.transfer_read %in[%c0, %c0, %c], %c0_i8 {in_bounds = [true, true]} : memref<1x2x16xi8>, vector<2x8xi8>
    %w = vector.transfer_read %g[%c0, %c, %c0], %c0_i8 {in_bounds = [true, true]} : memref<1x16x16xi8>, vector<8x16xi8>
    %xe = arith.extsi %x : vector<2x8xi8> to vector<2x8xi32>
    %we = arith.extsi %w : vector<8x16xi8> to vector<8x16xi32>
    %0 = vector.contract {indexing_maps = [affine_map<(w, f, c) -> (w, c)>, affine_map<(w, f, c) -> (c, f)>, affine_map<(w, f, c) -> (w, f)>],
                          iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>}
         %xe, %we, %acc : vector<2x8xi32>, vector<8x16xi32> into vector<2x16xi32>
    scf.yield %0 : vector<2x16xi32>
  }
  return %r : vector<2x16xi32>
}

// -----

// A channel index that need not be a multiple of the tile's channels
// (a function argument here) would not map onto the packed groups: the
// weights are shuffled in the loop and the filter stays.
// VNNI: memref.global "private" constant @kept
// VNNI-NOT: _dot4
// VNNI-LABEL: func @unknown_offset
// VNNI: vector.shuffle
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
memref.global "private" constant @kept : memref<8x16xi8> = dense<1>
func.func @unknown_offset(%x: vector<4xi8>, %c: index, %acc: vector<16xi32>) -> vector<16xi32> {
  %c0 = arith.constant 0 : index
  %c0_i8 = arith.constant 0 : i8
  %g = memref.get_global @kept : memref<8x16xi8>
  %w = vector.transfer_read %g[%c, %c0], %c0_i8 {in_bounds = [true, true]} : memref<8x16xi8>, vector<4x16xi8>
  %xe = arith.extsi %x : vector<4xi8> to vector<4xi32>
  %we = arith.extsi %w : vector<4x16xi8> to vector<4x16xi32>
  %0 = vector.contract {indexing_maps = [affine_map<(f, c) -> (c)>, affine_map<(f, c) -> (c, f)>, affine_map<(f, c) -> (f)>],
                        iterator_types = ["parallel", "reduction"], kind = #vector.kind<add>}
       %xe, %we, %acc : vector<4xi32>, vector<4x16xi32> into vector<16xi32>
  return %0 : vector<16xi32>
}

// -----

// One filter read by tiles of 8 and of 4 input channels: one packed copy
// of the weights, offsets for each tile size, and the original goes once.
// VNNI-NOT: @shared :
// VNNI: memref.global "private" constant @shared_dot4 : memref<2x64xi8>
// VNNI-NOT: _dot4 :
// VNNI-DAG: memref.global "private" constant @shared_dot4_offsets8 : memref<1x16xi32>
// VNNI-DAG: memref.global "private" constant @shared_dot4_offsets4 : memref<2x16xi32>
// VNNI-LABEL: func @shared_filter
// VNNI-COUNT-2: memref.get_global @shared_dot4 :
memref.global "private" constant @shared : memref<8x16xi8> = dense<1>
func.func @shared_filter(%x8: vector<8xi8>, %x4: vector<4xi8>, %acc: vector<16xi32>) -> (vector<16xi32>, vector<16xi32>) {
  %c0 = arith.constant 0 : index
  %c0_i8 = arith.constant 0 : i8
  %g = memref.get_global @shared : memref<8x16xi8>
  %w8 = vector.transfer_read %g[%c0, %c0], %c0_i8 {in_bounds = [true, true]} : memref<8x16xi8>, vector<8x16xi8>
  %w4 = vector.transfer_read %g[%c0, %c0], %c0_i8 {in_bounds = [true, true]} : memref<8x16xi8>, vector<4x16xi8>
  %x8e = arith.extsi %x8 : vector<8xi8> to vector<8xi32>
  %w8e = arith.extsi %w8 : vector<8x16xi8> to vector<8x16xi32>
  %x4e = arith.extsi %x4 : vector<4xi8> to vector<4xi32>
  %w4e = arith.extsi %w4 : vector<4x16xi8> to vector<4x16xi32>
  %0 = vector.contract {indexing_maps = [affine_map<(f, c) -> (c)>, affine_map<(f, c) -> (c, f)>, affine_map<(f, c) -> (f)>],
                        iterator_types = ["parallel", "reduction"], kind = #vector.kind<add>}
       %x8e, %w8e, %acc : vector<8xi32>, vector<8x16xi32> into vector<16xi32>
  %1 = vector.contract {indexing_maps = [affine_map<(f, c) -> (c)>, affine_map<(f, c) -> (c, f)>, affine_map<(f, c) -> (f)>],
                        iterator_types = ["parallel", "reduction"], kind = #vector.kind<add>}
       %x4e, %w4e, %acc : vector<4xi32>, vector<4x16xi32> into vector<16xi32>
  return %0, %1 : vector<16xi32>, vector<16xi32>
}

// -----

// With isa=auto the instruction follows the module's target: AVX2 without
// VNNI gets pmaddwd on ymm.
// NONE-LABEL: func @auto_avx2
// NONE: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// NONE-NOT: vector.contract
module attributes {llvm.target_triple = "x86_64-unknown-linux-gnu", qe.target_features = "+avx,+avx2,+fma,+sse2,-avx512f"} {
  func.func @auto_avx2(%x: vector<4xi8>, %w: vector<4x8xi8>, %acc: vector<8xi32>) -> vector<8xi32> {
    %xe = arith.extsi %x : vector<4xi8> to vector<4xi32>
    %we = arith.extsi %w : vector<4x8xi8> to vector<4x8xi32>
    %0 = vector.contract {indexing_maps = [affine_map<(f, c) -> (c)>, affine_map<(f, c) -> (c, f)>, affine_map<(f, c) -> (f)>],
                          iterator_types = ["parallel", "reduction"], kind = #vector.kind<add>}
         %xe, %we, %acc : vector<4xi32>, vector<4x8xi32> into vector<8xi32>
    return %0 : vector<8xi32>
  }
}

// -----

// An x86-64 triple without features (a generic CPU) still has SSE2:
// pmaddwd on xmm, 4 lanes. AArch64 without the dot-product extension gets
// nothing.
// NONE-LABEL: func @auto_generic_x86
// NONE-COUNT-2: llvm.call_intrinsic "llvm.x86.sse2.pmadd.wd"{{.*}} -> vector<4xi32>
// NONE-NOT: vector.contract
module attributes {llvm.target_triple = "x86_64-linux-gnu"} {
  func.func @auto_generic_x86(%x: vector<4xi8>, %w: vector<4x8xi8>, %acc: vector<8xi32>) -> vector<8xi32> {
    %xe = arith.extsi %x : vector<4xi8> to vector<4xi32>
    %we = arith.extsi %w : vector<4x8xi8> to vector<4x8xi32>
    %0 = vector.contract {indexing_maps = [affine_map<(f, c) -> (c)>, affine_map<(f, c) -> (c, f)>, affine_map<(f, c) -> (f)>],
                          iterator_types = ["parallel", "reduction"], kind = #vector.kind<add>}
         %xe, %we, %acc : vector<4xi32>, vector<4x8xi32> into vector<8xi32>
    return %0 : vector<8xi32>
  }
}

// -----

// NONE-LABEL: func @auto_arm_without_dotprod
// NONE: vector.contract
module attributes {llvm.target_triple = "aarch64-linux-gnu", qe.target_features = "+neon"} {
  func.func @auto_arm_without_dotprod(%x: vector<4xi8>, %w: vector<4x8xi8>, %acc: vector<8xi32>) -> vector<8xi32> {
    %xe = arith.extsi %x : vector<4xi8> to vector<4xi32>
    %we = arith.extsi %w : vector<4x8xi8> to vector<4x8xi32>
    %0 = vector.contract {indexing_maps = [affine_map<(f, c) -> (c)>, affine_map<(f, c) -> (c, f)>, affine_map<(f, c) -> (f)>],
                          iterator_types = ["parallel", "reduction"], kind = #vector.kind<add>}
         %xe, %we, %acc : vector<4xi32>, vector<4x8xi32> into vector<8xi32>
    return %0 : vector<8xi32>
  }
}

// -----

// A tile of 4 of the filter's 8 outputs, at an output index stepping by 4:
// the packed copy keeps each block of 4 outputs together, [2 blocks, 1,
// 2 groups, 4 x 4 bytes], and the load takes block f / 4. w[c][f] =
// 16c + f, so each output's group bytes are f, 16 + f, 32 + f, 48 + f
// (group 0) and 64 + f ... 112 + f (group 1): block 0 holds outputs 0-3 of
// both groups, then block 1 outputs 4-7. The offsets stay [..., F]:
// 128 * (16 * 28 + 8f) = 0xE000 + 0x400 f.
// VNNI: memref.global "private" constant @blockfilter_dot4_blocks4 : memref<2x1x2x16xi8> = dense_resource<[[BW:.*]]> {alignment = 64 : i64}
// VNNI: memref.global "private" constant @blockfilter_dot4_offsets8 : memref<1x1x8xi32> = dense_resource<[[BO:.*]]> {alignment = 64 : i64}
// VNNI-LABEL: func @packed_output_blocks
// VNNI: scf.for %[[F:.*]] = %c0 to %c8 step %c4
// VNNI-DAG: %[[P:.*]] = memref.get_global @blockfilter_dot4_blocks4
// VNNI-DAG: %[[OFF:.*]] = memref.get_global @blockfilter_dot4_offsets8
// VNNI-DAG: %[[B:.*]] = arith.divui %[[F]], %c4
// VNNI-DAG: vector.load %[[OFF]][%c0{{.*}}, %c0{{.*}}, %[[F]]] : memref<1x1x8xi32>, vector<4xi32>
// VNNI: vector.load %[[P]][%[[B]], %c0{{.*}}, %c0{{.*}}, %c0{{.*}}] : memref<2x1x2x16xi8>, vector<16xi8>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.128"
// VNNI: vector.load %[[P]][%[[B]], %c0{{.*}}, %c1{{.*}}, %c0{{.*}}] : memref<2x1x2x16xi8>, vector<16xi8>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.128"
// VNNI-NOT: vector.shuffle
// VNNI: [[BW]]: "0x01000000{{00102030011121310212223203132333}}{{40506070415161714252627243536373}}{{04142434051525350616263607172737}}{{44546474455565754656667647576777}}"
// VNNI: [[BO]]: "0x04000000{{00E0000000E4000000E8000000EC0000}}{{00F0000000F4000000F8000000FC0000}}"
// Pairs in i16: [2 blocks, 1, 4 pairs, 4 x 2], output 0's first pair 0, 16.
// PAIRS: memref.global "private" constant @blockfilter_dot2_blocks4 : memref<2x1x4x8xi16> = dense_resource<[[BP:.*]]> {alignment = 64 : i64}
// PAIRS-LABEL: func @packed_output_blocks
// PAIRS: %[[B:.*]] = arith.divui %{{.*}}, %c4
// PAIRS: vector.load %{{.*}}[%[[B]], %c0{{.*}}, %c0{{.*}}, %c0{{.*}}] : memref<2x1x4x8xi16>, vector<8xi16>
// PAIRS: [[BP]]: "0x02000000{{0000100001001100020012000300130020003000}}

memref.global "private" constant @blockfilter : memref<1x8x8xi8> = dense<[[
  [0, 1, 2, 3, 4, 5, 6, 7], [16, 17, 18, 19, 20, 21, 22, 23],
  [32, 33, 34, 35, 36, 37, 38, 39], [48, 49, 50, 51, 52, 53, 54, 55],
  [64, 65, 66, 67, 68, 69, 70, 71], [80, 81, 82, 83, 84, 85, 86, 87],
  [96, 97, 98, 99, 100, 101, 102, 103], [112, 113, 114, 115, 116, 117, 118, 119]]]> {alignment = 64 : i64}

func.func @packed_output_blocks(%in: memref<1x8xi8>, %out: memref<8xi32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c0_i8 = arith.constant 0 : i8
  %zero = arith.constant dense<0> : vector<4xi32>
  %g = memref.get_global @blockfilter : memref<1x8x8xi8>
  scf.for %f = %c0 to %c8 step %c4 {
    %x = vector.transfer_read %in[%c0, %c0], %c0_i8 {in_bounds = [true]} : memref<1x8xi8>, vector<8xi8>
    %w = vector.transfer_read %g[%c0, %c0, %f], %c0_i8 {in_bounds = [true, true]} : memref<1x8x8xi8>, vector<8x4xi8>
    %xe = arith.extsi %x : vector<8xi8> to vector<8xi32>
    %we = arith.extsi %w : vector<8x4xi8> to vector<8x4xi32>
    %0 = vector.contract {indexing_maps = [affine_map<(f, c) -> (c)>, affine_map<(f, c) -> (c, f)>, affine_map<(f, c) -> (f)>],
                          iterator_types = ["parallel", "reduction"], kind = #vector.kind<add>}
         %xe, %we, %zero : vector<8xi32>, vector<8x4xi32> into vector<4xi32>
    vector.transfer_write %0, %out[%f] {in_bounds = [true]} : vector<4xi32>, memref<8xi32>
  }
  return
}
