//===- Matrix.cpp - quant-eval matrix and report --------------------------===//
//
// A cell runs the project's own tools as child processes, one step at a
// time: quant-opt applies the method, quant-eval run measures the
// simulation, quant-opt --qe-lower-to-integer and quant-eval run measure
// the integer model. A step that fails, crashes or hangs fails only its
// cell, and the record names the step. Records are files, so a matrix that
// was interrupted resumes from its finished cells, and a cell can be run
// alone by naming one model and one method.
//
//===----------------------------------------------------------------------===//

#include "Matrix.h"
#include "Steps.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

using namespace quant_eval;
namespace fs = llvm::sys::fs;
namespace path = llvm::sys::path;

namespace {

const std::vector<MatrixMethod> &methodTable() {
  static const std::vector<MatrixMethod> table = [] {
    std::vector<MatrixMethod> t = {
        {"float", "32", "", false, false, false},
        {"ptq-f16", "16 (f16)", "--ptq-f16", false, false, false},
        {"ptq-int16x8", "16x8", "--ptq-int16x8=calibration=<stats>", true,
         false, true},
        {"ptq-int8", "8", "--ptq-int8=calibration=<stats>", true, false, true},
        {"qat-int8", "8", "", false, true, true},
    };
    for (const char *kind : {"bits", "po2"})
      for (const char *n : {"8", "6", "4"})
        t.push_back({std::string("qkeras-") + kind + "-" + n, n,
                     std::string("--qkeras-") + kind + "-" + n, false, false,
                     true});
    for (const char *kind : {"rtn", "squant"})
      for (const char *n : {"8", "6", "4"})
        t.push_back({std::string(kind) + "-" + n, n,
                     std::string("--") + kind + "-" + n + "bit", false, false,
                     true});
    t.push_back({"dfq-int8", "8", "--dfq-int8", false, false, true});
    return t;
  }();
  return table;
}

const MatrixMethod *findMethod(llvm::StringRef name) {
  for (const MatrixMethod &m : methodTable())
    if (m.name == name)
      return &m;
  return nullptr;
}

struct Cell {
  std::string model; // as given
  std::string stem;  // file name without extension
  const MatrixMethod *method;
};

class MatrixRunner {
public:
  MatrixRunner(const MatrixOptions &options)
      : options(options), tools(findTools()) {}
  int run();

private:
  std::string modelDir(const Cell &c) const {
    llvm::SmallString<256> p(options.outDir);
    path::append(p, options.batch == 1
                        ? c.stem
                        : c.stem + "-batch" + std::to_string(options.batch));
    return std::string(p);
  }
  std::string recordPath(const Cell &c) const {
    return modelDir(c) + "/" + c.method->name + ".json";
  }
  /// Imports and calibrates a model once for all its cells; an error names
  /// the stage.
  std::optional<std::pair<std::string, std::string>>
  prepareModel(const Cell &c);
  llvm::json::Object runCell(const Cell &c);
  std::vector<std::string> runArgs(const std::string &model,
                                   const std::string &json,
                                   bool detector) const;
  /// A detector's data sets replace the classifiers'.
  bool isDetector(const Cell &c) const;
  void report(size_t done, size_t total, const Cell &c,
              const llvm::json::Object &record, double seconds);
  int summarize(const std::vector<Cell> &cells);

