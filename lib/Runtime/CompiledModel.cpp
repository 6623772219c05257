//===- CompiledModel.cpp - Run a compiled model ---------------------------===//

#include "quant-eval/Runtime/CompiledModel.h"
#include "quant-eval/Runtime/ModelStats.h"

#include "quant-eval/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <dlfcn.h>
#include <sys/resource.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <numeric>

using namespace mlir;

namespace quant_eval {

static int64_t product(const std::vector<int64_t> &s) {
  return std::accumulate(s.begin(), s.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

int64_t ModelSignature::inputElements() const { return product(inputShape); }
int64_t ModelSignature::outputElements() const { return product(outputShape); }

llvm::Expected<ModelSignature> getModelSignature(ModuleOp module) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return llvm::createStringError("the module has no func.func @main");
  auto check = [&](Type t, const char *what,
                   std::vector<int64_t> &shape) -> llvm::Error {
    auto type = dyn_cast<RankedTensorType>(t);
    if (!type || !type.hasStaticShape() || !type.getElementType().isF32())
      return llvm::createStringError(llvm::Twine("@main's ") + what +
                                     " must be a statically shaped f32 tensor");
    shape.assign(type.getShape().begin(), type.getShape().end());
    return llvm::Error::success();
  };
  FunctionType type = main.getFunctionType();
  if (type.getNumInputs() != 1 || type.getNumResults() != 1)
    return llvm::createStringError(
        "@main must take one input and return one result");
  ModelSignature sig;
  if (auto err = check(type.getInput(0), "input", sig.inputShape))
    return std::move(err);
  if (auto err = check(type.getResult(0), "result", sig.outputShape))
    return std::move(err);
  return sig;
}

llvm::Expected<std::vector<std::vector<int64_t>>>
concatenateOutputs(ModuleOp module) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.isDeclaration())
    return llvm::createStringError("the module has no func.func @main");
  std::vector<std::vector<int64_t>> shapes;
  int64_t total = 0, batch = -1;
  for (Type t : main.getFunctionType().getResults()) {
    auto type = dyn_cast<RankedTensorType>(t);
    if (!type || !type.hasStaticShape() || !type.getElementType().isF32() ||
        type.getRank() < 1 || (batch >= 0 && type.getDimSize(0) != batch))
      return llvm::createStringError(
          "@main's results must be statically shaped f32 tensors with one "
          "batch dimension");
    batch = type.getDimSize(0);
    shapes.emplace_back(type.getShape().begin(), type.getShape().end());
    total += type.getNumElements() / batch;
  }
  if (shapes.size() <= 1)
    return shapes;
  auto ret = cast<func::ReturnOp>(main.getBody().front().getTerminator());
  ImplicitLocOpBuilder b(ret.getLoc(), ret);
  SmallVector<Value> flat;
  for (Value v : ret.getOperands()) {
    auto type = cast<RankedTensorType>(v.getType());
    int64_t n = type.getNumElements() / batch;
    flat.push_back(tosa::ReshapeOp::create(
        b, RankedTensorType::get({batch, n}, type.getElementType()), v,
        tosa::getTosaConstShape(b, {batch, n})));
  }
  auto resultType = RankedTensorType::get({batch, total}, b.getF32Type());
  Value all = tosa::ConcatOp::create(b, resultType, flat, 1);
  ret->setOperands(all);
  main.setFunctionType(FunctionType::get(
      module.getContext(), main.getFunctionType().getInputs(), {resultType}));
  return shapes;
}

namespace {
/// Compiled models allocate their intermediate feature maps with malloc and
/// free them before returning. glibc serves blocks above 128 KiB with mmap
/// and returns them with munmap, so every inference paid for page faults
/// and zeroing of fresh pages (about half of a MobileNetV2 layer's time
/// here). Raising the thresholds keeps freed maps in the heap for the next
/// run.
void keepFreedBuffersMapped() {
#if defined(__GLIBC__)
  static bool done = [] {
    // 32 MiB is the largest mmap threshold glibc accepts on 64-bit hosts.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    return true;
  }();
  (void)done;
#endif
}
} // namespace

