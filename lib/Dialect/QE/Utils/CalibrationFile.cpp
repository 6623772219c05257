//===- CalibrationFile.cpp - Activation statistics on disk ----------------===//

#include "quant-eval/Dialect/QE/Utils/CalibrationFile.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

namespace num = quant_eval::numerics;

namespace mlir::qe {

namespace {
llvm::Error fail(llvm::StringRef path, const llvm::Twine &what) {
  return llvm::createStringError(path + ": " + what);
}
} // namespace

llvm::Expected<CalibrationFile> readCalibrationFile(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return fail(path, "cannot read: " + buffer.getError().message());
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return fail(path, "not JSON: " + llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  const llvm::json::Object *tensors =
      root ? root->getObject("tensors") : nullptr;
  if (!tensors)
    return fail(path, "no \"tensors\" object: not a calibration file");

  CalibrationFile file;
  if (auto s = root->getString("dataset"))
    file.dataset = s->str();
  if (auto s = root->getString("split"))
    file.split = s->str();
  if (auto n = root->getInteger("samples"))
    file.samples = *n;
  for (const auto &[key, value] : *tensors) {
    const llvm::json::Object *t = value.getAsObject();
    auto number = [&](llvm::StringRef field) -> std::optional<double> {
      return t ? t->getNumber(field) : std::nullopt;
    };
    std::optional<double> min = number("min"), max = number("max"),
                          lo = number("lo"), hi = number("hi"),
                          count = number("count");
    const llvm::json::Array *histogram = t ? t->getArray("histogram") : nullptr;
    if (!min || !max || !lo || !hi || !count || !histogram)
      return fail(path, "tensor '" + key.str() +
                            "' lacks min, max, count, lo, hi or histogram");
    num::TensorStatistics s;
    s.min = *min, s.max = *max, s.lo = *lo, s.hi = *hi;
    s.count = static_cast<int64_t>(*count);
    s.zeros = static_cast<int64_t>(number("zeros").value_or(0));
    for (const llvm::json::Value &bin : *histogram) {
      std::optional<double> c = bin.getAsNumber();
      if (!c || !(*c >= 0))
        return fail(path, "tensor '" + key.str() +
                              "': histogram counts must be numbers >= 0");
      s.counts.push_back(*c);
    }
    if (!(s.lo <= s.hi) || !std::isfinite(s.lo) || !std::isfinite(s.hi))
      return fail(path, "tensor '" + key.str() + "': bad histogram range");
    file.tensors.emplace(key.str(), std::move(s));
  }
  return file;
}

llvm::Error writeCalibrationFile(llvm::StringRef path,
                                 const CalibrationFile &file) {
  llvm::json::Object tensors;
  for (const auto &[id, s] : file.tensors) {
    llvm::json::Array histogram;
    for (double c : s.counts)
      histogram.push_back(c);
    tensors[id] = llvm::json::Object{{"min", s.min},
                                     {"max", s.max},
                                     {"count", s.count},
                                     {"zeros", s.zeros},
                                     {"lo", s.lo},
                                     {"hi", s.hi},
                                     {"histogram", std::move(histogram)}};
  }
  llvm::json::Object root{{"dataset", file.dataset},
                          {"split", file.split},
                          {"samples", file.samples},
                          {"tensors", std::move(tensors)}};
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return fail(path, "cannot write: " + ec.message());
  os << llvm::json::Value(std::move(root)) << "\n";
  return llvm::Error::success();
}

} // namespace mlir::qe
