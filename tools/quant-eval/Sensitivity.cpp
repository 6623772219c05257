//===- Sensitivity.cpp - quant-eval sensitivity ---------------------------===//
//
// Per-layer sensitivity of a calibrated PTQ method: each layer quantized
// alone (the others float), and each layer kept float alone (the others
// quantized), measured on the test split (top-1 for classifiers, mAP@0.5
// for detectors), with the weight SQNR from qe-report. The layers whose float
// copy recovers the most accuracy are the thesis's "suspected layers";
// --exclude auto[:budget] keeps them float one by one until the drop against
// float is within the budget.
//
//===----------------------------------------------------------------------===//

#include "Sensitivity.h"
#include "Steps.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace quant_eval;
namespace fs = llvm::sys::fs;

namespace {

struct Layer {
  std::string name, op;
  double sqnr = 0;
  double onlyScore = 0;   // this layer quantized, the others float
  double allButScore = 0; // this layer float, the others quantized
};

class Analysis {
public:
  explicit Analysis(const SensitivityOptions &o) : o(o), tools(findTools()) {}
  int run();

private:
  /// The score (scoreKey) of the method with `exclude` kept float, or
  /// nothing (after a diagnostic) if a step failed.
  std::optional<double> evaluate(const std::string &tag,
                                 const std::vector<std::string> &exclude,
                                 bool keep = false);
  bool fail(const std::string &what, const StepResult &r) {
    llvm::errs() << "quant-eval sensitivity: " << what << " failed: " << r.error
                 << "\n";
    return false;
  }
  std::vector<std::string> runArgs(const std::string &model,
                                   const std::string &json) const {
    std::vector<std::string> args = {
        tools.quantEval, "run",     model,    "--quiet",  "--dataset",
        o.dataset,       "--split", "test",   "--repeat", "1",
        "--warmup",      "0",       "--json", json};
    if (o.limit > 0)
      args.push_back("--limit=" + std::to_string(o.limit));
    return args;
  }