std::optional<int64_t> availableMemoryBytes() {
  std::optional<int64_t> available;
  auto atMost = [&](int64_t bytes) {
    available =
        std::min(available.value_or(bytes), std::max<int64_t>(bytes, 0));
  };
  // "/proc/meminfo: MemAvailable: N kB" and cgroup v2 files hold numbers
  // (or "max").
  auto readNumber = [](const char *file,
                       llvm::StringRef key = "") -> std::optional<int64_t> {
    auto buffer = llvm::MemoryBuffer::getFileAsStream(file);
    if (!buffer)
      return std::nullopt;
    llvm::StringRef text = (*buffer)->getBuffer();
    if (!key.empty()) {
      size_t at = text.find(key);
      if (at == llvm::StringRef::npos)
        return std::nullopt;
      text = text.drop_front(at + key.size());
    }
    int64_t value;
    if (text.trim().consumeInteger(10, value))
      return std::nullopt;
    return value;
  };
  if (auto kb = readNumber("/proc/meminfo", "MemAvailable:"))
    atMost(*kb * 1024);
  auto max = readNumber("/sys/fs/cgroup/memory.max");
  auto current = readNumber("/sys/fs/cgroup/memory.current");
  if (max && current)
    atMost(*max - *current);
  // The address-space and data limits (ulimit -v, -d), less what the
  // process already maps.
  long page = sysconf(_SC_PAGESIZE);
  std::optional<int64_t> mappedPages;
  if (auto buffer = llvm::MemoryBuffer::getFileAsStream("/proc/self/statm")) {
    int64_t pages;
    if (!(*buffer)->getBuffer().consumeInteger(10, pages))
      mappedPages = pages;
  }
  for (int resource : {RLIMIT_AS, RLIMIT_DATA}) {
    struct rlimit limit;
    if (getrlimit(resource, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
        mappedPages)
      atMost(int64_t(limit.rlim_cur) - *mappedPages * page);
  }
  return available;
}

/// "1.5 GiB", "12.0 MiB": sizes for messages.
static std::string formatBytes(int64_t bytes) {
  double b = double(bytes);
  if (b >= double(1 << 30))
    return llvm::formatv("{0:f1} GiB", b / double(1 << 30)).str();
  return llvm::formatv("{0:f1} MiB", b / double(1 << 20)).str();
}

llvm::Error checkInferenceFitsInMemory(ModuleOp module) {
  std::optional<int64_t> available = availableMemoryBytes();
  int64_t needed = estimateInferenceBytes(module);
  if (!available || needed <= *available)
    return llvm::Error::success();
  int64_t batch = 1;
  if (llvm::Expected<ModelSignature> sig = getModelSignature(module)) {
    if (!sig->inputShape.empty())
      batch = std::max<int64_t>(1, sig->inputShape[0]);
  } else {
    llvm::consumeError(sig.takeError()); // the batch only words the message
  }
  int64_t perSample = std::max<int64_t>(1, needed / batch);
  std::string message =
      llvm::formatv("out of memory: one inference of this model at batch {0} "
                    "needs about {1} ({2} per sample), but this process "
                    "can allocate only {3}",
                    batch, formatBytes(needed), formatBytes(perSample),
                    formatBytes(*available))
          .str();
  // Leave a tenth for the runner's own buffers and the JIT.
  int64_t fits = *available / 10 * 9 / perSample;
  message += fits >= 1
                 ? llvm::formatv("; use a batch of at most {0}", fits).str()
                 : std::string("; even batch 1 does not fit");
  return llvm::createStringError(message);
}

CompiledModel::~CompiledModel() {
  if (sharedHandle)
    dlclose(sharedHandle);
}

llvm::Expected<std::string> getCpuFeaturesRunnableHere(llvm::StringRef cpu) {
  if (!llvm::Triple(llvm::sys::getProcessTriple()).isX86())
    return llvm::createStringError(
        "compiling for CPU '" + cpu +
        "' is only supported on x86 hosts (the code runs here)");
  std::string features = qe::getX86CpuFeatures(cpu);
  if (features.empty())
    return llvm::createStringError(
        "unknown x86 CPU '" + cpu +
        "' (expected an LLVM CPU name such as haswell, skylake-avx512 or "
        "x86-64-v3)");
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  SmallVector<StringRef> list, missing;
  StringRef(features).split(list, ',', -1, /*KeepEmpty=*/false);
  // System and privileged instructions, which model code never contains:
  // a host without them (this Zen 5 lacks Skylake-SP's pku) still runs it.
  static const llvm::StringSet<> systemFeatures = {
      "cldemote", "enqcmd",  "fsgsbase",  "hreset",    "invpcid",  "kl",
      "clzero",   "mwaitx",  "prefetchi", "movdir64b", "movdiri",  "pconfig",
      "pku",      "ptwrite", "rdpid",     "rdpru",     "rtm",      "serialize",
      "sgx",      "shstk",   "tsxldtrk",  "uintr",     "usermsr",  "waitpkg",
      "wbnoinvd", "widekl",  "xsave",     "xsavec",    "xsaveopt", "xsaves"};
  for (StringRef f : list) {
    // Features the host detection does not report (x87, cx8) are left
    // alone too: every x86-64 has them.
    auto it = host.find(f.drop_front());
    if (it != host.end() && !it->second &&
        !systemFeatures.contains(f.drop_front()))
      missing.push_back(f);
  }
  if (!missing.empty())
    return llvm::createStringError("this host cannot run code for CPU '" + cpu +
                                   "': it lacks " + llvm::join(missing, ", "));
  return features;
}

llvm::Expected<std::unique_ptr<CompiledModel>>
CompiledModel::compileJIT(ModuleOp module, const CodegenOptions &options) {
  llvm::Expected<ModelSignature> sig = getModelSignature(module);
  if (!sig)
    return sig.takeError();
  // Before lowering: the estimate reads the TOSA-level body.
  if (llvm::Error err = checkInferenceFitsInMemory(module))
    return std::move(err);

  // Code for another CPU runs here only if this one has all its features.
  std::string features = options.features;
  if (!options.cpu.empty() && features.empty()) {
    llvm::Expected<std::string> cpuFeatures =
        getCpuFeaturesRunnableHere(options.cpu);
    if (!cpuFeatures)
      return cpuFeatures.takeError();
    features = *cpuFeatures;
  }

  PassManager pm(module.getContext());
  qe::LowerToLLVMOptions lowering;
  lowering.targetTriple = options.targetTriple;
  lowering.cpu = options.cpu;
  lowering.features = features;
  lowering.threads = options.threads;
  qe::buildLowerToLLVMPipeline(pm, lowering);
  if (failed(pm.run(module)))
    return llvm::createStringError("lowering the model to LLVM failed");

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  registerOpenMPDialectTranslation(*module.getContext());

  auto tmBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!tmBuilder)
    return tmBuilder.takeError();
  if (!options.cpu.empty()) {
    tmBuilder->setCPU(options.cpu);
    tmBuilder->setFeatures(features);
  }
  auto tm = tmBuilder->createTargetMachine();
  if (!tm)
    return tm.takeError();
  auto transformer =
      makeOptimizingTransformer(options.optLevel, /*sizeLevel=*/0, tm->get());
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  SmallVector<StringRef, 1> libraries;
  if (options.threads > 1) {
#ifdef QE_LIBOMP_PATH
    libraries.push_back(QE_LIBOMP_PATH);
#else
    return llvm::createStringError(
        "--threads above 1 needs the OpenMP runtime (libomp-22-dev), which "
        "was not found when quant-eval was built");
#endif
  }
  engineOptions.sharedLibPaths = libraries;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = ExecutionEngine::create(module, engineOptions, std::move(*tm));
  if (!engine)
    return engine.takeError();
  auto symbol = (*engine)->lookup("_mlir_ciface_main");
  if (!symbol)
    return symbol.takeError();

  keepFreedBuffersMapped();
  std::unique_ptr<CompiledModel> model(new CompiledModel());
  model->sig = std::move(*sig);
  model->engine = std::move(*engine);
  model->entry = reinterpret_cast<EntryFn>(*symbol);
  return model;
}

