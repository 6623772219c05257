//===- QEOpsTest.cpp - qe ops and upstream quant types --------------------===//
//
// qe.fake_quant converts to and from the upstream `!quant.uniform` types, the
// lingua franca other MLIR compilers read. The expected parameters are the
// ones written in each type string.
//
//===----------------------------------------------------------------------===//

#include "quant-eval/Dialect/QE/IR/QEOps.h"
#include "quant-eval/Dialect/QE/IR/QEDialect.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {
class FakeQuantTypeTest : public ::testing::Test {
protected:
  FakeQuantTypeTest() {
    DialectRegistry registry;
    qe::registerQEDialect(registry);
    registry.insert<func::FuncDialect>();
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    module = ModuleOp::create(UnknownLoc::get(&context));
    builder.setInsertionPointToEnd(module.getBody());
    auto type = RankedTensorType::get({2, 3}, builder.getF32Type());
    auto func = func::FuncOp::create(builder, builder.getUnknownLoc(), "f",
                                     builder.getFunctionType({type}, {}));
    Block *entry = func.addEntryBlock();
    input = entry->getArgument(0);
    builder.setInsertionPointToEnd(entry);
  }
  ~FakeQuantTypeTest() override { module->erase(); }

  quant::QuantizedType parse(StringRef text) {
    return cast<quant::QuantizedType>(parseType(text, &context));
  }

  /// createFromType, capturing the diagnostic it emits on failure.
  FailureOr<qe::FakeQuantOp> create(quant::QuantizedType type,
                                    std::string *diagnostic = nullptr) {
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
      if (diagnostic)
        *diagnostic = d.str();
      return success();
    });
    return qe::FakeQuantOp::createFromType(builder, builder.getUnknownLoc(),
                                           input, type, qe::RoundingMode::RNE);
  }

  MLIRContext context;
  OpBuilder builder{&context};
  ModuleOp module;
  Value input;
};

TEST_F(FakeQuantTypeTest, PerTensorSigned) {
  auto type = parse("!quant.uniform<i8:f32, 0.5:-3>");
  FailureOr<qe::FakeQuantOp> op = create(type);
  ASSERT_TRUE(succeeded(op));
  EXPECT_EQ(op->getBits(), 8u);
  EXPECT_FALSE(op->getIsUnsigned());
  EXPECT_FALSE(op->getNarrowRange());
  EXPECT_FALSE(op->isPerAxis());
  EXPECT_EQ(op->getScales(), ArrayRef<double>({0.5}));
  EXPECT_EQ(op->getZeroPoints(), ArrayRef<int64_t>({-3}));
  EXPECT_TRUE(succeeded(op->verify()));
  EXPECT_EQ(op->getQuantizedType(), type);
}

TEST_F(FakeQuantTypeTest, PerAxisNarrow) {
  auto type = parse("!quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2}>");
  FailureOr<qe::FakeQuantOp> op = create(type);
  ASSERT_TRUE(succeeded(op));
  EXPECT_TRUE(op->getNarrowRange());
  EXPECT_EQ(op->getAxis(), std::optional<uint64_t>(0));
  EXPECT_EQ(op->getScales(), ArrayRef<double>({0.1, 0.2}));
  EXPECT_EQ(op->getRange(), (quant_eval::numerics::QuantRange{-127, 127}));
  EXPECT_TRUE(succeeded(op->verify()));
  EXPECT_EQ(op->getQuantizedType(), type);
}

TEST_F(FakeQuantTypeTest, UnsignedFourBit) {
  auto type = parse("!quant.uniform<u4:f32, 0.25:3>");
  FailureOr<qe::FakeQuantOp> op = create(type);
  ASSERT_TRUE(succeeded(op));
  EXPECT_EQ(op->getBits(), 4u);
  EXPECT_TRUE(op->getIsUnsigned());
  EXPECT_EQ(op->getRange(), (quant_eval::numerics::QuantRange{0, 15}));
  EXPECT_EQ(op->getQuantizedType(), type);
}

TEST_F(FakeQuantTypeTest, RejectsCustomStorageRange) {
  std::string message;
  auto type = parse("!quant.uniform<i8<-100:100>:f32, 0.5>");
  EXPECT_TRUE(failed(create(type, &message)));
  EXPECT_NE(message.find("storage range [-100, 100] is neither the full nor "
                         "the narrow range"),
            std::string::npos)
      << message;
}

TEST_F(FakeQuantTypeTest, RejectsWideStorage) {
  std::string message;
  auto type = parse("!quant.uniform<i32:f32, 0.5>");
  EXPECT_TRUE(failed(create(type, &message)));
  EXPECT_NE(message.find("storage width 32 is outside [2, 16]"),
            std::string::npos)
      << message;
}

TEST_F(FakeQuantTypeTest, PerAxisCountIsVerified) {
  // Axis 1 has three entries, the type has two scales: the op is built but
  // its verifier names the mismatch.
  auto type = parse("!quant.uniform<i8:f32:1, {0.1, 0.2}>");
  FailureOr<qe::FakeQuantOp> op = create(type);
  ASSERT_TRUE(succeeded(op));
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    message = d.str();
    return success();
  });
  EXPECT_TRUE(failed(verify(*op)));
  EXPECT_NE(message.find("axis 1 has size 3 but 2 scales were given"),
            std::string::npos)
      << message;
}
} // namespace