  const MatrixOptions &options;
  Tools tools;
  std::mutex mutex;
  std::chrono::steady_clock::time_point start;
  double cellSeconds = 0;
  size_t cellsRun = 0;
};

std::vector<std::string> MatrixRunner::runArgs(const std::string &model,
                                               const std::string &json,
                                               bool detector) const {
  std::vector<std::string> args = {
      tools.quantEval, "run",
      model,           "--quiet",
      "--dataset",     detector ? options.detectionDataset : options.dataset,
      "--split",       "test",
      "--warmup",      "1",
      "--repeat",      std::to_string(options.repeat),
      "--json",        json};
  if (options.limit > 0)
    args.push_back("--limit=" + std::to_string(options.limit));
  llvm::append_range(args, options.preprocessing);
  return args;
}

bool MatrixRunner::isDetector(const Cell &c) const {
  std::string text = readFile(llvm::StringRef(c.model).ends_with(".mlir")
                                  ? c.model
                                  : modelDir(c) + "/float.mlir");
  return llvm::StringRef(text).contains("qe.task = \"detection\"");
}

std::optional<std::pair<std::string, std::string>>
MatrixRunner::prepareModel(const Cell &c) {
  std::string dir = modelDir(c);
  fs::create_directories(dir);
  if (llvm::StringRef(c.model).ends_with(".onnx") &&
      !fs::exists(dir + "/float.mlir")) {
    StepResult r = runStep({tools.quantTranslate, "--import-onnx", c.model,
                            "--batch-size=" + std::to_string(options.batch),
                            "-o", dir + "/float.mlir.tmp"},
                           dir + "/import", options.timeoutSeconds);
    if (!r.ok)
      return std::make_pair(std::string("import"), r.error);
    fs::rename(dir + "/float.mlir.tmp", dir + "/float.mlir");
  }
  bool needsStats = llvm::any_of(options.methods, [](const std::string &m) {
    const MatrixMethod *method = findMethod(m);
    return method && method->calibrated;
  });
  if (needsStats && isDetector(c) &&
      options.detectionCalibrationDataset.empty())
    return std::make_pair(std::string("calibrate"),
                          std::string("a detector's PTQ calibrates on "
                                      "--detection-calibration-dataset "
                                      "det:TRAIN_IMAGES.npy,TRAIN_BOXES.npy"));
  if (needsStats && !fs::exists(dir + "/stats.json")) {
    std::vector<std::string> args = {
        tools.quantEval,
        "calibrate",
        dir + "/float.mlir",
        "--dataset",
        isDetector(c) ? options.detectionCalibrationDataset
        : options.calibrationDataset.empty() ? options.dataset
                                             : options.calibrationDataset,
        "--split",
        "train",
        "--samples",
        std::to_string(options.calibrationSamples),
        "--output",
        dir + "/stats.json.tmp"};
    llvm::append_range(args, options.preprocessing);
    StepResult r = runStep(args, dir + "/calibrate", options.timeoutSeconds);
    if (!r.ok)
      return std::make_pair(std::string("calibrate"), r.error);
    fs::rename(dir + "/stats.json.tmp", dir + "/stats.json");
  }
  return std::nullopt;
}

llvm::json::Object MatrixRunner::runCell(const Cell &c) {
  const MatrixMethod &m = *c.method;
  std::string dir = modelDir(c), cdir = dir + "/" + m.name;
  fs::create_directories(cdir);
  llvm::json::Object record{{"model", c.stem},
                            {"model_file", c.model},
                            {"method", m.name},
                            {"bits", m.bits}};
  auto fail = [&](const std::string &stage, const std::string &error) {
    record["status"] = "failed";
    record["stage"] = stage;
    record["error"] = error;
    return std::move(record);
  };
  std::string floatModel = llvm::StringRef(c.model).ends_with(".mlir")
                               ? c.model
                               : dir + "/float.mlir";

  // 1. Quantize.
  std::string model = cdir + "/model.mlir";
  double quantizeSeconds = 0;
  if (m.qat) {
    llvm::StringRef ext = path::extension(c.model);
    std::string qat =
        (llvm::StringRef(c.model).drop_back(ext.size()) + "_qat.onnx").str();
    if (!fs::exists(qat))
      return fail("quantize", "no QAT model " + qat);
    // The QDQ model as exported, with PyTorch's ConvBn form folded: the
    // same integers and accuracy, and the size a deployment stores.
    StepResult r = runStep({tools.quantTranslate, "--import-onnx", qat,
                            "--batch-size=" + std::to_string(options.batch),
                            "-o", cdir + "/qat.mlir"},
                           cdir + "/import-qat", options.timeoutSeconds);
    if (!r.ok)
      return fail("quantize", r.error);
    r = runStep({tools.quantOpt, "--qe-fold-batch-norm", cdir + "/qat.mlir",
                 "-o", model},
                cdir + "/quantize", options.timeoutSeconds);
    if (!r.ok)
      return fail("quantize", r.error);
    quantizeSeconds = r.seconds;
  } else if (m.pipeline.empty()) {
    model = floatModel;
  } else {
    std::string option = m.pipeline;
    if (size_t at = option.find("<stats>"); at != std::string::npos)
      option.replace(at, 7, dir + "/stats.json");
    StepResult r = runStep({tools.quantOpt, option, floatModel, "-o", model},
                           cdir + "/quantize", options.timeoutSeconds);
    if (!r.ok)
      return fail("quantize", r.error);
    quantizeSeconds = r.seconds;
  }
  record["quantize_seconds"] = quantizeSeconds;

  // 2. Measure the model as quantized (the simulation).
  bool detector = isDetector(c);
  if (detector && options.detectionDataset.empty())
    return fail("evaluate", "a detector needs --detection-dataset "
                            "det:IMAGES.npy,BOXES.npy");
  StepResult r = runStep(runArgs(model, cdir + "/sim.json", detector),
                         cdir + "/evaluate", options.timeoutSeconds);
  std::optional<llvm::json::Value> sim =
      r.ok ? readJson(cdir + "/sim.json") : std::nullopt;
  if (!sim)
    return fail("evaluate", r.ok ? "no results written" : r.error);
  for (auto &kv : *sim->getAsObject())
    if (kv.first != "model")
      record[kv.first] = kv.second;

  // 3. The integer model: lowered, compiled and
  // measured.
  if (m.lowers) {
    llvm::json::Object integer;
    std::vector<std::string> lower = {tools.quantOpt, model,
                                      "--qe-lower-to-integer", "-o",
                                      cdir + "/int.mlir"};
    StepResult l = runStep(lower, cdir + "/lower", options.timeoutSeconds);
    std::string remarks = readFile(cdir + "/lower.err");
    if (!l.ok) {
      integer["stage"] = "lower";
      integer["error"] = l.error;
    } else {
      integer["ops_left_float"] =
          int64_t(llvm::StringRef(remarks).count("stays in float simulation"));
      StepResult e =
          runStep(runArgs(cdir + "/int.mlir", cdir + "/int.json", detector),
                  cdir + "/evaluate-integer", options.timeoutSeconds);
      std::optional<llvm::json::Value> j =
          e.ok ? readJson(cdir + "/int.json") : std::nullopt;
      if (!j) {
        integer["stage"] = "evaluate-integer";
        integer["error"] = e.ok ? "no results written" : e.error;
      } else {
        const llvm::json::Object &o = *j->getAsObject();
        for (const char *key : {"top1", "top5", "map50", "stored_bytes",
                                "latency_ms_median", "latency_ms_p90"})
          if (const llvm::json::Value *v = o.get(key))
            integer[key] = *v;
      }
    }
    record["integer"] = std::move(integer);
  }
  // One score per cell: top-1 for classifiers, mAP@0.5
  // for detectors.
  auto score = [](llvm::json::Object &o) {
    if (std::optional<RunScore> s = getRunScore(o)) {
      o["metric"] = s->metric;
      o["score"] = s->value;
    }
  };
  score(record);
  if (llvm::json::Object *i = record.getObject("integer"))
    score(*i);
  record["status"] = "ok";
  return record;
}

std::string formatDuration(double seconds) {
  int s = int(seconds + 0.5);
  if (s < 60)
    return std::to_string(s) + "s";
  return std::to_string(s / 60) + "m" + (s % 60 < 10 ? "0" : "") +
         std::to_string(s % 60) + "s";
}

void MatrixRunner::report(size_t done, size_t total, const Cell &c,
                          const llvm::json::Object &record, double seconds) {
  if (options.quiet)
    return;
  std::string result;
  llvm::raw_string_ostream os(result);
  if (record.getString("status") == "ok") {
    os << metricName(record.getString("metric").value_or("")) << " "
       << llvm::format("%.2f%%", 100 * record.getNumber("score").value_or(0));
    if (const llvm::json::Object *i = record.getObject("integer")) {
      if (std::optional<double> t = i->getNumber("score"))
        os << llvm::format(", integer %.2f%%", 100 * *t);
      else
        os << ", integer: failed at " << i->getString("stage").value_or("");
    }
  } else {
    os << "FAILED at " << record.getString("stage").value_or("") << ": "
       << llvm::StringRef(record.getString("error").value_or(""))
              .split('\n')
              .first;
  }
  double eta = cellsRun ? cellSeconds / double(cellsRun) *
                              double(total - done) / double(options.jobs)
                        : 0;
  llvm::outs() << llvm::format("[%zu/%zu] ", done, total) << c.stem << " "
               << c.method->name << ": " << result << " ("
               << formatDuration(seconds) << "; " << (total - done)
               << " left, ETA " << formatDuration(eta) << ")\n";
  llvm::outs().flush();
}

int MatrixRunner::summarize(const std::vector<Cell> &cells) {
  // Changes against each model's float cell.
  std::map<std::string, llvm::json::Object> floats;
  std::vector<llvm::json::Object> records;
  for (const Cell &c : cells) {
    std::optional<llvm::json::Value> v = readJson(recordPath(c));
    if (!v || !v->getAsObject())
      continue;
    records.push_back(std::move(*v->getAsObject()));
    if (c.method->name == "float" && records.back().getString("status") == "ok")
      floats[c.stem] = records.back();
  }
  llvm::json::Array all;
  int failed = 0;
  for (llvm::json::Object &r : records) {
    if (r.getString("status") != "ok") {
      ++failed;
      all.push_back(std::move(r));
      continue;
    }
    if (std::optional<double> b = r.getNumber("float32_bytes"); b && *b > 0)
      r["size_ratio"] = r.getNumber("stored_bytes").value_or(0) / *b;
    auto it = floats.find(r.getString("model").value_or("").str());
    if (it != floats.end()) {
      const llvm::json::Object &f = it->second;
      double base = f.getNumber("score").value_or(0);
      r["delta"] = r.getNumber("score").value_or(0) - base;
      if (double lat = f.getNumber("latency_ms_median").value_or(0); lat > 0)
        r["latency_ratio"] = r.getNumber("latency_ms_median").value_or(0) / lat;
      if (llvm::json::Object *i = r.getObject("integer")) {
        if (std::optional<double> t = i->getNumber("score"))
          (*i)["delta"] = *t - base;
        if (double lat = f.getNumber("latency_ms_median").value_or(0);
            lat > 0 && i->getNumber("latency_ms_median"))
          (*i)["latency_ratio"] = *i->getNumber("latency_ms_median") / lat;
      }
    }
    all.push_back(std::move(r));
  }
  llvm::json::Object summary{
      {"dataset", options.dataset},
      {"test_samples_limit", options.limit},
      {"calibration_samples", options.calibrationSamples},
      {"jobs", options.jobs},
      {"cells", std::move(all)}};
  if (!writeJsonFile(options.outDir + "/matrix.json", std::move(summary))) {
    llvm::errs() << "quant-eval matrix: cannot write " << options.outDir
                 << "/matrix.json\n";
    return 1;
  }
  if (!options.quiet)
    llvm::outs() << records.size() << " cells (" << failed << " failed) in "
                 << options.outDir << "/matrix.json\n";
  return 0;
}

int MatrixRunner::run() {
  std::vector<Cell> cells;
  for (const std::string &model : options.models) {
    if (!fs::exists(model)) {
      llvm::errs() << "quant-eval matrix: no model file '" << model << "'\n";
      return 1;
    }
    llvm::StringRef ext = path::extension(model);
    if (ext != ".onnx" && ext != ".mlir") {
      llvm::errs() << "quant-eval matrix: '" << model
                   << "' is neither .onnx nor .mlir\n";
      return 1;
    }
    for (const std::string &name : options.methods) {
      const MatrixMethod *m = findMethod(name);
      if (!m) {
        std::string known;
        for (const MatrixMethod &k : methodTable())
          known += (known.empty() ? "" : ", ") + k.name;
        llvm::errs() << "quant-eval matrix: unknown method '" << name
                     << "'; known: " << known << "\n";
        return 1;
      }
      cells.push_back({model, path::stem(model).str(), m});
    }
  }
  bool calibrated =
      llvm::any_of(cells, [](const Cell &c) { return c.method->calibrated; });
  if (calibrated && options.dataset != "fashion-mnist" &&
      options.calibrationDataset.empty()) {
    llvm::errs() << "quant-eval matrix: the PTQ methods calibrate on training "
                    "data; with --dataset "
                 << options.dataset
                 << " name it with --calibration-dataset (idx:... or "
                    "npy:...), separate from the evaluation data\n";
    return 1;
  }
  fs::create_directories(options.outDir);

  // Cells with a successful record are done; the rest run.
  std::vector<Cell> todo;
  for (const Cell &c : cells) {
    std::optional<llvm::json::Value> v = readJson(recordPath(c));
    if (v && v->getAsObject() && v->getAsObject()->getString("status") == "ok")
      continue;
    todo.push_back(c);
  }
  if (!options.quiet)
    llvm::outs() << cells.size() << " cells, " << cells.size() - todo.size()
                 << " done before, " << todo.size() << " to run on "
                 << options.jobs << " job(s)\n";

  // Ctrl-C stops the matrix between records: the cells in flight are
  // killed and left without one, so that a rerun resumes with them.
  installInterruptHandler();
  auto stopped = [&] {
    llvm::errs() << "quant-eval matrix: interrupted; " << cellsRun
                 << " cell(s) of this run finished and are kept in "
                 << options.outDir
                 << "; run the same command again to resume\n";
    return 130; // as a shell reports death by SIGINT
  };

  // Models are prepared once, before their cells.
  std::map<std::string, std::optional<std::pair<std::string, std::string>>>
      prepared;
  for (const Cell &c : todo) {
    if (interruptRequested())
      return stopped();
    if (!prepared.count(c.stem))
      prepared[c.stem] = prepareModel(c);
  }

  start = std::chrono::steady_clock::now();
  std::atomic<size_t> next{0}, done{0};
  auto worker = [&] {
    for (size_t k; !interruptRequested() && (k = next++) < todo.size();) {
      const Cell &c = todo[k];
      auto begin = std::chrono::steady_clock::now();
      llvm::json::Object record;
      if (const auto &error = prepared[c.stem]) {
        record = llvm::json::Object{
            {"model", c.stem},          {"model_file", c.model},
            {"method", c.method->name}, {"bits", c.method->bits},
            {"status", "failed"},       {"stage", error->first},
            {"error", error->second}};
      } else {
        record = runCell(c);
      }
      double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - begin)
                           .count();
      if (interruptRequested())
        return; // the cell did not finish: no record
      std::lock_guard<std::mutex> lock(mutex);
      llvm::json::Object copy = record;
      if (!writeJsonFile(recordPath(c), std::move(record)))
        llvm::errs() << "quant-eval matrix: cannot write " << recordPath(c)
                     << "\n";
      cellSeconds += seconds;
      ++cellsRun;
      report(++done, todo.size(), c, copy, seconds);
    }
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < std::max(1, options.jobs); ++j)
    threads.emplace_back(worker);
  for (std::thread &t : threads)
    t.join();
  if (interruptRequested())
    return stopped();
  return summarize(cells);
}

} // namespace

const std::vector<std::string> &quant_eval::matrixMethods() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const MatrixMethod &m : methodTable())
      n.push_back(m.name);
    return n;
  }();
  return names;
}

int quant_eval::runMatrix(const MatrixOptions &options) {
  return MatrixRunner(options).run();
}

const std::vector<MatrixMethod> &quant_eval::matrixMethodTable() {
  return methodTable();
}

const MatrixMethod *quant_eval::findMatrixMethod(const std::string &name) {
  return findMethod(name);
}
