//===- Bench.cpp - quant-eval bench ---------------------------------------===//
//
// quant-eval's float and int8 models are compiled once and timed in this
// process; the peers (python/quant_eval/bench_peers.py for PyTorch,
// tools/ort-bench/bench.js for ONNX Runtime) run as child processes, once
// per round and thread count. A round times every runtime at every thread
// count in turn, so slow drifts of a shared machine hit all of them alike;
// each runtime's median and p90 pool its timed runs over all rounds.
//
//===----------------------------------------------------------------------===//

#include "Bench.h"
#include "Steps.h"

#include "quant-eval/Conversion/Passes.h"
#include "quant-eval/Dialect/QE/Transforms/Passes.h"
#include "quant-eval/Runtime/Calibration.h"
#include "quant-eval/Runtime/CompiledModel.h"
#include "quant-eval/Runtime/ModelStats.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <thread>

#ifdef __linux__
#include <sched.h>
#include <time.h>
#endif

using namespace mlir;
using namespace quant_eval;
namespace fs = llvm::sys::fs;
namespace path = llvm::sys::path;

#ifndef QE_SOURCE_DIR
#define QE_SOURCE_DIR "."
#endif

//===----------------------------------------------------------------------===//
// The CPU's peak
//===----------------------------------------------------------------------===//

/// CPUs this process may run on (its affinity mask: what `taskset` leaves).
static unsigned availableCores() {
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    return std::max(1, CPU_COUNT(&set));
#endif
  return std::max(1u, std::thread::hardware_concurrency());
}

/// The largest "cpu MHz" in /proc/cpuinfo (0 if there is none). Under a
/// hypervisor this is usually the nominal clock, not the boost clock.
static double cpuinfoMHz() {
  auto buffer = llvm::MemoryBuffer::getFileAsStream("/proc/cpuinfo");
  if (!buffer)
    return 0;
  double best = 0;
  llvm::SmallVector<llvm::StringRef> lines;
  (*buffer)->getBuffer().split(lines, '\n');
  for (llvm::StringRef line : lines) {
    if (!line.starts_with("cpu MHz"))
      continue;
    double mhz = 0;
    if (!line.split(':').second.trim().getAsDouble(mhz))
      best = std::max(best, mhz);
  }
  return best;
}

