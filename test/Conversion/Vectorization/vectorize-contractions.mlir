// RUN: quant-opt %s -split-input-file -qe-vectorize-contractions | FileCheck %s
// RUN: quant-opt %s -split-input-file -qe-vectorize-contractions="fuse-consumers=false" | FileCheck %s --check-prefix=NOFUSE

// A convolution with a constant FHWC filter becomes HWCF (transposed at
// compile time), is tiled, decomposed to 1-D and vectorized.
// CHECK-LABEL: func @conv
// CHECK-NOT: linalg.conv_2d
// CHECK: scf.for
// CHECK: vector.transfer_read
// CHECK: vector.contract
// CHECK: vector.transfer_write
func.func @conv(%x: tensor<1x10x10x8xf32>, %init: tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32> {
  %w = arith.constant dense<1.0> : tensor<16x3x3x8xf32>
  %0 = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x10x10x8xf32>, tensor<16x3x3x8xf32>) outs(%init : tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32>
  return %0 : tensor<1x8x8x16xf32>
}

// -----

// Tile sizes shrink to divisors of the loop ranges, so tiles stay static:
// m = 6 with a requested 4 tiles by 3, n = 10 with 16 by 10, k = 12 with 8
// by 6.
// CHECK-LABEL: func @matmul
// CHECK: vector.contract {{.*}} vector<1x3x6xf32>, vector<1x6x10xf32> into vector<1x3x10xf32>
func.func @matmul(%a: tensor<1x6x12xf32>, %b: tensor<1x12x10xf32>, %c: tensor<1x6x10xf32>) -> tensor<1x6x10xf32> {
  %0 = linalg.batch_matmul ins(%a, %b : tensor<1x6x12xf32>, tensor<1x12x10xf32>) outs(%c : tensor<1x6x10xf32>) -> tensor<1x6x10xf32>
  return %0 : tensor<1x6x10xf32>
}

// -----

// Dynamic shapes and filters computed at run time are left alone.
// CHECK-LABEL: func @left_alone
// CHECK: linalg.batch_matmul
// CHECK: linalg.conv_2d_nhwc_fhwc
func.func @left_alone(%a: tensor<1x?x12xf32>, %b: tensor<1x12x10xf32>, %c: tensor<1x?x10xf32>,
                      %x: tensor<1x10x10x8xf32>, %w: tensor<16x3x3x8xf32>, %init: tensor<1x8x8x16xf32>)
    -> (tensor<1x?x10xf32>, tensor<1x8x8x16xf32>) {
  %0 = linalg.batch_matmul ins(%a, %b : tensor<1x?x12xf32>, tensor<1x12x10xf32>) outs(%c : tensor<1x?x10xf32>) -> tensor<1x?x10xf32>
  %1 = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x10x10x8xf32>, tensor<16x3x3x8xf32>) outs(%init : tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32>
  return %0, %1 : tensor<1x?x10xf32>, tensor<1x8x8x16xf32>
}

// -----

// The filter transpose is exact: FHWC [f][h][w][c] = 1000 f + c here
// lands at HWCF [h][w][c][f]: the blob (after its 4-byte alignment header)
// holds 0, 1000, 1, 1001 as little-endian f32 (0x447A0000 is 1000).
// CHECK-LABEL: func @filter_transpose
// CHECK: arith.constant dense_resource<qe_hwcf_filter> : tensor<1x1x2x2xf32>
// CHECK: qe_hwcf_filter: "0x04000000000000000000{{7A44|7a44}}0000803F00{{.*}}"
func.func @filter_transpose(%x: tensor<1x1x1x2xf32>, %init: tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32> {
  %w = arith.constant dense<[[[[0.0, 1.0]]], [[[1000.0, 1001.0]]]]> : tensor<2x1x1x2xf32>
  %0 = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x1x1x2xf32>, tensor<2x1x1x2xf32>) outs(%init : tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32>
  return %0 : tensor<1x1x1x2xf32>
}

// -----

// The accumulator tile stays in registers across the reduction loops (kernel
// row, kernel column, input-channel tiles): it is read once before them and
// written once after them, and the contraction inside adds into the loop's
// vector iter_arg.
// CHECK-LABEL: func @accumulator_hoisted
// CHECK: %[[ACC:.*]] = vector.transfer_read %{{.*}} : tensor<1x8x8x16xf32>, vector<1x8x8xf32>
// CHECK: scf.for {{.*}} iter_args(%[[A1:.*]] = %[[ACC]]) -> (vector<1x8x8xf32>)
// CHECK: scf.for {{.*}} -> (vector<1x8x8xf32>)
// CHECK: scf.for {{.*}} iter_args(%[[A3:.*]] = %{{.*}}) -> (vector<1x8x8xf32>)
// CHECK-NOT: vector.transfer_write
// CHECK: vector.contract {{.*}} %[[A3]]
// CHECK: }
// CHECK: }
// CHECK: }
// CHECK: vector.transfer_write {{.*}} : vector<1x8x8xf32>, tensor<1x8x8x16xf32>
func.func @accumulator_hoisted(%x: tensor<1x10x10x16xf32>, %init: tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32> {
  %w = arith.constant dense<1.0> : tensor<16x3x3x16xf32>
  %0 = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x10x10x16xf32>, tensor<16x3x3x16xf32>) outs(%init : tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32>
  return %0 : tensor<1x8x8x16xf32>
}

// -----

// Integer convolutions lose their zero points: with weight zero point 0,
// sum((x - 3) * w) = sum(x * w) - 3 * sum(w), so the init is lowered by
// 3 * (1 + 2) = 9 for channel 0 and 3 * (3 - 4) = -3 for channel 1, and the
// plain i8 x i8 -> i32 convolution (which vectorizes) accumulates onto it.
// CHECK-LABEL: func @conv_zero_points
// CHECK-NOT: conv_2d_nhwc_fhwc_q
// CHECK: %[[CORR:.*]] = arith.constant dense<[9, -3]> : tensor<2xi32>
// CHECK: linalg.generic {{.*}} ins(%[[CORR]] : tensor<2xi32>)
// CHECK: arith.subi
// CHECK: arith.extsi {{.*}} to vector<{{.*}}xi32>
// CHECK: vector.contract
func.func @conv_zero_points(%x: tensor<1x1x4x2xi8>, %init: tensor<1x1x4x2xi32>) -> tensor<1x1x4x2xi32> {
  %w = arith.constant dense<[[[[1, 2]]], [[[3, -4]]]]> : tensor<2x1x1x2xi8>
  %zx = arith.constant 3 : i32
  %zw = arith.constant 0 : i32
  %0 = linalg.conv_2d_nhwc_fhwc_q {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w, %zx, %zw : tensor<1x1x4x2xi8>, tensor<2x1x1x2xi8>, i32, i32) outs(%init : tensor<1x1x4x2xi32>) -> tensor<1x1x4x2xi32>
  return %0 : tensor<1x1x4x2xi32>
}

// -----

// The usual init is a fill of 0: the init is then the constant 0 - 9 and
// 0 + 3 per channel. The tile's accumulator starts from that constant, and
// the tile is written into an empty tensor: neither the fill nor the init
// is ever written. (One tile covers the op here, so no loop is left.)
// CHECK-LABEL: func @conv_zero_points_on_fill
// CHECK-DAG: %[[INIT:.*]] = arith.constant dense<[-9, 3]> : tensor<2xi32>
// CHECK-NOT: linalg.fill
// CHECK-NOT: linalg.generic
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<1x1x4x2xi32>
// CHECK-NEXT: %[[ROW:.*]] = vector.transfer_read %[[INIT]][%{{.*}}]
// CHECK-NEXT: %[[ACC:.*]] = vector.broadcast %[[ROW]] : vector<2xi32> to vector<1x4x2xi32>
// CHECK: vector.contract {{.*}} %[[ACC]]
// CHECK: vector.transfer_write %{{.*}}, %[[EMPTY]]
func.func @conv_zero_points_on_fill(%x: tensor<1x1x4x2xi8>) -> tensor<1x1x4x2xi32> {
  %w = arith.constant dense<[[[[1, 2]]], [[[3, -4]]]]> : tensor<2x1x1x2xi8>
  %zx = arith.constant 3 : i32
  %zw = arith.constant 0 : i32
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x1x4x2xi32>
  %init = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x1x4x2xi32>) -> tensor<1x1x4x2xi32>
  %0 = linalg.conv_2d_nhwc_fhwc_q {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w, %zx, %zw : tensor<1x1x4x2xi8>, tensor<2x1x1x2xi8>, i32, i32) outs(%init : tensor<1x1x4x2xi32>) -> tensor<1x1x4x2xi32>
  return %0 : tensor<1x1x4x2xi32>
}

// -----

// Depthwise: the correction is per (channel, multiplier); 2 * (1 + 5) = 12
// and 2 * (-2 + 6) = 8. With a multiplier of 1 it is applied on the init
// without its unit dimension (a trailing 1 would vectorize element by
// element). A non-zero weight zero point keeps the _q op.
// CHECK-LABEL: func @depthwise_zero_points
// CHECK-DAG: %[[CORR:.*]] = arith.constant dense<[12, 8]> : tensor<2xi32>
// CHECK-DAG: %[[INIT:.*]] = tensor.collapse_shape %arg1 {{\[}}[0], [1], [2], [3, 4]] : tensor<1x1x1x2x1xi32> into tensor<1x1x1x2xi32>
// CHECK: linalg.generic {{.*}} ins(%[[CORR]] : tensor<2xi32>) outs(%[[INIT]] : tensor<1x1x1x2xi32>)
// CHECK: arith.subi
// CHECK-NOT: depthwise_conv_2d_nhwc_hwcm_q
// CHECK: return
// CHECK-LABEL: func @weight_zero_point_kept
// CHECK: linalg.conv_2d_nhwc_fhwc_q
func.func @depthwise_zero_points(%x: tensor<1x2x1x2xi8>, %init: tensor<1x1x1x2x1xi32>) -> tensor<1x1x1x2x1xi32> {
  %w = arith.constant dense<[[[[1], [-2]]], [[[5], [6]]]]> : tensor<2x1x2x1xi8>
  %zx = arith.constant 2 : i32
  %zw = arith.constant 0 : i32
  %0 = linalg.depthwise_conv_2d_nhwc_hwcm_q {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w, %zx, %zw : tensor<1x2x1x2xi8>, tensor<2x1x2x1xi8>, i32, i32) outs(%init : tensor<1x1x1x2x1xi32>) -> tensor<1x1x1x2x1xi32>
  return %0 : tensor<1x1x1x2x1xi32>
}
func.func @weight_zero_point_kept(%x: tensor<1x1x4x2xi8>, %init: tensor<1x1x4x2xi32>) -> tensor<1x1x4x2xi32> {
  %w = arith.constant dense<[[[[1, 2]]], [[[3, -4]]]]> : tensor<2x1x1x2xi8>
  %zx = arith.constant 3 : i32
  %zw = arith.constant 1 : i32
  %0 = linalg.conv_2d_nhwc_fhwc_q {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w, %zx, %zw : tensor<1x1x4x2xi8>, tensor<2x1x1x2xi8>, i32, i32) outs(%init : tensor<1x1x4x2xi32>) -> tensor<1x1x4x2xi32>
  return %0 : tensor<1x1x4x2xi32>
}

// -----

// A reduction in generic form (a classifier's matrix-vector product with the
// average pool's division fused in) is tiled too: 16 reduction steps by 32
// outputs (AVX2 default: 2 x 8 lanes without a target), with the reduction
// loop outermost so that the weights stream row by row.
// CHECK-LABEL: func @matvec_generic
// CHECK: scf.for %{{.*}} = %c0 to %c64 step %c16
// CHECK: scf.for %{{.*}} = %c0 to %c32 step %c16
// CHECK: arith.divf {{.*}} : vector<
// CHECK: vector.contract
// CHECK-NOT: linalg.generic
#mv_in = affine_map<(f, c) -> (c)>
#mv_w = affine_map<(f, c) -> (c, f)>
#mv_out = affine_map<(f, c) -> (f)>
func.func @matvec_generic(%x: tensor<64xf32>, %w: tensor<64x32xf32>, %init: tensor<32xf32>) -> tensor<32xf32> {
  %n = arith.constant 49.0 : f32
  %0 = linalg.generic {indexing_maps = [#mv_in, #mv_w, #mv_out], iterator_types = ["parallel", "reduction"]}
         ins(%x, %w : tensor<64xf32>, tensor<64x32xf32>) outs(%init : tensor<32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %mean = arith.divf %a, %n : f32
    %p = arith.mulf %mean, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<32xf32>
  return %0 : tensor<32xf32>
}

// -----

// A global average pool's window sum decomposes to 1-D and vectorizes.
// CHECK-LABEL: func @pool_sum
// CHECK-NOT: linalg.pooling
// CHECK: vector.transfer_read
// CHECK: arith.addf {{.*}} : vector<
func.func @pool_sum(%x: tensor<1x7x7x64xf32>, %init: tensor<1x1x1x64xf32>) -> tensor<1x1x1x64xf32> {
  %k = tensor.empty() : tensor<7x7xf32>
  %0 = linalg.pooling_nhwc_sum {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %k : tensor<1x7x7x64xf32>, tensor<7x7xf32>) outs(%init : tensor<1x1x1x64xf32>) -> tensor<1x1x1x64xf32>
  return %0 : tensor<1x1x1x64xf32>
}

// -----

// A reduction that computes in i48 (TOSA 16x8) stays scalar: vectorized,
// the 16x8 model's outputs came out wrong here.
// CHECK-LABEL: func @i48_reduction
// CHECK-NOT: scf.for
// CHECK: linalg.generic
#mv_in = affine_map<(f, c) -> (c)>
#mv_w = affine_map<(f, c) -> (c, f)>
#mv_out = affine_map<(f, c) -> (f)>
func.func @i48_reduction(%x: tensor<64xi16>, %w: tensor<64x32xi8>, %init: tensor<32xi48>) -> tensor<32xi48> {
  %0 = linalg.generic {indexing_maps = [#mv_in, #mv_w, #mv_out], iterator_types = ["parallel", "reduction"]}
         ins(%x, %w : tensor<64xi16>, tensor<64x32xi8>) outs(%init : tensor<32xi48>) {
  ^bb0(%a: i16, %b: i8, %acc: i48):
    %a48 = arith.extsi %a : i16 to i48
    %b48 = arith.extsi %b : i8 to i48
    %p = arith.muli %a48, %b48 : i48
    %s = arith.addi %acc, %p : i48
    linalg.yield %s : i48
  } -> tensor<32xi48>
  return %0 : tensor<32xi48>
}

// -----

// An output width without a good divisor (11 is prime; 8 columns are
// requested without a target) splits into 8 + 3 columns, each tiled whole,
// instead of tiling column by column.
// CHECK-LABEL: func @prime_width
// CHECK-DAG: vector.contract {{.*}} into vector<1x8x8xf32>
// CHECK-DAG: vector.contract {{.*}} into vector<1x3x8xf32>
// CHECK-NOT: into vector<1x1x8xf32>
func.func @prime_width(%x: tensor<1x3x13x8xf32>, %init: tensor<1x1x11x8xf32>) -> tensor<1x1x11x8xf32> {
  %w = arith.constant dense<1.0> : tensor<8x3x3x8xf32>
  %0 = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x3x13x8xf32>, tensor<8x3x3x8xf32>) outs(%init : tensor<1x1x11x8xf32>) -> tensor<1x1x11x8xf32>
  return %0 : tensor<1x1x11x8xf32>
}

// -----

// A reduction loop outermost carries its accumulator through the tensor and
// reads the same slice on every trip: those reads are not the init's
// values, so they keep reading the carried tensor, and the fill stays.
// CHECK-LABEL: func @matvec_on_fill
// CHECK: %[[FILL:.*]] = linalg.fill
// CHECK: scf.for {{.*}} iter_args(%[[T:.*]] = %[[FILL]])
// CHECK: scf.for {{.*}} iter_args(%[[U:.*]] = %[[T]])
// CHECK: vector.transfer_read %[[U]]
#mf_in = affine_map<(f, c) -> (c)>
#mf_w = affine_map<(f, c) -> (c, f)>
#mf_out = affine_map<(f, c) -> (f)>
func.func @matvec_on_fill(%x: tensor<64xf32>, %w: tensor<64x32xf32>) -> tensor<32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<32xf32>) -> tensor<32xf32>
  %0 = linalg.generic {indexing_maps = [#mf_in, #mf_w, #mf_out], iterator_types = ["parallel", "reduction"]}
         ins(%x, %w : tensor<64xf32>, tensor<64x32xf32>) outs(%init : tensor<32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<32xf32>
  return %0 : tensor<32xf32>
}

// -----

// A strided depthwise tile takes every other input column of the window:
// each is one whole row of the read vector, extracted as such (and the
// results inserted back by row), not as a strided slice.
// CHECK-LABEL: func @strided_depthwise_rows
// CHECK: vector.transfer_read {{.*}} vector<1x15x16xf32>
// CHECK-NOT: vector.extract_strided_slice
// CHECK-NOT: vector.insert_strided_slice
// CHECK: vector.extract %{{.*}}[0, 2] : vector<16xf32> from vector<1x15x16xf32>
// CHECK: vector.insert %{{.*}}, %{{.*}} [0, 1] : vector<16xf32> into vector<1x8x16xf32>
func.func @strided_depthwise_rows(%x: tensor<1x3x17x16xf32>, %init: tensor<1x1x8x16xf32>) -> tensor<1x1x8x16xf32> {
  %w = arith.constant dense<1.0> : tensor<3x3x16xf32>
  %0 = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
         ins(%x, %w : tensor<1x3x17x16xf32>, tensor<3x3x16xf32>) outs(%init : tensor<1x1x8x16xf32>) -> tensor<1x1x8x16xf32>
  return %0 : tensor<1x1x8x16xf32>
}

// -----

// Integer convolutions on 256-bit x86 tile for their dot-product
// instruction: with AVX2 (pmaddwd) 2 columns x 32 channels x 8 input
// channels; with AVX-VNNI 4 x 16 x 16; f32 keeps 8 x 8 x 8.
// CHECK-LABEL: func @int8_tiles_avx2
// CHECK: vector.contract {{.*}} : vector<1x2x8xi32>, vector<8x32xi32> into vector<1x2x32xi32>
// CHECK-LABEL: func @f32_tiles_avx2
// CHECK: vector.contract {{.*}} : vector<1x8x8xf32>, vector<8x8xf32> into vector<1x8x8xf32>
module attributes {llvm.target_triple = "x86_64-unknown-linux-gnu", qe.target_features = "+avx,+avx2,+fma,+sse2"} {
  func.func @int8_tiles_avx2(%x: tensor<1x4x8x16xi8>, %init: tensor<1x4x8x64xi32>) -> tensor<1x4x8x64xi32> {
    %w = arith.constant dense<1> : tensor<1x1x16x64xi8>
    %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
           ins(%x, %w : tensor<1x4x8x16xi8>, tensor<1x1x16x64xi8>) outs(%init : tensor<1x4x8x64xi32>) -> tensor<1x4x8x64xi32>
    return %0 : tensor<1x4x8x64xi32>
  }
  func.func @f32_tiles_avx2(%x: tensor<1x4x8x16xf32>, %init: tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32> {
    %w = arith.constant dense<1.0> : tensor<1x1x16x64xf32>
    %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
           ins(%x, %w : tensor<1x4x8x16xf32>, tensor<1x1x16x64xf32>) outs(%init : tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32>
    return %0 : tensor<1x4x8x64xf32>
  }
}

// -----

// CHECK-LABEL: func @int8_tiles_avx_vnni
// CHECK: vector.contract {{.*}} : vector<1x4x16xi32>, vector<16x16xi32> into vector<1x4x16xi32>
module attributes {llvm.target_triple = "x86_64-unknown-linux-gnu", qe.target_features = "+avx,+avx2,+avxvnni,+fma,+sse2"} {
  func.func @int8_tiles_avx_vnni(%x: tensor<1x4x8x16xi8>, %init: tensor<1x4x8x64xi32>) -> tensor<1x4x8x64xi32> {
    %w = arith.constant dense<1> : tensor<1x1x16x64xi8>
    %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
           ins(%x, %w : tensor<1x4x8x16xi8>, tensor<1x1x16x64xi8>) outs(%init : tensor<1x4x8x64xi32>) -> tensor<1x4x8x64xi32>
    return %0 : tensor<1x4x8x64xi32>
  }
}
// -----

// A convolution whose result only its requantization reads (through the
// collapse_shape that linalg-fold-unit-extent-dims leaves, as the elementwise
// op lost the unit batch dimension) is computed inside the requantization's
// tile loops (rows and channel tiles; one tile spans the 8 columns): the
// consumer works on the accumulator vector of the tile, and no i32 tensor
// is written. The bias, the convolution's init broadcast from a
// 1-D constant, is read as a row of that constant.
// CHECK-LABEL: func @fused_requantization
// CHECK-DAG: %[[BIAS:.*]] = arith.constant dense<{{.*}}> : tensor<16xi32>
// CHECK-NOT: linalg.
// CHECK: scf.for {{.*}} -> (tensor<4x8x16xi8>)
// CHECK: scf.for %[[F:[a-z0-9_]+]] = {{.*}} -> (tensor<4x8x16xi8>)
// CHECK: %[[ROW:.*]] = vector.transfer_read %[[BIAS]][%[[F]]]
// CHECK: %[[INIT:.*]] = vector.broadcast %[[ROW]]
// CHECK: %[[ACC:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (vector<1x8x8xi32>)
// CHECK: vector.contract
// CHECK-NOT: vector.transfer_write
// CHECK: arith.shrsi %[[ACC]]
// CHECK: arith.trunci {{.*}} to vector<1x8x8xi8>
// CHECK: vector.transfer_write {{.*}} : vector<1x8x8xi8>, tensor<4x8x16xi8>
// CHECK: qe.parallel_tile
// NOFUSE-LABEL: func @fused_requantization
// NOFUSE: vector.transfer_write {{.*}} : vector<1x8x8xi32>, tensor<1x4x8x16xi32>
// NOFUSE: linalg.generic
func.func @fused_requantization(%x: tensor<1x6x10x8xi8>) -> tensor<4x8x16xi8> {
  %w = arith.constant dense<1> : tensor<16x3x3x8xi8>
  %b = arith.constant dense<[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]> : tensor<16xi32>
  %e = tensor.empty() : tensor<1x4x8x16xi32>
  %init = linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>],
                          iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : tensor<16xi32>) outs(%e : tensor<1x4x8x16xi32>) {
  ^bb0(%in: i32, %out: i32):
    linalg.yield %in : i32
  } -> tensor<1x4x8x16xi32>
  %acc = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x6x10x8xi8>, tensor<16x3x3x8xi8>) outs(%init : tensor<1x4x8x16xi32>) -> tensor<1x4x8x16xi32>
  %collapsed = tensor.collapse_shape %acc [[0, 1], [2], [3]] : tensor<1x4x8x16xi32> into tensor<4x8x16xi32>
  %out = tensor.empty() : tensor<4x8x16xi8>
  %q = linalg.generic {indexing_maps = [affine_map<(h, w, c) -> (h, w, c)>, affine_map<(h, w, c) -> (h, w, c)>],
                       iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%collapsed : tensor<4x8x16xi32>) outs(%out : tensor<4x8x16xi8>) {
  ^bb0(%in: i32, %o: i8):
    %c2 = arith.constant 2 : i32
    %lo = arith.constant -128 : i32
    %hi = arith.constant 127 : i32
    %s = arith.shrsi %in, %c2 : i32
    %m = arith.maxsi %s, %lo : i32
    %n = arith.minsi %m, %hi : i32
    %t = arith.trunci %n : i32 to i8
    linalg.yield %t : i8
  } -> tensor<4x8x16xi8>
  return %q : tensor<4x8x16xi8>
}

// -----

// A residual add reads the convolution and another branch; only the
// convolution joins the loops, the branch is read tile by tile.
// CHECK-LABEL: func @fused_residual_add
// CHECK-SAME: %[[BRANCH:[^:]*]]: tensor<4x8x16xi8>
// CHECK-NOT: linalg.
// CHECK: %[[ACC:.*]] = scf.for {{.*}} -> (vector<1x8x8xi32>)
// CHECK: vector.contract
// CHECK-NOT: vector.transfer_write
// CHECK: %[[SKIP:.*]] = vector.transfer_read %[[BRANCH]]
// CHECK: %[[WIDE:.*]] = arith.extsi %[[SKIP]]
// CHECK: arith.addi %[[ACC]], %[[WIDE]]
// CHECK: vector.transfer_write {{.*}} : vector<1x8x8xi8>, tensor<4x8x16xi8>
func.func @fused_residual_add(%x: tensor<1x6x10x8xi8>, %branch: tensor<4x8x16xi8>) -> tensor<4x8x16xi8> {
  %w = arith.constant dense<1> : tensor<16x3x3x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x4x8x16xi32>
  %init = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x8x16xi32>) -> tensor<1x4x8x16xi32>
  %acc = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x6x10x8xi8>, tensor<16x3x3x8xi8>) outs(%init : tensor<1x4x8x16xi32>) -> tensor<1x4x8x16xi32>
  %collapsed = tensor.collapse_shape %acc [[0, 1], [2], [3]] : tensor<1x4x8x16xi32> into tensor<4x8x16xi32>
  %out = tensor.empty() : tensor<4x8x16xi8>
  %q = linalg.generic {indexing_maps = [affine_map<(h, w, c) -> (h, w, c)>, affine_map<(h, w, c) -> (h, w, c)>,
                                        affine_map<(h, w, c) -> (h, w, c)>],
                       iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%collapsed, %branch : tensor<4x8x16xi32>, tensor<4x8x16xi8>) outs(%out : tensor<4x8x16xi8>) {
  ^bb0(%in: i32, %skip: i8, %o: i8):
    %s = arith.extsi %skip : i8 to i32
    %sum = arith.addi %in, %s : i32
    %t = arith.trunci %sum : i32 to i8
    linalg.yield %t : i8
  } -> tensor<4x8x16xi8>
  return %q : tensor<4x8x16xi8>
}

// -----

// Depthwise convolutions (here TOSA's multiplier form, whose result reaches
// the consumer through an expand_shape and a collapse_shape) fuse the same
// way.
// CHECK-LABEL: func @fused_depthwise
// CHECK-NOT: linalg.
// CHECK: %[[ACC:.*]] = scf.for {{.*}} -> (vector<1x8x16xi32>)
// CHECK: arith.muli
// CHECK-NOT: vector.transfer_write
// CHECK: arith.maxsi %[[ACC]]
// CHECK: vector.transfer_write {{.*}} : vector<1x8x16xi32>, tensor<4x8x16xi32>
func.func @fused_depthwise(%x: tensor<1x6x10x16xi8>) -> tensor<4x8x16xi32> {
  %w = arith.constant dense<2> : tensor<3x3x16x1xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x4x8x16x1xi32>
  %init = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x8x16x1xi32>) -> tensor<1x4x8x16x1xi32>
  %acc = linalg.depthwise_conv_2d_nhwc_hwcm {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x6x10x16xi8>, tensor<3x3x16x1xi8>) outs(%init : tensor<1x4x8x16x1xi32>) -> tensor<1x4x8x16x1xi32>
  %collapsed = tensor.collapse_shape %acc [[0, 1], [2], [3, 4]] : tensor<1x4x8x16x1xi32> into tensor<4x8x16xi32>
  %out = tensor.empty() : tensor<4x8x16xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(h, w, c) -> (h, w, c)>, affine_map<(h, w, c) -> (h, w, c)>],
                       iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%collapsed : tensor<4x8x16xi32>) outs(%out : tensor<4x8x16xi32>) {
  ^bb0(%in: i32, %o: i32):
    %z = arith.constant 0 : i32
    %m = arith.maxsi %in, %z : i32
    linalg.yield %m : i32
  } -> tensor<4x8x16xi32>
  return %r : tensor<4x8x16xi32>
}

// -----

// Not fused: the convolution's result has a second reader (here the
// caller), or the consumer reads it transposed; the consumer stays a
// separate op (qe-vectorize-elementwise vectorizes it).
// CHECK-LABEL: func @not_fused
// CHECK: vector.transfer_write {{.*}} : vector<1x8x8xi32>, tensor<1x4x8x16xi32>
// CHECK: linalg.generic
// CHECK: vector.transfer_write {{.*}} : vector<1x8x8xi32>, tensor<1x4x8x16xi32>
// CHECK: linalg.generic
func.func @not_fused(%x: tensor<1x6x10x8xi8>) -> (tensor<4x8x16xi32>, tensor<1x4x8x16xi32>, tensor<16x8x4xi32>) {
  %w = arith.constant dense<1> : tensor<16x3x3x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x4x8x16xi32>
  %init = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x8x16xi32>) -> tensor<1x4x8x16xi32>
  %acc = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x6x10x8xi8>, tensor<16x3x3x8xi8>) outs(%init : tensor<1x4x8x16xi32>) -> tensor<1x4x8x16xi32>
  %collapsed = tensor.collapse_shape %acc [[0, 1], [2], [3]] : tensor<1x4x8x16xi32> into tensor<4x8x16xi32>
  %out = tensor.empty() : tensor<4x8x16xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(h, w, c) -> (h, w, c)>, affine_map<(h, w, c) -> (h, w, c)>],
                       iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%collapsed : tensor<4x8x16xi32>) outs(%out : tensor<4x8x16xi32>) {
  ^bb0(%in: i32, %o: i32):
    %z = arith.constant 0 : i32
    %m = arith.maxsi %in, %z : i32
    linalg.yield %m : i32
  } -> tensor<4x8x16xi32>
  %init2 = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x8x16xi32>) -> tensor<1x4x8x16xi32>
  %acc2 = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x6x10x8xi8>, tensor<16x3x3x8xi8>) outs(%init2 : tensor<1x4x8x16xi32>) -> tensor<1x4x8x16xi32>
  %collapsed2 = tensor.collapse_shape %acc2 [[0, 1], [2], [3]] : tensor<1x4x8x16xi32> into tensor<4x8x16xi32>
  %out2 = tensor.empty() : tensor<16x8x4xi32>
  %t = linalg.generic {indexing_maps = [affine_map<(c, w, h) -> (h, w, c)>, affine_map<(c, w, h) -> (c, w, h)>],
                       iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%collapsed2 : tensor<4x8x16xi32>) outs(%out2 : tensor<16x8x4xi32>) {
  ^bb0(%in: i32, %o: i32):
    linalg.yield %in : i32
  } -> tensor<16x8x4xi32>
  return %r, %acc, %t : tensor<4x8x16xi32>, tensor<1x4x8x16xi32>, tensor<16x8x4xi32>
}

