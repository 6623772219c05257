//===- DotPackingTest.cpp - Weight layouts for byte dot products ----------===//
//
// The packed layout is checked by emulating the instruction it feeds: a
// 4-way byte dot product over the packed bytes must give the plain
// convolution sum, for signed activations (sdot) and for activations offset
// to unsigned with the correction subtracted (vpdpbusd). Small cases are
// worked by hand.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Numerics/DotPacking.h"

#include <gtest/gtest.h>

#include <random>

using namespace quant_eval::numerics;

namespace {
TEST(DotPacking, HandWorked) {
  // [1, 4, 2]: w[c][f] = 10 * c + f.
  std::vector<int8_t> w = {0, 1, 10, 11, 20, 21, 30, 31};
  std::vector<int8_t> packed = packForDotProducts(w, 1, 4, 2);
  // Output 0's four channels, then output 1's.
  std::vector<int8_t> expected = {0, 10, 20, 30, 1, 11, 21, 31};
  EXPECT_EQ(packed, expected);
}

TEST(DotPacking, HandWorkedCorrections) {
  std::vector<int8_t> w = {0, 1, 10, 11, 20, 21, 30, -31};
  // Blocks of 2 channels: (0 + 10, 1 + 11), (20 + 30, 21 - 31), times 128.
  std::vector<int32_t> expected = {1280, 1536, 6400, -1280};
  EXPECT_EQ(unsignedOffsetCorrections(w, 1, 4, 2, 2), expected);
}

TEST(DotPacking, PadsTheLastGroupWithZeros) {
  // [1, 3, 2], an RGB stem: w[c][f] = 10 * c + f + 1.
  std::vector<int8_t> w = {1, 2, 11, 12, 21, 22};
  std::vector<int8_t> expected = {1, 11, 21, 0, 2, 12, 22, 0};
  EXPECT_EQ(packForDotProducts(w, 1, 3, 2), expected);
  // Two [6, 1] rows: groups of 4 and of 2 (+2 zeros) each.
  std::vector<int8_t> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  std::vector<int8_t> expected2 = {1, 2, 3, 4,  5,  6,  0, 0,
                                   7, 8, 9, 10, 11, 12, 0, 0};
  EXPECT_EQ(packForDotProducts(v, 2, 6, 1), expected2);
}

TEST(DotPacking, HandWorkedPairs) {
  // [1, 3, 2] in pairs for pmaddwd: w[c][f] = 10 * c + f + 1; the second
  // pair is channel 2 and a zero.
  std::vector<int8_t> w = {1, 2, 11, 12, 21, 22};
  std::vector<int8_t> expected = {1, 11, 2, 12, 21, 0, 22, 0};
  EXPECT_EQ(packForDotProducts(w, 1, 3, 2, /*group=*/2), expected);
  EXPECT_TRUE(packForDotProducts(w, 1, 3, 2, /*group=*/0).empty());
}

TEST(DotPacking, RejectsShapesThatDoNotSplit) {
  std::vector<int8_t> w(6 * 2, 1);
  EXPECT_TRUE(unsignedOffsetCorrections(w, 1, 6, 2, 4).empty());
  EXPECT_TRUE(packForDotProducts(w, 2, 4, 2).empty()); // wrong size
  EXPECT_FALSE(unsignedOffsetCorrections(w, 1, 6, 2, 3).empty());
}

// Emulates the kernel: for each output lane f, 4-byte dot products of the
// activations' channel group with the packed word of (group, f).
void checkDotProducts(std::mt19937 &rng, int64_t outer, int64_t channels,
                      int64_t outputs, int64_t block);

TEST(DotPacking, DotProductsOverPackedWeightsGiveTheConvolution) {
  std::mt19937 rng(7);
  for (auto [channels, block] : {std::pair<int64_t, int64_t>{16, 8}, {7, 7}})
    checkDotProducts(rng, /*outer=*/3, channels, /*outputs=*/24, block);
}

// pmaddwd over i16 pairs: each lane adds x[2g] * w[2g] + x[2g+1] * w[2g+1]
// of the sign-extended bytes, signed by signed and exact for bytes.
TEST(DotPacking, PairDotProductsOverPackedWeightsGiveTheConvolution) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> byte(-128, 127);
  for (int64_t channels : {8, 5}) {
    int64_t outer = 2, outputs = 12, groups = (channels + 1) / 2;
    std::vector<int8_t> w(outer * channels * outputs), x(outer * channels);
    for (int8_t &v : w)
      v = int8_t(byte(rng));
    for (int8_t &v : x)
      v = int8_t(byte(rng));
    // The extremes, where a 16-bit pair sum would overflow: 2 * 128 * 128.
    w[0] = w[outputs] = x[0] = x[1] = -128;
    std::vector<int8_t> packed =
        packForDotProducts(w, outer, channels, outputs, /*group=*/2);
    ASSERT_EQ(int64_t(packed.size()), outer * groups * outputs * 2);
    for (int64_t f = 0; f < outputs; ++f) {
      int64_t reference = 0, dots = 0;
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t c = 0; c < channels; ++c)
          reference += int64_t(x[o * channels + c]) *
                       w[(o * channels + c) * outputs + f];
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t g = 0; g < groups; ++g) {
          int32_t lane = 0; // pmaddwd's i32 lane
          for (int64_t k = 0; k < 2; ++k) {
            int16_t wk = packed[((o * groups + g) * outputs + f) * 2 + k];
            int16_t xk = 2 * g + k < channels ? x[o * channels + 2 * g + k] : 0;
            lane += int32_t(xk) * wk;
          }
          dots += lane;
        }
      EXPECT_EQ(dots, reference) << channels << " channels, output " << f;
    }
  }
}

