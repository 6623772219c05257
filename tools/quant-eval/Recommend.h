//===- Recommend.h - quant-eval recommend -----------------------*- C++ -*-===//
//
// A recommended quantization pipeline for a model, from measured matrix
// cells, the data the user has, and the accuracy and size budgets.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_TOOLS_RECOMMEND_H
#define QUANT_EVAL_TOOLS_RECOMMEND_H

#include <cstdint>
#include <string>

namespace quant_eval {

struct RecommendOptions {
  std::string matrixFile;      // matrix.json from quant-eval matrix
  std::string model;           // the model's name in it (file stem)
  std::string data;            // none, unlabelled or labelled
  double accuracyBudget = 1.0; // top-1 points the user may lose
  int64_t sizeBudgetBytes = 0; // 0: use sizeBudgetRatio
  double sizeBudgetRatio = 0;  // of the float model's stored size; 0: none
  bool integer = false;        // judge the integer models (fully lowered)
};

/// Prints the recommendation and its evidence. Returns 0 with a
/// recommendation, 2 when nothing meets the budgets, 1 on bad input.
int recommend(const RecommendOptions &options);

} // namespace quant_eval

#endif // QUANT_EVAL_TOOLS_RECOMMEND_H
