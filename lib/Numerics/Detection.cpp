//===- Detection.cpp - Box overlap, NMS and VOC mAP -----------------------===//

#include "quant-eval/Numerics/Detection.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace quant_eval::numerics {

float Box::area() const {
  return x1 > x0 && y1 > y0 ? (x1 - x0) * (y1 - y0) : 0.0f;
}

float intersectionOverUnion(const Box &a, const Box &b) {
  float areaA = a.area(), areaB = b.area();
  if (areaA <= 0 || areaB <= 0)
    return 0;
  Box inter{std::max(a.x0, b.x0), std::max(a.y0, b.y0), std::min(a.x1, b.x1),
            std::min(a.y1, b.y1)};
  float i = inter.area();
  return i / (areaA + areaB - i);
}

/// Indices by decreasing score, ties by index: a total order, so that the
/// result does not depend on the sort's stability.
static std::vector<size_t> byScore(const std::vector<Detection> &d) {
  std::vector<size_t> order(d.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (d[a].score != d[b].score)
      return d[a].score > d[b].score;
    return a < b;
  });
  return order;
}

std::vector<size_t> nonMaxSuppression(const std::vector<Detection> &detections,
                                      float iouThreshold,
                                      size_t maxDetections) {
  std::vector<size_t> kept;
  for (size_t i : byScore(detections)) {
    if (maxDetections && kept.size() == maxDetections)
      break;
    bool suppressed = std::any_of(kept.begin(), kept.end(), [&](size_t k) {
      return detections[k].label == detections[i].label &&
             intersectionOverUnion(detections[k].box, detections[i].box) >
                 iouThreshold;
    });
    if (!suppressed)
      kept.push_back(i);
  }
  return kept;
}

double averagePrecision(const std::vector<Detection> &detections,
                        const std::vector<GroundTruth> &truth, int64_t label,
                        float iouThreshold) {
  std::vector<size_t> gt;
  for (size_t g = 0; g < truth.size(); ++g)
    if (truth[g].label == label)
      gt.push_back(g);
  if (gt.empty())
    return -1;
  std::vector<Detection> mine;
  for (const Detection &d : detections)
    if (d.label == label)
      mine.push_back(d);
  std::vector<bool> matched(truth.size(), false);
  std::vector<double> precision, recall;
  size_t tp = 0, fp = 0;
  for (size_t i : byScore(mine)) {
    const Detection &d = mine[i];
    float best = -1;
    size_t bestGt = 0;
    for (size_t g : gt) {
      if (truth[g].image != d.image)
        continue;
      float o = intersectionOverUnion(d.box, truth[g].box);
      if (o > best) {
        best = o;
        bestGt = g;
      }
    }
    if (best >= iouThreshold && !matched[bestGt]) {
      matched[bestGt] = true;
      ++tp;
    } else {
      ++fp;
    }
    precision.push_back(double(tp) / double(tp + fp));
    recall.push_back(double(tp) / double(gt.size()));
  }
  // The envelope: at each point the best precision at this or higher recall.
  for (size_t i = precision.size(); i-- > 1;)
    precision[i - 1] = std::max(precision[i - 1], precision[i]);
  double ap = 0, previousRecall = 0;
  for (size_t i = 0; i < recall.size(); ++i) {
    ap += (recall[i] - previousRecall) * precision[i];
    previousRecall = recall[i];
  }
  return ap;
}

double meanAveragePrecision(const std::vector<Detection> &detections,
                            const std::vector<GroundTruth> &truth,
                            int64_t numLabels, float iouThreshold) {
  double sum = 0;
  int64_t n = 0;
  for (int64_t label = 0; label < numLabels; ++label) {
    double ap = averagePrecision(detections, truth, label, iouThreshold);
    if (ap >= 0) {
      sum += ap;
      ++n;
    }
  }
  return n ? sum / double(n) : 0;
}

