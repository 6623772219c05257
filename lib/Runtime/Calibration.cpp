//===- Calibration.cpp - Activation statistics from running a model -------===//

#include "quant-eval/Runtime/Calibration.h"

#include "quant-eval/Dialect/QE/IR/QEOps.h"
#include "quant-eval/Runtime/CompiledModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"

using namespace mlir;

namespace quant_eval {

llvm::Expected<std::vector<ObservedTensor>>
exposeObservedTensors(ModuleOp module) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.isExternal())
    return llvm::createStringError("the module has no func.func @main");
  SmallVector<qe::ObserveOp> observers;
  main.walk([&](qe::ObserveOp op) { observers.push_back(op); });
  if (observers.empty())
    return llvm::createStringError(
        "@main has no qe.observe probe (run qe-insert-observers first)");

  std::vector<ObservedTensor> tensors;
  SmallVector<Value> flat;
  auto ret = cast<func::ReturnOp>(main.getBody().back().getTerminator());
  ImplicitLocOpBuilder b(main.getLoc(), ret);
  int64_t offset = 0;
  for (qe::ObserveOp op : observers) {
    auto type = cast<RankedTensorType>(op.getType());
    if (!type.hasStaticShape() || !type.getElementType().isF32())
      return llvm::createStringError(
          "observed tensor '" + op.getId() +
          "' must have a static shape and f32 elements");
    int64_t size = type.getNumElements();
    tensors.push_back({op.getId().str(), offset, size});
    offset += size;
    flat.push_back(tosa::ReshapeOp::create(
        b, RankedTensorType::get({size}, type.getElementType()), op.getInput(),
        tosa::getTosaConstShape(b, {size})));
  }
  Value all = flat.size() == 1
                  ? flat.front()
                  : tosa::ConcatOp::create(
                        b, RankedTensorType::get({offset}, b.getF32Type()),
                        flat, b.getI32IntegerAttr(0))
                        .getResult();
  ret->setOperands(all);
  main.setType(FunctionType::get(module.getContext(),
                                 main.getFunctionType().getInputs(),
                                 {all.getType()}));
  for (qe::ObserveOp op : observers) {
    op.replaceAllUsesWith(op.getInput());
    op.erase();
  }
  return tensors;
}

llvm::Expected<qe::CalibrationFile> calibrate(ModuleOp module,
                                              const CalibrationRun &run) {
  llvm::Expected<std::vector<ObservedTensor>> tensors =
      exposeObservedTensors(module);
  if (!tensors)
    return tensors.takeError();
  auto model = CompiledModel::compileJIT(module);
  if (!model)
    return model.takeError();
  const ModelSignature &sig = (*model)->signature();
  std::vector<float> input(sig.inputElements()), output(sig.outputElements());

  qe::CalibrationFile file;
  file.samples = run.samples;
  std::vector<quant_eval::numerics::TensorStatistics *> stats;
  for (const ObservedTensor &t : *tensors)
    stats.push_back(&file.tensors[t.id]);

  for (int pass = 0; pass < 2; ++pass) {
    for (int64_t i = 0; i < run.samples; ++i) {
      if (auto err = run.fill(i, input.data()))
        return std::move(err);
      (*model)->run(input.data(), output.data());
      for (size_t t = 0; t < tensors->size(); ++t) {
        const ObservedTensor &tensor = (*tensors)[t];
        const float *values = output.data() + tensor.offset;
        if (pass == 1) {
          stats[t]->addToHistogram(values, tensor.size);
          continue;
        }
        if (!stats[t]->addExtremes(values, tensor.size))
          return llvm::createStringError("tensor '" + tensor.id +
                                         "' holds a NaN or an infinity on "
                                         "calibration input " +
                                         std::to_string(i) +
                                         "; its range is undefined");
      }
    }
    if (pass == 0)
      for (auto *s : stats)
        s->startHistogram(run.bins);
  }
  return file;
}

} // namespace quant_eval