llvm::Expected<std::unique_ptr<CompiledModel>>
CompiledModel::loadShared(const std::string &path, ModelSignature signature) {
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return llvm::createStringError(llvm::Twine("cannot load ") + path + ": " +
                                   dlerror());
  void *symbol = dlsym(handle, "_mlir_ciface_main");
  if (!symbol) {
    dlclose(handle);
    return llvm::createStringError(llvm::Twine(path) +
                                   " does not export _mlir_ciface_main");
  }
  keepFreedBuffersMapped();
  std::unique_ptr<CompiledModel> model(new CompiledModel());
  model->sig = std::move(signature);
  model->sharedHandle = handle;
  model->entry = reinterpret_cast<EntryFn>(symbol);
  return model;
}

namespace {
/// A ranked memref descriptor laid out as MLIR's C interface expects:
/// { T *allocated; T *aligned; int64_t offset; int64_t sizes[R];
///   int64_t strides[R]; }, for a contiguous row-major buffer.
struct Descriptor {
  std::vector<int64_t> words;
  Descriptor(const float *data, const std::vector<int64_t> &shape) {
    int64_t rank = static_cast<int64_t>(shape.size());
    words.resize(3 + 2 * rank);
    auto ptr = reinterpret_cast<int64_t>(data);
    words[0] = ptr;
    words[1] = ptr;
    words[2] = 0;
    int64_t stride = 1;
    for (int64_t d = rank - 1; d >= 0; --d) {
      words[3 + d] = shape[d];
      words[3 + rank + d] = stride;
      stride *= shape[d];
    }
  }
};
} // namespace

void CompiledModel::run(const float *input, float *output) const {
  Descriptor in(input, sig.inputShape), out(output, sig.outputShape);
  entry(in.words.data(), out.words.data());
}

} // namespace quant_eval
