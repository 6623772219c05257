// RUN: quant-opt %s -split-input-file -qe-parallelize-tiles | FileCheck %s
// RUN: quant-opt %s -split-input-file -qe-expand-alloca-scopes | FileCheck %s --check-prefix=SCOPE

// A marked loop over output tiles becomes scf.parallel with the same bounds
// and body; the marked loop nested in it stays sequential (one level), and
// the marks are gone.
// CHECK-LABEL: func @tiles
// CHECK: scf.parallel (%[[I:.*]]) = (%c0) to (%c8) step (%c2)
// CHECK: scf.for
// CHECK: memref.store %{{.*}}, %arg0[%[[I]], %{{.*}}]
// CHECK-NOT: qe.parallel_tile
func.func @tiles(%out: memref<8x4xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c2 {
    scf.for %j = %c0 to %c4 step %c1 {
      memref.store %v, %out[%i, %j] : memref<8x4xf32>
    } {qe.parallel_tile}
  } {qe.parallel_tile}
  return
}

// -----

// Unmarked loops, loops with results (still on tensors) and loops of one
// iteration stay sequential.
// CHECK-LABEL: func @kept
// CHECK-NOT: scf.parallel
// CHECK-COUNT-3: scf.for
func.func @kept(%out: memref<8xf32>, %v: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %v, %out[%i] : memref<8xf32>
  }
  %r = scf.for %i = %c0 to %c8 step %c1 iter_args(%a = %v) -> (f32) {
    %s = arith.addf %a, %v : f32
    scf.yield %s : f32
  } {qe.parallel_tile}
  scf.for %i = %c0 to %c1 step %c1 {
    memref.store %v, %out[%i] : memref<8xf32>
  } {qe.parallel_tile}
  return %r : f32
}

// -----

// SCOPE-LABEL: func @scope
// SCOPE: %[[SP:.*]] = llvm.intr.stacksave : !llvm.ptr
// SCOPE: memref.alloca
// SCOPE: memref.store
// SCOPE: llvm.intr.stackrestore %[[SP]]
// SCOPE-NOT: memref.alloca_scope
func.func @scope(%v: f32) {
  memref.alloca_scope {
    %a = memref.alloca() : memref<4xf32>
    %c0 = arith.constant 0 : index
    memref.store %v, %a[%c0] : memref<4xf32>
  }
  return
}
