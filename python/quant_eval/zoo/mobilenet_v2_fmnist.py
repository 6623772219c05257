"""A small MobileNetV2-style Fashion-MNIST classifier, trained reproducibly.

This is the in-tree "real" model for quantization experiments: it is small
enough to commit (a few hundred KB of ONNX), trains on 2 CPU cores in minutes,
and has the features quantization methods care about -- depthwise convs,
ReLU6, linear bottlenecks, residual adds and a BatchNorm after every conv
(data-free methods read the BN statistics, so the export keeps BN nodes).

Preprocessing (done OUTSIDE the network, so the ONNX graph takes normalized
float input):
    x = (uint8_pixels / 255 - 0.2860) / 0.3530
laid out NCHW as float32 of shape (N, 1, 28, 28). 0.2860 / 0.3530 are the
mean / std of the training images' pixel values on [0, 1].

Usage (from the repository root):
    /usr/bin/python3 python/quant_eval/zoo/mobilenet_v2_fmnist.py \
        --out models/ --epochs 6 --seed 0

Writes <out>/mobilenet_v2_fmnist.onnx and <out>/mobilenet_v2_fmnist.json.
"""

import argparse
import os
import sys

import torch.nn as nn
import torch.nn.functional as F

# Allow running as a plain script (python/quant_eval/zoo/x.py) as well as with -m.
if __package__ in (None, ""):
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

# The shared helpers, also used through this module by older callers
# (zoo.normalize, zoo.load_onnx_weights, zoo.evaluate, zoo.OPSET, ...).
from quant_eval.zoo.common import (  # noqa: E402,F401
    MEAN, NUM_REFERENCE_IMAGES, OPSET, STD, add_arguments, add_preprocessing_metadata,
    augment, evaluate, export_onnx, init_weights, load_onnx_weights, normalize,
    seed_everything, train, train_and_export, verify_onnx)

NAME = "mobilenet_v2_fmnist"


def conv_bn(cin, cout, kernel, stride=1, groups=1, act=True):
    """Conv without bias (BN supplies it) -> BN -> optional ReLU6."""
    layers = [
        nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand -> 3x3 depthwise -> 1x1 linear projection.

    The projection has no activation (the "linear bottleneck"); the skip
    connection exists only when the block preserves the tensor shape.
    """

    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = []
        if expand != 1:
            layers.append(conv_bn(cin, hidden, 1))
        layers.append(conv_bn(hidden, hidden, 3, stride, groups=hidden))
        layers.append(conv_bn(hidden, cout, 1, act=False))
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class MobileNetV2FMNIST(nn.Module):
    # (expansion t, output channels c, repeats n, first stride s), as in the
    # MobileNetV2 paper's table but scaled down for 28x28 single-channel input:
    # 28x28 -> 14x14 -> 7x7 -> 4x4.
    CONFIG = (
        (1, 16, 1, 1),
        (4, 24, 2, 2),
        (4, 32, 3, 2),
        (4, 48, 2, 2),
    )
    STEM = 16
    HEAD = 160

    def __init__(self, num_classes=10):
        super().__init__()
        layers = [conv_bn(1, self.STEM, 3)]
        cin = self.STEM
        for t, c, n, s in self.CONFIG:
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers.append(conv_bn(cin, self.HEAD, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(self.HEAD, num_classes)
        self._init_weights()

    def _init_weights(self):
        # torchvision's MobileNetV2 initialization; with it SGD at lr 0.1 is stable.
        init_weights(self)

    def forward(self, x):
        x = self.features(x)
        # Global average pool; exported as GlobalAveragePool + Flatten.
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.classifier(x)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_arguments(parser, epochs=6)  # --out --epochs --seed --data
    args = parser.parse_args(argv)
    # Debian's torch defaults to 1 thread; this model was trained on all cores.
    train_and_export(NAME, MobileNetV2FMNIST, __file__, args, threads=os.cpu_count())


if __name__ == "__main__":
    main()
