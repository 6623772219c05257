//===- Calibration.cpp - Activation range calibration ---------------------===//

#include "quant-eval/Numerics/Calibration.h"

#include "quant-eval/Numerics/UniformQuant.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace quant_eval::numerics {

bool TensorStatistics::addExtremes(const float *values, int64_t n) {
  // Scan into locals first: a rejected batch must leave no trace.
  double lo = min, hi = max;
  for (int64_t i = 0; i < n; ++i) {
    double v = values[i];
    if (!std::isfinite(v))
      return false;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  min = lo;
  max = hi;
  return true;
}

namespace {
// [min(min, 0), max(max, 0)]. Written as comparisons so that the initial
// infinities (nothing seen) and a NaN read from a file give 0, not a
// non-finite bound.
double lowerBound(const TensorStatistics &s) {
  return std::isfinite(s.min) && s.min < 0 ? s.min : 0.0;
}
double upperBound(const TensorStatistics &s) {
  return std::isfinite(s.max) && s.max > 0 ? s.max : 0.0;
}
} // namespace

void TensorStatistics::startHistogram(int64_t bins) {
  lo = lowerBound(*this);
  hi = upperBound(*this);
  count = 0;
  zeros = 0;
  counts.assign(static_cast<size_t>(std::max<int64_t>(bins, 1)), 0.0);
}

void TensorStatistics::addToHistogram(const float *values, int64_t n) {
  int64_t nbins = static_cast<int64_t>(counts.size());
  if (nbins == 0)
    return;
  double width = hi - lo;
  double binsPerUnit = width > 0 ? static_cast<double>(nbins) / width : 0.0;
  for (int64_t i = 0; i < n; ++i) {
    double v = values[i];
    if (std::isnan(v))
      continue;
    // Compared in the floating-point domain so that far values and
    // infinities never reach the integer conversion.
    double pos = (v - lo) * binsPerUnit;
    int64_t b = 0;
    if (pos >= static_cast<double>(nbins))
      b = nbins - 1;
    else if (pos > 0)
      b = static_cast<int64_t>(pos);
    counts[b] += 1;
    ++count;
    zeros += v == 0;
  }
}

std::string_view calibrationMethodName(CalibrationMethod m) {
  switch (m) {
  case CalibrationMethod::MinMax:
    return "minmax";
  case CalibrationMethod::Percentile:
    return "percentile";
  case CalibrationMethod::MSE:
    return "mse";
  case CalibrationMethod::Entropy:
    return "entropy";
  }
  return "";
}

std::optional<CalibrationMethod> parseCalibrationMethod(std::string_view name) {
  for (CalibrationMethod m :
       {CalibrationMethod::MinMax, CalibrationMethod::Percentile,
        CalibrationMethod::MSE, CalibrationMethod::Entropy})
    if (calibrationMethodName(m) == name)
      return m;
  return std::nullopt;
}

namespace {
using Range = std::pair<double, double>;

/// The histogram's bin geometry, if it holds counts the methods can use.
struct Histogram {
  const std::vector<double> &counts;
  int64_t nbins;
  double lo, hi;
  double width;
  double total;

  double center(int64_t b) const {
    return lo + (static_cast<double>(b) + 0.5) * width;
  }
};

std::optional<Histogram> getHistogram(const TensorStatistics &s) {
  if (s.counts.empty() || !std::isfinite(s.lo) || !std::isfinite(s.hi) ||
      s.lo > s.hi)
    return std::nullopt;
  double total = 0;
  for (double c : s.counts)
    if (c > 0)
      total += c;
  if (!(total > 0) || !std::isfinite(total))
    return std::nullopt;
  int64_t nbins = static_cast<int64_t>(s.counts.size());
  return Histogram{
      s.counts, nbins, s.lo, s.hi, (s.hi - s.lo) / static_cast<double>(nbins),
      total};
}

/// The value below which `target` of the histogram's counts lie: found in the
/// first non-empty bin where the cumulative count reaches `target`, as if the
/// bin's values were spread evenly over it.
double valueBelow(const Histogram &h, double target) {
  double cumulative = 0;
  int64_t lastNonEmpty = 0;
  for (int64_t b = 0; b < h.nbins; ++b) {
    double c = h.counts[b];
    if (!(c > 0))
      continue;
    if (cumulative + c >= target) {
      double fraction = std::clamp((target - cumulative) / c, 0.0, 1.0);
      return h.lo + (static_cast<double>(b) + fraction) * h.width;
    }
    cumulative += c;
    lastNonEmpty = b;
  }
  // Rounding put the target above the total: the upper edge of the data.
  return h.lo + static_cast<double>(lastNonEmpty + 1) * h.width;
}

Range percentileRange(const Histogram &h, double p) {
  double lo = valueBelow(h, h.total * ((100 - p) / 100));
  double hi = valueBelow(h, h.total * (p / 100));
  return {std::min(lo, 0.0), std::max(hi, 0.0)};
}

Range mseRange(const Histogram &h, double lowerLimit, double upperLimit,
               QuantRange range) {
  // Only the non-empty bins contribute; most of a long-tailed histogram is
  // empty.
  std::vector<std::pair<double, double>> bins; // (center, count)
  for (int64_t b = 0; b < h.nbins; ++b)
    if (h.counts[b] > 0)
      bins.emplace_back(h.center(b), h.counts[b]);

  double bestError = std::numeric_limits<double>::infinity();
  double bestT = 1.0;
  // From the widest range down, replacing only on a strictly smaller error:
  // ties keep the wider range, which clips less.
  for (int k = 100; k >= 1; --k) {
    double t = k / 100.0;
    std::optional<AffineParams> p =
        computeAsymmetricParams(lowerLimit * t, upperLimit * t, range);
    if (!p)
      continue;
    double error = 0;
    for (auto [c, n] : bins) {
      double d = c - fakeQuantize(c, p->scale, p->zeroPoint, range,
                                  Rounding::HalfToEven);
      error += n * d * d;
    }
    if (error < bestError) {
      bestError = error;
      bestT = t;
    }
  }
  return {lowerLimit * bestT, upperLimit * bestT};
}

/// KL(P || Q) of threshold bin `i` over the |x| histogram `absCounts`, whose
/// prefix sums are `prefix` and whose per-bin c * log(c) are `cLogC`; see
/// calibrationRange in the header. Computed per group as
/// (1/S) sum_j P_j log P_j - (1/S) sum_j P_j log Q_j + log(S_Q / S), with S
/// and S_Q the unnormalized totals of P and Q, because every bin of a group
/// shares its Q and so needs one logarithm per group, not one per bin.
double klDivergence(const std::vector<double> &absCounts,
                    const std::vector<double> &prefix,
                    const std::vector<double> &cLogC, int64_t i,
                    int64_t target) {
  int64_t nbins = static_cast<int64_t>(absCounts.size());
  double total = prefix[nbins];
  double clipped = total - prefix[i];
  double qTotal = prefix[i];
  if (!(qTotal > 0))
    return std::numeric_limits<double>::infinity();
  double sum = 0;
  for (int64_t g = 0; g < target; ++g) {
    int64_t begin = g * i / target, end = (g + 1) * i / target;
    double groupTotal = 0, pSum = 0, pLogP = 0;
    int64_t nonZero = 0;
    for (int64_t j = begin; j < end; ++j) {
      double c = absCounts[j];
      groupTotal += c;
      double p = c;
      double pLog = cLogC[j];
      if (j == i - 1 && clipped > 0) {
        p = c + clipped;
        pLog = p * std::log(p);
      }
      if (p > 0) {
        ++nonZero;
        pSum += p;
        pLogP += pLog;
      }
    }
    if (nonZero == 0)
      continue;
    if (!(groupTotal > 0))
      return std::numeric_limits<double>::infinity();
    double q = groupTotal / static_cast<double>(nonZero);
    sum += pLogP - pSum * std::log(q);
  }
  return sum / total + std::log(qTotal / total);
}

/// The KL-optimal threshold index over a one-sided |x| histogram with
/// `target` levels: the smallest KL wins, ties the smaller index; with
/// fewer bins than levels, nothing is clipped.
int64_t entropyThreshold(const std::vector<double> &absCounts, int64_t target) {
  auto nbins = static_cast<int64_t>(absCounts.size());
  if (nbins < target)
    return nbins;
  std::vector<double> prefix(nbins + 1, 0.0), cLogC(nbins, 0.0);
  for (int64_t j = 0; j < nbins; ++j) {
    prefix[j + 1] = prefix[j] + absCounts[j];
    if (absCounts[j] > 0)
      cLogC[j] = absCounts[j] * std::log(absCounts[j]);
  }
  if (!(prefix[nbins] > 0))
    return nbins;
  double bestKL = std::numeric_limits<double>::infinity();
  int64_t bestI = nbins;
  // Ascending, replacing only on a strictly smaller KL: ties keep the
  // smaller threshold.
  for (int64_t i = target; i <= nbins; ++i) {
    double kl = klDivergence(absCounts, prefix, cLogC, i, target);
    if (kl < bestKL) {
      bestKL = kl;
      bestI = i;
    }
  }
  return bestI;
}

Range entropyRange(const Histogram &h, double zeros, double lowerLimit,
                   double upperLimit, unsigned bits) {
  if (!(h.width > 0))
    return {lowerLimit, upperLimit};
  // Each side of zero gets its own threshold, with half the levels when
  // both sides hold values: the grid is asymmetric, and folding a tensor
  // like a normalized image (a spike of background at its negative end)
  // onto |x| would clip the other side at the spike.
  bool twoSided = lowerLimit < 0 && upperLimit > 0;
  int64_t target = int64_t(1) << (twoSided ? bits - 1 : bits);
  // The bin addToHistogram put the exact zeros in.
  double zeroPos =
      (0.0 - h.lo) * (static_cast<double>(h.nbins) / (h.hi - h.lo));
  int64_t zeroBin = zeroPos >= static_cast<double>(h.nbins) ? h.nbins - 1
                    : zeroPos > 0 ? static_cast<int64_t>(zeroPos)
                                  : 0;
  auto sideThreshold = [&](bool positive) {
    double extent = positive ? upperLimit : -lowerLimit;
    if (!(extent > 0))
      return 0.0;
    // Bins of the source width over [0, extent], by |bin center|.
    auto nside = std::max<int64_t>(
        1, static_cast<int64_t>(std::ceil(extent / h.width - 1e-9)));
    double width = extent / static_cast<double>(nside);
    std::vector<double> absCounts(nside, 0.0);
    for (int64_t b = 0; b < h.nbins; ++b) {
      double c = h.center(b);
      if (!(h.counts[b] > 0) || (c >= 0) != positive)
        continue;
      double count = h.counts[b];
      if (b == zeroBin)
        count = std::max(0.0, count - zeros);
      double pos = std::fabs(c) / width;
      int64_t j = pos >= static_cast<double>(nside - 1)
                      ? nside - 1
                      : static_cast<int64_t>(pos);
      absCounts[j] += count;
    }
    return static_cast<double>(entropyThreshold(absCounts, target)) * width;
  };
  return {-sideThreshold(false), sideThreshold(true)};
}
} // namespace

std::pair<double, double> calibrationRange(const TensorStatistics &s,
                                           const CalibrationOptions &options) {
  double lowerLimit = lowerBound(s), upperLimit = upperBound(s);
  Range minMax{lowerLimit, upperLimit};
  if (lowerLimit == 0 && upperLimit == 0)
    return minMax;

  Range r = minMax;
  std::optional<Histogram> h = getHistogram(s);
  bool bitsValid = options.bits >= static_cast<int>(kMinBits) &&
                   options.bits <= static_cast<int>(kMaxBits);
  switch (options.method) {
  case CalibrationMethod::MinMax:
    break;
  case CalibrationMethod::Percentile:
    if (h && options.percentile > 50 && options.percentile <= 100)
      r = percentileRange(*h, options.percentile);
    break;
  case CalibrationMethod::MSE:
    if (h && bitsValid)
      r = mseRange(*h, lowerLimit, upperLimit,
                   *getQuantRange(static_cast<unsigned>(options.bits),
                                  /*isSigned=*/true, /*narrowRange=*/false));
    break;
  case CalibrationMethod::Entropy:
    if (h && bitsValid)
      r = entropyRange(*h, double(s.zeros), lowerLimit, upperLimit,
                       static_cast<unsigned>(options.bits));
    break;
  }
  // The contract holds whatever the histogram says: a histogram over a range
  // other than [L, H] (statistics edited by hand, or binned before every
  // extreme was seen) must not widen the range or move 0 out of it.
  auto bound = [](double v, double lo, double hi, double fallback) {
    return std::isnan(v) ? fallback : std::clamp(v, lo, hi);
  };
  return {bound(r.first, lowerLimit, 0.0, lowerLimit),
          bound(r.second, 0.0, upperLimit, upperLimit)};
}

} // namespace quant_eval::numerics
