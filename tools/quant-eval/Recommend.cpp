//===- Recommend.cpp - quant-eval recommend -------------------------------===//
//
// The thesis's decision flow as a policy over measured matrix cells: what
// data the user has decides which families may be used (none: data-free;
// unlabelled data: also calibrated PTQ; labelled data: also QAT), and the
// cells of that model decide which of them meets the accuracy and size
// budgets. The smallest model that meets both wins; the evidence printed is
// the measurements, never an assumption.
//
//===----------------------------------------------------------------------===//

#include "Recommend.h"
#include "Matrix.h"
#include "Steps.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace quant_eval;

namespace {

/// The data a method needs: 0 none, 1 unlabelled (calibration), 2 labels.
/// float, ptq-f16 (a cast), the data-free methods and QKeras' quantizers
/// applied post-training need none.
int dataNeeded(const std::string &method) {
  const MatrixMethod *m = findMatrixMethod(method);
  return !m ? 0 : m->qat ? 2 : m->calibrated ? 1 : 0;
}

const char *dataName(int level) {
  return level == 0 ? "no data" : level == 1 ? "unlabelled data" : "labels";
}

struct Candidate {
  std::string method;
  double top1 = 0, delta = 0;
  int64_t bytes = 0, float32Bytes = 0;
  bool integer = false; // judged by the integer model's accuracy
  std::string why;      // why it was ruled out
};

} // namespace

