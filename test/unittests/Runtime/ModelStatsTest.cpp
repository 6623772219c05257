//===- ModelStatsTest.cpp - The memory estimate of an inference -----------===//
//
// estimateInferenceBytes on small bodies, added up by hand in each test:
// the input, every result and every constant, none freed early.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Runtime/ModelStats.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <limits>

using namespace mlir;

namespace {
class InferenceBytesTest : public ::testing::Test {
protected:
  InferenceBytesTest() {
    context.loadDialect<arith::ArithDialect, func::FuncDialect,
                        tosa::TosaDialect>();
  }
  int64_t estimate(StringRef body) {
    module = parseSourceString<ModuleOp>(body, &context);
    EXPECT_TRUE(module) << body.str();
    return module ? quant_eval::estimateInferenceBytes(*module) : -1;
  }
  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};
} // namespace

// A chain: x, a and b, 64 bytes each.
TEST_F(InferenceBytesTest, ChainCountsEveryTensor) {
  EXPECT_EQ(estimate(R"mlir(
    func.func @main(%x: tensor<1x16xf32>) -> tensor<1x16xf32> {
      %a = tosa.clamp %x {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x16xf32>) -> tensor<1x16xf32>
      %b = tosa.clamp %a {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x16xf32>) -> tensor<1x16xf32>
      return %b : tensor<1x16xf32>
    })mlir"),
            192);
}

// Element types count at their width: four f32 tensors of 64 bytes, and
// the i8 result of the cast, 16 bytes.
TEST_F(InferenceBytesTest, ElementTypesCountAtTheirWidth) {
  EXPECT_EQ(estimate(R"mlir(
    func.func @main(%x: tensor<1x16xf32>) -> tensor<1x16xi8> {
      %a = tosa.clamp %x {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x16xf32>) -> tensor<1x16xf32>
      %b = tosa.clamp %a {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x16xf32>) -> tensor<1x16xf32>
      %c = tosa.add %x, %b : (tensor<1x16xf32>, tensor<1x16xf32>) -> tensor<1x16xf32>
      %d = tosa.cast %c : (tensor<1x16xf32>) -> tensor<1x16xi8>
      return %d : tensor<1x16xi8>
    })mlir"),
            4 * 64 + 16);
}

// Constants (weights) count too: x and a (2 x 64), w (64) and s (10 x 4).
TEST_F(InferenceBytesTest, ConstantsStayInMemory) {
  EXPECT_EQ(estimate(R"mlir(
    func.func @main(%x: tensor<1x16xf32>) -> tensor<1x16xf32> {
      %w = "tosa.const"() {values = dense<1.0> : tensor<1x16xf32>} : () -> tensor<1x16xf32>
      %s = arith.constant dense<2> : tensor<10xi32>
      %a = tosa.add %x, %w : (tensor<1x16xf32>, tensor<1x16xf32>) -> tensor<1x16xf32>
      return %a : tensor<1x16xf32>
    })mlir"),
            128 + 64 + 40);
}

// A batch no machine holds saturates instead of wrapping around.
TEST_F(InferenceBytesTest, AbsurdShapesSaturate) {
  EXPECT_EQ(estimate(R"mlir(
    func.func @main(%x: tensor<4294967296x4294967296xf32>) -> tensor<4294967296x4294967296xf32> {
      %a = tosa.clamp %x {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<4294967296x4294967296xf32>) -> tensor<4294967296x4294967296xf32>
      return %a : tensor<4294967296x4294967296xf32>
    })mlir"),
            std::numeric_limits<int64_t>::max());
}

// No @main, nothing to estimate.
TEST_F(InferenceBytesTest, NoMainIsZero) {
  EXPECT_EQ(estimate("func.func @other() { return }"), 0);
}
