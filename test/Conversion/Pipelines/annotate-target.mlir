// RUN: quant-opt %s -split-input-file -qe-annotate-target="target-triple=x86_64-linux-gnu cpu=haswell" | FileCheck %s --check-prefix=HASWELL
// RUN: quant-opt %s -split-input-file -qe-annotate-target="target-triple=x86_64-linux-gnu cpu=haswell" | not grep -q avx512
// RUN: quant-opt %s -split-input-file -qe-annotate-target="target-triple=x86_64-linux-gnu cpu=skylake-avx512" | FileCheck %s --check-prefix=SKX
// RUN: quant-opt %s -split-input-file -qe-annotate-target="target-triple=x86_64-linux-gnu cpu=skylake-avx512" | not grep -q vnni
// RUN: quant-opt %s -split-input-file -qe-annotate-target="target-triple=x86_64-linux-gnu cpu=alderlake" | FileCheck %s --check-prefix=ALDER
// RUN: quant-opt %s -split-input-file -qe-annotate-target="target-triple=x86_64-linux-gnu cpu=haswell features=+sse4.2" | FileCheck %s --check-prefix=EXPLICIT
// RUN: quant-opt %s -split-input-file -qe-annotate-target="target-triple=x86_64-linux-gnu cpu=no-such-cpu" | FileCheck %s --check-prefix=UNKNOWN
// RUN: quant-opt %s -split-input-file -qe-annotate-target="target-triple=aarch64-linux-gnu cpu=generic features=+neon,+dotprod" | FileCheck %s --check-prefix=ARM
// RUN: not quant-opt %s -split-input-file -qe-annotate-target="target-triple=nonsense" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD

// A named x86 CPU without features brings its own (Haswell: AVX2 and FMA,
// no AVX-512), which the passes choosing vector widths and dot products
// read, closed under implication (LLVM's table for Alder Lake lists AVX2
// and AVX-VNNI but not the AVX they imply); explicit features are kept as
// given; an unknown CPU gets none.
// HASWELL: module attributes {llvm.target_triple = "x86_64-linux-gnu", qe.target_cpu = "haswell", qe.target_features = "{{.*}}+avx2{{.*}}"}
// HASWELL: func.func @main() attributes {llvm.emit_c_interface}
// HASWELL: func.func private @helper()
// HASWELL-NOT: llvm.emit_c_interface
// ALDER: qe.target_features = "{{.*}}+avx,+avx2,{{.*}}+avxvnni,{{.*}}"
// SKX: qe.target_features = "{{.*}}+avx512bw{{.*}}"
// EXPLICIT: qe.target_features = "+sse4.2"}
// UNKNOWN: qe.target_cpu = "no-such-cpu", qe.target_features = ""}
// ARM: module attributes {llvm.target_triple = "aarch64-linux-gnu", qe.target_cpu = "generic", qe.target_features = "+neon,+dotprod"}
// BAD: error: unknown target triple 'nonsense' (expected e.g. x86_64-linux-gnu or aarch64-linux-gnu)
func.func @main() {
  return
}
func.func private @helper() {
  return
}
