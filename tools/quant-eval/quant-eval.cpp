//===- quant-eval.cpp - The user's driver ---------------------------------===//
//
//   quant-eval run MODEL (.onnx | .onnxtxt | .mlir) --dataset fashion-mnist
//       --split test [--limit N] [--batch B] [--json FILE]
//   quant-eval infer MODEL --input X.npy --output Y.npy
//   quant-eval bench MODEL [--rounds R] [--threads 1,all] [--repeat N]
//       [--warmup W] [--torch-model NAME] [--peers pytorch,onnxruntime]
//       [--calibration-dataset SPEC] [--cpu haswell] [--json FILE]
//   quant-eval calibrate MODEL --dataset fashion-mnist --split train
//       --samples N --output STATS.json
//
// `run` compiles the model to native code, runs it over a data set and
// reports top-1/top-5 accuracy, parameter size and latency per sample.
// `infer` runs it once on an array a user brings; `bench` measures the
// latency of its float and int8 code at batch 1 against the peer runtimes
// present (a benchmark command, never a timed test; see Bench.h). `calibrate`
// probes the activations a quantized model requantizes (qe-insert-observers),
// runs the float model on training samples and writes their statistics for
// qe-apply-calibration.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Conversion/Passes.h"
#include "quant-eval/Dialect/QE/IR/QEDialect.h"
#include "quant-eval/Dialect/QE/Transforms/Passes.h"
#include "quant-eval/Import/ONNXImporter.h"
#include "quant-eval/Numerics/Detection.h"
#include "quant-eval/Runtime/Calibration.h"
#include "quant-eval/Runtime/CompiledModel.h"
#include "quant-eval/Runtime/Datasets.h"
#include "quant-eval/Runtime/ModelStats.h"
#include "quant-eval/Runtime/Preprocess.h"

#include "Bench.h"
#include "Matrix.h"
#include "Recommend.h"
#include "Sensitivity.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <numeric>

using namespace mlir;
using namespace quant_eval;
namespace num = quant_eval::numerics;
namespace cl = llvm::cl;

namespace {
cl::OptionCategory runCategory("quant-eval run options");
cl::OptionCategory benchCategory("quant-eval bench options");
cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model>"),
                               cl::init(""), cl::cat(runCategory),
                               cl::cat(benchCategory));
cl::opt<std::string> datasetName(
    "dataset",
    cl::desc("fashion-mnist, idx:IMAGES,LABELS or npy:INPUTS.npy,LABELS.npy"),
    cl::init("fashion-mnist"), cl::cat(runCategory));
cl::opt<std::string> split("split", cl::desc("train or test"), cl::init("test"),
                           cl::cat(runCategory));
cl::opt<int64_t> limit("limit", cl::desc("Evaluate the first N samples only"),
                       cl::init(0), cl::cat(runCategory));
cl::opt<int64_t> batch("batch",
                       cl::desc("Batch size for ONNX models (an .mlir model "
                                "keeps its own)"),
                       cl::init(1), cl::cat(runCategory));
cl::opt<std::string> jsonPath("json", cl::desc("Also write the results here"),
                              cl::init(""), cl::cat(runCategory),
                              cl::cat(benchCategory));
cl::opt<std::string>
    dumpOutputs("dump-outputs",
                cl::desc("Write every sample's model output to this .npy"),
                cl::init(""), cl::cat(runCategory));
cl::opt<int> warmup("warmup",
                    cl::desc("Untimed runs before timing (bench: per round "
                             "and runtime)"),
                    cl::init(3), cl::cat(runCategory), cl::cat(benchCategory));
cl::opt<int> repeat("repeat",
                    cl::desc("Timed runs of one batch (bench: per round and "
                             "runtime)"),
                    cl::init(21), cl::cat(runCategory), cl::cat(benchCategory));
cl::opt<std::string> meanOpt("mean", cl::desc("Override the mean, e.g. 0.286"),
                             cl::init(""), cl::cat(runCategory));
cl::opt<std::string> stdOpt("std", cl::desc("Override the std"), cl::init(""),
                            cl::cat(runCategory));
cl::opt<std::string> scaleOpt("scale", cl::desc("Override the pixel scale"),
                              cl::init(""), cl::cat(runCategory));
cl::opt<std::string> layoutOpt("layout", cl::desc("Override NCHW/NHWC"),
                               cl::init(""), cl::cat(runCategory));
cl::opt<bool> quiet("quiet", cl::desc("No progress bar"), cl::init(false),
                    cl::cat(runCategory));
cl::opt<std::string> sharedObject(
    "shared-object",
    cl::desc("Run this AOT-built shared object (exporting _mlir_ciface_main) "
             "instead of JIT-compiling the model; the model still gives the "
             "signature, size and preprocessing"),
    cl::init(""), cl::cat(runCategory));
cl::opt<std::string> inputNpy("input",
                              cl::desc("infer: the model input as .npy"),
                              cl::init(""), cl::cat(runCategory));
cl::opt<std::string>
    outputNpy("output",
              cl::desc("infer: where to write the output; calibrate: where "
                       "to write the statistics (JSON)"),
              cl::init(""), cl::cat(runCategory));
cl::opt<int64_t> samples("samples",
                         cl::desc("calibrate: training samples to run"),
                         cl::init(500), cl::cat(runCategory));
cl::opt<int64_t> bins("bins", cl::desc("calibrate: histogram bins per tensor"),
                      cl::init(2048), cl::cat(runCategory));

cl::OptionCategory matrixCategory("quant-eval matrix options");
cl::list<std::string> matrixModels(
    "models", cl::desc("matrix: the models (.onnx or .mlir), comma-separated"),
    cl::CommaSeparated, cl::cat(matrixCategory));
cl::list<std::string> matrixMethodNames(
    "methods",
    cl::desc("matrix: the methods, comma-separated (default: all; see "
             "quant-eval matrix --list-methods)"),
    cl::CommaSeparated, cl::cat(matrixCategory));
cl::opt<bool> listMethods("list-methods",
                          cl::desc("matrix: print the known methods"),
                          cl::init(false), cl::cat(matrixCategory));
