//===- Datasets.cpp - IDX and .npy readers --------------------------------===//

#include "quant-eval/Runtime/Datasets.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <limits>
#include <numeric>
#include <zlib.h>

namespace quant_eval {

static llvm::Error fail(const std::string &path, const llvm::Twine &what) {
  return llvm::createStringError(llvm::Twine(path) + ": " + what);
}

/// Reads a whole file, transparently gunzipping it.
static llvm::Expected<std::vector<uint8_t>>
readMaybeGzip(const std::string &path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f)
    return fail(path, "cannot open");
  std::vector<uint8_t> data;
  uint8_t buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof(buf))) > 0)
    data.insert(data.end(), buf, buf + n);
  int err = 0;
  const char *msg = gzerror(f, &err);
  gzclose(f);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END))
    return fail(path, llvm::Twine("read error: ") + msg);
  return data;
}

llvm::Expected<std::vector<uint8_t>> readIDX(const std::string &path,
                                             std::vector<int64_t> &dims) {
  auto bytes = readMaybeGzip(path);
  if (!bytes)
    return bytes.takeError();
  return parseIDX(*bytes, path, dims);
}

llvm::Expected<std::vector<uint8_t>> parseIDX(llvm::ArrayRef<uint8_t> b,
                                              const std::string &path,
                                              std::vector<int64_t> &dims) {
  // Magic: two zero bytes, the type (0x08 = unsigned byte), the rank.
  if (b.size() < 4 || b[0] != 0 || b[1] != 0)
    return fail(path, "not an IDX file (bad magic)");
  if (b[2] != 0x08)
    return fail(path, "only unsigned-byte IDX data (type 0x08) is supported");
  unsigned rank = b[3];
  if (rank == 0 || b.size() < 4 + 4 * size_t(rank))
    return fail(path, "truncated IDX header");
  dims.clear();
  int64_t count = 1;
  for (unsigned i = 0; i < rank; ++i) {
    uint32_t d = llvm::support::endian::read32be(b.data() + 4 + 4 * i);
    dims.push_back(d);
    if (llvm::MulOverflow(count, int64_t(d), count))
      return fail(path, "the header announces more bytes than memory holds");
  }
  size_t header = 4 + 4 * size_t(rank);
  if (b.size() != header + count)
    return fail(path, "has " + std::to_string(b.size() - header) +
                          " data bytes but its header announces " +
                          std::to_string(count));
  return std::vector<uint8_t>(b.begin() + header, b.end());
}

llvm::Expected<ImageDataset> loadIDXDataset(const std::string &images,
                                            const std::string &labels) {
  std::vector<int64_t> imageDims, labelDims;
  auto pixels = readIDX(images, imageDims);
  if (!pixels)
    return pixels.takeError();
  auto labelBytes = readIDX(labels, labelDims);
  if (!labelBytes)
    return labelBytes.takeError();
  if (imageDims.size() != 3 && imageDims.size() != 4)
    return fail(images, "expected count x rows x cols (x channels) images");
  if (labelDims.size() != 1 || labelDims[0] != imageDims[0])
    return fail(labels, "label count does not match the image count");
  ImageDataset ds;
  ds.count = imageDims[0];
  ds.height = imageDims[1];
  ds.width = imageDims[2];
  ds.channels = imageDims.size() == 4 ? imageDims[3] : 1;
  ds.pixels = std::move(*pixels);
  ds.labels.assign(labelBytes->begin(), labelBytes->end());
  return ds;
}

llvm::Expected<ImageDataset> loadFashionMNIST(const std::string &split,
                                              const std::string &dir) {
  std::string prefix;
  if (split == "train")
    prefix = "train";
  else if (split == "test")
    prefix = "t10k";
  else
    return llvm::createStringError("fashion-mnist has splits 'train' and "
                                   "'test', not '" +
                                   split + "'");
  return loadIDXDataset(dir + "/" + prefix + "-images-idx3-ubyte.gz",
                        dir + "/" + prefix + "-labels-idx1-ubyte.gz");
}

llvm::Expected<NpyArray> readNpy(const std::string &path) {
  auto bytes = readMaybeGzip(path);
  if (!bytes)
    return bytes.takeError();
  return parseNpy(*bytes, path);
}

