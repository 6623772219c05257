"""Compare the C++ runner with PyTorch on one preprocessed test canvas.

    /usr/bin/python3 python/quant_eval/detection/check_runner.py models/ssd_fmnist.onnx \
        [--work /tmp/d] [--index 0]

Imports the model with quant-translate --import-onnx, runs quant-eval infer on canvas
`index` of the seed-1 TEST canvases and compares with the PyTorch module (weights
loaded back from the ONNX file). `quant-eval infer` takes graphs with exactly one
result, so when the full multi-output graph is refused, each output is also checked
through a single-output copy of the graph (onnx.utils.Extractor) -- the same nodes
and weights, only the graph outputs differ. Prints the max abs diff per output.
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np
import torch

if __package__ in (None, ""):
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from quant_eval import fashion_mnist  # noqa: E402
from quant_eval.detection import canvas  # noqa: E402
from quant_eval.detection.models import ARCHS  # noqa: E402
from quant_eval.detection.train import normalize  # noqa: E402
from quant_eval.zoo.common import load_onnx_weights  # noqa: E402

BIN = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "build", "bin"))


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode, (r.stdout + r.stderr).strip()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("onnx")
    p.add_argument("--work", default="/tmp/d")
    p.add_argument("--index", type=int, default=0)
    a = p.parse_args(argv)
    import onnx
    import onnx.utils

    torch.set_num_threads(1)
    name = os.path.splitext(os.path.basename(a.onnx))[0]
    os.makedirs(a.work, exist_ok=True)
    items, labels = fashion_mnist.load("test")
    images, _ = canvas.make_canvases(items, labels, a.index + 1, 1)
    x = normalize(images[a.index:a.index + 1])
    xpath = os.path.join(a.work, f"{name}.x.npy")
    np.save(xpath, x)

    make, _, names = ARCHS[name]
    model = load_onnx_weights(make(), a.onnx)
    with torch.no_grad():
        ref = [t.numpy() for t in model(torch.from_numpy(x))]

    report = {"model": name, "canvas_index": a.index}
    mlir = os.path.join(a.work, f"{name}.mlir")
    rc, msg = run([os.path.join(BIN, "quant-translate"), "--import-onnx", a.onnx, "-o", mlir])
    report["import"] = "ok" if rc == 0 else msg
    full_out = os.path.join(a.work, f"{name}.y.npy")
    rc, msg = run([os.path.join(BIN, "quant-eval"), "infer", mlir, "--input", xpath,
                   "--output", full_out])
    report["infer_full_graph"] = "ok" if rc == 0 else msg
    if rc == 0:
        y = np.load(full_out)
        report["full_graph_output_shape"] = list(y.shape)
        report["full_graph_max_abs_diff_vs_first_output"] = float(
            np.abs(y.reshape(ref[0].shape) - ref[0]).max()) if y.size == ref[0].size else None

    graph = onnx.load(a.onnx)
    per_output = {}
    for out_name, r in zip(names, ref):
        sub = os.path.join(a.work, f"{name}.{out_name}.onnx")
        ex = onnx.utils.Extractor(graph).extract_model(["input"], [out_name])
        ex.metadata_props.extend(graph.metadata_props)
        onnx.save(ex, sub)
        sub_mlir = sub[:-5] + ".mlir"
        sub_y = sub[:-5] + ".y.npy"
        rc, msg = run([os.path.join(BIN, "quant-translate"), "--import-onnx", sub, "-o", sub_mlir])
        if rc:
            per_output[out_name] = {"import_error": msg}
            continue
        rc, msg = run([os.path.join(BIN, "quant-eval"), "infer", sub_mlir, "--input", xpath,
                       "--output", sub_y])
        if rc:
            per_output[out_name] = {"infer_error": msg}
            continue
        y = np.load(sub_y)
        entry = {"runner_shape": list(y.shape), "torch_shape": list(r.shape)}
        if y.size == r.size:
            d = np.abs(y.reshape(r.shape) - r)
            entry["max_abs_diff"] = float(d.max())
            entry["max_abs_ref"] = float(np.abs(r).max())
        per_output[out_name] = entry
    report["per_output_single_output_graphs"] = per_output
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
