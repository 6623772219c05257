//===- CompiledModel.h - Run a compiled model -------------------*- C++ -*-===//
//
// A model lowered by qe-lower-to-llvm is a function
//   void _mlir_ciface_main(MemRef<f32, N> *input, MemRef<f32, M> *output)
// (results are caller-owned out-parameters). CompiledModel JIT-compiles it in
// process, or loads it from an AOT-built shared object, and calls it.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_RUNTIME_COMPILEDMODEL_H
#define QUANT_EVAL_RUNTIME_COMPILEDMODEL_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace quant_eval {

/// The input and output shapes of a model's @main.
struct ModelSignature {
  std::vector<int64_t> inputShape;
  std::vector<int64_t> outputShape;
  int64_t inputElements() const;
  int64_t outputElements() const;
};

/// Reads the signature of @main: exactly one static f32 input and output.
llvm::Expected<ModelSignature> getModelSignature(mlir::ModuleOp module);

/// Makes a @main with several results (a detector's boxes and scores)
/// return one: each result [B, ...] flattened to [B, n_i] and concatenated
/// along dimension 1, so that one output buffer carries all of them.
/// Returns the original result shapes, in order (one for a single result,
/// which is left as it is). Fails on results that are not statically shaped
/// f32 tensors with the same leading dimension.
llvm::Expected<std::vector<std::vector<int64_t>>>
concatenateOutputs(mlir::ModuleOp module);

/// Bytes this process can still allocate, as far as the system tells: the
/// least of /proc/meminfo's MemAvailable, the cgroup's memory.max less
/// memory.current, and the headroom under RLIMIT_AS and RLIMIT_DATA.
/// Nothing when none of them is known.
std::optional<int64_t> availableMemoryBytes();

/// Fails when one inference of `module` needs more memory
/// (estimateInferenceBytes, which errs on the high side) than
/// availableMemoryBytes(), with a message that names the batch size, both
/// amounts and the largest batch that surely fits. Such
/// a model would otherwise be killed by the kernel, or crash at a failed
/// allocation inside the compiled code. compileJIT checks this itself.
llvm::Error checkInferenceFitsInMemory(mlir::ModuleOp module);

/// The features (LLVM feature strings, "+avx2,...") of the x86 CPU `cpu`,
/// when this host can run code compiled for it; otherwise an error that
/// names what is wrong: not an x86 host, an unknown CPU, or the features
/// this host lacks.
llvm::Expected<std::string> getCpuFeaturesRunnableHere(llvm::StringRef cpu);

struct CodegenOptions {
  std::string targetTriple; // empty: the host
  /// Empty: the host's. For compileJIT, an x86 CPU whose features this host
  /// has (e.g. haswell on an AVX-512 machine), to run the code that CPU
  /// would get.
  std::string cpu;
  /// Empty: the host's, or those of `cpu` (checked against the host).
  /// Given with `cpu`, they are used as they are: the caller vouches that
  /// this host runs them.
  std::string features;
  unsigned optLevel = 3;
  /// Threads for the loops over output tiles; above 1 the model runs on
  /// OpenMP (libomp, loaded into the process by compileJIT).
  unsigned threads = 1;
};

class CompiledModel {
public:
  ~CompiledModel();

  /// Lowers `module` (TOSA + qe, modified in place) with qe-lower-to-llvm
  /// and JIT-compiles it for the host, or for `options.cpu` when the host
  /// can run that CPU's code (an error names the features it lacks).
  static llvm::Expected<std::unique_ptr<CompiledModel>>
  compileJIT(mlir::ModuleOp module, const CodegenOptions &options = {});

  /// Loads an AOT-compiled shared object exporting _mlir_ciface_main.
  static llvm::Expected<std::unique_ptr<CompiledModel>>
  loadShared(const std::string &path, ModelSignature signature);

  const ModelSignature &signature() const { return sig; }

  /// Runs one batch: `input` holds inputElements() floats in the model's
  /// input layout (row-major), `output` receives outputElements().
  void run(const float *input, float *output) const;

private:
  CompiledModel() = default;
  using EntryFn = void (*)(void *input, void *output);
  ModelSignature sig;
  EntryFn entry = nullptr;
  std::unique_ptr<mlir::ExecutionEngine> engine;
  void *sharedHandle = nullptr;
};

} // namespace quant_eval

#endif // QUANT_EVAL_RUNTIME_COMPILEDMODEL_H