cl::opt<std::string> outDir("out",
                            cl::desc("matrix: the directory for the records"),
                            cl::init("matrix"), cl::cat(matrixCategory));
cl::opt<std::string> detectionDataset(
    "detection-dataset",
    cl::desc("matrix: det:IMAGES.npy,BOXES.npy test canvases for detectors"),
    cl::init(""), cl::cat(matrixCategory));
cl::opt<std::string> detectionCalibrationDataset(
    "detection-calibration-dataset",
    cl::desc("matrix: det: training canvases for detectors' PTQ"), cl::init(""),
    cl::cat(matrixCategory));
cl::opt<std::string> calibrationDataset(
    "calibration-dataset",
    cl::desc("matrix: training data for PTQ calibration when --dataset is "
             "not fashion-mnist; bench: data to calibrate the int8 model on "
             "instead of pseudo-random inputs (fashion-mnist, "
             "idx:IMAGES,LABELS or npy:X.npy,Y.npy)"),
    cl::init(""), cl::cat(matrixCategory), cl::cat(benchCategory));
cl::opt<std::string>
    sensitivityMethod("method",
                      cl::desc("sensitivity: the PTQ pipeline, e.g. ptq-4bit"),
                      cl::init("ptq-int8"), cl::cat(matrixCategory));
cl::opt<std::string> excludeOpt(
    "exclude",
    cl::desc("sensitivity: auto[:BUDGET] keeps the most sensitive layers "
             "float until top-1 (mAP@0.5 for detectors) is within BUDGET "
             "points of float (default "
             "1)"),
    cl::init(""), cl::cat(matrixCategory));
cl::opt<std::string> matrixFile("matrix",
                                cl::desc("recommend: the matrix.json to use"),
                                cl::init("build/results/matrix.json"),
                                cl::cat(matrixCategory));
cl::opt<std::string> dataOpt(
    "data",
    cl::desc("recommend: the data you have: none, unlabelled, labelled"),
    cl::init("none"), cl::cat(matrixCategory));
cl::opt<double> accuracyBudget(
    "accuracy-budget",
    cl::desc("recommend: top-1 points you may lose against float"),
    cl::init(1.0), cl::cat(matrixCategory));
cl::opt<std::string> sizeBudget(
    "size-budget",
    cl::desc("recommend: the largest stored size, in bytes (e.g. 100000) or "
             "as a fraction of the float model (e.g. 0.25)"),
    cl::init(""), cl::cat(matrixCategory));
cl::opt<bool> integerOpt(
    "integer",
    cl::desc("recommend: judge the fully integer models (qe-lower-to-integer)"),
    cl::init(false), cl::cat(matrixCategory));
cl::opt<int> jobs("jobs", cl::desc("matrix: cells run at once"), cl::init(1),
                  cl::cat(matrixCategory));
cl::opt<int> stepTimeout(
    "step-timeout",
    cl::desc("matrix: seconds a step may take before its cell fails"),
    cl::init(3600), cl::cat(matrixCategory));

cl::opt<int> benchRounds("rounds",
                         cl::desc("bench: interleaved rounds over all "
                                  "runtimes and thread counts"),
                         cl::init(3), cl::cat(benchCategory));
// LLVM registers a global --threads of its own: bench's is spelled
// --bench-threads internally, and benchCommand maps --threads onto it.
cl::list<std::string> benchThreads(
    "bench-threads",
    cl::desc("bench: thread counts, comma-separated; 'all' is every CPU this "
             "process may run on (default 1,all; quant-eval's models are "
             "compiled for each count, their tile loops on OpenMP). Spelled "
             "--threads on the command line"),
    cl::CommaSeparated, cl::cat(benchCategory));
cl::opt<int64_t>
    benchSamples("calibration-samples",
                 cl::desc("bench: inputs to calibrate ptq-int8 on (default 8)"),
                 cl::init(8), cl::cat(benchCategory));
cl::opt<std::string> torchModel(
    "torch-model",
    cl::desc("bench: the torchvision or zoo architecture of the ONNX model "
             "for the PyTorch peer (default: the file's stem, e.g. "
             "resnet50)"),
    cl::init(""), cl::cat(benchCategory));
cl::opt<std::string>
    saveInt8("save-int8",
             cl::desc("bench: also write the int8 model it times (.mlir)"),
             cl::init(""), cl::cat(benchCategory));
cl::opt<std::string> benchCpu(
    "cpu",
    cl::desc("bench: compile quant-eval's models for this x86 CPU (an LLVM "
             "name such as haswell) instead of the host, which must have its "
             "features; PyTorch's onednn is limited to the same ISA"),
    cl::init(""), cl::cat(benchCategory));
cl::list<std::string>
    benchPeers("peers",
               cl::desc("bench: peers to run, comma-separated: pytorch, "
                        "onnxruntime, or none (default: both, when present)"),
               cl::CommaSeparated, cl::cat(benchCategory));

/// LLVM registers a global --threads of its own. The commands that take a
/// thread count spell theirs differently inside and rename --threads=N,
/// --threads N and -threads on their command line to it.
class ThreadsArgument {
public:
  ThreadsArgument(int argc, char **argv, llvm::StringRef internalName)
      : args(argv, argv + argc) {
    for (std::string &arg : args)
      for (const char *prefix : {"--threads", "-threads"}) {
        llvm::StringRef rest(arg);
        if (rest.consume_front(prefix) && (rest.empty() || rest[0] == '=')) {
          arg = (internalName + rest).str();
          break;
        }
      }
    for (std::string &arg : args)
      pointers.push_back(arg.data());
    pointers.push_back(nullptr);
  }
  char **argv() { return pointers.data(); }

private:
  std::vector<std::string> args;
  std::vector<char *> pointers;
};

cl::opt<unsigned> modelThreads(
    "model-threads",
    cl::desc("Threads for the compiled model's loops over output tiles "
             "(OpenMP; spelled --threads on the command line)"),
    cl::init(1), cl::cat(runCategory));

