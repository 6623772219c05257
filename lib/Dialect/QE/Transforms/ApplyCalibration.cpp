//===- ApplyCalibration.cpp - Calibrated ranges become fake quants --------===//

#include "quant-eval/Dialect/QE/IR/QEOps.h"
#include "quant-eval/Dialect/QE/Transforms/Passes.h"
#include "quant-eval/Dialect/QE/Utils/CalibrationFile.h"
#include "quant-eval/Numerics/UniformQuant.h"

#include <cmath>
#include <memory>

namespace mlir::qe {
#define GEN_PASS_DEF_APPLYCALIBRATION
#include "quant-eval/Dialect/QE/Transforms/Passes.h.inc"
} // namespace mlir::qe

using namespace mlir;
using namespace mlir::qe;
namespace num = quant_eval::numerics;

namespace {

struct ApplyCalibrationPass
    : public qe::impl::ApplyCalibrationBase<ApplyCalibrationPass> {
  using Base::Base;

  num::CalibrationOptions calibration;
  /// Read once, shared by the pass's clones (one per thread).
  std::shared_ptr<const CalibrationFile> statistics;

  LogicalResult initialize(MLIRContext *ctx) override {
    auto error = [&]() {
      return emitError(UnknownLoc::get(ctx)) << "qe-apply-calibration: ";
    };
    if (bits < int(num::kMinBits) || bits > int(num::kMaxBits))
      return error() << "bits must be in [" << num::kMinBits << ", "
                     << num::kMaxBits << "], got " << int(bits);
    std::optional<num::CalibrationMethod> m =
        num::parseCalibrationMethod(method);
    if (!m)
      return error() << "unknown method '" << method
                     << "'; expected minmax, percentile, mse or entropy";
    if (!(percentile > 50 && percentile <= 100))
      return error() << "percentile must be in (50, 100], got "
                     << double(percentile);
    calibration = {*m, int(bits), double(percentile)};
    if (file.empty())
      return error() << "needs file=<statistics from quant-eval calibrate>";
    llvm::Expected<CalibrationFile> read = readCalibrationFile(file);
    if (!read)
      return error() << llvm::toString(read.takeError());
    statistics = std::make_shared<const CalibrationFile>(std::move(*read));
    return success();
  }

  void runOnOperation() override {
    SmallVector<ObserveOp> observers;
    getOperation().walk([&](ObserveOp op) { observers.push_back(op); });
    // Every id first: a file for another model changes nothing.
    bool missing = false;
    for (ObserveOp op : observers)
      if (!statistics->tensors.count(op.getId().str())) {
        op.emitError() << "qe-apply-calibration: " << file
                       << " has no statistics for '" << op.getId() << "'";
        missing = true;
      }
    if (missing)
      return signalPassFailure();

    num::QuantRange range = *num::getQuantRange(bits, /*isSigned=*/true,
                                                /*narrowRange=*/symmetric);
    for (ObserveOp op : observers) {
      const num::TensorStatistics &s = statistics->tensors.at(op.getId().str());
      auto [lo, hi] = num::calibrationRange(s, calibration);
      std::optional<num::AffineParams> p =
          symmetric ? num::computeSymmetricParams(
                          std::max(std::fabs(lo), std::fabs(hi)), range)
                    : num::computeAsymmetricParams(lo, hi, range);
      OpBuilder b(op);
      Value replacement = op.getInput();
      // An all-zero tensor needs no quantizer: it is exact.
      if (p && hi > lo && std::isfinite(float(p->scale)) && float(p->scale) > 0)
        replacement = FakeQuantOp::create(
            b, op.getLoc(), op.getInput(), bits, /*is_unsigned=*/false,
            /*narrow_range=*/symmetric, IntegerAttr(), {p->scale},
            {p->zeroPoint}, RoundingMode::RNE);
      op.replaceAllUsesWith(replacement);
      op.erase();
    }
  }
};

} // namespace
