//===- Calibration.h - Activation range calibration -------------*- C++ -*-===//
//
// Post-training quantization with data needs a clip range per activation
// tensor. The statistics are gathered once over the calibration set and every
// method (min/max, percentile, MSE, entropy) derives its range from them, so
// switching methods needs no second run of the model
// (quantization-algorithms.md section 6).
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_EVAL_NUMERICS_CALIBRATION_H
#define QUANT_EVAL_NUMERICS_CALIBRATION_H

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace quant_eval::numerics {

/// Activation statistics of one tensor over a calibration set: the exact
/// extremes and a histogram of `counts.size()` equal bins over [lo, hi].
/// Calibration runs twice over the samples: the first pass finds min/max
/// (addExtremes), the second bins (addToHistogram) over [lo, hi] set from
/// them by startHistogram. One histogram then serves every method.
struct TensorStatistics {
  /// Exact, over all values seen by addExtremes.
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  /// Values binned, and how many of them were exactly 0.
  int64_t count = 0;
  int64_t zeros = 0;
  /// Histogram range; bin b covers [lo + b * w, lo + (b + 1) * w) with
  /// w = (hi - lo) / counts.size().
  double lo = 0, hi = 0;
  /// Histogram bins. Doubles, so that statistics read back from a file
  /// need not be integral.
  std::vector<double> counts;

  /// First pass. Returns false (and records nothing) if `values` holds a
  /// NaN or an infinity: the range of such a tensor is undefined (TFLite
  /// treats it as an error too).
  bool addExtremes(const float *values, int64_t n);
  /// Sets [lo, hi] = [min(min, 0), max(max, 0)] (the quantization grid must
  /// hold 0, so the histogram must too), `bins` zero counts (at least one)
  /// and count = zeros = 0. With no values seen (or min == max == 0) the range
  /// is [0, 0] and everything falls in bin 0.
  void startHistogram(int64_t bins = 2048);
  /// Second pass: bins `values`. A value outside [lo, hi] goes to the
  /// nearest end bin, value == hi to the last bin; a NaN is skipped (the
  /// first pass has rejected the tensor already).
  void addToHistogram(const float *values, int64_t n);
};

enum class CalibrationMethod { MinMax, Percentile, MSE, Entropy };

/// "minmax", "percentile", "mse" or "entropy".
std::optional<CalibrationMethod> parseCalibrationMethod(std::string_view name);
std::string_view calibrationMethodName(CalibrationMethod m);

struct CalibrationOptions {
  CalibrationMethod method = CalibrationMethod::MinMax;
  /// Activation bits, for MSE and entropy.
  int bits = 8;
  /// For Percentile, in (50, 100].
  double percentile = 99.99;
};

/// The clip range [lo, hi], lo <= 0 <= hi, to quantize the tensor with
/// (asymmetric, per tensor; the caller turns it into scale and zero point
/// with computeAsymmetricParams). Never wider than
/// [L, H] = [min(min, 0), max(max, 0)], never NaN, and [0, 0] for a tensor
/// that is all zeros (or that nothing was recorded for). The histogram
/// methods return [L, H] when the histogram holds no counts, and so does
/// every method given options it cannot use (bits outside
/// [kMinBits, kMaxBits], a percentile outside (50, 100]).
///
/// - MinMax: [L, H] from the exact extremes (TFLite).
/// - Percentile p, two-sided: lo is the value below which (100 - p)% of the
///   binned values lie and hi the value below which p% lie. Each comes from
///   the cumulative counts: in the first non-empty bin where the cumulative
///   count reaches the target, interpolated linearly as if that bin's values
///   were spread evenly over it. Then lo = min(lo, 0), hi = max(hi, 0), so
///   all values >= 0 give lo = 0 and all values <= 0 give hi = 0.
/// - MSE: the candidates are [L * t, H * t] for t = k / 100, k = 1..100.
///   Each gets the asymmetric grid of `bits` bits (computeAsymmetricParams
///   over the signed, full range) and the error sum over bins of
///   counts[b] * (c_b - fakeQuantize(c_b))^2, c_b the bin center, rounding
///   half to even. The smallest error wins; ties go to the larger t (the
///   wider range).
/// - Entropy (KL divergence, TensorRT style), for each side of zero on its
///   own: the values on that side are binned by |x| into bins of the
///   histogram's width over [0, H] (or [0, -L]), each source bin's count
///   going to the bin that holds |its center| (centers >= 0 count as the
///   positive side), and the exact zeros are taken out (as NVIDIA's
///   pytorch-quantization does with skip_zeros): a ReLU's output is about
///   half zeros, and that one spike would dominate the divergence and pick
///   thresholds that clip most of the tensor. A side has target = 2^bits
///   levels, or 2^(bits-1) when the tensor has values on both sides; one
///   threshold folded over both sides would clip a normalized image's
///   bright side at the spike of its dark background (measured on the zoo
///   model: 44.5% top-1 with the plain fold, 82.1% without zeros, 90.8% per
///   side). For each threshold bin i from target to the side's bin count:
///   the reference P is the first i bins with the counts of all bins
///   >= i added into bin i - 1; the candidate Q splits the first i bins (as
///   they are, without those added counts) into `target` groups, group g
///   holding bins [floor(g * i / target), floor((g + 1) * i / target)), and
///   spreads each group's total evenly over its bins that are non-zero in P
///   (the others stay zero). With P and Q each normalized to sum 1,
///   KL = sum over P > 0 of P * log(P / Q), +infinity if Q is 0 anywhere P
///   is not. The smallest KL wins (ties: the smaller i) and sets the side's
///   threshold T = i * width; the range is [-T_negative, T_positive]. A
///   side with fewer bins than `target` is not clipped.
///   Because Q leaves out the clipped counts, a candidate whose last group
///   holds no values of its own but receives clipped ones is infinitely
///   bad: an outlier isolated by empty bins from the rest is never clipped.
std::pair<double, double> calibrationRange(const TensorStatistics &s,
                                           const CalibrationOptions &options);

} // namespace quant_eval::numerics

#endif // QUANT_EVAL_NUMERICS_CALIBRATION_H
