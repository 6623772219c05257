//===- LayerName.h - The name a layer is known by ---------------*- C++ -*-===//

#ifndef QUANT_EVAL_DIALECT_QE_UTILS_LAYERNAME_H
#define QUANT_EVAL_DIALECT_QE_UTILS_LAYERNAME_H

#include "mlir/IR/Location.h"
#include "mlir/IR/Operation.h"

namespace mlir::qe {

/// The ONNX node name the importer keeps as `op`'s location, or "". The
/// per-layer report and qe-correct-bias's errors file both key layers by
/// it, so that one can be written from the other.
inline StringRef getLayerName(Operation *op) {
  if (auto name = dyn_cast<NameLoc>(op->getLoc()))
    return name.getName().getValue();
  return "";
}

} // namespace mlir::qe

#endif // QUANT_EVAL_DIALECT_QE_UTILS_LAYERNAME_H