int quant_eval::recommend(const RecommendOptions &o) {
  std::optional<llvm::json::Value> json = readJson(o.matrixFile);
  const llvm::json::Array *cells = json && json->getAsObject()
                                       ? json->getAsObject()->getArray("cells")
                                       : nullptr;
  if (!cells) {
    llvm::errs() << "quant-eval recommend: cannot read a matrix from "
                 << o.matrixFile << " (run quant-eval matrix first)\n";
    return 1;
  }
  int data = o.data == "none" ? 0 : o.data == "unlabelled" ? 1 : 2;

  std::vector<Candidate> ok, ruledOut;
  std::optional<double> floatTop1;
  int64_t floatBytes = 0;
  std::vector<std::string> models;
  for (const llvm::json::Value &v : *cells) {
    const llvm::json::Object *c = v.getAsObject();
    if (!c)
      continue;
    std::string model = c->getString("model").value_or("").str();
    if (!llvm::is_contained(models, model))
      models.push_back(model);
    if (model != o.model || c->getString("status") != "ok")
      continue;
    Candidate k;
    k.method = c->getString("method").value_or("").str();
    // The cell's score: top-1, or mAP@0.5 for a detector.
    k.top1 = c->getNumber("score").value_or(c->getNumber("top1").value_or(0));
    k.bytes = c->getInteger("stored_bytes").value_or(0);
    k.float32Bytes = c->getInteger("float32_bytes").value_or(0);
    if (k.method == "float") {
      floatTop1 = k.top1;
      floatBytes = k.bytes;
      continue;
    }
    if (o.integer) {
      const llvm::json::Object *i = c->getObject("integer");
      std::optional<int64_t> left =
          i ? i->getInteger("ops_left_float") : std::nullopt;
      std::optional<double> intScore = i ? i->getNumber("score") : std::nullopt;
      if (i && !intScore)
        intScore = i->getNumber("top1");
      if (!intScore || !left || *left != 0) {
        k.why = "no fully integer model";
        ruledOut.push_back(k);
        continue;
      }
      k.top1 = *intScore;
      k.bytes = i->getInteger("stored_bytes").value_or(k.bytes);
      k.integer = true;
    }
    if (dataNeeded(k.method) > data) {
      k.why = std::string("needs ") + dataName(dataNeeded(k.method));
      ruledOut.push_back(k);
      continue;
    }
    ok.push_back(k);
  }
  if (!floatTop1) {
    llvm::errs() << "quant-eval recommend: " << o.matrixFile
                 << " has no successful float cell for model '" << o.model
                 << "'";
    if (!models.empty()) {
      llvm::errs() << "; its models:";
      for (const std::string &m : models)
        llvm::errs() << " " << m;
    }
    llvm::errs() << "\n";
    return 1;
  }
  int64_t sizeLimit =
      o.sizeBudgetBytes > 0
          ? o.sizeBudgetBytes
          : int64_t(o.sizeBudgetRatio * double(floatBytes) + 0.5);
  std::vector<Candidate> meets, misses;
  for (Candidate &k : ok) {
    k.delta = k.top1 - *floatTop1;
    bool accurate = -k.delta * 100 <= o.accuracyBudget + 1e-9;
    bool small = sizeLimit <= 0 || k.bytes <= sizeLimit;
    if (accurate && small) {
      meets.push_back(k);
    } else {
      k.why = !accurate
                  ? llvm::formatv("loses {0:f2} points", -100 * k.delta).str()
                  : llvm::formatv("{0} bytes over the size budget",
                                  k.bytes - sizeLimit)
                        .str();
      misses.push_back(k);
    }
  }
  // Smallest first, then the most accurate.
  auto order = [](const Candidate &a, const Candidate &b) {
    if (a.bytes != b.bytes)
      return a.bytes < b.bytes;
    if (a.top1 != b.top1)
      return a.top1 > b.top1;
    return a.method < b.method;
  };
  llvm::sort(meets, order);
  llvm::sort(misses, order);

  llvm::outs() << "model " << o.model << ": float "
               << llvm::format("%.2f%%", 100 * *floatTop1) << ", " << floatBytes
               << " bytes; you have " << dataName(data) << ", allow "
               << llvm::format("%.2f", o.accuracyBudget) << " points"
               << (o.integer ? " (integer model)" : "");
  if (sizeLimit > 0)
    llvm::outs() << " and " << sizeLimit << " bytes";
  llvm::outs() << "\n";
  auto line = [&](const Candidate &k) {
    llvm::outs() << llvm::format("  %-14s top-1 %.2f%% (%+.2f), %lld bytes",
                                 k.method.c_str(), 100 * k.top1, 100 * k.delta,
                                 (long long)k.bytes);
    if (!k.why.empty())
      llvm::outs() << ": " << k.why;
    llvm::outs() << "\n";
  };
  if (meets.empty()) {
    llvm::outs() << "no measured method meets both budgets.\n";
  } else {
    const Candidate &best = meets.front();
    llvm::outs() << "recommended: " << best.method << "\n";
    const MatrixMethod *m = findMatrixMethod(best.method);
    std::string lower = o.integer ? " --qe-lower-to-integer" : "";
    if (m && m->qat) {
      llvm::outs() << "  fine-tune with python/quant_eval/zoo/qat_finetune.py "
                      "(QDQ export), then quant-opt --qe-fold-batch-norm"
                   << lower << " model_qat.mlir\n";
    } else if (m) {
      std::string pipeline = m->pipeline;
      if (size_t at = pipeline.find("<stats>"); at != std::string::npos)
        pipeline.replace(at, 7, "STATS.json");
      llvm::outs() << "  "
                   << (m->calibrated
                           ? "quant-eval calibrate model.mlir --output "
                             "STATS.json && "
                           : "")
                   << "quant-opt " << pipeline << lower << " model.mlir\n";
    }
    llvm::outs() << "meets both budgets (smallest first):\n";
    for (const Candidate &k : meets)
      line(k);
  }
  if (!misses.empty()) {
    llvm::outs() << "misses a budget:\n";
    for (const Candidate &k : misses)
      line(k);
  }
  if (!ruledOut.empty()) {
    llvm::outs() << "ruled out:\n";
    for (Candidate &k : ruledOut) {
      k.delta = k.top1 - *floatTop1;
      line(k);
    }
  }
  return meets.empty() ? 2 : 0;
}
