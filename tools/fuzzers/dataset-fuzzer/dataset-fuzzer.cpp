//===- dataset-fuzzer.cpp - Fuzzes the IDX and .npy readers ---------------===//
//
// Every input goes to both parsers (each rejects the other's magic at once).
// A parser must reject malformed bytes with an error, never crash, read out
// of bounds or allocate without bound; what it accepts must be consistent:
// as many elements as the dimensions multiply to.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Runtime/Datasets.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

static int64_t product(const std::vector<int64_t> &dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) {
      llvm::errs() << "accepted a negative dimension\n";
      std::abort();
    }
    n *= d;
  }
  return n;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::ArrayRef<uint8_t> bytes(data, size);
  std::vector<int64_t> dims;
  if (auto idx = quant_eval::parseIDX(bytes, "fuzz.idx", dims)) {
    if (product(dims) != int64_t(idx->size())) {
      llvm::errs() << "IDX: data size does not match the dimensions\n";
      std::abort();
    }
  } else {
    llvm::consumeError(idx.takeError());
  }
  if (auto npy = quant_eval::parseNpy(bytes, "fuzz.npy")) {
    if (product(npy->shape) != int64_t(npy->data.size())) {
      llvm::errs() << "npy: data size does not match the shape\n";
      std::abort();
    }
  } else {
    llvm::consumeError(npy.takeError());
  }
  return 0;
}
