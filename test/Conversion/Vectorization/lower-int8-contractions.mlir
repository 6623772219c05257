// RUN: quant-opt %s -split-input-file -qe-lower-int8-contractions="isa=avx512-vnni" | FileCheck %s --check-prefix=VNNI
// RUN: quant-opt %s -split-input-file -qe-lower-int8-contractions="isa=neon-dotprod" | FileCheck %s --check-prefix=SDOT
// RUN: quant-opt %s -split-input-file -qe-lower-int8-contractions | FileCheck %s --check-prefix=NONE
// RUN: not quant-opt %s -qe-lower-int8-contractions="isa=sse9" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: qe-lower-int8-contractions: unknown isa 'sse9' (expected auto, avx512-vnni, avx-vnni, neon-dotprod or none)

// Two output columns, 8 input channels (two groups of 4), 16 outputs.
// vpdpbusd: activations flipped to unsigned (x ^ 0x80); per group one
// correction dot (128 x the weights) and one dot per column: 2 x (1 + 2) =
// 6 calls; the correction is subtracted once per column.
// sdot: signed x signed, 4 lanes: 16 outputs are 4 blocks, 2 groups x 4
// blocks x 2 columns = 16 calls, no correction.
// Without a target (no qe-annotate-target attributes) nothing changes.
// VNNI-LABEL: func @conv_tile
// VNNI: arith.xori
// VNNI-COUNT-6: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI-NOT: llvm.call_intrinsic
// VNNI-COUNT-2: arith.subi {{.*}} : vector<16xi32>
// VNNI-NOT: vector.contract
// SDOT-LABEL: func @conv_tile
// SDOT-NOT: arith.xori
// SDOT-COUNT-16: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
// SDOT-NOT: arith.subi
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
func.func @interleave(%x: vector<4xi8>, %w: vector<4x16xi8>, %acc: vector<16xi32>) -> vector<16xi32> {
  %xe = arith.extsi %x : vector<4xi8> to vector<4xi32>
  %we = arith.extsi %w : vector<4x16xi8> to vector<4x16xi32>
  %0 = vector.contract {indexing_maps = [affine_map<(f, c) -> (c)>, affine_map<(f, c) -> (c, f)>, affine_map<(f, c) -> (f)>],
                        iterator_types = ["parallel", "reduction"], kind = #vector.kind<add>}
       %xe, %we, %acc : vector<4xi32>, vector<4x16xi32> into vector<16xi32>
  return %0 : vector<16xi32>
}

// -----

// Channel counts that do not split into groups of 4, outputs that do not
// fill the lanes, and float contractions keep their vector.contract.
// VNNI-LABEL: func @left_alone
// VNNI-NOT: llvm.call_intrinsic
// VNNI-COUNT-3: vector.contract
func.func @left_alone(%x: vector<2x3xi8>, %w: vector<3x16xi8>, %acc: vector<2x16xi32>,
                      %y: vector<2x8xi8>, %v: vector<8x8xi8>, %acc8: vector<2x8xi32>,
                      %a: vector<2x8xf32>, %b: vector<8x16xf32>, %accf: vector<2x16xf32>)
    -> (vector<2x16xi32>, vector<2x8xi32>, vector<2x16xf32>) {
  %xe = arith.extsi %x : vector<2x3xi8> to vector<2x3xi32>
  %we = arith.extsi %w : vector<3x16xi8> to vector<3x16xi32>
  %0 = vector.contract {indexing_maps = [affine_map<(w, f, c) -> (w, c)>, affine_map<(w, f, c) -> (c, f)>, affine_map<(w, f, c) -> (w, f)>],
                        iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>}
       %xe, %we, %acc : vector<2x3xi32>, vector<3x16xi32> into vector<2x16xi32>
  %ye = arith.extsi %y : vector<2x8xi8> to vector<2x8xi32>
  %ve = arith.extsi %v : vector<8x8xi8> to vector<8x8xi32>
  %1 = vector.contract {indexing_maps = [affine_map<(w, f, c) -> (w, c)>, affine_map<(w, f, c) -> (c, f)>, affine_map<(w, f, c) -> (w, f)>],
                        iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>}
       %ye, %ve, %acc8 : vector<2x8xi32>, vector<8x8xi32> into vector<2x8xi32>
  %2 = vector.contract {indexing_maps = [affine_map<(w, f, c) -> (w, c)>, affine_map<(w, f, c) -> (c, f)>, affine_map<(w, f, c) -> (w, f)>],
                        iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>}
       %a, %b, %accf : vector<2x8xf32>, vector<8x16xf32> into vector<2x16xf32>
  return %0, %1, %2 : vector<2x16xi32>, vector<2x8xi32>, vector<2x16xf32>
}
