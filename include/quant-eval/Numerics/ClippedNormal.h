//===- ClippedNormal.h - Expectations for bias correction -------*- C++ -*-===//
//
// Analytical bias correction (quantization-algorithms.md §4.5) needs E[x]
// of a layer's input, modelled as N(beta, gamma^2) passed through the
// activation in between.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_NUMERICS_CLIPPEDNORMAL_H
#define QUANT_EVAL_NUMERICS_CLIPPEDNORMAL_H

#include <limits>

namespace quant_eval::numerics {

/// E[clamp(x, lo, hi)] for x ~ N(mean, sigma^2); lo = -inf, hi = +inf give
/// the identity, lo = 0 a ReLU, [0, 6] a ReLU6. |sigma| is used (a negative
/// BN gamma is a reflection, not a negative spread); sigma == 0 gives
/// clamp(mean, lo, hi).
double clippedNormalMean(double mean, double sigma,
                         double lo = -std::numeric_limits<double>::infinity(),
                         double hi = std::numeric_limits<double>::infinity());

} // namespace quant_eval::numerics

#endif // QUANT_EVAL_NUMERICS_CLIPPEDNORMAL_H