int fail(const llvm::Twine &message) {
  // Messages that name their command ("quant-eval matrix: ...") carry the
  // prefix already.
  std::string text = message.str();
  llvm::errs() << (llvm::StringRef(text).starts_with("quant-eval ")
                       ? ""
                       : "quant-eval: ")
               << text << "\n";
  return 1;
}

int fail(llvm::Error err) {
  std::string msg = llvm::toString(std::move(err));
  return fail(msg);
}

/// A NaN in the logits would count as correct (no logit compares greater),
/// and one in a detector's outputs would vanish in decoding: a non-finite
/// output is an error that names the sample and the element.
llvm::Error checkFiniteOutput(const float *output, int64_t count,
                              int64_t sample) {
  for (int64_t k = 0; k < count; ++k)
    if (!std::isfinite(output[k]))
      return llvm::createStringError(
          llvm::formatv("the model produced {0} at run time: sample {1} "
                        "(0-based), output element {2}",
                        std::isnan(output[k]) ? "a NaN" : "an infinity", sample,
                        k)
              .str());
  return llvm::Error::success();
}

/// JIT-compiles `module`, or loads --shared-object with its signature.
llvm::Expected<std::unique_ptr<CompiledModel>> compile(ModuleOp module) {
  if (modelThreads < 1)
    return llvm::createStringError("--threads must be at least 1");
  if (sharedObject.empty()) {
    CodegenOptions codegen;
    codegen.threads = modelThreads;
    return CompiledModel::compileJIT(module, codegen);
  }
  auto sig = getModelSignature(module);
  if (!sig)
    return sig.takeError();
  if (llvm::Error err = checkInferenceFitsInMemory(module))
    return std::move(err);
  return CompiledModel::loadShared(sharedObject, std::move(*sig));
}

/// compile(), also reporting how long it took.
llvm::Expected<std::unique_ptr<CompiledModel>> compileTimed(ModuleOp module,
                                                            double &seconds) {
  auto start = std::chrono::steady_clock::now();
  auto model = compile(module);
  seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return model;
}

/// Writes `result` to `path` as indented JSON; 0 on success.
int writeJson(const std::string &path, llvm::json::Object result) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return fail(path + ": " + ec.message());
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(result))) << "\n";
  return 0;
}

OwningOpRef<ModuleOp> loadModel(MLIRContext &ctx, const std::string &path) {
  auto buffer = openInputFile(path);
  if (!buffer) {
    llvm::errs() << "quant-eval: cannot read " << path << "\n";
    return nullptr;
  }
  llvm::StringRef p(path);
  if (p.ends_with(".onnx") || p.ends_with(".onnxtxt")) {
    ONNXImportOptions options;
    options.batchSize = batch;
    return importONNXModel(buffer->getBuffer(), path, &ctx, options);
  }
  llvm::SourceMgr sm;
  sm.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
  // Some upstream parsers fail without a diagnostic (qe-ir-fuzzer found
  // tosa.clamp's, on a misspelt attribute name): say at least which file.
  bool reported = false;
  ScopedDiagnosticHandler watch(&ctx, [&](Diagnostic &d) {
    reported |= d.getSeverity() == DiagnosticSeverity::Error;
    return failure(); // the default handler still prints it
  });
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sm, &ctx);
  if (!module && !reported)
    llvm::errs() << "quant-eval: cannot parse " << path
                 << ": the MLIR parser stopped without saying where; check "
                    "the attribute lists of its ops\n";
  return module;
}

llvm::Error loadDetectionDataset(llvm::StringRef spec, ImageDataset &data,
                                 std::vector<num::GroundTruth> &truth);

llvm::Expected<ImageDataset> loadDataset(llvm::StringRef spec,
                                         const std::string &splitName) {
  llvm::StringRef name(spec);
  if (name == "fashion-mnist")
    return loadFashionMNIST(splitName);
  // Detection canvases: calibration needs their images only.
  if (name.consume_front("det:")) {
    ImageDataset data;
    std::vector<num::GroundTruth> truth;
    if (auto err = loadDetectionDataset(name, data, truth))
      return std::move(err);
    return data;
  }
  if (name.consume_front("idx:")) {
    auto [images, labels] = name.split(',');
    return loadIDXDataset(images.str(), labels.str());
  }
  if (name.consume_front("npy:")) {
    auto [images, labels] = name.split(',');
    auto x = readNpy(images.str());
    if (!x)
      return x.takeError();
    auto y = readNpy(labels.str());
    if (!y)
      return y.takeError();
    // Images as N x H x W (x C) uint8-range values.
    if (x->shape.size() < 3 || y->shape.size() != 1 ||
        y->shape[0] != x->shape[0])
      return llvm::createStringError(
          "npy data must be N x H x W (x C) images and N labels");
    ImageDataset ds;
    ds.count = x->shape[0];
    ds.height = x->shape[1];
    ds.width = x->shape[2];
    ds.channels = x->shape.size() > 3 ? x->shape[3] : 1;
    ds.pixels.reserve(x->data.size());
    for (float v : x->data)
      ds.pixels.push_back(static_cast<uint8_t>(std::clamp(v, 0.0f, 255.0f)));
    for (float v : y->data)
      ds.labels.push_back(static_cast<int64_t>(v));
    return ds;
  }
  return llvm::createStringError("unknown data set '" + spec + "'");
}

struct Latency {
  double median = 0, p90 = 0;
  int runs = 0;
};

/// Times `repeat` runs of one batch after `warmup` untimed ones; per-sample
/// milliseconds.
Latency measureLatency(const CompiledModel &model, const float *input,
                       float *output, int64_t batchSize);

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  double pos = p * (v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

DialectRegistry makeRegistry() {
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  qe::registerQEDialect(registry);
  return registry;
}

Latency measureLatency(const CompiledModel &model, const float *input,
                       float *output, int64_t batchSize) {
  for (int i = 0; i < warmup; ++i)
    model.run(input, output);
  std::vector<double> perSampleMs;
  for (int i = 0; i < std::max(1, int(repeat)); ++i) {
    auto t0 = std::chrono::steady_clock::now();
    model.run(input, output);
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - t0)
                    .count();
    perSampleMs.push_back(ms / batchSize);
  }
  return {percentile(perSampleMs, 0.5), percentile(perSampleMs, 0.9),
          int(perSampleMs.size())};
}

