//===- DetectionTest.cpp - Box overlap, NMS and VOC mAP -------------------===//
//
// Every expected number is worked out by hand in the comments.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Numerics/Detection.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace quant_eval::numerics;

namespace {

TEST(Detection, IntersectionOverUnion) {
  // Overlap 1x1 of two 2x2 boxes: 1 / (4 + 4 - 1).
  EXPECT_FLOAT_EQ(intersectionOverUnion({0, 0, 2, 2}, {1, 1, 3, 3}), 1.0f / 7);
  EXPECT_FLOAT_EQ(intersectionOverUnion({0, 0, 2, 2}, {0, 0, 2, 2}), 1.0f);
  EXPECT_EQ(intersectionOverUnion({0, 0, 2, 2}, {2, 0, 4, 2}), 0.0f);
  EXPECT_EQ(intersectionOverUnion({0, 0, 0, 2}, {0, 0, 2, 2}), 0.0f);
  EXPECT_EQ(intersectionOverUnion({3, 3, 1, 1}, {0, 0, 4, 4}), 0.0f);
}

TEST(Detection, NonMaxSuppressionPerLabel) {
  // B overlaps A by 81 / (100 + 100 - 81) = 0.68 > 0.5: dropped. C is
  // apart; D is A's box with another label: kept.
  std::vector<Detection> d = {{{0, 0, 10, 10}, 0, 0.9f},
                              {{1, 1, 11, 11}, 0, 0.8f},
                              {{20, 20, 30, 30}, 0, 0.7f},
                              {{0, 0, 10, 10}, 1, 0.6f}};
  EXPECT_EQ(nonMaxSuppression(d, 0.5f), (std::vector<size_t>{0, 2, 3}));
  EXPECT_EQ(nonMaxSuppression(d, 0.5f, 2), (std::vector<size_t>{0, 2}));
  // A threshold above 0.68 keeps B.
  EXPECT_EQ(nonMaxSuppression(d, 0.7f), (std::vector<size_t>{0, 1, 2, 3}));
  // Equal scores: the lower index goes first and suppresses the other.
  std::vector<Detection> tie = {{{0, 0, 10, 10}, 0, 0.5f},
                                {{0, 0, 10, 10}, 0, 0.5f}};
  EXPECT_EQ(nonMaxSuppression(tie, 0.5f), (std::vector<size_t>{0}));
}

TEST(Detection, AveragePrecisionAllPoint) {
  // Label 0, image 0, two boxes. By score: d1 hits g1 (TP), d2 is
  // elsewhere (FP), d3 hits g1 again (FP: already matched), d4 hits g2
  // (TP). Precision 1, 1/2, 1/3, 2/4; recall .5, .5, .5, 1. The envelope
  // from the right is 1, .5, .5, .5, so AP = .5 * 1 + .5 * .5 = 0.75.
  std::vector<GroundTruth> truth = {
      {{0, 0, 10, 10}, 0, 0}, {{20, 0, 30, 10}, 0, 0}, {{0, 0, 5, 5}, 1, 1}};
  std::vector<Detection> d = {{{0, 0, 10, 10}, 0, 0.9f, 0},
                              {{50, 50, 60, 60}, 0, 0.8f, 0},
                              {{0, 0, 10, 10}, 0, 0.7f, 0},
                              {{20, 0, 30, 10}, 0, 0.6f, 0},
                              // Label 1's box, but in image 0: an FP.
                              {{0, 0, 5, 5}, 1, 0.9f, 0}};
  EXPECT_DOUBLE_EQ(averagePrecision(d, truth, 0), 0.75);
  EXPECT_DOUBLE_EQ(averagePrecision(d, truth, 1), 0.0);
  EXPECT_DOUBLE_EQ(averagePrecision(d, truth, 2), -1.0); // no ground truth
  // mAP over the labels with ground truth (0 and 1): (0.75 + 0) / 2.
  EXPECT_DOUBLE_EQ(meanAveragePrecision(d, truth, 3), 0.375);
}

TEST(Detection, OverlapThresholdIsInclusive) {
  // Half the box: IoU exactly 50 / 100 = 0.5 counts as a hit (VOC devkit:
  // overlap >= 0.5), a hair less does not.
  std::vector<GroundTruth> truth = {{{0, 0, 10, 10}, 0, 0}};
  EXPECT_DOUBLE_EQ(averagePrecision({{{0, 0, 10, 5}, 0, 1.0f, 0}}, truth, 0),
                   1.0);
  EXPECT_DOUBLE_EQ(
      averagePrecision({{{0, 0, 10, 4.99f}, 0, 1.0f, 0}}, truth, 0), 0.0);
  // Nothing detected: AP 0.
  EXPECT_DOUBLE_EQ(averagePrecision({}, truth, 0), 0.0);
}

TEST(Detection, Anchors) {
  // One 2x2 level at stride 8, size 10, ratios 1 and 4: order row, column,
  // ratio; ratio 4 gives w = 10 * 2, h = 10 / 2.
  std::vector<Anchor> a = makeAnchors({{2, 8, 10}}, {1, 4});
  ASSERT_EQ(a.size(), 8u);
  EXPECT_EQ(a[0].cx, 4);
  EXPECT_EQ(a[0].w, 10);
  EXPECT_EQ(a[1].w, 20);
  EXPECT_EQ(a[1].h, 5);
  EXPECT_EQ(a[2].cx, 12); // row 0, column 1
  EXPECT_EQ(a[4].cy, 12); // row 1
  // The zoo set: (144 + 36 + 9) * 3; the last is the 3x3 level's cell
  // (2, 2) at ratio 0.5: center 2.5 * 32 = 80, w = 80 / sqrt 2.
  const std::vector<Anchor> &z = zooDetectorAnchors();
  ASSERT_EQ(z.size(), 567u);
  EXPECT_EQ(z.front().cx, 4);
  EXPECT_EQ(z.front().w, 24);
  EXPECT_EQ(z.back().cx, 80);
  EXPECT_FLOAT_EQ(z.back().w, 80 / std::sqrt(2.0f));
  EXPECT_FLOAT_EQ(z.back().h, 80 * std::sqrt(2.0f));
}

TEST(Detection, DecodeAnchorBox) {
  // Anchor (10, 10) 20x20; t = (1, -1, 0, ln 2 / 0.2): center moves by
  // 0.1 * 20 = 2 right and up, width stays, height doubles: (12, 8) 20x40.
  float t[4] = {1, -1, 0, std::log(2.0f) / 0.2f};
  Box b = decodeAnchorBox({10, 10, 20, 20}, t);
  EXPECT_FLOAT_EQ(b.x0, 2);
  EXPECT_FLOAT_EQ(b.y0, -12);
  EXPECT_FLOAT_EQ(b.x1, 22);
  EXPECT_FLOAT_EQ(b.y1, 28);
}

TEST(Detection, DecodeAnchorHead) {
  std::vector<Anchor> anchor = {{10, 10, 20, 20}};
  float boxes[4] = {0, 0, 0, 0};
  // Softmax with background over (0, ln 3, 0): (0.2, 0.6, 0.2). Class 1 is
  // label 0 at 0.6; label 1 at 0.2 passes only a lower threshold.
  float logits[3] = {0, std::log(3.0f), 0};
  auto d = decodeAnchorHead(boxes, logits, anchor, 2, true, 0.25f, 7);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].label, 0);
  EXPECT_FLOAT_EQ(d[0].score, 0.6f);
  EXPECT_EQ(d[0].image, 7);
  EXPECT_FLOAT_EQ(d[0].box.x0, 0);
  EXPECT_FLOAT_EQ(d[0].box.x1, 20);
  EXPECT_EQ(decodeAnchorHead(boxes, logits, anchor, 2, true, 0.1f, 0).size(),
            2u);
  // Sigmoid per class: logit 0 is 0.5, logit -4 is 0.018.
  float sig[2] = {0, -4};
  auto s = decodeAnchorHead(boxes, sig, anchor, 2, false, 0.1f, 0);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].label, 0);
  EXPECT_FLOAT_EQ(s[0].score, 0.5f);
}

