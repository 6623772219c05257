"""Checks `quant-eval run` results against the zoo model's JSON record.

The record was measured by the training script in PyTorch: the float test
accuracy over all 10000 test images and the logits of the first test images.
--torch-logits adds PyTorch's logits for more images (written by
python/quant_eval/zoo/reference_logits.py).

Usage: check_run.py RESULT.json OUTPUTS.npy MODEL.json --logits-atol A
           [--torch-logits LOGITS.npy] [--full]
"""

import argparse
import json
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("result")
    ap.add_argument("outputs")
    ap.add_argument("record")
    ap.add_argument("--logits-atol", type=float, required=True)
    ap.add_argument("--torch-logits")
    ap.add_argument("--full", action="store_true",
                    help="the run covered the whole test split: compare top-1")
    args = ap.parse_args()
    result = json.load(open(args.result))
    record = json.load(open(args.record))
    outputs = np.load(args.outputs)
    ref = record["reference"]
    logits = np.array(ref["logits"], dtype=np.float32)
    got = outputs[ref["test_indices"]]
    err = float(np.abs(got - logits).max())
    print("max |logits - torch| = %.3g over test images %s" % (err, ref["test_indices"]))
    ok = err <= args.logits_atol
    if args.torch_logits:
        torch_logits = np.load(args.torch_logits)
        n = len(torch_logits)
        err_n = float(np.abs(outputs[:n] - torch_logits).max())
        same = int((outputs[:n].argmax(1) == torch_logits.argmax(1)).sum())
        print("max |logits - torch| = %.3g over the first %d test images; "
              "same prediction on %d" % (err_n, n, same))
        ok &= err_n <= args.logits_atol and same == n
    if args.full:
        want = round(record["float_test_top1"] * record["test_samples"])
        print("top-1 correct: %d, torch measured %d of %d"
              % (result["top1_correct"], want, record["test_samples"]))
        ok &= result["samples"] == record["test_samples"]
        ok &= result["top1_correct"] == want
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
