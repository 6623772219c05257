//===- Detection.cpp - Box overlap, NMS and VOC mAP -----------------------===//

#include "quant-eval/Numerics/Detection.h"

#include <algorithm>
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

} // namespace quant_eval::numerics