llvm::Expected<NpyArray> parseNpy(llvm::ArrayRef<uint8_t> b,
                                  const std::string &path) {
  static const char magic[] = "\x93NUMPY";
  if (b.size() < 10 || std::memcmp(b.data(), magic, 6) != 0)
    return fail(path, "not a .npy file (bad magic)");
  unsigned major = b[6];
  size_t headerLen, offset;
  if (major == 1) {
    headerLen = llvm::support::endian::read16le(b.data() + 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12)
      return fail(path, "truncated header");
    headerLen = llvm::support::endian::read32le(b.data() + 8);
    offset = 12;
  } else {
    return fail(path, "unsupported .npy version " + std::to_string(major));
  }
  if (b.size() < offset + headerLen)
    return fail(path, "truncated header");
  std::string header(b.begin() + offset, b.begin() + offset + headerLen);
  auto field = [&](const std::string &key) -> std::string {
    size_t k = header.find("'" + key + "'");
    if (k == std::string::npos)
      return "";
    size_t colon = header.find(':', k);
    return colon == std::string::npos ? "" : header.substr(colon + 1);
  };
  std::string descr = field("descr"), order = field("fortran_order"),
              shapeText = field("shape");
  if (descr.empty() || order.empty() || shapeText.empty())
    return fail(path, "malformed header");
  if (order.find("True") < order.find(','))
    return fail(path, "Fortran-order arrays are not supported");
  size_t q1 = descr.find('\''), q2 = descr.find('\'', q1 + 1);
  if (q1 == std::string::npos || q2 == std::string::npos)
    return fail(path, "malformed dtype in the header");
  std::string dtype = descr.substr(q1 + 1, q2 - q1 - 1);
  NpyArray arr;
  size_t open = shapeText.find('('), close = shapeText.find(')', open);
  if (open == std::string::npos || close == std::string::npos)
    return fail(path, "malformed shape");
  // "(2, 3)", "(3,)" or "()": non-negative decimal integers, a trailing
  // comma allowed. Their product, in elements and in bytes, must not
  // overflow (found by dataset-fuzzer: std::stoll threw on "xxx", and
  // huge dimensions wrapped around).
  llvm::SmallVector<llvm::StringRef> items;
  llvm::StringRef(shapeText)
      .slice(open + 1, close)
      .split(items, ',', /*MaxSplit=*/-1, /*KeepEmpty=*/true);
  if (!items.empty() && items.back().trim().empty())
    items.pop_back(); // "(3,)" and "()"
  int64_t n = 1;
  for (llvm::StringRef item : items) {
    uint64_t d;
    item = item.trim();
    if (item.empty() || item.getAsInteger(10, d) ||
        d > uint64_t(std::numeric_limits<int64_t>::max()))
      return fail(path, "malformed shape '" +
                            shapeText.substr(open, close - open + 1) + "'");
    arr.shape.push_back(int64_t(d));
    if (llvm::MulOverflow(n, int64_t(d), n))
      return fail(path, "the shape has more elements than memory can hold");
  }
  size_t elemSize;
  if (dtype == "<f4" || dtype == "<i4")
    elemSize = 4;
  else if (dtype == "<f8" || dtype == "<i8")
    elemSize = 8;
  else if (dtype == "|u1" || dtype == "|i1")
    elemSize = 1;
  else
    return fail(path, "unsupported dtype '" + dtype +
                          "' (use float32/float64/uint8/int8/int32/int64)");
  int64_t dataBytes;
  if (llvm::MulOverflow(n, int64_t(elemSize), dataBytes) ||
      b.size() - offset - headerLen != uint64_t(dataBytes))
    return fail(path, "data size does not match the shape");
  const uint8_t *p = b.data() + offset + headerLen;
  arr.data.resize(n);
  using namespace llvm::support::endian;
  for (int64_t i = 0; i < n; ++i, p += elemSize) {
    if (dtype == "<f4")
      arr.data[i] = llvm::bit_cast<float>(read32le(p));
    else if (dtype == "<f8")
      arr.data[i] = float(llvm::bit_cast<double>(read64le(p)));
    else if (dtype == "<i4")
      arr.data[i] = float(int32_t(read32le(p)));
    else if (dtype == "<i8")
      arr.data[i] = float(int64_t(read64le(p)));
    else if (dtype == "|u1")
      arr.data[i] = float(*p);
    else
      arr.data[i] = float(int8_t(*p));
  }
  return arr;
}

llvm::Error writeNpy(const std::string &path, const std::vector<int64_t> &shape,
                     const float *data) {
  std::string dims;
  for (int64_t d : shape)
    dims += std::to_string(d) + ", ";
  if (shape.size() > 1)
    dims.resize(dims.size() - 2);
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Pad so that the data starts at a multiple of 64 bytes.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError(path + ": " + ec.message());
  os << "\x93NUMPY" << char(1) << char(0);
  uint16_t len = static_cast<uint16_t>(header.size());
  os << char(len & 0xff) << char(len >> 8) << header;
  size_t n = std::accumulate(shape.begin(), shape.end(), size_t(1),
                             std::multiplies<size_t>());
  os.write(reinterpret_cast<const char *>(data), n * sizeof(float));
  return llvm::Error::success();
}

} // namespace quant_eval
