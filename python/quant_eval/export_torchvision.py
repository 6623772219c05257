"""Export torchvision reference architectures to ONNX with random weights.

These exercise the ONNX importer on real-world graph shapes (residuals,
concats, squeeze-excite, hard-swish, ...). Weights are random because nothing
may be downloaded here; the graphs and tensor shapes are what matter, and the
seed makes every file reproducible.

Each model is exported at batch 1, opset 13, in eval mode with
TrainingMode.PRESERVE and no constant folding, so BatchNormalization nodes
(and their running statistics) stay in the graph instead of being folded
into the convolutions -- data-free quantization methods need them.

Expect many Identity nodes: torch's exporter deduplicates initializers with
equal contents (freshly initialized BN has gamma=1, beta=0, mean=0, var=1 in
every layer; SqueezeNet's conv biases start at 0) and re-creates each
duplicate as an Identity of the one kept.

Usage:
    /usr/bin/python3 python/quant_eval/export_torchvision.py --out build/models
"""

import argparse
import os
import sys

import torch
import torchvision

OPSET = 13

# name -> (constructor, input resolution). Inception v3 is built for 299x299;
# transform_input=False keeps torchvision's ImageNet re-normalization out of
# the graph, and aux_logits=False drops the training-only auxiliary head.
MODELS = {
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(weights=None), 224),
    "resnet50": (lambda: torchvision.models.resnet50(weights=None), 224),
    "inception_v3": (lambda: torchvision.models.inception_v3(
        weights=None, aux_logits=False, init_weights=True, transform_input=False), 299),
    "squeezenet1_1": (lambda: torchvision.models.squeezenet1_1(weights=None), 224),
    "mobilenet_v3_small": (lambda: torchvision.models.mobilenet_v3_small(weights=None), 224),
}


def export(name, out_dir, seed=0):
    """Build `name` with seeded random weights, export it, return (path, op types)."""
    import onnx

    build, size = MODELS[name]
    # Reseed per model so each file does not depend on which others were built.
    torch.manual_seed(seed)
    model = build().eval()
    dummy = torch.zeros(1, 3, size, size)
    path = os.path.join(out_dir, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(
            model, dummy, path,
            input_names=["input"], output_names=["logits"],
            opset_version=OPSET,
            training=torch.onnx.TrainingMode.PRESERVE,
            do_constant_folding=False)
    proto = onnx.load(path)
    # The path form of the checker handles files over the 2 GB proto limit
    # too; none of these are that big, but it costs nothing.
    onnx.checker.check_model(path)
    op_types = sorted({node.op_type for node in proto.graph.node})
    if "BatchNormalization" not in op_types and name != "squeezenet1_1":
        raise RuntimeError(f"{name}: BatchNormalization was folded away: {op_types}")
    return path, op_types


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=list(MODELS),
                        help="subset to export (default: all)")
    args = parser.parse_args(argv)

    torch.set_num_threads(os.cpu_count())
    os.makedirs(args.out, exist_ok=True)
    for name in args.models:
        path, op_types = export(name, args.out, args.seed)
        print(f"{name}: {path} ({os.path.getsize(path)} bytes)")
        print(f"  ops: {' '.join(op_types)}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
