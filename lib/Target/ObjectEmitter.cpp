//===- ObjectEmitter.cpp - LLVM dialect to native object files ------------===//

#include "quant-eval/Target/ObjectEmitter.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

using namespace mlir;

namespace quant_eval {

static std::string getStringAttr(ModuleOp module, llvm::StringRef name) {
  if (auto attr = module->getAttrOfType<StringAttr>(name))
    return attr.getValue().str();
  return "";
}

LogicalResult emitObjectFile(ModuleOp module, llvm::raw_pwrite_stream &os) {
  llvm::InitializeAllTargetInfos();
  llvm::InitializeAllTargets();
  llvm::InitializeAllTargetMCs();
  llvm::InitializeAllAsmPrinters();

  std::string triple =
      getStringAttr(module, LLVM::LLVMDialect::getTargetTripleAttrName());
  if (triple.empty())
    triple = llvm::sys::getDefaultTargetTriple();
  std::string cpu = getStringAttr(module, "qe.target_cpu");
  std::string features = getStringAttr(module, "qe.target_features");

  std::string error;
  llvm::Triple tt(triple);
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(tt, error);
  if (!target)
    return module.emitError()
           << "no code generator for target '" << triple << "': " << error;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      tt, cpu, features, llvm::TargetOptions(), llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!tm)
    return module.emitError()
           << "cannot create a target machine for '" << triple << "'";

  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule)
    return module.emitError()
           << "translation to LLVM IR failed; run qe-lower-to-llvm first";
  // A model's entry point is @main, which would clash with the program's
  // main() it is linked into. Callers go through the _mlir_ciface_ wrapper,
  // so the wrapped function itself becomes internal.
  for (llvm::Function &f : *llvmModule) {
    llvm::StringRef name = f.getName();
    if (!name.consume_front("_mlir_ciface_") || f.isDeclaration())
      continue;
    if (llvm::Function *wrapped = llvmModule->getFunction(name))
      if (!wrapped->isDeclaration())
        wrapped->setLinkage(llvm::GlobalValue::InternalLinkage);
  }
  llvmModule->setTargetTriple(tt);
  llvmModule->setDataLayout(tm->createDataLayout());
  if (llvm::Error err =
          makeOptimizingTransformer(3, 0, tm.get())(llvmModule.get()))
    return module.emitError()
           << "LLVM optimization failed: " << llvm::toString(std::move(err));

  llvm::legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, os, nullptr,
                              llvm::CodeGenFileType::ObjectFile))
    return module.emitError()
           << "target '" << triple << "' cannot emit object files";
  pm.run(*llvmModule);
  return success();
}

void registerObjectTranslation() {
  static TranslateFromMLIRRegistration registration(
      "mlir-to-object",
      "Emit a native object file from the LLVM dialect (after "
      "qe-lower-to-llvm)",
      [](Operation *op, llvm::raw_ostream &os) -> LogicalResult {
        auto module = dyn_cast<ModuleOp>(op);
        if (!module)
          return op->emitError("expected a builtin.module");
        // Object files are binary; collect them, then write in one go.
        llvm::SmallVector<char, 0> buffer;
        llvm::raw_svector_ostream bufferStream(buffer);
        if (failed(emitObjectFile(module, bufferStream)))
          return failure();
        os.write(buffer.data(), buffer.size());
        return success();
      },
      [](DialectRegistry &registry) {
        registry.insert<LLVM::LLVMDialect>();
        registerBuiltinDialectTranslation(registry);
        registerLLVMDialectTranslation(registry);
      });
}

} // namespace quant_eval