// -----

// A width without a good divisor (17 with tiles of 8) splits the consumer
// into 16 columns and the last one; the convolution is computed inside the
// loops of both parts, each part's tile its own slice of it (the last
// column's slice goes through the batch collapse_shape at an offset).
// CHECK-LABEL: func @fused_split_width
// CHECK-NOT: linalg.
// CHECK: scf.for {{.*}} -> (tensor<16x16xi8>)
// CHECK-NOT: xi32>, tensor<
// CHECK: vector.contract
// CHECK-NOT: xi32>, tensor<
// CHECK: vector.transfer_write {{.*}} : vector<8x8xi8>, tensor<16x16xi8>
// CHECK: tensor.insert_slice {{.*}}[0, 0] [16, 16] [1, 1]
// CHECK: scf.for {{.*}} -> (tensor<1x16xi8>)
// CHECK-NOT: xi32>, tensor<
// CHECK: vector.contract
// CHECK-NOT: xi32>, tensor<
// CHECK: vector.transfer_write {{.*}} : vector<1x8xi8>, tensor<1x16xi8>
// CHECK: tensor.insert_slice {{.*}}[16, 0] [1, 16] [1, 1]
func.func @fused_split_width(%x: tensor<1x3x19x8xi8>) -> tensor<17x16xi8> {
  %w = arith.constant dense<1> : tensor<16x3x3x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x1x17x16xi32>
  %init = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x1x17x16xi32>) -> tensor<1x1x17x16xi32>
  %acc = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x3x19x8xi8>, tensor<16x3x3x8xi8>) outs(%init : tensor<1x1x17x16xi32>) -> tensor<1x1x17x16xi32>
  %collapsed = tensor.collapse_shape %acc [[0, 1, 2], [3]] : tensor<1x1x17x16xi32> into tensor<17x16xi32>
  %out = tensor.empty() : tensor<17x16xi8>
  %q = linalg.generic {indexing_maps = [affine_map<(w, c) -> (w, c)>, affine_map<(w, c) -> (w, c)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%collapsed : tensor<17x16xi32>) outs(%out : tensor<17x16xi8>) {
  ^bb0(%in: i32, %o: i8):
    %t = arith.trunci %in : i32 to i8
    linalg.yield %t : i8
  } -> tensor<17x16xi8>
  return %q : tensor<17x16xi8>
}

