//===- DetectionTest.cpp - Box overlap, NMS and VOC mAP -------------------===//
//
// Every expected number is worked out by hand in the comments.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Numerics/Detection.h"

#include <gtest/gtest.h>

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

} // namespace
