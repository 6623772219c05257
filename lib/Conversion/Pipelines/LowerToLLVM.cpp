//===- LowerToLLVM.cpp - The qe-lower-to-llvm pipeline --------------------===//

#include "quant-eval/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/TargetParser/X86TargetParser.h"

namespace mlir::qe {
#define GEN_PASS_DEF_ANNOTATETARGET
#include "quant-eval/Conversion/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;

namespace {
struct AnnotateTargetPass
    : public qe::impl::AnnotateTargetBase<AnnotateTargetPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    Builder b(module.getContext());
    std::string triple = targetTriple.empty()
                             ? llvm::sys::getDefaultTargetTriple()
                             : targetTriple;
    if (llvm::Triple(triple).getArch() == llvm::Triple::UnknownArch) {
      module.emitError() << "unknown target triple '" << triple
                         << "' (expected e.g. x86_64-linux-gnu or "
                            "aarch64-linux-gnu)";
      return signalPassFailure();
    }
    std::string hostCpu = llvm::sys::getHostCPUName().str();
    // The host's CPU and features only make sense for the host's triple.
    bool isHost = targetTriple.empty() ||
                  targetTriple == llvm::sys::getDefaultTargetTriple();
    std::string targetCpu = !cpu.empty() ? cpu : isHost ? hostCpu : "generic";
    std::string targetFeatures = features;
    if (targetFeatures.empty() && isHost && cpu.empty()) {
      llvm::StringMap<bool> hostFeatures = llvm::sys::getHostCPUFeatures();
      std::string joined;
      for (auto &f : hostFeatures)
        joined += (joined.empty() ? "" : ",") +
                  std::string(f.second ? "+" : "-") + f.first().str();
      targetFeatures = joined;
    }
    // An x86 CPU named without features (cpu=haswell) has the features of
    // that CPU: the passes choosing vector widths and dot-product
    // instructions read them here, not from the CPU name.
    if (targetFeatures.empty() && !cpu.empty() && llvm::Triple(triple).isX86())
      targetFeatures = qe::getX86CpuFeatures(cpu);
    module->setAttr(LLVM::LLVMDialect::getTargetTripleAttrName(),
                    b.getStringAttr(triple));
    module->setAttr("qe.target_cpu", b.getStringAttr(targetCpu));
    module->setAttr("qe.target_features", b.getStringAttr(targetFeatures));
    for (auto func : module.getOps<func::FuncOp>())
      if (func.isPublic() && !func.isDeclaration())
        func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                      b.getUnitAttr());
  }
};
} // namespace

std::string mlir::qe::getX86CpuFeatures(llvm::StringRef cpu) {
  if (llvm::X86::parseArchX86(cpu) == llvm::X86::CK_None)
    return "";
  // The CPU's table lists AVX2 without the AVX it implies, for one: close
  // the list so that readers need not know the implications.
  SmallVector<StringRef> cpuFeatures;
  llvm::X86::getFeaturesForCPU(cpu, cpuFeatures);
  llvm::StringMap<bool> enabled;
  for (StringRef f : cpuFeatures) {
    enabled[f] = true;
    llvm::X86::updateImpliedFeatures(f, /*Enabled=*/true, enabled);
  }
  SmallVector<std::string> names;
  for (auto &f : enabled)
    if (f.second)
      names.push_back("+" + f.first().str());
  llvm::sort(names);
  return llvm::join(names, ",");
}

void mlir::qe::buildLowerToLLVMPipeline(OpPassManager &pm,
                                        const LowerToLLVMOptions &options) {
  qe::AnnotateTargetOptions target;
  target.targetTriple = options.targetTriple;
  target.cpu = options.cpu;
  target.features = options.features;
  pm.addPass(qe::createAnnotateTarget(target));
  // With threads, the loops over output tiles become OpenMP work-sharing
  // loops (the compiled model then needs libomp).
  std::string parallel, openmpToLLVM;
  if (options.threads > 1) {
    parallel = "func.func(qe-parallelize-tiles),convert-scf-to-openmp{"
               "num-threads=" +
               std::to_string(options.threads) +
               "},func.func(qe-expand-alloca-scopes),";
    openmpToLLVM = "convert-openmp-to-llvm,";
  }
  // The rest is upstream passes, spelled as a pipeline so that a reader can
  // run any prefix of it by hand with quant-opt.
  std::string pipeline =
      std::string() +
      "func.func(qe-fold-constant-casts,convert-qe-to-linalg,"
      "tosa-optional-decompositions,"
      "tosa-to-linalg-named,tosa-to-linalg,"
      "tosa-to-arith{include-apply-rescale=true},tosa-to-tensor),"
      "canonicalize,cse,"
      "func.func(qe-fuse-elementwise,linalg-fold-unit-extent-dims,"
      "canonicalize,cse,qe-narrow-rescale,qe-vectorize-contractions,"
      "qe-vectorize-elementwise),"
      // No CSE from here to bufferization: it would merge the destinations
      // the vectorization passes unshared, and bring back copies.
      "canonicalize,"
      // Producers of padded tensors write into the padded buffer directly.
      "eliminate-empty-tensors,"
      "one-shot-bufferize{bufferize-function-boundaries "
      "function-boundary-type-conversion=identity-layout-map},"
      // Bufferized tiles copy onto themselves; those copies fold only
      // after CSE has made source and target the same value.
      "canonicalize,cse,canonicalize,"
      // Results become caller-owned out-parameters: the runner allocates
      // the output and the model never hands out memory to free.
      "buffer-results-to-out-params{hoist-static-allocs=true "
      "modify-public-functions=true},"
      "buffer-deallocation-pipeline,"
      // The dot-product intrinsics come after all buffer analyses: they
      // have no declared memory effects, which those refuse.
      "func.func(qe-vectorize-copies),qe-pack-contraction-weights,"
      "qe-lower-int8-contractions,"
      "func.func(convert-linalg-to-loops)," +
      parallel +
      "func.func(convert-vector-to-scf{full-unroll=true}),"
      "lower-affine,convert-scf-to-cf,"
      // Poison vectors (from vectorized index arithmetic) become LLVM
      // poison before their n-D users are unrolled, so the casts between
      // the two forms cancel.
      "convert-ub-to-llvm,"
      "convert-vector-to-llvm{vector-contract-lowering=outerproduct},"
      // expand-strided-metadata introduces affine.apply: lower it again.
      "convert-math-to-llvm,expand-strided-metadata,lower-affine,"
      "finalize-memref-to-llvm,convert-func-to-llvm,convert-arith-to-llvm,"
      "convert-cf-to-llvm,convert-index-to-llvm,convert-ub-to-llvm," +
      openmpToLLVM + "reconcile-unrealized-casts";
  std::string error;
  llvm::raw_string_ostream os(error);
  if (failed(parsePassPipeline(pipeline, pm, os)))
    llvm::report_fatal_error(llvm::Twine("qe-lower-to-llvm: ") + error);
}

void mlir::qe::registerConversionPasses() {
  registerQEConversionPasses();
  PassPipelineRegistration<LowerToLLVMOptions>(
      "qe-lower-to-llvm",
      "Lower a TOSA + qe model to the LLVM dialect for native code",
      buildLowerToLLVMPipeline);
}
