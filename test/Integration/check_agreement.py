"""Agreement of an integer model with its fake-quant simulation.

Both models' outputs (quant-eval run --dump-outputs) are mapped back onto
the output grid, q = round(y / scale) + zero_point, with the grid read from
the integer model's final qe.dequantize. Prints the fraction of output
elements that are identical and within one step, the largest difference,
and the fraction of samples with the same predicted class; exits 1 if any
is below its bound.

Usage: check_agreement.py INT.mlir INT.npy SIM.npy --exact F --within-one F
                          --same-class F
"""

import argparse
import re
import sys

import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("integer")
    p.add_argument("simulation")
    p.add_argument("--exact", type=float, required=True)
    p.add_argument("--within-one", type=float, required=True)
    p.add_argument("--same-class", type=float, required=True)
    a = p.parse_args()
    text = open(a.model).read()
    grids = re.findall(
        r"qe\.dequantize %\S+ scale\(([^)]*)\) zero_point\((-?\d+)\)", text)
    if not grids:
        sys.exit("no qe.dequantize in " + a.model)
    scale, zp = float(grids[-1][0]), int(grids[-1][1])
    y_int, y_sim = np.load(a.integer), np.load(a.simulation)
    if y_int.shape != y_sim.shape:
        sys.exit("shapes differ: %s vs %s" % (y_int.shape, y_sim.shape))
    q_int = np.round(y_int.astype(np.float64) / scale) + zp
    q_sim = np.round(y_sim.astype(np.float64) / scale) + zp
    d = np.abs(q_int - q_sim)
    exact, within_one = (d == 0).mean(), (d <= 1).mean()
    same = (y_int.argmax(-1) == y_sim.argmax(-1)).mean()
    print("samples %d, output elements %d: identical %.4f, within one step "
          "%.4f, max difference %d steps; same class %.4f"
          % (y_int.shape[0], d.size, exact, within_one, d.max(), same))
    ok = exact >= a.exact and within_one >= a.within_one and \
        same >= a.same_class
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
