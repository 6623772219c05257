//===- Preprocess.cpp - From stored images to model inputs ----------------===//

#include "quant-eval/Runtime/Preprocess.h"

#include "llvm/ADT/StringExtras.h"

namespace quant_eval {

static llvm::Expected<std::vector<double>> parseList(llvm::StringRef key,
                                                     llvm::StringRef text) {
  std::vector<double> values;
  llvm::SmallVector<llvm::StringRef> parts;
  text.trim("[] ").split(parts, ',');
  for (llvm::StringRef p : parts) {
    double v;
    if (p.trim().getAsDouble(v))
      return llvm::createStringError(llvm::Twine("metadata ") + key +
                                     ": cannot read '" + p.trim() +
                                     "' as a number");
    values.push_back(v);
  }
  if (values.empty())
    return llvm::createStringError(llvm::Twine("metadata ") + key +
                                   " is empty");
  return values;
}

llvm::Error
Preprocessing::update(const llvm::StringMap<std::string> &metadata) {
  for (const auto &kv : metadata) {
    llvm::StringRef key = kv.first(), value = kv.second;
    if (key == "qe.scale" || key == "qe.mean" || key == "qe.std") {
      auto list = parseList(key, value);
      if (!list)
        return list.takeError();
      if (key == "qe.scale")
        scale = list->front();
      else if (key == "qe.mean")
        mean = *list;
      else
        std = *list;
    } else if (key == "qe.layout") {
      if (value == "NCHW")
        layout = Layout::NCHW;
      else if (value == "NHWC")
        layout = Layout::NHWC;
      else
        return llvm::createStringError("metadata qe.layout must be NCHW or "
                                       "NHWC, not '" +
                                       value.str() + "'");
    }
  }
  for (double s : std)
    if (s == 0)
      return llvm::createStringError("a std of 0 would divide by zero");
  if (scale == 0)
    return llvm::createStringError("a scale of 0 would divide by zero");
  return llvm::Error::success();
}

llvm::Expected<Layout> resolveLayout(Layout layout,
                                     const std::vector<int64_t> &inputShape) {
  if (layout != Layout::Auto)
    return layout;
  auto isChannels = [](int64_t d) { return d == 1 || d == 3; };
  if (inputShape.size() == 4 && isChannels(inputShape[1]))
    return Layout::NCHW;
  if (inputShape.size() == 4 && isChannels(inputShape[3]))
    return Layout::NHWC;
  return llvm::createStringError(
      "cannot tell whether the model input is NCHW or NHWC; pass --layout "
      "(or give the model qe.layout metadata)");
}

llvm::Error preprocessImage(const ImageDataset &data, int64_t index,
                            const Preprocessing &pre, int64_t channels,
                            int64_t height, int64_t width, float *out) {
  // Gray images become RGB by repetition; other channel counts must match.
  if (data.channels != channels && !(data.channels == 1 && channels == 3))
    return llvm::createStringError(
        "the model takes " + std::to_string(channels) +
        " channels but the images have " + std::to_string(data.channels));
  auto channelValue = [](const std::vector<double> &v, int64_t c) {
    return v.size() == 1 ? v[0] : v[c];
  };
  if ((pre.mean.size() != 1 && int64_t(pre.mean.size()) != channels) ||
      (pre.std.size() != 1 && int64_t(pre.std.size()) != channels))
    return llvm::createStringError("mean and std need 1 or " +
                                   std::to_string(channels) + " values");
  bool pad =
      pre.fit == Fit::Pad ||
      (pre.fit == Fit::Auto && height >= data.height && width >= data.width);
  int64_t top = (height - data.height) / 2, left = (width - data.width) / 2;
  const uint8_t *img = data.image(index);
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x) {
      int64_t sy, sx;
      bool inside = true;
      if (pad) {
        sy = y - top;
        sx = x - left;
        inside = sy >= 0 && sy < data.height && sx >= 0 && sx < data.width;
      } else {
        sy = y * data.height / height;
        sx = x * data.width / width;
      }
      for (int64_t c = 0; c < channels; ++c) {
        int64_t sc = data.channels == 1 ? 0 : c;
        double pixel =
            inside ? img[(sy * data.width + sx) * data.channels + sc] : 0.0;
        double v = (pixel / pre.scale - channelValue(pre.mean, c)) /
                   channelValue(pre.std, c);
        int64_t at = pre.layout == Layout::NCHW
                         ? (c * height + y) * width + x
                         : (y * width + x) * channels + c;
        out[at] = static_cast<float>(v);
      }
    }
  return llvm::Error::success();
}

} // namespace quant_eval
