//===- ConstantUtils.cpp - Reading and writing weight constants -----------===//

#include "quant-eval/Dialect/QE/Utils/ConstantUtils.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

#include <cstdlib>

#ifdef __linux__
#include <sys/mman.h>
#endif

namespace mlir::qe {

std::optional<std::vector<float>> getFloatsFromAttr(Attribute attr) {
  if (auto dense = dyn_cast_if_present<DenseFPElementsAttr>(attr)) {
    if (!dense.getElementType().isF32())
      return std::nullopt;
    auto values = dense.getValues<float>();
    return std::vector<float>(values.begin(), values.end());
  }
  if (auto blob = dyn_cast_if_present<DenseF32ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<float>> data = blob.tryGetAsArrayRef();
    if (!data)
      return std::nullopt;
    return std::vector<float>(data->begin(), data->end());
  }
  return std::nullopt;
}

std::optional<std::vector<float>> getConstantFloats(Value value) {
  Attribute attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  return getFloatsFromAttr(attr);
}

std::optional<std::vector<int8_t>> getConstantInt8s(Value value) {
  Attribute attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  return getInt8sFromAttr(attr);
}

std::optional<std::vector<int8_t>> getInt8sFromAttr(Attribute attr) {
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    if (!dense.getElementType().isInteger(8))
      return std::nullopt;
    auto values = dense.getValues<int8_t>();
    return std::vector<int8_t>(values.begin(), values.end());
  }
  if (auto blob = dyn_cast<DenseI8ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<int8_t>> data = blob.tryGetAsArrayRef();
    if (!data)
      return std::nullopt;
    return std::vector<int8_t>(data->begin(), data->end());
  }
  return std::nullopt;
}

std::optional<ArrayRef<float>> getConstantFloatsView(Value value) {
  Attribute attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  if (auto blob = dyn_cast<DenseF32ResourceElementsAttr>(attr))
    return blob.tryGetAsArrayRef();
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr)) {
    if (!dense.getElementType().isF32() || dense.isSplat())
      return std::nullopt;
    ArrayRef<char> raw = dense.getRawData();
    return ArrayRef<float>(reinterpret_cast<const float *>(raw.data()),
                           raw.size() / sizeof(float));
  }
  return std::nullopt;
}

Value createFloatConstant(OpBuilder &builder, Location loc,
                          RankedTensorType type, ArrayRef<float> values,
                          StringRef blobName, int64_t resourceThreshold) {
  ElementsAttr attr;
  if (static_cast<int64_t>(values.size()) > resourceThreshold)
    attr = DenseResourceElementsAttr::get(
        type, blobName, HeapAsmResourceBlob::allocateAndCopyInferAlign(values));
  else
    attr = DenseElementsAttr::get(type, values);
  return tosa::ConstOp::create(builder, loc, type, attr);
}

namespace {
/// Fresh memory for a large weight. Writing a new 100 MB model faults in
/// every 4 KiB page, which costs more than rounding the weights; on Linux,
/// blobs of several huge pages ask for transparent huge pages instead.
AsmResourceBlob allocateBlob(size_t size) {
#ifdef __linux__
  constexpr size_t kHugePage = size_t(2) << 20;
  if (size >= kHugePage) {
    size_t rounded = (size + kHugePage - 1) / kHugePage * kHugePage;
    if (void *data = std::aligned_alloc(kHugePage, rounded)) {
      (void)madvise(data, rounded, MADV_HUGEPAGE);
      // The blob claims only the alignment its contents need: the printed
      // blob records it, and a parser would honour a 2 MiB one.
      return AsmResourceBlob(
          ArrayRef<char>(static_cast<const char *>(data), size), alignof(float),
          [](void *data, size_t, size_t) { std::free(data); },
          /*dataIsMutable=*/true);
    }
  }
#endif
  return HeapAsmResourceBlob::allocate(size, alignof(float));
}
} // namespace

Value createFloatConstant(OpBuilder &builder, Location loc,
                          RankedTensorType type,
                          function_ref<void(MutableArrayRef<float>)> fill,
                          StringRef blobName, int64_t resourceThreshold) {
  int64_t n = type.getNumElements();
  if (n <= resourceThreshold) {
    std::vector<float> values(n);
    fill(values);
    return createFloatConstant(builder, loc, type, values, blobName,
                               resourceThreshold);
  }
  AsmResourceBlob blob = allocateBlob(n * sizeof(float));
  MutableArrayRef<char> bytes = blob.getMutableData();
  fill(MutableArrayRef<float>(reinterpret_cast<float *>(bytes.data()), n));
  return tosa::ConstOp::create(
      builder, loc, type,
      DenseResourceElementsAttr::get(type, blobName, std::move(blob)));
}

void eraseIfDeadConstant(Value value) {
  Operation *op = value ? value.getDefiningOp() : nullptr;
  if (op && op->use_empty() && op->hasTrait<OpTrait::ConstantLike>())
    op->erase();
}

} // namespace mlir::qe
