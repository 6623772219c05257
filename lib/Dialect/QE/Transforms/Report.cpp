//===- Report.cpp - The per-layer quantization report ---------------------===//

#include "quant-eval/Dialect/QE/Transforms/Passes.h"
#include "quant-eval/Dialect/QE/Utils/LayerName.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

namespace mlir::qe {
#define GEN_PASS_DEF_REPORT
#include "quant-eval/Dialect/QE/Transforms/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;

namespace {
struct ReportPass : public qe::impl::ReportBase<ReportPass> {
  using Base::Base;

  void runOnOperation() override {
    if (file.empty()) {
      getOperation().emitError() << "qe-report needs file=PATH";
      return signalPassFailure();
    }
    llvm::json::Object layers;
    unsigned unnamed = 0;
    getOperation().walk([&](Operation *op) {
      llvm::json::Object entry;
      if (auto sqnr = op->getAttrOfType<FloatAttr>("qe.weight_sqnr_db"))
        entry["weight_sqnr_db"] = sqnr.getValueAsDouble();
      if (auto flips =
              op->getAttrOfType<DenseI64ArrayAttr>("qe.squant_flips")) {
        entry["flips"] =
            llvm::json::Object{{"kernel", flips[0]}, {"channel", flips[1]}};
        if (!op->hasAttr("qe.weight_sqnr_db"))
          entry["weight_sqnr_db"] = nullptr; // exact
      }
      if (auto r = op->getAttrOfType<DenseF64ArrayAttr>("qe.cle_scale_range"))
        entry["cle_scale_range"] = llvm::json::Array{r[0], r[1]};
      if (auto c = op->getAttrOfType<FloatAttr>("qe.bias_correction"))
        entry["bias_correction"] = c.getValueAsDouble();
      for (const char *name : {"qe.bn_beta", "qe.bn_gamma"})
        if (auto s = op->getAttrOfType<DenseF64ArrayAttr>(name)) {
          if (s.empty())
            continue;
          auto [lo, hi] =
              std::minmax_element(s.asArrayRef().begin(), s.asArrayRef().end());
          entry[std::string(name + 3) + "_range"] = llvm::json::Array{*lo, *hi};
        }
      if (entry.empty())
        return;
      entry["op"] = op->getName().getStringRef().str();
      std::string key = qe::getLayerName(op).str();
      if (key.empty())
        key = op->getName().getStringRef().str() + "#" +
              std::to_string(unnamed++);
      layers[key] = std::move(entry);
    });
    std::error_code ec;
    llvm::raw_fd_ostream os(file, ec);
    if (ec) {
      getOperation().emitError()
          << "qe-report: cannot write " << file << ": " << ec.message();
      return signalPassFailure();
    }
    os << llvm::formatv("{0:2}", llvm::json::Value(llvm::json::Object{
                                     {"layers", std::move(layers)}}))
       << "\n";
    markAllAnalysesPreserved();
  }
};
} // namespace
