//===- Passes.cpp - Registration of quant-eval's passes and pipelines -----===//

#include "quant-eval/Dialect/QE/Transforms/Passes.h"

void mlir::qe::registerQuantEvalPasses() { registerQETransformsPasses(); }
