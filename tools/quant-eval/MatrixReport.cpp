//===- MatrixReport.cpp - quant-eval report -------------------------------===//
//
// Turns matrix.json into the result summary the thesis gave (use case,
// method, bits, what stayed float, size reduction, accuracy change), with
// the integer model's accuracy beside the simulation's, plots drawn by
// python/quant_eval/report_plots.py, and an HTML page showing both.
//
//===----------------------------------------------------------------------===//

#include "Matrix.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <map>

#ifndef QE_SOURCE_DIR
#define QE_SOURCE_DIR ""
#endif

using namespace quant_eval;

namespace {

using Row = std::vector<std::string>;

std::string percent(std::optional<double> v, bool sign = false) {
  if (!v)
    return "–";
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::format(sign ? "%+.2f" : "%.2f%%", 100 * *v);
  return s;
}

std::string ratio(std::optional<double> v) {
  return v ? llvm::formatv("{0:f2}x", *v).str() : "–";
}

/// The table's rows for one model, in the matrix's method order.
std::vector<Row> modelRows(const std::vector<const llvm::json::Object *> &cells,
                           std::vector<Row> &failures) {
  std::vector<Row> rows;
  for (const std::string &name : matrixMethods())
    for (const llvm::json::Object *c : cells) {
      if (c->getString("method") != name)
        continue;
      std::string bits = c->getString("bits").value_or("").str();
      if (c->getString("status") != "ok") {
        failures.push_back({c->getString("model").value_or("").str(), name,
                            c->getString("stage").value_or("").str(),
                            c->getString("error").value_or("").str()});
        continue;
      }
      const llvm::json::Object *i = c->getObject("integer");
      std::string integer = "–", left = "–", intLatency = "–";
      if (i) {
        if (i->getNumber("score"))
          integer = percent(i->getNumber("score")) + " (" +
                    percent(i->getNumber("delta"), true) + ")";
        else
          integer = "failed at " + i->getString("stage").value_or("").str();
        if (std::optional<int64_t> n = i->getInteger("ops_left_float"))
          left = std::to_string(*n);
        intLatency = ratio(i->getNumber("latency_ratio"));
      }
      std::optional<double> size = c->getNumber("size_ratio");
      rows.push_back(
          {name, bits, percent(c->getNumber("score")),
           percent(c->getNumber("delta"), true), integer, left,
           llvm::formatv("{0}", c->getInteger("stored_bytes").value_or(0))
               .str(),
           size ? percent(1 - *size) : "–",
           ratio(c->getNumber("latency_ratio")), intLatency,
           llvm::formatv("{0:f2}", c->getNumber("quantize_seconds").value_or(0))
               .str()});
    }
  return rows;
}

const Row kHeader = {"method",
                     "bits",
                     "score",
                     "Δ vs float (points)",
                     "integer score (Δ)",
                     "ops left float",
                     "stored bytes",
                     "size reduction vs float32",
                     "latency vs float",
                     "integer latency vs float",
                     "quantization s"};

void markdownTable(llvm::raw_ostream &os, const Row &header,
                   const std::vector<Row> &rows) {
  os << "| " << llvm::join(header, " | ") << " |\n|";
  for (size_t i = 0; i < header.size(); ++i)
    os << "---|";
  os << "\n";
  for (const Row &r : rows)
    os << "| " << llvm::join(r, " | ") << " |\n";
}

std::string escapeHtml(llvm::StringRef s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    default:
      out += ch;
    }
  }
  return out;
}

void htmlTable(llvm::raw_ostream &os, const Row &header,
               const std::vector<Row> &rows) {
  os << "<table>\n<tr>";
  for (const std::string &h : header)
    os << "<th>" << escapeHtml(h) << "</th>";
  os << "</tr>\n";
  for (const Row &r : rows) {
    os << "<tr>";
    for (const std::string &v : r)
      os << "<td>" << escapeHtml(v) << "</td>";
    os << "</tr>\n";
  }
  os << "</table>\n";
}

} // namespace