int inferCommand(int argc, char **argv) {
  ThreadsArgument args(argc, argv, "--model-threads");
  cl::HideUnrelatedOptions(runCategory);
  cl::ParseCommandLineOptions(argc, args.argv(), "quant-eval infer\n");
  if (modelPath.empty())
    return fail("quant-eval infer: name the model file");
  if (inputNpy.empty() || outputNpy.empty())
    return fail("infer needs --input X.npy and --output Y.npy");
  MLIRContext ctx(makeRegistry());
  ctx.loadAllAvailableDialects();
  OwningOpRef<ModuleOp> module = loadModel(ctx, modelPath);
  if (!module)
    return 1;
  auto input = readNpy(inputNpy);
  if (!input)
    return fail(input.takeError());
  // A detector's outputs come out concatenated per sample, in order.
  if (auto shapes = concatenateOutputs(*module); !shapes)
    return fail(shapes.takeError());
  auto model = compile(*module);
  if (!model)
    return fail(model.takeError());
  const ModelSignature &sig = (*model)->signature();
  if (input->shape != sig.inputShape) {
    std::string got, want;
    for (int64_t d : input->shape)
      got += std::to_string(d) + " ";
    for (int64_t d : sig.inputShape)
      want += std::to_string(d) + " ";
    return fail(inputNpy + " has shape [ " + got + "] but the model takes [ " +
                want + "]");
  }
  std::vector<float> output(sig.outputElements());
  (*model)->run(input->data.data(), output.data());
  if (auto err = writeNpy(outputNpy, sig.outputShape, output.data()))
    return fail(std::move(err));
  return 0;
}

/// The model's preprocessing: its metadata, then the command line's
/// overrides.
llvm::Expected<Preprocessing> modelPreprocessing(ModuleOp module) {
  Preprocessing pre;
  if (auto err = pre.update(getModelMetadata(module)))
    return std::move(err);
  llvm::StringMap<std::string> overrides;
  if (!meanOpt.empty())
    overrides["qe.mean"] = meanOpt;
  if (!stdOpt.empty())
    overrides["qe.std"] = stdOpt;
  if (!scaleOpt.empty())
    overrides["qe.scale"] = scaleOpt;
  if (!layoutOpt.empty())
    overrides["qe.layout"] = layoutOpt;
  if (auto err = pre.update(overrides))
    return std::move(err);
  return pre;
}

/// Channels, height and width of one image of a 4-D `inputShape`; settles
/// `pre`'s layout.
llvm::Expected<std::array<int64_t, 3>>
inputGeometry(Preprocessing &pre, const std::vector<int64_t> &inputShape) {
  if (inputShape.size() != 4)
    return llvm::createStringError("the model input must be a 4-D image "
                                   "batch");
  auto layout = resolveLayout(pre.layout, inputShape);
  if (!layout)
    return layout.takeError();
  pre.layout = *layout;
  if (pre.layout == Layout::NCHW)
    return std::array<int64_t, 3>{inputShape[1], inputShape[2], inputShape[3]};
  return std::array<int64_t, 3>{inputShape[3], inputShape[1], inputShape[2]};
}

/// Preprocesses samples [start, start + batch) of the first `n` into
/// `input`. A ragged last batch repeats sample n - 1; callers leave the
/// repeats out of counts.
llvm::Error fillBatch(const ImageDataset &data, const Preprocessing &pre,
                      const std::array<int64_t, 3> &chw, int64_t start,
                      int64_t batch, int64_t n, float *input) {
  const int64_t perSample = chw[0] * chw[1] * chw[2];
  for (int64_t i = 0; i < batch; ++i)
    if (auto err =
            preprocessImage(data, std::min(start + i, n - 1), pre, chw[0],
                            chw[1], chw[2], input + i * perSample))
      return err;
  return llvm::Error::success();
}

/// det:IMAGES.npy,BOXES.npy: N images (N x C x H x W, or N x H x W, pixel
/// values 0..255) and their boxes (N x K x 6: label, x0, y0, x1, y1, valid),
/// as python/quant_eval/detection/canvas.py writes them.
llvm::Error loadDetectionDataset(llvm::StringRef spec, ImageDataset &data,
                                 std::vector<num::GroundTruth> &truth) {
  auto [imagesPath, boxesPath] = spec.split(',');
  auto x = readNpy(imagesPath.str());
  if (!x)
    return x.takeError();
  auto y = readNpy(boxesPath.str());
  if (!y)
    return y.takeError();
  size_t rank = x->shape.size();
  if ((rank != 3 && rank != 4) || y->shape.size() != 3 || y->shape[2] != 6 ||
      y->shape[0] != x->shape[0])
    return llvm::createStringError(
        "det: data must be N x C x H x W (or N x H x W) images and N x K x 6 "
        "boxes (label, x0, y0, x1, y1, valid)");
  data.count = x->shape[0];
  data.channels = rank == 4 ? x->shape[1] : 1;
  data.height = x->shape[rank - 2];
  data.width = x->shape[rank - 1];
  // Stored HWC, as the other data sets.
  int64_t plane = data.height * data.width;
  data.pixels.resize(x->data.size());
  for (int64_t i = 0; i < data.count; ++i)
    for (int64_t c = 0; c < data.channels; ++c)
      for (int64_t p = 0; p < plane; ++p)
        data.pixels[(i * plane + p) * data.channels + c] = uint8_t(std::clamp(
            x->data[(i * data.channels + c) * plane + p], 0.0f, 255.0f));
  data.labels.assign(data.count, 0);
  int64_t slots = y->shape[1];
  for (int64_t i = 0; i < data.count; ++i)
    for (int64_t k = 0; k < slots; ++k) {
      const float *b = y->data.data() + (i * slots + k) * 6;
      if (b[5] != 0)
        truth.push_back({{b[1], b[2], b[3], b[4]}, int64_t(b[0]), i});
    }
  return llvm::Error::success();
}

