"""Export a small QAT-prepared CNN as an ONNX QuantizeLinear/DequantizeLinear graph.

This is the importer's test case for pre-quantized models: the scales and
zero points that quantization-aware training learned arrive as Q/DQ pairs
around float ops, the standard ONNX way to express fake quantization.

How it is made, and why each choice:
  * FX graph-mode QAT (prepare_qat_fx). FX fuses conv+bn(+relu) into the
    intrinsic QAT modules, which is what a real QAT flow produces.
  * Plain FakeQuantize modules with MovingAverage(PerChannel)MinMaxObserver
    instead of torch's default FusedMovingAvgObsFakeQuantize: the fused
    module's op has no ONNX symbolic in torch 1.13, the plain one exports to
    QuantizeLinear/DequantizeLinear.
  * Activations: quint8 per-tensor affine; weights: qint8 per-channel
    symmetric on the output-channel axis (ONNX opset 13 supports per-axis
    Q/DQ, which is why the export uses opset 13).
  * A few train-mode forward passes on seeded random data calibrate the
    observers; then observers are frozen and the model is exported in eval
    mode.
  * Unlike the float exports, this one keeps constant folding ON. Without it
    every zero point is an int32 initializer behind a Cast node and each
    conv+bn carries the weight-scaling arithmetic (Add/Sqrt/Div/Reshape/Mul)
    in the graph. Folding leaves the shape that QDQ producers usually emit:
    uint8/int8 zero-point initializers and QuantizeLinear/DequantizeLinear
    on a float weight initializer. It cannot touch the Q/DQ nodes themselves
    (torch's folder does not evaluate them), and BatchNormalization survives
    regardless because the conv weight is a DequantizeLinear output.

What the graph looks like (torch 1.13): per conv+bn+relu,
    DQ(Q(W * gamma/sqrt(var+eps))) -> Conv(bias 0) -> Div(gamma/sqrt(var+eps))
      -> BatchNormalization -> Relu -> Q/DQ
i.e. torch's QAT ConvBn2d eval-mode simulation of BN folding; the conv and
the Div/BN pair together equal a conv with BN folded into it. Per-tensor
scales and zero points are 1-element 1-D tensors (shape [1]), not scalars.

Usage:
    /usr/bin/python3 python/quant_eval/export_qat_qdq.py --out build/models/qat_cnn_qdq.onnx
"""

import argparse
import copy
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from torch.ao.quantization import (
    FakeQuantize,
    MovingAverageMinMaxObserver,
    MovingAveragePerChannelMinMaxObserver,
    QConfig,
    QConfigMapping,
    disable_observer,
)
from torch.ao.quantization.quantize_fx import prepare_qat_fx

if __package__ in (None, ""):
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

from quant_eval import onnx_numpy  # noqa: E402

OPSET = 13
INPUT_SHAPE = (1, 3, 32, 32)
CALIBRATION_STEPS = 8


class SmallCNN(nn.Module):
    """conv-bn-relu x2, a depthwise conv, global average pool, linear."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.relu2 = nn.ReLU()
        # Depthwise: per-channel weight quantization matters most here, since
        # each output channel has its own tiny 3x3 filter.
        self.dwconv = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.relu3 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        x = self.relu3(self.dwconv(x))
        x = torch.flatten(self.pool(x), 1)
        return self.fc(x)


def qat_qconfig():
    activation = FakeQuantize.with_args(
        observer=MovingAverageMinMaxObserver,
        quant_min=0, quant_max=255, dtype=torch.quint8,
        qscheme=torch.per_tensor_affine, reduce_range=False)
    weight = FakeQuantize.with_args(
        observer=MovingAveragePerChannelMinMaxObserver,
        quant_min=-128, quant_max=127, dtype=torch.qint8,
        qscheme=torch.per_channel_symmetric, ch_axis=0, reduce_range=False)
    return QConfig(activation=activation, weight=weight)


def build_prepared(seed=0):
    """Return (float model, calibrated QAT model in eval mode, example input)."""
    torch.manual_seed(seed)
    model = SmallCNN()
    example = torch.randn(*INPUT_SHAPE)
    prepared = prepare_qat_fx(copy.deepcopy(model).train(),
                              QConfigMapping().set_global(qat_qconfig()),
                              example_inputs=(example,))
    # Calibrate observers and BN statistics. No optimizer step: the point is
    # realistic qparams, not a trained model.
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _ in range(CALIBRATION_STEPS):
            prepared(torch.randn(8, *INPUT_SHAPE[1:], generator=gen))
    # Freeze the qparams: a live observer would be traced into the export.
    prepared.apply(disable_observer)
    prepared.eval()
    return model, prepared, example


def export(path, seed=0):
    import onnx

    _, prepared, example = build_prepared(seed)
    with torch.no_grad():
        torch.onnx.export(
            prepared, example, path,
            input_names=["input"], output_names=["logits"],
            opset_version=OPSET,
            training=torch.onnx.TrainingMode.EVAL,
            do_constant_folding=True)
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    op_types = sorted({node.op_type for node in proto.graph.node})
    for required in ("QuantizeLinear", "DequantizeLinear"):
        if required not in op_types:
            raise RuntimeError(f"{path}: no {required} in export; ops: {op_types}")

    # Execute the ONNX graph with the numpy reference and compare with torch's
    # fake-quantized eval output. Small differences can arise only where a
    # value lands within float rounding of a quantization boundary.
    x = torch.randn(*INPUT_SHAPE, generator=torch.Generator().manual_seed(seed + 1))
    with torch.no_grad():
        expected = prepared(x).numpy()
    got = onnx_numpy.run(proto, {"input": x.numpy()})["logits"]
    max_err = float(np.max(np.abs(got - expected)))
    return op_types, max_err, proto


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="output .onnx file")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    op_types, max_err, proto = export(args.out, args.seed)
    counts = {op: sum(n.op_type == op for n in proto.graph.node) for op in op_types}
    print(f"qat_qdq: {args.out} ({os.path.getsize(args.out)} bytes)")
    print(f"  ops: {' '.join(f'{op}x{counts[op]}' for op in op_types)}")
    print(f"  numpy-vs-torch max |diff|: {max_err:.2e}")


if __name__ == "__main__":
    main()