// -----

// Cache-level order: a float filter larger than its input (16x3x3x8 = 1152
// values against 4x9x8 = 288) has its tile loops run over output-channel
// blocks outermost, so that each block's weights stay in cache while all
// output positions use them; the loop over blocks is the parallel one.
// CHECK-LABEL: func @output_channels_outermost
// CHECK: scf.for %[[F:.*]] = %c0 to %c16 step %c8
// CHECK: scf.for %[[H:.*]] = %c0 to %c2 step %c1
// CHECK: vector.contract
// CHECK: vector.transfer_write {{.*}}[%c0, %[[H]], %c0, %[[F]]]
// CHECK: } {qe.parallel_tile}
func.func @output_channels_outermost(%x: tensor<1x4x9x8xf32>) -> tensor<1x2x7x16xf32> {
  %w = arith.constant dense<1.0> : tensor<16x3x3x8xf32>
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x7x16xf32>
  %init = linalg.fill ins(%c0 : f32) outs(%e : tensor<1x2x7x16xf32>) -> tensor<1x2x7x16xf32>
  %0 = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x4x9x8xf32>, tensor<16x3x3x8xf32>) outs(%init : tensor<1x2x7x16xf32>) -> tensor<1x2x7x16xf32>
  return %0 : tensor<1x2x7x16xf32>
}