/// quant-eval run on a detector (qe.task = detection): the network's raw
/// outputs are decoded here (qe.decoder: anchors-softmax, anchors-sigmoid
/// or centernet), reduced by per-label NMS (IoU 0.5, at most 100 boxes per
/// image, scores from 0.01) and scored as VOC mAP@0.5.
int runDetection(ModuleOp module, const llvm::StringMap<std::string> &meta,
                 Preprocessing &pre, const ParameterSize &size) {
  llvm::StringRef spec(datasetName);
  if (!spec.consume_front("det:"))
    return fail("quant-eval run: a detector needs --dataset "
                "det:IMAGES.npy,BOXES.npy (python/quant_eval/detection/"
                "canvas.py writes them)");
  ImageDataset data;
  std::vector<num::GroundTruth> truth;
  if (auto err = loadDetectionDataset(spec, data, truth))
    return fail(std::move(err));
  std::string decoder = meta.lookup("qe.decoder");
  int64_t classes = 10;
  if (meta.count("qe.classes") &&
      llvm::StringRef(meta.lookup("qe.classes")).getAsInteger(10, classes))
    return fail("quant-eval run: qe.classes is not a number");
  auto shapes = concatenateOutputs(module);
  if (!shapes)
    return fail(shapes.takeError());
  // The outputs each decoder reads, per image.
  bool anchors = decoder == "anchors-softmax" || decoder == "anchors-sigmoid";
  bool background = decoder == "anchors-softmax";
  std::vector<int64_t> per;
  for (const auto &shape : *shapes)
    per.push_back(std::accumulate(shape.begin() + 1, shape.end(), int64_t(1),
                                  std::multiplies<int64_t>()));
  const std::vector<num::Anchor> &anchorSet = num::zooDetectorAnchors();
  int64_t a = int64_t(anchorSet.size());
  if (anchors && (per.size() != 2 || per[0] != 4 * a ||
                  per[1] != a * (classes + (background ? 1 : 0))))
    return fail(
        "quant-eval run: decoder " + decoder + " needs outputs boxes [" +
        std::to_string(a) + ", 4] and scores [" + std::to_string(a) + ", " +
        std::to_string(classes + (background ? 1 : 0)) + "] (the zoo anchors)");
  if (decoder == "centernet" &&
      (per.size() != 3 || (*shapes)[0].size() != 4 ||
       (*shapes)[0][1] != classes || per[1] * classes != 2 * per[0] ||
       per[2] != per[1]))
    return fail("quant-eval run: decoder centernet needs outputs heatmap "
                "[classes, H, W], size [2, H, W] and offset [2, H, W]");
  if (!anchors && decoder != "centernet")
    return fail("quant-eval run: unknown qe.decoder '" + decoder +
                "' (anchors-softmax, anchors-sigmoid or centernet)");

  double compileSeconds = 0;
  auto model = compileTimed(module, compileSeconds);
  if (!model)
    return fail(model.takeError());
  const ModelSignature &sig = (*model)->signature();
  auto geometry = inputGeometry(pre, sig.inputShape);
  if (!geometry)
    return fail(geometry.takeError());
  int64_t b = sig.inputShape[0], row = sig.outputShape[1];
  int64_t n = limit > 0 ? std::min<int64_t>(data.count, limit) : data.count;
  std::vector<float> input(sig.inputElements()), output(sig.outputElements());
  std::vector<num::Detection> detections;
  std::vector<float> allOutputs;
  for (int64_t start = 0; start < n; start += b) {
    if (auto err = fillBatch(data, pre, *geometry, start, b, n, input.data()))
      return fail(std::move(err));
    (*model)->run(input.data(), output.data());
    for (int64_t i = 0; i < b && start + i < n; ++i) {
      const float *o = output.data() + i * row;
      if (auto err = checkFiniteOutput(o, row, start + i))
        return fail(std::move(err));
      if (!dumpOutputs.empty())
        allOutputs.insert(allOutputs.end(), o, o + row);
      std::vector<num::Detection> candidates;
      if (anchors) {
        candidates = num::decodeAnchorHead(o, o + per[0], anchorSet, classes,
                                           background, 0.01f, start + i);
      } else {
        int64_t h = (*shapes)[0][2], w = (*shapes)[0][3];
        float stride = float((*geometry)[1]) / float(h);
        candidates =
            num::decodeCenterNet(o, o + per[0], o + per[0] + per[1], classes, h,
                                 w, stride, 0.01f, 100, start + i);
      }
      for (size_t k : num::nonMaxSuppression(candidates, 0.5f, 100))
        detections.push_back(candidates[k]);
    }
  }
  std::vector<num::GroundTruth> used;
  for (const num::GroundTruth &g : truth)
    if (g.image < n)
      used.push_back(g);
  double map = num::meanAveragePrecision(detections, used, classes);
  // The raw outputs, concatenated per image in the model's output order.
  if (!dumpOutputs.empty())
    if (auto err = writeNpy(dumpOutputs, {n, row}, allOutputs.data()))
      return fail(std::move(err));
  Latency latency = measureLatency(**model, input.data(), output.data(), b);

  llvm::outs() << "model:     " << modelPath << "\n";
  llvm::outs() << "data:      " << datasetName << ", " << n << " images, "
               << used.size() << " boxes, batch " << b << "\n";
  llvm::outs() << llvm::format("mAP@0.5:   %.4f (%s, %zu detections)\n", map,
                               decoder.c_str(), detections.size());
  llvm::outs() << llvm::format(
      "size:      %lld bytes stored, %lld bytes as float32 (%lld parameters)\n",
      (long long)size.storedBytes(), (long long)size.float32Bytes(),
      (long long)size.parameters);
  llvm::outs() << llvm::format(
      "latency:   %.4f ms median, %.4f ms p90 per sample\n", latency.median,
      latency.p90);
  if (jsonPath.empty())
    return 0;
  return writeJson(jsonPath, llvm::json::Object{
                                 {"model", modelPath},
                                 {"dataset", datasetName},
                                 {"task", "detection"},
                                 {"samples", n},
                                 {"batch", b},
                                 {"map50", map},
                                 {"detections", int64_t(detections.size())},
                                 {"parameters", size.parameters},
                                 {"stored_bytes", size.storedBytes()},
                                 {"float32_bytes", size.float32Bytes()},
                                 {"latency_ms_median", latency.median},
                                 {"latency_ms_p90", latency.p90},
                                 {"compile_seconds", compileSeconds},
                             });
}