TEST(Detection, DecodeCenterNet) {
  // Two classes on a 3x3 map at stride 4. Class 0 peaks at (1, 1) with
  // logit 2 (sigmoid 0.881); (0, 0) has logit 1 but a higher neighbour, so
  // it is no peak. Class 1 peaks at (2, 2) with logit 0 (0.5). The peak's
  // offset (0.5, 0.25) puts the center at (1.5 * 4, 1.25 * 4) = (6, 5);
  // size 4 x 2 gives the box (4, 4) - (8, 6).
  std::vector<float> heat(2 * 9, -10.0f), size(2 * 9, 0), offset(2 * 9, 0);
  heat[4] = 2;
  heat[0] = 1;
  heat[9 + 8] = 0;
  size[4] = 4;
  size[9 + 4] = 2;
  offset[4] = 0.5f;
  offset[9 + 4] = 0.25f;
  auto d = decodeCenterNet(heat.data(), size.data(), offset.data(), 2, 3, 3, 4,
                           0.1f, 0, 3);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].label, 0);
  EXPECT_FLOAT_EQ(d[0].score, 1 / (1 + std::exp(-2.0f)));
  EXPECT_FLOAT_EQ(d[0].box.x0, 4);
  EXPECT_FLOAT_EQ(d[0].box.y0, 4);
  EXPECT_FLOAT_EQ(d[0].box.x1, 8);
  EXPECT_FLOAT_EQ(d[0].box.y1, 6);
  EXPECT_EQ(d[0].image, 3);
  EXPECT_EQ(d[1].label, 1);
  // The highest only, and nothing above a 0.9 threshold.
  auto top = decodeCenterNet(heat.data(), size.data(), offset.data(), 2, 3, 3,
                             4, 0.1f, 1, 0);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].label, 0);
  EXPECT_TRUE(decodeCenterNet(heat.data(), size.data(), offset.data(), 2, 3, 3,
                              4, 0.9f, 0, 0)
                  .empty());
}

} // namespace