// -----

// The same order for a convolution computed inside its consumer: the
// consumer's loops follow the convolution's.
// CHECK-LABEL: func @fused_output_channels_outermost
// CHECK: scf.for %[[F:.*]] = %c0 to %c16 step %c8
// CHECK: scf.for %[[H:.*]] = %c0 to %c2 step %c1
// CHECK: vector.contract
// CHECK: arith.maximumf
// CHECK: vector.transfer_write {{.*}}[%[[H]], %c0, %[[F]]]
// CHECK: } {qe.parallel_tile}
func.func @fused_output_channels_outermost(%x: tensor<1x4x9x8xf32>) -> tensor<2x7x16xf32> {
  %w = arith.constant dense<1.0> : tensor<16x3x3x8xf32>
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x7x16xf32>
  %init = linalg.fill ins(%c0 : f32) outs(%e : tensor<1x2x7x16xf32>) -> tensor<1x2x7x16xf32>
  %acc = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x4x9x8xf32>, tensor<16x3x3x8xf32>) outs(%init : tensor<1x2x7x16xf32>) -> tensor<1x2x7x16xf32>
  %collapsed = tensor.collapse_shape %acc [[0, 1], [2], [3]] : tensor<1x2x7x16xf32> into tensor<2x7x16xf32>
  %out = tensor.empty() : tensor<2x7x16xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(h, w, c) -> (h, w, c)>, affine_map<(h, w, c) -> (h, w, c)>],
                       iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%collapsed : tensor<2x7x16xf32>) outs(%out : tensor<2x7x16xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %c0 : f32
    linalg.yield %m : f32
  } -> tensor<2x7x16xf32>
  return %r : tensor<2x7x16xf32>
}