/// Probes `module` (consumed) with qe-insert-observers and runs it on the
/// first `samples` of `spec`'s `splitName` split: the statistics
/// qe-apply-calibration reads.
llvm::Expected<qe::CalibrationFile> calibrateOn(ModuleOp module,
                                                llvm::StringRef spec,
                                                const std::string &splitName,
                                                int64_t sampleCount) {
  auto pre = modelPreprocessing(module);
  if (!pre)
    return pre.takeError();
  auto data = loadDataset(spec, splitName);
  if (!data)
    return data.takeError();
  // A detector's several outputs become one; calibration reads only the
  // input's shape from the signature.
  if (auto shapes = concatenateOutputs(module); !shapes)
    return shapes.takeError();
  auto sig = getModelSignature(module);
  if (!sig)
    return sig.takeError();
  auto geometry = inputGeometry(*pre, sig->inputShape);
  if (!geometry)
    return geometry.takeError();

  PassManager pm(module.getContext());
  pm.addNestedPass<func::FuncOp>(qe::createInsertObservers());
  if (failed(pm.run(module)))
    return llvm::createStringError("inserting the calibration probes failed");

  int64_t b = sig->inputShape[0],
          n = std::min<int64_t>(sampleCount, data->count);
  CalibrationRun run;
  run.samples = (n + b - 1) / b;
  run.bins = bins;
  // A ragged last batch repeats its last sample; the repeats only weigh
  // that sample's values a little more.
  auto fill = [&](int64_t batchIndex, float *input) {
    return fillBatch(*data, *pre, *geometry, batchIndex * b, b, n, input);
  };
  run.fill = fill;
  auto file = calibrate(module, run);
  if (!file)
    return file.takeError();
  file->dataset = spec.str();
  file->split = splitName;
  file->samples = n;
  return file;
}

/// quant-eval calibrate: statistics of every requantized activation over
/// training samples, for qe-apply-calibration.
int calibrateCommand(int argc, char **argv) {
  cl::HideUnrelatedOptions(runCategory);
  cl::ParseCommandLineOptions(argc, argv, "quant-eval calibrate\n");
  if (modelPath.empty())
    return fail("quant-eval calibrate: name the model file");
  if (split.getNumOccurrences() == 0)
    split = "train";
  if (split != "train")
    return fail("calibration samples come from the training split (--split "
                "train); the '" +
                split + "' split is for measuring accuracy");
  if (outputNpy.empty())
    return fail("calibrate needs --output STATS.json");
  if (samples <= 0 || bins <= 0)
    return fail("--samples and --bins must be positive");

  MLIRContext ctx(makeRegistry());
  ctx.loadAllAvailableDialects();
  OwningOpRef<ModuleOp> module = loadModel(ctx, modelPath);
  if (!module)
    return 1;
  auto file = calibrateOn(*module, datasetName, split, samples);
  if (!file)
    return fail(file.takeError());
  if (auto err = qe::writeCalibrationFile(outputNpy, *file))
    return fail(std::move(err));
  llvm::outs() << "calibrated " << file->tensors.size() << " tensors on "
               << file->samples << " " << split << " samples of " << datasetName
               << ": " << outputNpy << "\n";
  return 0;
}

/// quant-eval bench: see Bench.h. An ONNX model is imported at batch 1.
int benchCommand(int argc, char **argv) {
  ThreadsArgument args(argc, argv, "--bench-threads");
  cl::HideUnrelatedOptions(benchCategory);
  cl::ParseCommandLineOptions(argc, args.argv(), "quant-eval bench\n");
  if (modelPath.empty())
    return fail("quant-eval bench: name the model file");
  if (benchSamples < 1)
    return fail("quant-eval bench: --calibration-samples must be positive");
  batch = 1;
  BenchOptions options;
  options.model = modelPath;
  options.repeat = repeat;
  options.warmup = warmup;
  options.rounds = benchRounds;
  if (!benchThreads.empty())
    options.threads.assign(benchThreads.begin(), benchThreads.end());
  options.jsonPath = jsonPath;
  options.calibrationDataset = calibrationDataset;
  options.calibrationSamples = benchSamples;
  options.torchModel = torchModel;
  options.int8ModelOut = saveInt8;
  options.cpu = benchCpu;
  if (!benchPeers.empty()) {
    options.peers.clear();
    for (const std::string &p : benchPeers) {
      if (p != "pytorch" && p != "onnxruntime" && p != "none")
        return fail("quant-eval bench: --peers takes pytorch, onnxruntime "
                    "or none, got '" +
                    p + "'");
      if (p != "none")
        options.peers.push_back(p);
    }
  }
  options.loadModel = [](MLIRContext &ctx, const std::string &path) {
    return loadModel(ctx, path);
  };
  std::string spec = calibrationDataset;
  options.calibrateOnDataset = [spec](ModuleOp module) {
    return calibrateOn(module, spec, "train", benchSamples);
  };
  MLIRContext ctx(makeRegistry());
  ctx.loadAllAvailableDialects();
  return runBench(ctx, options);
}