/// Seconds of CPU time this thread has used: unlike wall time, it does not
/// count the time another process holds the core.
static double threadSeconds() {
#ifdef __linux__
  timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
#endif
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// The clock under load in GHz, from a chain of dependent integer adds
/// (one cycle each on every x86-64 and AArch64 core) timed in thread CPU
/// time; 0 where there is no such chain to time. The best of several
/// trials, so that an interrupt only spoils one.
static double measureClockGHz() {
#if defined(__x86_64__) || defined(__aarch64__)
  constexpr int64_t iterations = 2000000, addsPerIteration = 16;
  double best = 0;
  for (int trial = 0; trial < 7; ++trial) {
    uint64_t x = 0;
    double t0 = threadSeconds();
    for (int64_t i = 0; i < iterations; ++i) {
#if defined(__x86_64__)
#define QE_ADD4 "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
#else
#define QE_ADD4                                                                \
  "add %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\t"
#endif
      asm volatile(QE_ADD4 QE_ADD4 QE_ADD4 QE_ADD4 : "+r"(x));
#undef QE_ADD4
    }
    double seconds = threadSeconds() - t0;
    if (x == iterations * addsPerIteration && seconds > 0)
      best = std::max(best, iterations * addsPerIteration / seconds / 1e9);
  }
  return best;
#else
  return 0;
#endif
}

/// oneDNN's name (ONEDNN_MAX_CPU_ISA) for the widest instruction set that
/// `features` ("+avx2,+fma,...") allow.
static std::string onednnIsaFor(llvm::StringRef features) {
  llvm::SmallVector<llvm::StringRef> list;
  features.split(list, ',');
  auto has = [&](llvm::StringRef f) {
    return llvm::is_contained(list, ("+" + f).str());
  };
  if (has("avx512bw") && has("avx512vnni"))
    return "AVX512_CORE_VNNI";
  if (has("avx512bw"))
    return "AVX512_CORE";
  if (has("avxvnni"))
    return "AVX2_VNNI";
  if (has("avx2"))
    return "AVX2";
  return "SSE41";
}

CpuPeak quant_eval::detectCpuPeak(llvm::StringRef targetCpu) {
  CpuPeak peak;
  llvm::StringMap<bool> f;
  if (targetCpu.empty()) {
    f = llvm::sys::getHostCPUFeatures();
  } else {
    llvm::SmallVector<llvm::StringRef> list;
    std::string features = mlir::qe::getX86CpuFeatures(targetCpu);
    llvm::StringRef(features).split(list, ',', -1, /*KeepEmpty=*/false);
    for (llvm::StringRef name : list)
      f[name.drop_front()] = true; // "+avx2"
  }
  auto has = [&](llvm::StringRef name) { return f.lookup(name); };
  // Per core and cycle. Assumptions: two vector FMA (or multiply-add)
  // pipes of the full vector width, each retiring one instruction per
  // cycle; an FMA is 2 flop; an int8 multiply-accumulate is 2 ops. Cores
  // that split 512-bit operations in two halves (Zen 4) or have a single
  // 512-bit FMA port reach half of the AVX-512 figure.
#if defined(__x86_64__) || defined(__i386__)
  peak.arch = "x86-64";
  llvm::SmallVector<std::string> isa;
  int lanes = 4; // f32 lanes per vector
  bool fma = has("fma");
  if (has("avx512f")) {
    lanes = 16;
    isa.push_back("AVX-512F");
  } else if (has("avx2") || has("avx")) {
    lanes = 8;
    isa.push_back(has("avx2") ? "AVX2" : "AVX");
  } else {
    isa.push_back("SSE");
  }
  if (fma)
    isa.push_back("FMA");
  peak.f32FlopPerCycle = fma ? 2.0 * lanes * 2 : 2.0 * lanes;
  peak.f32Assumption =
      fma ? llvm::formatv("2 FMA pipes x {0} f32 lanes x 2 flop", lanes).str()
          : llvm::formatv("1 add + 1 multiply pipe x {0} f32 lanes", lanes)
                .str();
  if (has("avx512vnni")) {
    isa.push_back("AVX512-VNNI");
    if (has("avxvnni"))
      isa.push_back("AVX-VNNI");
    // vpdpbusd zmm: 16 lanes x 4 u8*s8 MACs, on 2 pipes.
    peak.int8OpPerCycle = 2 * 64 * 2;
    peak.int8Assumption = "2 pipes x vpdpbusd zmm (64 MACs) x 2 ops";
  } else if (has("avxvnni")) {
    isa.push_back("AVX-VNNI");
    peak.int8OpPerCycle = 2 * 32 * 2;
    peak.int8Assumption = "2 pipes x vpdpbusd ymm (32 MACs) x 2 ops";
  } else if (has("avx512bw") || has("avx2")) {
    // No VNNI: vpmaddubsw (2 MACs per 16-bit lane) needs vpmaddwd and
    // vpaddd after it to accumulate in i32, which take the other pipe: one
    // vpmaddubsw per cycle.
    int macs = has("avx512bw") ? 64 : 32;
    peak.int8OpPerCycle = macs * 2;
    peak.int8Assumption =
        llvm::formatv("1 vpmaddubsw {0} ({1} MACs) per cycle x 2 ops",
                      has("avx512bw") ? "zmm" : "ymm", macs)
            .str();
  } else {
    peak.int8OpPerCycle = 16 * 2;
    peak.int8Assumption = "1 pmaddubsw xmm (16 MACs) per cycle x 2 ops";
  }
  peak.isa = llvm::join(isa, " + ");
#elif defined(__aarch64__)
  peak.arch = "aarch64";
  // NEON: 128-bit vectors (SVE is assumed 128-bit too, as on Neoverse N2/V2
  // and most phones; wider SVE makes this an underestimate).
  std::vector<std::string> isa = {"NEON"};
  peak.f32FlopPerCycle = 2 * 4 * 2;
  peak.f32Assumption = "2 FMA pipes x 4 f32 lanes x 2 flop";
  if (has("i8mm")) {
    isa.push_back("dotprod");
    isa.push_back("i8mm");
    peak.int8OpPerCycle = 2 * 32 * 2;
    peak.int8Assumption = "2 pipes x smmla (32 MACs) x 2 ops";
  } else if (has("dotprod")) {
    isa.push_back("dotprod");
    peak.int8OpPerCycle = 2 * 16 * 2;
    peak.int8Assumption = "2 pipes x sdot (16 MACs) x 2 ops";
  } else {
    peak.int8OpPerCycle = 2 * 8 * 2;
    peak.int8Assumption = "2 pipes x smlal (8 MACs) x 2 ops";
  }
  peak.isa = llvm::join(isa, " + ");
#else
  peak.arch = "unknown";
  peak.isa = "scalar";
  peak.f32FlopPerCycle = 2;
  peak.int8OpPerCycle = 2;
  peak.f32Assumption = peak.int8Assumption = "one scalar multiply-add";
#endif
  peak.cpuinfoMHz = cpuinfoMHz();
  double measured = measureClockGHz();
  if (measured > 0) {
    peak.clockGHz = measured;
    peak.clockSource =
        "measured (dependent adds, 1 cycle each, in thread CPU time)";
  } else if (peak.cpuinfoMHz > 0) {
    peak.clockGHz = peak.cpuinfoMHz / 1000;
    peak.clockSource = "/proc/cpuinfo \"cpu MHz\"";
  }
  peak.cores = availableCores();
  return peak;
}

//===----------------------------------------------------------------------===//
// Timing
//===----------------------------------------------------------------------===//

namespace {

/// One runtime at one thread count: its timed runs over all rounds.
struct Measurement {
  std::string runtime;   // quant-eval, pytorch, pytorch-onednn, ...
  std::string precision; // f32 or int8
  std::string version;
  int threadsRequested = 1;
  int threadsUsed = 1;
  std::vector<double> timesMs;
  std::vector<double> roundMedians;
  std::string error;
  std::string label() const { return runtime + " " + precision; }
  bool isQuantEval() const { return runtime == "quant-eval"; }
};

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  double pos = p * (v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

/// The same pseudo-random input as tools/ort-bench/bench.js and
/// bench_peers.py: an LCG mapped to [-1, 1).
void fillPseudoRandom(float *data, int64_t n, uint32_t seed) {
  uint32_t state = seed;
  for (int64_t i = 0; i < n; ++i) {
    state = state * 1664525u + 1013904223u;
    data[i] = float(state >> 8) / float(1 << 24) * 2.0f - 1.0f;
  }
}

std::vector<double> timeModel(const CompiledModel &model, const float *input,
                              float *output, int warmup, int repeat) {
  for (int i = 0; i < warmup; ++i)
    model.run(input, output);
  std::vector<double> ms;
  for (int i = 0; i < std::max(1, repeat); ++i) {
    auto t0 = std::chrono::steady_clock::now();
    model.run(input, output);
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - t0)
                     .count());
  }
  return ms;
}

/// Convolutions, depthwise convolutions and matmuls with 8- or 16-bit
/// integer inputs.
int64_t countIntegerLayers(ModuleOp module) {
  int64_t count = 0;
  module->walk([&](Operation *op) {
    if (isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp, tosa::MatMulOp>(op))
      if (auto t = dyn_cast<ShapedType>(op->getOperand(0).getType()))
        count +=
            t.getElementType().isInteger(8) || t.getElementType().isInteger(16);
  });
  return count;
}

/// ptq-int8 (calibrated on the data set, or on pseudo-random inputs) and
/// qe-lower-to-integer on a copy of `floatModule`. `floatOpsLeft` counts the
/// ops the lowering left in float (its "stays in float" remarks).
llvm::Expected<OwningOpRef<ModuleOp>> buildInt8(ModuleOp floatModule,
                                                const BenchOptions &options,
                                                const ModelSignature &sig,
                                                std::string &calibrationNote,
                                                int64_t &floatOpsLeft) {
  MLIRContext *ctx = floatModule.getContext();
  OwningOpRef<ModuleOp> probed = floatModule.clone();
  llvm::Expected<qe::CalibrationFile> file = qe::CalibrationFile();
  if (!options.calibrationDataset.empty()) {
    file = options.calibrateOnDataset(*probed);
    calibrationNote = "the first " +
                      std::to_string(options.calibrationSamples) +
                      " training samples of " + options.calibrationDataset;
  } else {
    PassManager observe(ctx);
    observe.addNestedPass<func::FuncOp>(qe::createInsertObservers());
    if (failed(observe.run(*probed)))
      return llvm::createStringError("inserting the calibration probes failed");
    CalibrationRun run;
    run.samples = options.calibrationSamples;
    auto fill = [&](int64_t index, float *input) {
      fillPseudoRandom(input, sig.inputElements(), 1000u + uint32_t(index));
      return llvm::Error::success();
    };
    run.fill = fill;
    file = calibrate(*probed, run);
    if (file) {
      file->dataset = "pseudo-random";
      file->split = "none";
      file->samples = run.samples;
    }
    calibrationNote = std::to_string(options.calibrationSamples) +
                      " pseudo-random inputs in [-1, 1)";
  }
  if (!file)
    return file.takeError();
  llvm::SmallString<128> statsPath;
  if (std::error_code ec =
          fs::createTemporaryFile("qe-bench-calibration", "json", statsPath))
    return llvm::createStringError("cannot create a temporary file: " +
                                   ec.message());
  llvm::FileRemover remover(statsPath);
  if (auto err = qe::writeCalibrationFile(statsPath, *file))
    return std::move(err);

  OwningOpRef<ModuleOp> quantized = floatModule.clone();
  // Anchored on the module: an unanchored manager would run a
  // builtin.module(...) pipeline on modules nested inside this one, i.e. on
  // nothing, and time the float model twice.
  PassManager pm = PassManager::on<ModuleOp>(ctx);
  std::string pipeline = "ptq-int8{calibration=" + statsPath.str().str() +
                         "},func.func(qe-lower-to-integer)";
  if (failed(parsePassPipeline(pipeline, pm, llvm::errs())))
    return llvm::createStringError("cannot build the pipeline " + pipeline);
  floatOpsLeft = 0;
  ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &diag) {
    if (diag.getSeverity() != DiagnosticSeverity::Remark)
      return failure(); // errors and warnings go on to stderr
    if (llvm::StringRef(diag.str()).starts_with("stays in float"))
      ++floatOpsLeft;
    return success();
  });
  if (failed(pm.run(*quantized)))
    return llvm::createStringError("ptq-int8 or qe-lower-to-integer failed");
  return std::move(quantized);
}

