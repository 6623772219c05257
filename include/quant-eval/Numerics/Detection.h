//===- Detection.h - Box overlap, NMS and VOC mAP ---------------*- C++ -*-===//
//
// What the runner needs to score detectors: intersection over union, greedy
// non-maximum suppression, and PASCAL VOC average precision with all-point
// interpolation (VOC2010 onwards), averaged over classes into mAP@0.5.
// Boxes are continuous corner coordinates (no VOC "+1" pixel convention).
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_NUMERICS_DETECTION_H
#define QUANT_EVAL_NUMERICS_DETECTION_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace quant_eval::numerics {

/// An axis-aligned box by its corners; empty when x1 <= x0 or y1 <= y0.
struct Box {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  float area() const;
};

/// Intersection over union; 0 when either box is empty.
float intersectionOverUnion(const Box &a, const Box &b);

struct Detection {
  Box box;
  int64_t label = 0;
  float score = 0;
  int64_t image = 0; // which image it belongs to, for AP
};

/// Greedy non-maximum suppression within each label: detections are taken
/// by decreasing score (ties: lower index first), and one overlapping an
/// already kept detection of its label by IoU > `iouThreshold` is dropped.
/// Returns the kept indices in that order, at most `maxDetections` of them
/// (0: no limit).
std::vector<size_t> nonMaxSuppression(const std::vector<Detection> &detections,
                                      float iouThreshold,
                                      size_t maxDetections = 0);

struct GroundTruth {
  Box box;
  int64_t label = 0;
  int64_t image = 0;
};

/// VOC average precision of one label: its detections, by decreasing score,
/// each match the unmatched ground-truth box of that label in their image
/// with the highest IoU if it is >= `iouThreshold` (true positive), or are
/// false positives (also a second detection of a matched box). AP is the
/// area under the precision envelope (precision made non-increasing from
/// the right) over recall, at every recall step. Returns -1 when the label
/// has no ground truth.
double averagePrecision(const std::vector<Detection> &detections,
                        const std::vector<GroundTruth> &truth, int64_t label,
                        float iouThreshold = 0.5f);

/// The mean of averagePrecision over the labels [0, numLabels) that have
/// ground truth.
double meanAveragePrecision(const std::vector<Detection> &detections,
                            const std::vector<GroundTruth> &truth,
                            int64_t numLabels, float iouThreshold = 0.5f);

} // namespace quant_eval::numerics

#endif // QUANT_EVAL_NUMERICS_DETECTION_H