// -----

// Output positions stay outermost for a float input larger than the filter
// (12x9x8 = 864 against 8x3x3x8 = 576), and for integer filters (whose
// dot-product packing keeps rows of all output channels) of any size.
// CHECK-LABEL: func @output_positions_outermost
// CHECK: scf.for %{{.*}} = %c0 to %c10 step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c3 step %c1
// CHECK-LABEL: func @int8_output_positions_outermost
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c8
func.func @output_positions_outermost(%x: tensor<1x12x9x8xf32>) -> tensor<1x10x7x8xf32> {
  %w = arith.constant dense<1.0> : tensor<8x3x3x8xf32>
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x10x7x8xf32>
  %init = linalg.fill ins(%c0 : f32) outs(%e : tensor<1x10x7x8xf32>) -> tensor<1x10x7x8xf32>
  %0 = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x12x9x8xf32>, tensor<8x3x3x8xf32>) outs(%init : tensor<1x10x7x8xf32>) -> tensor<1x10x7x8xf32>
  return %0 : tensor<1x10x7x8xf32>
}
func.func @int8_output_positions_outermost(%x: tensor<1x4x9x8xi8>) -> tensor<1x2x7x16xi32> {
  %w = arith.constant dense<1> : tensor<16x3x3x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x2x7x16xi32>
  %init = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x2x7x16xi32>) -> tensor<1x2x7x16xi32>
  %0 = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x4x9x8xi8>, tensor<16x3x3x8xi8>) outs(%init : tensor<1x2x7x16xi32>) -> tensor<1x2x7x16xi32>
  return %0 : tensor<1x2x7x16xi32>
}

