//===- ClippedNormal.cpp - Expectations for bias correction ---------------===//

#include "quant-eval/Numerics/ClippedNormal.h"

#include <algorithm>
#include <cmath>

namespace quant_eval::numerics {

namespace {
double pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI); }
double cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
} // namespace

double clippedNormalMean(double mean, double sigma, double lo, double hi) {
  sigma = std::fabs(sigma);
  if (sigma == 0)
    return std::clamp(mean, lo, hi);
  // E = sigma [pdf(a) - pdf(w)] + mean [cdf(w) - cdf(a)] + lo cdf(a)
  //     + hi (1 - cdf(w)), with a = (lo - mean)/sigma, w = (hi - mean)/sigma;
  // infinite bounds drop their terms (pdf and the product vanish there).
  double a = (lo - mean) / sigma, w = (hi - mean) / sigma;
  double pa = std::isinf(a) ? 0.0 : pdf(a), pw = std::isinf(w) ? 0.0 : pdf(w);
  double ca = cdf(a), cw = cdf(w);
  double e = sigma * (pa - pw) + mean * (cw - ca);
  if (!std::isinf(lo))
    e += lo * ca;
  if (!std::isinf(hi))
    e += hi * (1 - cw);
  return e;
}

} // namespace quant_eval::numerics
