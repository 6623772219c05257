//===- Bench.h - quant-eval bench -------------------------------*- C++ -*-===//
//
// Latency of a model's float and int8 code at batch 1, interleaved with the
// peer runtimes that are present (PyTorch float and int8, ONNX Runtime
// float), with the work per second and the fraction of the CPU's peak. A
// benchmark command, never a timed test.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_TOOLS_BENCH_H
#define QUANT_EVAL_TOOLS_BENCH_H

#include "quant-eval/Dialect/QE/Utils/CalibrationFile.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace quant_eval {

struct BenchOptions {
  std::string model; // .onnx, .onnxtxt or .mlir
  int repeat = 21;   // timed runs per round and runtime
  int warmup = 3;    // untimed runs before them
  int rounds = 3;    // interleaved rounds
  /// Thread counts: numbers or "all" (the CPUs this process may run on).
  std::vector<std::string> threads = {"1", "all"};
  std::string jsonPath;
  /// Empty: calibrate ptq-int8 on `calibrationSamples` deterministic
  /// pseudo-random inputs of the model's input shape.
  std::string calibrationDataset;
  int64_t calibrationSamples = 8;
  /// The torch architecture of the model (a torchvision or zoo name);
  /// empty: the model file's stem.
  std::string torchModel;
  /// Where to write the int8 model it times (empty: nowhere), so that it
  /// can be inspected, run with `quant-eval run`, or compiled ahead of time.
  std::string int8ModelOut;
  /// Empty: quant-eval's code is for this host. Otherwise an x86 CPU name
  /// (haswell) whose features the host has: quant-eval compiles for it, and
  /// PyTorch's onednn is limited to its ISA (ONEDNN_MAX_CPU_ISA); ONNX
  /// Runtime has no such switch and uses the host's.
  std::string cpu;
  /// Peers to run: any of "pytorch", "onnxruntime"; "none" for none.
  std::vector<std::string> peers = {"pytorch", "onnxruntime"};

  /// Loads the model (imported at batch 1 if ONNX); null after printing a
  /// diagnostic.
  std::function<mlir::OwningOpRef<mlir::ModuleOp>(mlir::MLIRContext &,
                                                  const std::string &)>
      loadModel;
  /// Calibrates a copy of the float model (consumed: it gets probes) on
  /// `calibrationDataset`.
  std::function<llvm::Expected<mlir::qe::CalibrationFile>(mlir::ModuleOp)>
      calibrateOnDataset;
};

/// Runs the benchmark in `ctx` (which has the dialects of the model and of
/// the lowering loaded) and prints its table; returns the exit code.
int runBench(mlir::MLIRContext &ctx, const BenchOptions &options);

/// The host's vector ISA and its peak arithmetic per core.
struct CpuPeak {
  std::string arch;           // x86-64, aarch64, ...
  std::string isa;            // e.g. "AVX-512F + AVX512-VNNI"
  std::string f32Assumption;  // how flop/cycle was derived
  std::string int8Assumption; // how int8 op/cycle was derived
  double f32FlopPerCycle = 0;
  double int8OpPerCycle = 0;
  double clockGHz = 0;
  std::string clockSource; // "measured ..." or "/proc/cpuinfo ..."
  double cpuinfoMHz = 0;   // 0 if unknown
  unsigned cores = 1;      // CPUs this process may run on
  double f32GflopsPerCore() const { return f32FlopPerCycle * clockGHz; }
  double int8GopsPerCore() const { return int8OpPerCycle * clockGHz; }
};
/// The peak of this machine's cores, for the code of `targetCpu` (an x86
/// CPU name, whose features then replace the host's) or of the host.
CpuPeak detectCpuPeak(llvm::StringRef targetCpu = "");

} // namespace quant_eval

#endif // QUANT_EVAL_TOOLS_BENCH_H