int runCommand(int argc, char **argv) {
  ThreadsArgument args(argc, argv, "--model-threads");
  cl::HideUnrelatedOptions(runCategory);
  cl::ParseCommandLineOptions(argc, args.argv(), "quant-eval run\n");
  if (modelPath.empty())
    return fail("quant-eval run: name the model file");

  MLIRContext ctx(makeRegistry());
  ctx.loadAllAvailableDialects();
  OwningOpRef<ModuleOp> module = loadModel(ctx, modelPath);
  if (!module)
    return 1;

  ParameterSize size = measureParameters(*module);
  auto pre = modelPreprocessing(*module);
  if (!pre)
    return fail(pre.takeError());
  llvm::StringMap<std::string> metadata = getModelMetadata(*module);
  if (metadata.lookup("qe.task") == "detection")
    return runDetection(*module, metadata, *pre, size);

  // Data problems are reported before spending time on compilation.
  auto data = loadDataset(datasetName, split);
  if (!data)
    return fail(data.takeError());

  double compileSeconds = 0;
  auto model = compileTimed(*module, compileSeconds);
  if (!model)
    return fail(model.takeError());
  const ModelSignature &sig = (*model)->signature();
  if (sig.inputShape.size() != 4 || sig.outputShape.size() != 2 ||
      sig.outputShape[0] != sig.inputShape[0])
    return fail("run expects an image classifier: a 4-D input and a "
                "[batch, classes] output");
  int64_t b = sig.inputShape[0], classes = sig.outputShape[1];
  auto geometry = inputGeometry(*pre, sig.inputShape);
  if (!geometry)
    return fail(geometry.takeError());

  int64_t n = data->count;
  if (limit > 0)
    n = std::min<int64_t>(n, limit);
  // Whole batches only; a ragged tail is padded with repeats and not counted.
  std::vector<float> input(sig.inputElements()), output(sig.outputElements());
  std::vector<float> allOutputs;
  int64_t top1 = 0, top5 = 0;
  // The progress bar is for people: only on a terminal.
  bool showProgress = !quiet && llvm::sys::Process::StandardErrIsDisplayed();
  int lastPercent = -1;
  for (int64_t start = 0; start < n; start += b) {
    if (auto err = fillBatch(*data, *pre, *geometry, start, b, n, input.data()))
      return fail(std::move(err));
    (*model)->run(input.data(), output.data());
    for (int64_t i = 0; i < b && start + i < n; ++i) {
      const float *logits = output.data() + i * classes;
      if (auto err = checkFiniteOutput(logits, classes, start + i))
        return fail(std::move(err));
      int64_t label = data->labels[start + i];
      if (!dumpOutputs.empty())
        allOutputs.insert(allOutputs.end(), logits, logits + classes);
      int64_t rank = 0;
      for (int64_t k = 0; k < classes; ++k)
        if (logits[k] > logits[label] ||
            (logits[k] == logits[label] && k < label))
          ++rank;
      top1 += rank == 0;
      top5 += rank < 5;
    }
    if (showProgress) {
      // Redraw only when the percentage moves.
      int64_t done = std::min(start + b, n);
      int percent = static_cast<int>(100 * done / n);
      if (percent != lastPercent) {
        lastPercent = percent;
        int bar = percent * 30 / 100;
        llvm::errs() << "\r[" << std::string(bar, '=')
                     << std::string(30 - bar, ' ') << "] " << done << "/" << n;
      }
    }
  }
  if (showProgress)
    llvm::errs() << "\n";

  // Latency: one batch of the last inputs, after warm-up.
  Latency latency = measureLatency(**model, input.data(), output.data(), b);
  double median = latency.median, p90 = latency.p90;

  if (!dumpOutputs.empty())
    if (auto err = writeNpy(dumpOutputs, {n, classes}, allOutputs.data()))
      return fail(std::move(err));

  double acc1 = double(top1) / n, acc5 = double(top5) / n;
  llvm::outs() << "model:     " << modelPath << "\n";
  llvm::outs() << "data:      " << datasetName << " (" << split << "), " << n
               << " samples, batch " << b << "\n";
  llvm::outs() << llvm::format("top-1:     %.4f (%lld/%lld)\n", acc1,
                               (long long)top1, (long long)n);
  llvm::outs() << llvm::format("top-5:     %.4f (%lld/%lld)\n", acc5,
                               (long long)top5, (long long)n);
  llvm::outs() << llvm::format(
      "size:      %lld bytes stored, %lld bytes as float32 (%lld parameters, "
      "%.1f%% of float32)\n",
      (long long)size.storedBytes(), (long long)size.float32Bytes(),
      (long long)size.parameters,
      size.parameters ? 100.0 * size.storedBytes() / size.float32Bytes() : 0.0);
  llvm::outs() << llvm::format(
      "latency:   %.4f ms median, %.4f ms p90 per sample (%d runs of batch "
      "%lld after %d warm-up)\n",
      median, p90, latency.runs, (long long)b, int(warmup));
  llvm::outs() << llvm::format("compile:   %.2f s\n", compileSeconds);

  if (!jsonPath.empty()) {
    llvm::json::Object result{
        {"model", modelPath},
        {"dataset", datasetName},
        {"split", split},
        {"samples", n},
        {"batch", b},
        {"top1", acc1},
        {"top5", acc5},
        {"top1_correct", top1},
        {"top5_correct", top5},
        {"parameters", size.parameters},
        {"stored_bytes", size.storedBytes()},
        {"float32_bytes", size.float32Bytes()},
        {"latency_ms_median", median},
        {"latency_ms_p90", p90},
        {"latency_runs", int64_t(latency.runs)},
        {"compile_seconds", compileSeconds},
    };
    return writeJson(jsonPath, std::move(result));
  }
  return 0;
}
/// quant-eval matrix --models A,B --methods M,N --out DIR: the options
/// shared with run (--dataset, --limit, --samples, --repeat, --quiet) keep
/// their meaning per cell.
int matrixCommand(int argc, char **argv) {
  cl::HideUnrelatedOptions({&runCategory, &matrixCategory});
  cl::ParseCommandLineOptions(argc, argv, "quant-eval matrix");
  if (listMethods) {
    for (const std::string &m : matrixMethods())
      llvm::outs() << m << "\n";
    return 0;
  }
  MatrixOptions options;
  options.models.assign(matrixModels.begin(), matrixModels.end());
  if (!modelPath.empty())
    options.models.push_back(modelPath);
  if (options.models.empty())
    return fail("quant-eval matrix: name the models with --models A,B");
  options.methods = matrixMethodNames.empty()
                        ? matrixMethods()
                        : std::vector<std::string>(matrixMethodNames.begin(),
                                                   matrixMethodNames.end());
  options.outDir = outDir;
  options.dataset = datasetName;
  options.calibrationDataset = calibrationDataset;
  options.detectionDataset = detectionDataset;
  options.detectionCalibrationDataset = detectionCalibrationDataset;
  for (auto *o : {&meanOpt, &stdOpt, &scaleOpt, &layoutOpt})
    if (o->getNumOccurrences())
      options.preprocessing.push_back("--" + o->ArgStr.str() + "=" +
                                      o->getValue());
  if (batch < 1)
    return fail("quant-eval matrix: --batch must be at least 1");
  options.batch = batch;
  options.limit = limit;
  if (samples.getNumOccurrences())
    options.calibrationSamples = samples;
  if (repeat.getNumOccurrences())
    options.repeat = repeat;
  if (jobs < 1)
    return fail("quant-eval matrix: --jobs must be at least 1");
  options.jobs = jobs;
  options.timeoutSeconds = stepTimeout;
  options.quiet = quiet;
  return runMatrix(options);
}