int quant_eval::writeReport(const std::string &dir) {
  std::string file = dir + "/matrix.json";
  auto buffer = llvm::MemoryBuffer::getFile(file);
  if (!buffer) {
    llvm::errs() << "quant-eval report: cannot read " << file
                 << " (run quant-eval matrix --out " << dir << " first)\n";
    return 1;
  }
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  const llvm::json::Array *cells = json && json->getAsObject()
                                       ? json->getAsObject()->getArray("cells")
                                       : nullptr;
  if (!json || !cells) {
    if (!json)
      llvm::consumeError(json.takeError());
    llvm::errs() << "quant-eval report: " << file
                 << " is not a matrix (no \"cells\" array)\n";
    return 1;
  }
  const llvm::json::Object &top = *json->getAsObject();

  std::map<std::string, std::vector<const llvm::json::Object *>> byModel;
  for (const llvm::json::Value &v : *cells)
    if (const llvm::json::Object *o = v.getAsObject())
      byModel[o->getString("model").value_or("").str()].push_back(o);

  // Plots first, so that the pages can show the ones that were drawn.
  std::string script =
      std::string(QE_SOURCE_DIR) + "/python/quant_eval/report_plots.py";
  std::string plotNote;
  if (!llvm::sys::fs::exists(script)) {
    plotNote = "plots skipped: " + script + " not found";
  } else {
    std::string log = dir + "/plots.log";
    std::optional<llvm::StringRef> redirects[] = {
        llvm::StringRef(""), llvm::StringRef(log), llvm::StringRef(log)};
    std::string python = "/usr/bin/python3";
    int rc = llvm::sys::ExecuteAndWait(python, {python, script, dir},
                                       std::nullopt, redirects, 600);
    if (rc != 0)
      plotNote = "plots failed (see plots.log; python3-matplotlib missing?)";
  }

  std::error_code mdError, htmlError;
  llvm::raw_fd_ostream md(dir + "/report.md", mdError);
  llvm::raw_fd_ostream html(dir + "/report.html", htmlError);
  if (mdError || htmlError) {
    llvm::errs() << "quant-eval report: cannot write in " << dir << "\n";
    return 1;
  }
  int64_t limit = top.getInteger("test_samples_limit").value_or(0);
  std::string setup =
      "Dataset " + top.getString("dataset").value_or("").str() + ", " +
      (limit > 0 ? "first " + std::to_string(limit) + " test images"
                 : std::string("full test split")) +
      "; PTQ calibrated on " +
      std::to_string(top.getInteger("calibration_samples").value_or(0)) +
      " training images. Integer: the model after qe-lower-to-integer, "
      "compiled and run (ops left float: ops it kept in float simulation). "
      "Latency: batch 1, median, as a ratio against the float model "
      "measured in the same matrix run" +
      (top.getInteger("jobs").value_or(1) > 1
           ? std::string(" (cells ran in parallel and shared the CPU: run "
                         "with --jobs 1 for latency)")
           : std::string()) +
      ".";
  md << "# quant-eval results\n\n" << setup << "\n";
  html << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
          "<title>quant-eval results</title><style>body{font-family:sans-"
          "serif} table{border-collapse:collapse} td,th{border:1px solid "
          "#999;padding:2px 6px;text-align:right}</style></head><body>\n"
       << "<h1>quant-eval results</h1>\n<p>" << escapeHtml(setup) << "</p>\n";
  if (!plotNote.empty()) {
    md << "\n" << plotNote << "\n";
    html << "<p>" << escapeHtml(plotNote) << "</p>\n";
  }
  std::vector<Row> failures;
  for (auto &[model, modelCells] : byModel) {
    std::vector<Row> rows = modelRows(modelCells, failures);
    // The score is top-1 for a classifier, mAP@0.5 for a detector.
    Row header = kHeader;
    bool detector = llvm::any_of(modelCells, [](const llvm::json::Object *c) {
      return c->getString("metric") == "map50";
    });
    header[2] = detector ? "mAP@0.5" : "top-1";
    header[4] = detector ? "integer mAP@0.5 (Δ)" : "integer top-1 (Δ)";
    md << "\n## " << model << "\n\n";
    markdownTable(md, header, rows);
    html << "<h2>" << escapeHtml(model) << "</h2>\n";
    htmlTable(html, header, rows);
    for (const char *kind : {"accuracy_vs_bits", "pareto"}) {
      std::string png = std::string(kind) + "_" + model + ".png";
      if (llvm::sys::fs::exists(dir + "/" + png)) {
        md << "\n![" << kind << "](" << png << ")\n";
        html << "<img src=\"" << escapeHtml(png) << "\" alt=\"" << kind
             << "\">\n";
      }
    }
  }
  if (!failures.empty()) {
    Row header = {"model", "method", "failed at", "error"};
    for (Row &r : failures)
      r[3] = llvm::join(llvm::split(r[3], '\n'), " / ");
    md << "\n## Failed cells\n\n";
    markdownTable(md, header, failures);
    html << "<h2>Failed cells</h2>\n";
    htmlTable(html, header, failures);
  }
  html << "</body></html>\n";
  llvm::outs() << "report: " << dir << "/report.md, " << dir
               << "/report.html\n";
  return 0;
}