  const SensitivityOptions &o;
  Tools tools;
  std::string floatModel, stats;
  /// What `quant-eval run` reports for the model: "top1" for a classifier,
  /// "map50" for a detector (chosen from the float model's results).
  std::string scoreKey = "top1";
  const char *scoreName() const { return metricName(scoreKey); }
};

std::optional<double>
Analysis::evaluate(const std::string &tag,
                   const std::vector<std::string> &exclude, bool keep) {
  std::string option = "--" + o.method + "=calibration=" + stats;
  if (!exclude.empty())
    option += " exclude=" + llvm::join(exclude, ",");
  std::string model = o.outDir + "/" + tag + ".mlir";
  std::vector<std::string> opt = {tools.quantOpt, option, floatModel, "-o",
                                  model};
  if (tag == "all")
    opt.push_back("--qe-report=" + o.outDir + "/layers.json");
  StepResult r = runStep(opt, o.outDir + "/" + tag + ".quantize", 3600);
  if (!r.ok) {
    fail("quantizing (" + tag + ")", r);
    return std::nullopt;
  }
  std::string json = o.outDir + "/" + tag + ".json";
  r = runStep(runArgs(model, json), o.outDir + "/" + tag + ".run", 3600);
  std::optional<llvm::json::Value> v = r.ok ? readJson(json) : std::nullopt;
  if (!keep)
    fs::remove(model);
  if (!v || !v->getAsObject()) {
    fail("evaluating (" + tag + ")", r);
    return std::nullopt;
  }
  std::optional<double> score = v->getAsObject()->getNumber(scoreKey);
  if (!score)
    llvm::errs() << "quant-eval sensitivity: " << json << " has no " << scoreKey
                 << "\n";
  return score;
}

int Analysis::run() {
  if (!llvm::StringRef(o.method).starts_with("ptq-")) {
    llvm::errs() << "quant-eval sensitivity: --method must be a calibrated "
                    "PTQ pipeline (ptq-int8, ptq-int16x8, ptq-2bit .. "
                    "ptq-7bit), got '"
                 << o.method << "'\n";
    return 1;
  }
  fs::create_directories(o.outDir);
  floatModel = o.model;
  if (llvm::StringRef(o.model).ends_with(".onnx")) {
    floatModel = o.outDir + "/float.mlir";
    StepResult r = runStep(
        {tools.quantTranslate, "--import-onnx", o.model, "-o", floatModel},
        o.outDir + "/import", 3600);
    if (!r.ok)
      return fail("importing " + o.model, r), 1;
  }
  stats = o.outDir + "/stats.json";
  StepResult r =
      runStep({tools.quantEval, "calibrate", floatModel, "--dataset",
               o.calibrationDataset.empty() ? o.dataset : o.calibrationDataset,
               "--split", "train", "--samples",
               std::to_string(o.calibrationSamples), "--output", stats},
              o.outDir + "/calibrate", 3600);
  if (!r.ok)
    return fail("calibration", r), 1;

  std::string floatJson = o.outDir + "/float.json";
  r = runStep(runArgs(floatModel, floatJson), o.outDir + "/float", 3600);
  std::optional<llvm::json::Value> f =
      r.ok ? readJson(floatJson) : std::nullopt;
  if (!f)
    return fail("evaluating the float model", r), 1;
  std::optional<RunScore> floatRun =
      f->getAsObject() ? getRunScore(*f->getAsObject()) : std::nullopt;
  if (!floatRun) {
    llvm::errs() << "quant-eval sensitivity: " << floatJson
                 << " has neither top1 nor map50\n";
    return 1;
  }
  scoreKey = floatRun->metric;
  std::optional<double> floatScore = floatRun->value;
  std::optional<double> allScore = evaluate("all", {});
  if (!allScore)
    return 1;

  // The layers, their ops and weight SQNR, as qe-report names them.
  std::vector<Layer> layers;
  std::optional<llvm::json::Value> report = readJson(o.outDir + "/layers.json");
  const llvm::json::Object *byName =
      report && report->getAsObject()
          ? report->getAsObject()->getObject("layers")
          : nullptr;
  if (!byName || byName->empty()) {
    llvm::errs() << "quant-eval sensitivity: the model has no quantized "
                    "layers\n";
    return 1;
  }
  for (const auto &[name, info] : *byName) {
    Layer l;
    l.name = name.str();
    if (const llvm::json::Object *i = info.getAsObject()) {
      l.op = i->getString("op").value_or("").str();
      l.sqnr = i->getNumber("weight_sqnr_db").value_or(0);
    }
    layers.push_back(l);
  }
  std::vector<std::string> names;
  for (const Layer &l : layers)
    names.push_back(l.name);

  if (!o.quiet)
    llvm::outs() << llvm::format("%s: float %.2f%%, %s on every layer %.2f%%; ",
                                 scoreName(), 100 * *floatScore,
                                 o.method.c_str(), 100 * *allScore)
                 << layers.size() << " layers, 2 runs each\n";
  for (auto [k, l] : llvm::enumerate(layers)) {
    std::vector<std::string> others;
    for (const std::string &n : names)
      if (n != l.name)
        others.push_back(n);
    std::optional<double> only = evaluate("only-" + std::to_string(k), others);
    std::optional<double> allBut =
        evaluate("all-but-" + std::to_string(k), {l.name});
    if (!only || !allBut)
      return 1;
    l.onlyScore = *only;
    l.allButScore = *allBut;
    if (!o.quiet)
      llvm::outs() << llvm::format("  [%zu/%zu] ", k + 1, layers.size())
                   << l.name << "\n";
  }

  // Most sensitive first: the accuracy its float copy recovers, then the
  // drop it causes alone, then the lower SQNR, then the name.
  llvm::sort(layers, [](const Layer &a, const Layer &b) {
    if (a.allButScore != b.allButScore)
      return a.allButScore > b.allButScore;
    if (a.onlyScore != b.onlyScore)
      return a.onlyScore < b.onlyScore;
    if (a.sqnr != b.sqnr)
      return a.sqnr < b.sqnr;
    return a.name < b.name;
  });
  llvm::outs() << "\n| rank | layer | op | weight SQNR (dB) | Δ quantized "
                  "alone | Δ recovered kept float |\n|---|---|---|---|---|---|"
                  "\n";
  llvm::json::Array ranked;
  for (auto [k, l] : llvm::enumerate(layers)) {
    llvm::outs() << llvm::format("| %zu | ", k + 1) << l.name << " | " << l.op
                 << llvm::format(" | %.1f | %+.2f | %+.2f |\n", l.sqnr,
                                 100 * (l.onlyScore - *floatScore),
                                 100 * (l.allButScore - *allScore));
    ranked.push_back(llvm::json::Object{{"layer", l.name},
                                        {"op", l.op},
                                        {"weight_sqnr_db", l.sqnr},
                                        {"score_quantized_alone", l.onlyScore},
                                        {"score_kept_float", l.allButScore}});
  }

  // Scores are top-1 or mAP@0.5 as "metric" says, fractions in [0, 1].
  llvm::json::Object result{
      {"model", o.model},       {"method", o.method},
      {"metric", scoreKey},     {"float_score", *floatScore},
      {"all_score", *allScore}, {"layers", std::move(ranked)}};

  // Automatic exclusion: the ranked layers kept float one by one until the
  // drop is within the budget.
  if (o.autoBudget) {
    double budget = *o.autoBudget / 100;
    std::vector<std::string> kept;
    double score = *allScore;
    for (const Layer &l : layers) {
      if (*floatScore - score <= budget)
        break;
      kept.push_back(l.name);
      std::optional<double> t = evaluate("auto", kept, /*keep=*/true);
      if (!t)
        return 1;
      score = *t;
    }
    bool met = *floatScore - score <= budget;
    llvm::outs() << llvm::format(
                        "\nexclude auto:%.2f: %zu layer(s) kept float, %s "
                        "%.2f%% (%+.2f against float)%s\n",
                        *o.autoBudget, kept.size(), scoreName(), 100 * score,
                        100 * (score - *floatScore),
                        met ? "" : "; the budget is not reachable")
                 << (kept.empty() ? ""
                                  : "  " + llvm::join(kept, "\n  ") + "\n");
    if (!kept.empty())
      llvm::outs() << "  model: " << o.outDir << "/auto.mlir\n";
    llvm::json::Array keptJson;
    for (const std::string &k : kept)
      keptJson.push_back(k);
    result["auto"] = llvm::json::Object{{"budget_points", *o.autoBudget},
                                        {"kept_float", std::move(keptJson)},
                                        {"score", score},
                                        {"met", met}};
  }
  std::string out = o.outDir + "/sensitivity.json";
  if (!writeJsonFile(out, std::move(result))) {
    llvm::errs() << "quant-eval sensitivity: cannot write " << out << "\n";
    return 1;
  }
  if (!o.quiet)
    llvm::outs() << "results: " << out << "\n";
  return 0;
}

} // namespace

int quant_eval::runSensitivity(const SensitivityOptions &options) {
  return Analysis(options).run();
}
