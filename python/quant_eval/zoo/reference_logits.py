"""PyTorch logits of a zoo model on the first test images, as test data.

Loads the committed ONNX file's weights back into the PyTorch module that
was trained (the initializer names are the state_dict keys; the module is
chosen by the file name, e.g. resnet_fmnist.onnx -> resnet_fmnist.py, or
by --model), runs it in
eval mode on the first N Fashion-MNIST test images with the model's
preprocessing, and writes the logits as .npy. quant-eval's integration test
compares its compiled model against this file, so the reference is PyTorch
itself, not quant-eval.

Usage (from the repository root):
    /usr/bin/python3 python/quant_eval/zoo/reference_logits.py \\
        models/mobilenet_v2_fmnist.onnx models/mobilenet_v2_fmnist.logits100.npy --count 100
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

from quant_eval import fashion_mnist  # noqa: E402
from quant_eval.zoo import common  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("onnx_model")
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--model", help="zoo model name (default: the file's stem)")
    args = ap.parse_args()

    test_x, _ = fashion_mnist.load("test")
    try:
        model = common.model_for(args.model or common.model_name(args.onnx_model))
        logits = common.onnx_logits(model, args.onnx_model, test_x[:args.count])
    except ValueError as e:
        sys.exit(str(e))
    np.save(args.out, logits)
    print("wrote %s: %s" % (args.out, logits.shape))


if __name__ == "__main__":
    main()