/// Parses a peer's JSON lines into `into` (matched by runtime and
/// precision); a "skipped" line names why a runtime is absent.
void collectPeerLines(llvm::StringRef text, int threads,
                      std::vector<Measurement> &into,
                      std::map<std::string, std::string> &skipped) {
  llvm::SmallVector<llvm::StringRef> lines;
  text.split(lines, '\n', -1, false);
  for (llvm::StringRef line : lines) {
    line = line.trim();
    if (!line.starts_with("{"))
      continue;
    llvm::Expected<llvm::json::Value> v = llvm::json::parse(line);
    if (!v) {
      llvm::consumeError(v.takeError());
      continue;
    }
    const llvm::json::Object *o = v->getAsObject();
    if (!o)
      continue;
    std::string runtime = o->getString("runtime").value_or("").str();
    if (auto reason = o->getString("skipped")) {
      skipped[runtime] = reason->str();
      continue;
    }
    std::string precision = o->getString("precision").value_or("f32").str();
    auto it = llvm::find_if(into, [&](const Measurement &m) {
      return m.runtime == runtime && m.precision == precision &&
             m.threadsRequested == threads;
    });
    if (it == into.end()) {
      Measurement m;
      m.runtime = runtime;
      m.precision = precision;
      m.threadsRequested = threads;
      into.push_back(m);
      it = std::prev(into.end());
    }
    it->version = o->getString("version").value_or(it->version).str();
    it->threadsUsed = int(o->getInteger("threads").value_or(threads));
    if (auto error = o->getString("error")) {
      it->error = error->str();
      continue;
    }
    if (const llvm::json::Array *times = o->getArray("times_ms")) {
      std::vector<double> round;
      for (const llvm::json::Value &t : *times)
        if (auto ms = t.getAsNumber())
          round.push_back(*ms);
      it->timesMs.insert(it->timesMs.end(), round.begin(), round.end());
      it->roundMedians.push_back(percentile(round, 0.5));
    }
  }
}

