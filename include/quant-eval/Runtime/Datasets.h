//===- Datasets.h - Image data sets and arrays for the runner ---*- C++ -*-===//

#ifndef QUANT_EVAL_RUNTIME_DATASETS_H
#define QUANT_EVAL_RUNTIME_DATASETS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace quant_eval {

/// Images as stored: `count` images of height x width x channels uint8
/// pixels (HWC order), with one integer label each.
struct ImageDataset {
  int64_t count = 0, height = 0, width = 0, channels = 1;
  std::vector<uint8_t> pixels;
  std::vector<int64_t> labels;
  const uint8_t *image(int64_t i) const {
    return pixels.data() + i * height * width * channels;
  }
};

/// Reads an IDX file (optionally gzip-compressed) of unsigned bytes: images
/// (3-D, count x rows x cols) or labels (1-D).
llvm::Expected<std::vector<uint8_t>> readIDX(const std::string &path,
                                             std::vector<int64_t> &dims);

/// Parses the bytes of an IDX file (already decompressed); `name` (the file)
/// starts every error message.
llvm::Expected<std::vector<uint8_t>> parseIDX(llvm::ArrayRef<uint8_t> bytes,
                                              const std::string &name,
                                              std::vector<int64_t> &dims);

/// Loads an IDX image file and its label file.
llvm::Expected<ImageDataset> loadIDXDataset(const std::string &images,
                                            const std::string &labels);

/// Debian's dataset-fashion-mnist, split "train" (60000) or "test" (10000).
llvm::Expected<ImageDataset>
loadFashionMNIST(const std::string &split,
                 const std::string &dir = "/usr/share/datasets/fashion-mnist");

/// A numpy .npy array (format 1.0-3.0, C order, little-endian), converted to
/// float: dtypes f4, f8, u1, i1, i4, i8.
struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};
llvm::Expected<NpyArray> readNpy(const std::string &path);
/// Parses the bytes of a .npy file (already decompressed), like readNpy.
llvm::Expected<NpyArray> parseNpy(llvm::ArrayRef<uint8_t> bytes,
                                  const std::string &name);
llvm::Error writeNpy(const std::string &path, const std::vector<int64_t> &shape,
                     const float *data);

} // namespace quant_eval

#endif // QUANT_EVAL_RUNTIME_DATASETS_H