void checkDotProducts(std::mt19937 &rng, int64_t outer, int64_t channels,
                      int64_t outputs, int64_t block) {
  std::uniform_int_distribution<int> byte(-128, 127);
  std::vector<int8_t> w(outer * channels * outputs), x(outer * channels);
  for (int8_t &v : w)
    v = int8_t(byte(rng));
  for (int8_t &v : x)
    v = int8_t(byte(rng));
  std::vector<int8_t> packed = packForDotProducts(w, outer, channels, outputs);
  std::vector<int32_t> corr =
      unsignedOffsetCorrections(w, outer, channels, outputs, block);
  int64_t groups = (channels + 3) / 4;
  ASSERT_EQ(int64_t(packed.size()), outer * groups * outputs * 4);
  for (int64_t f = 0; f < outputs; ++f) {
    int64_t reference = 0, signedDots = 0, unsignedDots = 0;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t c = 0; c < channels; ++c)
        reference +=
            int64_t(x[o * channels + c]) * w[(o * channels + c) * outputs + f];
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t g = 0; g < groups; ++g)
        for (int64_t k = 0; k < 4; ++k) {
          int8_t wk = packed[((o * groups + g) * outputs + f) * 4 + k];
          // Past the last channel the kernel reads zero activations (or,
          // offset, 128s): the zero weights must cancel them.
          int8_t xk = 4 * g + k < channels ? x[o * channels + 4 * g + k] : 0;
          signedDots += int64_t(xk) * wk;
          unsignedDots += int64_t(uint8_t(xk ^ 0x80)) * wk;
        }
      for (int64_t b = 0; b < channels / block; ++b)
        unsignedDots -= corr[(o * (channels / block) + b) * outputs + f];
    }
    EXPECT_EQ(signedDots, reference) << "output " << f;
    EXPECT_EQ(unsignedDots, reference) << "output " << f;
  }
}

// Two rows of four outputs, 0..7 row-major, by blocks of two outputs:
// block 0 holds outputs 0-1 of both rows, then block 1 outputs 2-3.
TEST(PackOutputBlocks, BlocksOfOutputsBecomeContiguous) {
  std::vector<float> w = {0, 1, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(packOutputBlocks(w, 2, 4, 2),
            (std::vector<float>{0, 1, 4, 5, 2, 3, 6, 7}));
  EXPECT_EQ(packOutputBlocks(w, 2, 4, 1),
            (std::vector<float>{0, 4, 1, 5, 2, 6, 3, 7}));
  EXPECT_EQ(packOutputBlocks(w, 2, 4, 4), w);
}

TEST(PackOutputBlocks, RejectsBlocksThatDoNotDivideAndWrongSizes) {
  std::vector<float> w = {0, 1, 2, 3, 4, 5, 6, 7};
  EXPECT_TRUE(packOutputBlocks(w, 2, 4, 3).empty());
  EXPECT_TRUE(packOutputBlocks(w, 2, 4, 0).empty());
  EXPECT_TRUE(packOutputBlocks(w, 3, 4, 2).empty());
}

// A tile that reads block b of rows [r, r + n) from the packed copy sees
// the same values as from the original filter, for every block and row.
TEST(PackOutputBlocks, TileReadsMatchTheOriginal) {
  const int64_t outer = 3 * 3 * 5, outputs = 96, block = 32;
  std::vector<float> w(outer * outputs);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = float(i) * 0.5f - 7.0f;
  std::vector<float> packed = packOutputBlocks(w, outer, outputs, block);
  ASSERT_EQ(packed.size(), w.size());
  for (int64_t b = 0; b < outputs / block; ++b)
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < block; ++k)
        ASSERT_EQ(packed[(b * outer + o) * block + k],
                  w[o * outputs + b * block + k])
            << "block " << b << " row " << o << " lane " << k;
}
} // namespace