// -----

// With AVX-512 (16 lanes), 48 output channels tile by 16 (a multiple of
// the register width divides them); 24 by 8, one half register, rather
// than as 24-lane vectors that LLVM splits element by element.
// CHECK-LABEL: func @lanes_whole_register
// CHECK: vector.contract {{.*}} : vector<1x7x16xf32>, vector<16x16xf32> into vector<1x7x16xf32>
// CHECK-LABEL: func @lanes_half_register
// CHECK: vector.contract {{.*}} : vector<1x7x16xf32>, vector<16x8xf32> into vector<1x7x8xf32>
// CHECK-NOT: vector<16x24xf32>
module attributes {llvm.target_triple = "x86_64-unknown-linux-gnu", qe.target_features = "+avx,+avx2,+avx512f,+fma,+sse2"} {
  func.func @lanes_whole_register(%x: tensor<1x4x7x16xf32>, %init: tensor<1x4x7x48xf32>) -> tensor<1x4x7x48xf32> {
    %w = arith.constant dense<1.0> : tensor<1x1x16x48xf32>
    %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
           ins(%x, %w : tensor<1x4x7x16xf32>, tensor<1x1x16x48xf32>) outs(%init : tensor<1x4x7x48xf32>) -> tensor<1x4x7x48xf32>
    return %0 : tensor<1x4x7x48xf32>
  }
  func.func @lanes_half_register(%x: tensor<1x4x7x16xf32>, %init: tensor<1x4x7x24xf32>) -> tensor<1x4x7x24xf32> {
    %w = arith.constant dense<1.0> : tensor<1x1x16x24xf32>
    %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
           ins(%x, %w : tensor<1x4x7x16xf32>, tensor<1x1x16x24xf32>) outs(%init : tensor<1x4x7x24xf32>) -> tensor<1x4x7x24xf32>
    return %0 : tensor<1x4x7x24xf32>
  }
}