std::vector<Anchor> makeAnchors(const std::vector<AnchorLevel> &levels,
                                const std::vector<float> &ratios) {
  std::vector<Anchor> anchors;
  for (const AnchorLevel &l : levels)
    for (int64_t i = 0; i < l.cells; ++i)
      for (int64_t j = 0; j < l.cells; ++j)
        for (float r : ratios) {
          float s = std::sqrt(r);
          anchors.push_back({(float(j) + 0.5f) * l.stride,
                             (float(i) + 0.5f) * l.stride, l.size * s,
                             l.size / s});
        }
  return anchors;
}

const std::vector<Anchor> &zooDetectorAnchors() {
  static const std::vector<Anchor> anchors =
      makeAnchors({{12, 8, 24}, {6, 16, 48}, {3, 32, 80}}, {1.0f, 2.0f, 0.5f});
  return anchors;
}

Box decodeAnchorBox(const Anchor &a, const float *t) {
  float cx = a.cx + t[0] * 0.1f * a.w, cy = a.cy + t[1] * 0.1f * a.h;
  float w = a.w * std::exp(t[2] * 0.2f), h = a.h * std::exp(t[3] * 0.2f);
  return {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
}

static float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

std::vector<Detection> decodeAnchorHead(const float *boxes, const float *scores,
                                        const std::vector<Anchor> &anchors,
                                        int64_t classes, bool background,
                                        float minScore, int64_t image) {
  std::vector<Detection> out;
  int64_t k = classes + (background ? 1 : 0);
  std::vector<float> p(k);
  for (size_t a = 0; a < anchors.size(); ++a) {
    const float *logits = scores + a * k;
    if (background) {
      float m = *std::max_element(logits, logits + k), sum = 0;
      for (int64_t c = 0; c < k; ++c)
        sum += p[c] = std::exp(logits[c] - m);
      for (float &v : p)
        v /= sum;
    } else {
      for (int64_t c = 0; c < k; ++c)
        p[c] = sigmoid(logits[c]);
    }
    Box box;
    bool decoded = false;
    for (int64_t c = background ? 1 : 0; c < k; ++c) {
      if (p[c] < minScore)
        continue;
      if (!decoded) {
        box = decodeAnchorBox(anchors[a], boxes + 4 * a);
        decoded = true;
      }
      out.push_back({box, c - (background ? 1 : 0), p[c], image});
    }
  }
  return out;
}

std::vector<Detection> decodeCenterNet(const float *heatmap, const float *size,
                                       const float *offset, int64_t classes,
                                       int64_t height, int64_t width,
                                       float stride, float minScore,
                                       size_t topK, int64_t image) {
  std::vector<Detection> out;
  int64_t plane = height * width;
  for (int64_t c = 0; c < classes; ++c) {
    const float *h = heatmap + c * plane;
    for (int64_t i = 0; i < height; ++i)
      for (int64_t j = 0; j < width; ++j) {
        float v = h[i * width + j];
        if (sigmoid(v) < minScore)
          continue;
        bool peak = true;
        for (int64_t di = -1; di <= 1 && peak; ++di)
          for (int64_t dj = -1; dj <= 1; ++dj) {
            int64_t y = i + di, x = j + dj;
            if (y >= 0 && y < height && x >= 0 && x < width &&
                h[y * width + x] > v) {
              peak = false;
              break;
            }
          }
        if (!peak)
          continue;
        int64_t at = i * width + j;
        float cx = (float(j) + offset[at]) * stride,
              cy = (float(i) + offset[plane + at]) * stride;
        float w = size[at], hh = size[plane + at];
        out.push_back({{cx - w / 2, cy - hh / 2, cx + w / 2, cy + hh / 2},
                       c,
                       sigmoid(v),
                       image});
      }
  }
  if (topK && out.size() > topK) {
    std::vector<size_t> order = byScore(out);
    std::vector<Detection> kept;
    for (size_t k = 0; k < topK; ++k)
      kept.push_back(out[order[k]]);
    out = std::move(kept);
  }
  return out;
}

} // namespace quant_eval::numerics
