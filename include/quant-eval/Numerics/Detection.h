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

//===----------------------------------------------------------------------===//
// Decoding raw detector outputs (python/quant_eval/detection's contract)
//===----------------------------------------------------------------------===//

/// An anchor by its center and size.
struct Anchor {
  float cx = 0, cy = 0, w = 0, h = 0;
};

/// One anchor level: a square feature map of `cells` x `cells` at `stride`
/// pixels, with anchors of base size `size`.
struct AnchorLevel {
  int64_t cells;
  float stride, size;
};

/// Anchors in the order level, row, column, aspect ratio: center
/// ((j + 0.5) stride, (i + 0.5) stride), w = size sqrt(r), h = size / sqrt(r).
std::vector<Anchor> makeAnchors(const std::vector<AnchorLevel> &levels,
                                const std::vector<float> &ratios);

/// The zoo detectors' anchors for 96x96 inputs: 12x12, 6x6 and 3x3 maps at
/// strides 8, 16, 32, base sizes 24, 48, 80, ratios 1, 2, 0.5 (567).
const std::vector<Anchor> &zooDetectorAnchors();

/// The box an anchor's regression (tx, ty, tw, th) encodes, with variances
/// 0.1 (center) and 0.2 (size): cx = acx + tx 0.1 aw, w = aw exp(th 0.2) ...
Box decodeAnchorBox(const Anchor &anchor, const float *t);

/// Candidates of one image from an anchor-based head: `boxes` [A, 4] and
/// `scores` [A, K] logits. With a background class (SSD: softmax over K =
/// classes + 1, class 0 background) or without (RetinaNet and
/// EfficientDet: a sigmoid per class, K = classes). Every (anchor, class)
/// with a probability >= `minScore` becomes a detection.
std::vector<Detection> decodeAnchorHead(const float *boxes, const float *scores,
                                        const std::vector<Anchor> &anchors,
                                        int64_t classes, bool background,
                                        float minScore, int64_t image);

/// Candidates of one image from a CenterNet head at `stride`: `heatmap`
/// [classes, H, W] logits, `size` [2, H, W] (w, h in pixels), `offset`
/// [2, H, W] (x, y within the cell). A peak is a cell whose sigmoid is >=
/// `minScore` and not below any of its 8 neighbours (the 3x3 max pool);
/// its box is centered at ((j + ox) stride, (i + oy) stride). The `topK`
/// highest peaks are kept (0: all).
std::vector<Detection> decodeCenterNet(const float *heatmap, const float *size,
                                       const float *offset, int64_t classes,
                                       int64_t height, int64_t width,
                                       float stride, float minScore,
                                       size_t topK, int64_t image);

} // namespace quant_eval::numerics

#endif // QUANT_EVAL_NUMERICS_DETECTION_H