std::string formatMs(double ms) {
  return llvm::formatv(ms < 10 ? "{0:f3}" : "{0:f2}", ms).str();
}

} // namespace

//===----------------------------------------------------------------------===//
// The command
//===----------------------------------------------------------------------===//

int quant_eval::runBench(MLIRContext &ctx, const BenchOptions &options) {
  auto fail = [](const llvm::Twine &message) {
    llvm::errs() << "quant-eval bench: " << message << "\n";
    return 1;
  };
  if (options.rounds < 1 || options.repeat < 1 || options.warmup < 0)
    return fail("--rounds and --repeat must be at least 1, --warmup >= 0");
  // Code for another CPU: checked before anything is compiled, and
  // PyTorch's onednn (a child process) kept to the same instruction set.
  std::string onednnIsa;
  if (!options.cpu.empty()) {
    llvm::Expected<std::string> features =
        getCpuFeaturesRunnableHere(options.cpu);
    if (!features)
      return fail("--cpu: " + llvm::toString(features.takeError()));
    onednnIsa = onednnIsaFor(*features);
    setenv("ONEDNN_MAX_CPU_ISA", onednnIsa.c_str(), /*overwrite=*/1);
  }
  CpuPeak cpu = detectCpuPeak(options.cpu);

  // Thread counts, resolved: "all" is every CPU this process may run on.
  std::vector<int> threadCounts;
  for (const std::string &t : options.threads) {
    int n = 0;
    if (t == "all")
      n = int(cpu.cores);
    else if (llvm::StringRef(t).getAsInteger(10, n) || n < 1)
      return fail("--threads takes positive counts or 'all', got '" + t + "'");
    if (!llvm::is_contained(threadCounts, n))
      threadCounts.push_back(n);
  }

  OwningOpRef<ModuleOp> module = options.loadModel(ctx, options.model);
  if (!module)
    return 1;
  llvm::StringRef modelRef(options.model);
  bool onnx = modelRef.ends_with(".onnx") || modelRef.ends_with(".onnxtxt");
  MacCount macs = countMacs(*module);
  // A detector's outputs become one buffer, as in `quant-eval infer`.
  if (auto shapes = concatenateOutputs(*module); !shapes)
    return fail(llvm::toString(shapes.takeError()));
  auto sig = getModelSignature(*module);
  if (!sig)
    return fail(llvm::toString(sig.takeError()));

  // quant-eval's models: the float one, and for an ONNX model its int8
  // form. An .mlir model is timed as it is (its precision: int8 if the
  // lowering made its layers integer).
  struct OwnModel {
    std::string precision;
    int threads = 1;
    std::unique_ptr<CompiledModel> compiled;
    double compileSeconds = 0;
  };
  std::vector<OwnModel> own;
  std::string calibrationNote;
  int64_t floatOpsLeft = -1, int8IntegerLayers = 0;
  auto compileTimed = [&](ModuleOp m, OwnModel &into) -> llvm::Error {
    auto t0 = std::chrono::steady_clock::now();
    CodegenOptions codegen;
    codegen.threads = unsigned(into.threads);
    codegen.cpu = options.cpu;
    auto compiled = CompiledModel::compileJIT(m, codegen);
    into.compileSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    if (!compiled)
      return compiled.takeError();
    into.compiled = std::move(*compiled);
    return llvm::Error::success();
  };
  bool integerModel = countIntegerLayers(*module) > 0;
  std::optional<OwningOpRef<ModuleOp>> int8Module;
  if (onnx) {
    llvm::outs() << "building int8: ptq-int8 + qe-lower-to-integer\n";
    auto q = buildInt8(*module, options, *sig, calibrationNote, floatOpsLeft);
    if (!q)
      return fail("int8: " + llvm::toString(q.takeError()));
    int8Module = std::move(*q);
    // A pipeline that silently quantized nothing would time the float
    // model twice under the int8 label.
    int8IntegerLayers = countIntegerLayers(**int8Module);
    if (int8IntegerLayers == 0)
      return fail("int8: ptq-int8 and qe-lower-to-integer left no "
                  "convolution or matmul in integer form");
    if (!options.int8ModelOut.empty()) {
      std::error_code ec;
      llvm::raw_fd_ostream os(options.int8ModelOut, ec);
      if (ec)
        return fail("cannot write " + options.int8ModelOut + ": " +
                    ec.message());
      (*int8Module)->print(os);
    }
  }
  // One compiled model per precision and thread count (the thread count
  // is fixed at compile time).
  for (int t : threadCounts) {
    OwnModel m{integerModel ? "int8" : "f32", t, nullptr, 0};
    OwningOpRef<ModuleOp> copy = module->clone();
    if (auto err = compileTimed(*copy, m))
      return fail(llvm::toString(std::move(err)));
    own.push_back(std::move(m));
    if (int8Module) {
      OwnModel q{"int8", t, nullptr, 0};
      OwningOpRef<ModuleOp> int8Copy = (*int8Module)->clone();
      if (auto err = compileTimed(*int8Copy, q))
        return fail("int8: " + llvm::toString(std::move(err)));
      own.push_back(std::move(q));
    }
  }

  // Peers: which are present, and how to run them.
  std::map<std::string, std::string> skipped; // runtime -> why
  bool wantTorch = llvm::is_contained(options.peers, "pytorch");
  bool wantOrt = llvm::is_contained(options.peers, "onnxruntime");
  std::string python, node;
  std::string peersScript =
      std::string(QE_SOURCE_DIR) + "/python/quant_eval/bench_peers.py";
  std::string ortDir = std::string(QE_SOURCE_DIR) + "/tools/ort-bench";
  std::string torchName = options.torchModel.empty()
                              ? path::stem(options.model).str()
                              : options.torchModel;
  if (wantTorch) {
    if (!onnx)
      skipped["pytorch"] = "the model is not ONNX (no torch module to match)";
    else if (const char *env = std::getenv("QE_PYTHON"))
      python = env;
    else if (fs::can_execute("/usr/bin/python3"))
      python = "/usr/bin/python3"; // Debian's, with its torch
    else if (auto p = llvm::sys::findProgramByName("python3"))
      python = *p;
    else
      skipped["pytorch"] = "no python3";
    if (!python.empty() && !fs::exists(peersScript)) {
      skipped["pytorch"] = peersScript + " is missing";
      python.clear();
    }
  }
  if (wantOrt) {
    if (!modelRef.ends_with(".onnx"))
      skipped["onnxruntime"] = "ONNX Runtime reads binary .onnx files only";
    else if (!fs::exists(ortDir + "/node_modules/onnxruntime-node"))
      skipped["onnxruntime"] =
          "onnxruntime-node is not installed (cd tools/ort-bench && npm "
          "install --ignore-scripts)";
    else if (auto p = llvm::sys::findProgramByName("node"))
      node = *p;
    else
      skipped["onnxruntime"] = "no node on PATH";
  }

  llvm::SmallString<128> workDir;
  if (std::error_code ec = fs::createUniqueDirectory("qe-bench", workDir))
    return fail("cannot create a temporary directory: " + ec.message());
  auto cleanup = llvm::scope_exit([&] { fs::remove_directories(workDir); });

  std::vector<Measurement> results;
  for (const OwnModel &m : own) {
    Measurement r;
    r.runtime = "quant-eval";
    r.precision = m.precision;
    r.threadsRequested = m.threads;
    r.threadsUsed = m.threads;
    results.push_back(r);
  }
  std::vector<float> input(sig->inputElements()), output(sig->outputElements());
  fillPseudoRandom(input.data(), int64_t(input.size()), 12345u);
  std::string repeat = std::to_string(options.repeat),
              warmup = std::to_string(options.warmup);
  llvm::outs() << "timing " << options.rounds << " interleaved round(s) of "
               << options.repeat << " runs after " << options.warmup
               << " warm-up, per runtime and thread count\n";
  for (int round = 0; round < options.rounds; ++round) {
    for (int t : threadCounts) {
      for (const OwnModel &m : own) {
        if (m.threads != t)
          continue;
        auto it = llvm::find_if(results, [&](const Measurement &r) {
          return r.isQuantEval() && r.precision == m.precision &&
                 r.threadsRequested == t;
        });
        std::vector<double> ms =
            timeModel(*m.compiled, input.data(), output.data(), options.warmup,
                      options.repeat);
        it->timesMs.insert(it->timesMs.end(), ms.begin(), ms.end());
        it->roundMedians.push_back(percentile(ms, 0.5));
      }
      std::string log =
          (workDir + "/r" + llvm::Twine(round) + "t" + llvm::Twine(t)).str();
      if (!python.empty() && !skipped.count("pytorch")) {
        StepResult r =
            runStep({python, peersScript, options.model, "--model-name",
                     torchName, "--threads", std::to_string(t), "--repeat",
                     repeat, "--warmup", warmup},
                    log + "-torch", 3600);
        collectPeerLines(readFile(log + "-torch.out"), t, results, skipped);
        if (!r.ok)
          llvm::errs() << "quant-eval bench: pytorch peer failed: " << r.error
                       << "\n";
      }
      if (!node.empty() && !skipped.count("onnxruntime")) {
        StepResult r = runStep({node, ortDir + "/bench.js", options.model,
                                "--repeat", repeat, "--warmup", warmup,
                                "--threads", std::to_string(t)},
                               log + "-ort", 3600);
        collectPeerLines(readFile(log + "-ort.out"), t, results, skipped);
        if (!r.ok) {
          llvm::errs() << "quant-eval bench: onnxruntime peer failed: "
                       << r.error << "\n";
          skipped["onnxruntime"] = "bench.js failed: " + r.error;
        }
      }
    }
    llvm::outs() << "round " << round + 1 << "/" << options.rounds << " done\n";
  }

  // The report.
  double opsPerInference = 2.0 * double(macs.total());
  double gop = opsPerInference / 1e9;
  llvm::outs() << "\nmodel:    " << options.model << " (batch 1, input ";
  for (size_t i = 0; i < sig->inputShape.size(); ++i)
    llvm::outs() << (i ? "x" : "") << sig->inputShape[i];
  llvm::outs() << ")\n";
  llvm::outs() << llvm::format(
      "work:     %.2f M MACs (convolution %.2f M, depthwise %.2f M, "
      "matmul %.2f M) = %.3f G(FL)OP per inference\n",
      macs.total() / 1e6, macs.convolution / 1e6, macs.depthwise / 1e6,
      macs.matmul / 1e6, gop);
  if (macs.unknownOps)
    llvm::outs() << "          (" << macs.unknownOps
                 << " dynamically shaped layers not counted)\n";
  llvm::outs() << "ISA:      " << cpu.arch << " " << cpu.isa
               << llvm::format("; f32 %.0f flop/cycle/core (",
                               cpu.f32FlopPerCycle)
               << cpu.f32Assumption
               << llvm::format("), int8 %.0f op/cycle/core (",
                               cpu.int8OpPerCycle)
               << cpu.int8Assumption << ")\n";
  if (!options.cpu.empty())
    llvm::outs() << "target:   quant-eval's code for " << options.cpu
                 << " (the ISA and peak above are its); PyTorch with "
                    "ONEDNN_MAX_CPU_ISA="
                 << onednnIsa
                 << "; ONNX Runtime uses this host's ISA (it has no such "
                    "switch)\n";
  llvm::outs() << llvm::format("clock:    %.2f GHz, ", cpu.clockGHz)
               << cpu.clockSource;
  if (cpu.cpuinfoMHz > 0)
    llvm::outs() << llvm::format("; /proc/cpuinfo says %.0f MHz",
                                 cpu.cpuinfoMHz);
  llvm::outs() << "\n";
  llvm::outs() << llvm::format(
      "peak:     f32 %.1f GFLOP/s, int8 %.1f GOP/s per core; %u core(s) "
      "available\n",
      cpu.f32GflopsPerCore(), cpu.int8GopsPerCore(), cpu.cores);
  if (onnx)
    llvm::outs() << "int8:     ptq-int8 calibrated on " << calibrationNote
                 << ", qe-lower-to-integer (" << floatOpsLeft
                 << " ops left in float)\n";
  llvm::outs() << "compile:  ";
  for (const OwnModel &m : own)
    llvm::outs() << llvm::format("%s/%dt %.2f s  ", m.precision.c_str(),
                                 m.threads, m.compileSeconds);
  llvm::outs() << "\nthreads:  quant-eval runs its loops over output tiles "
                  "on that many OpenMP threads (compiled in)\n";
  for (const auto &[runtime, reason] : skipped)
    llvm::outs() << "skipped:  " << runtime << ": " << reason << "\n";

  auto peakFor = [&](const Measurement &m) {
    double perCore =
        m.precision == "int8" ? cpu.int8GopsPerCore() : cpu.f32GflopsPerCore();
    return perCore * m.threadsUsed;
  };
  llvm::json::Array jsonResults;
  llvm::outs() << llvm::formatv("\n{0,-16} {1,-5} {2,7} {3,4} {4,10} {5,10} "
                                "{6,9} {7,7}  {8}\n",
                                "runtime", "prec", "threads", "used",
                                "median ms", "p90 ms", "G(FL)OP/s", "% peak",
                                "quant-eval / peer (median)");
  for (int t : threadCounts) {
    for (const Measurement &m : results) {
      if (m.threadsRequested != t)
        continue;
      llvm::json::Object o{{"runtime", m.runtime},
                           {"precision", m.precision},
                           {"threads_requested", int64_t(t)},
                           {"threads_used", int64_t(m.threadsUsed)}};
      if (!m.version.empty())
        o["version"] = m.version;
      if (m.timesMs.empty()) {
        std::string why = m.error.empty() ? "no result" : m.error;
        llvm::outs() << llvm::formatv("{0,-16} {1,-5} {2,7} {3,4}  failed: "
                                      "{4}\n",
                                      m.runtime, m.precision, t, m.threadsUsed,
                                      why);
        o["error"] = why;
        jsonResults.push_back(std::move(o));
        continue;
      }
      double median = percentile(m.timesMs, 0.5),
             p90 = percentile(m.timesMs, 0.9);
      double rate = median > 0 ? opsPerInference / (median / 1e3) / 1e9 : 0;
      double peak = peakFor(m);
      double fraction = peak > 0 ? rate / peak : 0;
      // quant-eval's rows: its median over each peer's, same thread count.
      std::string ratios;
      llvm::json::Object ratioJson;
      if (m.isQuantEval())
        for (const Measurement &p : results) {
          if (p.isQuantEval() || p.threadsRequested != t || p.timesMs.empty())
            continue;
          double r = median / percentile(p.timesMs, 0.5);
          ratioJson[p.label()] = r;
          ratios += llvm::formatv("{0}{1:f2}x {2}", ratios.empty() ? "" : ", ",
                                  r, p.label())
                        .str();
        }
      llvm::outs() << llvm::formatv(
          "{0,-16} {1,-5} {2,7} {3,4} {4,10} {5,10} {6,9:f1} {7,7:f1}  {8}\n",
          m.runtime, m.precision, t, m.threadsUsed, formatMs(median),
          formatMs(p90), rate, 100 * fraction, ratios);
      llvm::json::Array rounds;
      for (double r : m.roundMedians)
        rounds.push_back(r);
      o["latency_ms_median"] = median;
      o["latency_ms_p90"] = p90;
      o["runs"] = int64_t(m.timesMs.size());
      o["round_medians_ms"] = std::move(rounds);
      o[m.precision == "int8" ? "gops" : "gflops"] = rate;
      o["peak_fraction"] = fraction;
      if (m.isQuantEval())
        o["ratio_vs"] = std::move(ratioJson);
      jsonResults.push_back(std::move(o));
    }
  }
  llvm::outs() << "(ratio: quant-eval's median over the peer's at the same "
                  "thread count; below 1 quant-eval is faster)\n";

  if (options.jsonPath.empty())
    return 0;
  llvm::json::Array inputShape, threads, compile;
  for (int64_t d : sig->inputShape)
    inputShape.push_back(d);
  for (int t : threadCounts)
    threads.push_back(int64_t(t));
  for (const OwnModel &m : own)
    compile.push_back(llvm::json::Object{{"precision", m.precision},
                                         {"threads", int64_t(m.threads)},
                                         {"seconds", m.compileSeconds}});
  llvm::json::Object skippedJson;
  for (const auto &[runtime, reason] : skipped)
    skippedJson[runtime] = reason;
  llvm::json::Object result{
      {"model", options.model},
      {"batch", int64_t(1)},
      {"input_shape", std::move(inputShape)},
      {"macs", llvm::json::Object{{"total", macs.total()},
                                  {"convolution", macs.convolution},
                                  {"depthwise", macs.depthwise},
                                  {"matmul", macs.matmul},
                                  {"uncounted_ops", macs.unknownOps}}},
      {"ops_per_inference", opsPerInference},
      {"cpu",
       llvm::json::Object{{"arch", cpu.arch},
                          {"isa", cpu.isa},
                          {"f32_flop_per_cycle_per_core", cpu.f32FlopPerCycle},
                          {"f32_assumption", cpu.f32Assumption},
                          {"int8_op_per_cycle_per_core", cpu.int8OpPerCycle},
                          {"int8_assumption", cpu.int8Assumption},
                          {"clock_ghz", cpu.clockGHz},
                          {"clock_source", cpu.clockSource},
                          {"cpuinfo_mhz", cpu.cpuinfoMHz},
                          {"cores_available", int64_t(cpu.cores)},
                          {"peak_f32_gflops_per_core", cpu.f32GflopsPerCore()},
                          {"peak_int8_gops_per_core", cpu.int8GopsPerCore()}}},
      {"rounds", int64_t(options.rounds)},
      {"repeat", int64_t(options.repeat)},
      {"warmup", int64_t(options.warmup)},
      {"threads", std::move(threads)},
      {"compile_seconds", std::move(compile)},
      {"results", std::move(jsonResults)},
      {"skipped", std::move(skippedJson)},
  };
  // Code for a named CPU (--cpu): which, and what onednn was kept to.
  if (!options.cpu.empty()) {
    result["target_cpu"] = options.cpu;
    result["onednn_max_cpu_isa"] = onednnIsa;
  }
  if (onnx) {
    result["int8_calibration"] = calibrationNote;
    result["int8_float_ops_left"] = floatOpsLeft;
    result["int8_integer_layers"] = int8IntegerLayers;
  }
  if (!writeJsonFile(options.jsonPath, std::move(result)))
    return fail("cannot write " + options.jsonPath);
  return 0;
}
