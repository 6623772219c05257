// RUN: quant-opt %s -split-input-file -qe-vectorize-copies | FileCheck %s
// RUN: not quant-opt %s -qe-vectorize-copies="vector-bytes=0" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: qe-vectorize-copies: vector-bytes must be positive, got 0

// A copy into the interior of a padded buffer: the source's rows (224 x 3
// floats) are contiguous, but the target's rows are 225 x 3 apart, so only
// the last two dimensions merge, into rows of 672 floats moved 16 at a time
// (672 = 42 x 16).
// CHECK-LABEL: func @pad_interior
// CHECK-NOT: memref.copy
// CHECK-DAG: %[[SRC:.*]] = memref.collapse_shape %arg0 {{\[}}[0], [1, 2]] : memref<224x224x3xf32> into memref<224x672xf32>
// CHECK-DAG: %[[DST:.*]] = memref.collapse_shape %{{.*}} {{\[}}[0], [1, 2]] : memref<224x224x3xf32, strided<[675, 3, 1], offset: 678>> into memref<224x672xf32, strided<[675, 1], offset: 678>>
// CHECK-DAG: %[[C672:.*]] = arith.constant 672 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}}
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %[[C672]] step %[[C16]]
// CHECK: %[[V:.*]] = vector.load %[[SRC]][%[[I]], %[[J]]] : memref<224x672xf32>, vector<16xf32>
// CHECK: vector.store %[[V]], %[[DST]][%[[I]], %[[J]]]
func.func @pad_interior(%src: memref<224x224x3xf32>, %padded: memref<225x225x3xf32>) {
  %sub = memref.subview %padded[1, 1, 0] [224, 224, 3] [1, 1, 1] : memref<225x225x3xf32> to memref<224x224x3xf32, strided<[675, 3, 1], offset: 678>>
  memref.copy %src, %sub : memref<224x224x3xf32> to memref<224x224x3xf32, strided<[675, 3, 1], offset: 678>>
  return
}

// -----

// Fully contiguous copies become one loop; i8 moves 64 lanes at a time.
// CHECK-LABEL: func @contiguous_i8
// CHECK: memref.collapse_shape %arg0 {{\[}}[0, 1, 2]] : memref<2x4x32xi8> into memref<256xi8>
// CHECK: vector.load {{.*}} : memref<256xi8>, vector<64xi8>
func.func @contiguous_i8(%a: memref<2x4x32xi8>, %b: memref<2x4x32xi8>) {
  memref.copy %a, %b : memref<2x4x32xi8> to memref<2x4x32xi8>
  return
}

// -----

// Dynamic shapes, non-unit innermost strides and 48-bit elements keep their
// memref.copy.
// CHECK-LABEL: func @left_alone
// CHECK-COUNT-3: memref.copy
func.func @left_alone(%a: memref<?x4xf32>, %b: memref<?x4xf32>,
                      %c: memref<4x4xf32, strided<[1, 4]>>, %d: memref<4x4xf32>,
                      %e: memref<8xi48>, %f: memref<8xi48>) {
  memref.copy %a, %b : memref<?x4xf32> to memref<?x4xf32>
  memref.copy %c, %d : memref<4x4xf32, strided<[1, 4]>> to memref<4x4xf32>
  memref.copy %e, %f : memref<8xi48> to memref<8xi48>
  return
}
