"""PyTorch's own int8 post-training quantization of a zoo model, as a peer.

Loads the committed ONNX file's weights into the PyTorch module that was
trained, quantizes it with FX graph mode (prepare_fx / convert_fx, the
engine's default qconfig mapping) using the same calibration samples as
`quant-eval calibrate` (the first N training images, the model's
preprocessing), and measures top-1 accuracy on the Fashion-MNIST test split.
quant-eval's ptq-int8 is compared with this number.

Usage (from the repository root):
    /usr/bin/python3 python/quant_eval/ptq_pytorch.py models/mobilenet_v2_fmnist.onnx \\
        --samples 500 --engine onednn [--json out.json]
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from quant_eval import fashion_mnist  # noqa: E402
from quant_eval.zoo import mobilenet_v2_fmnist as zoo  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("onnx_model")
    ap.add_argument("--samples", type=int, default=500,
                    help="calibration images: the first N of the training split")
    ap.add_argument("--engine", default="onednn",
                    choices=[e for e in torch.backends.quantized.supported_engines
                             if e != "none"])
    ap.add_argument("--limit", type=int, default=0,
                    help="evaluate the first N test images only")
    ap.add_argument("--json", default="")
    args = ap.parse_args()

    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    torch.backends.quantized.engine = args.engine
    float_model = zoo.load_onnx_weights(zoo.MobileNetV2FMNIST(), args.onnx_model)
    train_x, _ = fashion_mnist.load("train")
    test_x, test_y = fashion_mnist.load("test")
    if args.limit > 0:
        test_x, test_y = test_x[:args.limit], test_y[:args.limit]
    calib = zoo.normalize(np.ascontiguousarray(train_x[:args.samples]))
    labels = torch.from_numpy(test_y.astype(np.int64))

    start = time.time()
    prepared = prepare_fx(float_model, get_default_qconfig_mapping(args.engine),
                          example_inputs=(calib[:1],))
    with torch.no_grad():
        for i in range(0, calib.shape[0], 50):
            prepared(calib[i:i + 50])
    quantized = convert_fx(prepared)
    seconds = time.time() - start

    with torch.no_grad():
        test = zoo.normalize(np.ascontiguousarray(test_x))
        fp32 = zoo.evaluate(float_model, test, labels)
        int8 = zoo.evaluate(quantized, test, labels)
    result = {"model": args.onnx_model, "engine": args.engine,
              "calibration_samples": int(calib.shape[0]),
              "test_samples": int(labels.shape[0]),
              "float_top1": fp32, "int8_top1": int8,
              "quantization_seconds": seconds, "torch": torch.__version__}
    print("PyTorch FX PTQ (%s), %d calibration images: float %.4f, int8 %.4f on %d "
          "test images" % (args.engine, calib.shape[0], fp32, int8, labels.shape[0]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