int sensitivityCommand(int argc, char **argv) {
  cl::HideUnrelatedOptions({&runCategory, &matrixCategory});
  cl::ParseCommandLineOptions(argc, argv, "quant-eval sensitivity");
  if (modelPath.empty())
    return fail("quant-eval sensitivity: name the model file");
  SensitivityOptions options;
  options.model = modelPath;
  options.method = sensitivityMethod;
  options.outDir = outDir.getNumOccurrences() ? std::string(outDir)
                                              : std::string("sensitivity");
  options.dataset = datasetName;
  options.calibrationDataset = calibrationDataset;
  options.limit = limit;
  if (samples.getNumOccurrences())
    options.calibrationSamples = samples;
  options.quiet = quiet;
  if (!excludeOpt.empty()) {
    llvm::StringRef spec(excludeOpt);
    double budget = 1.0;
    if (!spec.consume_front("auto") ||
        (!spec.empty() &&
         (!spec.consume_front(":") || spec.getAsDouble(budget) || budget < 0)))
      return fail("quant-eval sensitivity: --exclude takes auto or "
                  "auto:BUDGET (accuracy points), got '" +
                  excludeOpt + "'");
    options.autoBudget = budget;
  }
  if (datasetName != "fashion-mnist" && calibrationDataset.empty())
    return fail("quant-eval sensitivity: with --dataset " + datasetName +
                " name the training data with --calibration-dataset");
  return runSensitivity(options);
}

int recommendCommand(int argc, char **argv) {
  cl::HideUnrelatedOptions({&matrixCategory});
  cl::ParseCommandLineOptions(argc, argv, "quant-eval recommend");
  if (modelPath.empty())
    return fail("quant-eval recommend: name the model (its name in the "
                "matrix, e.g. mobilenet_v2_fmnist)");
  RecommendOptions options;
  options.matrixFile = matrixFile;
  options.model = llvm::sys::path::stem(modelPath).str();
  if (dataOpt != "none" && dataOpt != "unlabelled" && dataOpt != "labelled")
    return fail("quant-eval recommend: --data is none, unlabelled or "
                "labelled, got '" +
                dataOpt + "'");
  options.data = dataOpt;
  if (accuracyBudget < 0)
    return fail("quant-eval recommend: --accuracy-budget must be >= 0");
  options.accuracyBudget = accuracyBudget;
  if (!sizeBudget.empty()) {
    double v = 0;
    if (llvm::StringRef(sizeBudget).getAsDouble(v) || v <= 0)
      return fail("quant-eval recommend: --size-budget is a byte count or a "
                  "fraction of the float model, got '" +
                  sizeBudget + "'");
    if (v < 1)
      options.sizeBudgetRatio = v;
    else
      options.sizeBudgetBytes = int64_t(v);
  }
  options.integer = integerOpt;
  return recommend(options);
}

int reportCommand(int argc, char **argv) {
  cl::HideUnrelatedOptions({&matrixCategory});
  cl::ParseCommandLineOptions(argc, argv, "quant-eval report");
  return writeReport(modelPath.empty() ? std::string(outDir)
                                       : std::string(modelPath));
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAllPasses();
  qe::registerConversionPasses();
  // bench builds its int8 model with the ptq-int8 pipeline in process.
  qe::registerQuantEvalPasses();
  if (argc < 2 || llvm::StringRef(argv[1]).starts_with("-")) {
    llvm::errs() << "usage: quant-eval run|infer|bench|calibrate MODEL "
                    "[options]   "
                    "(quant-eval run --help for the options)\n"
                    "       quant-eval matrix --models A,B [--methods M,N] "
                    "[--out DIR]\n"
                    "       quant-eval report [DIR]\n"
                    "       quant-eval sensitivity MODEL --method ptq-Nbit "
                    "[--exclude auto[:BUDGET]]\n"
                    "       quant-eval recommend MODEL --data "
                    "none|unlabelled|labelled [--accuracy-budget P] "
                    "[--size-budget B]\n";
    return argc < 2 ? 1 : 0;
  }
  llvm::StringRef command(argv[1]);
  if (command == "run")
    return runCommand(argc - 1, argv + 1);
  if (command == "infer")
    return inferCommand(argc - 1, argv + 1);
  if (command == "bench")
    return benchCommand(argc - 1, argv + 1);
  if (command == "calibrate")
    return calibrateCommand(argc - 1, argv + 1);
  if (command == "matrix")
    return matrixCommand(argc - 1, argv + 1);
  if (command == "report")
    return reportCommand(argc - 1, argv + 1);
  if (command == "sensitivity")
    return sensitivityCommand(argc - 1, argv + 1);
  if (command == "recommend")
    return recommendCommand(argc - 1, argv + 1);
  return fail("unknown command '" + command +
              "'; known: run, infer, bench, calibrate, matrix, report, "
              "sensitivity, recommend");
}
