"""A small ResNet-style Fashion-MNIST classifier with bottleneck blocks, trained reproducibly.

The zoo's residual network for quantization experiments: ResNet-50's
bottleneck block (1x1 reduce -> 3x3 -> 1x1 expand, a BatchNorm after every
conv, ReLU, the stride on the 3x3 as in torchvision's "ResNet v1.5") with
identity shortcuts, and 1x1 conv + BN projection shortcuts where the shape
changes, joined by a residual Add and a ReLU after it. Scaled to 1x28x28:

    stem   3x3 conv 1->24, BN, ReLU                       28x28
    stage1 bottleneck 24->(16)->64, stride 2, projection   14x14
           bottleneck 64->(16)->64, identity
    stage2 bottleneck 64->(32)->128, stride 2, projection   7x7
           bottleneck 128->(32)->128, identity
    stage3 bottleneck 128->(64)->256, stride 2, projection  4x4
    global average pool, fully connected 256->10

Preprocessing is the zoo's (python/quant_eval/zoo/common.py): x = (pixel/255
- 0.2860) / 0.3530, NCHW float32 (N, 1, 28, 28), outside the graph.

Usage (from the repository root; one torch thread):
    /usr/bin/python3 python/quant_eval/zoo/resnet_fmnist.py \
        --out models/ --epochs 15 --seed 0 --threads 1

Writes <out>/resnet_fmnist.onnx and <out>/resnet_fmnist.json.
"""

import argparse
import os
import sys

import torch.nn as nn
import torch.nn.functional as F

# Allow running as a plain script (python/quant_eval/zoo/x.py) as well as with -m.
if __package__ in (None, ""):
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from quant_eval.zoo.common import add_arguments, train_and_export, init_weights  # noqa: E402

NAME = "resnet_fmnist"


def conv_bn(cin, cout, kernel, stride=1, act=True):
    """Conv without bias (BN supplies it) -> BN -> optional ReLU."""
    layers = [
        nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class Bottleneck(nn.Module):
    """1x1 reduce -> 3x3 (carries the stride) -> 1x1 expand, plus a shortcut.

    The shortcut is the identity when the block keeps the shape, else a
    strided 1x1 conv + BN projection; the ReLU comes after the residual Add.
    """

    def __init__(self, cin, width, cout, stride):
        super().__init__()
        self.body = nn.Sequential(
            conv_bn(cin, width, 1),
            conv_bn(width, width, 3, stride),
            conv_bn(width, cout, 1, act=False),
        )
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = conv_bn(cin, cout, 1, stride, act=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        identity = x if self.shortcut is None else self.shortcut(x)
        return self.relu(self.body(x) + identity)


class ResNetFMNIST(nn.Module):
    # (bottleneck width, output channels, blocks, first stride) per stage:
    # 28x28 -> 14x14 -> 7x7 -> 4x4, ResNet's 4x expansion.
    CONFIG = (
        (16, 64, 2, 2),
        (32, 128, 2, 2),
        (64, 256, 1, 2),
    )
    STEM = 24

    def __init__(self, num_classes=10):
        super().__init__()
        layers = [conv_bn(1, self.STEM, 3)]
        cin = self.STEM
        for width, cout, blocks, stride in self.CONFIG:
            for i in range(blocks):
                layers.append(Bottleneck(cin, width, cout, stride if i == 0 else 1))
                cin = cout
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(cin, num_classes)
        self._init_weights()

    def _init_weights(self):
        # torchvision's ResNet initialization, including zero_init_residual:
        # each block's last BN starts at gamma 0, so every block starts as
        # its shortcut and SGD at lr 0.1 is stable from the first step.
        init_weights(self)
        for m in self.modules():
            if isinstance(m, Bottleneck):
                nn.init.zeros_(m.body[-1][1].weight)

    def forward(self, x):
        x = self.features(x)
        # Global average pool; exported as GlobalAveragePool + Flatten.
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.classifier(x)


def describe(cls):
    """The architecture in one line, for the JSON record."""
    parts = [f"stem 3x3 conv 1->{cls.STEM} + BN + ReLU (28x28)"]
    size, cin = 28, cls.STEM
    for stage, (width, cout, blocks, stride) in enumerate(cls.CONFIG, 1):
        size = (size + stride - 1) // stride
        parts.append(f"stage{stage}: {blocks} bottleneck(s) {cin}->({width})->{cout}, "
                     f"first stride {stride} with a 1x1 conv + BN projection shortcut "
                     f"({size}x{size})")
        cin = cout
    parts.append(f"global average pool, fully connected {cin}->10")
    return "; ".join(parts) + (". Bottleneck: 1x1 reduce -> 3x3 (stride) -> 1x1 "
                               "expand, BN after each conv, ReLU after the first two "
                               "and after the residual Add")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_arguments(parser, epochs=15, threads=1)
    args = parser.parse_args(argv)
    train_and_export(NAME, ResNetFMNIST, __file__, args, threads=args.threads,
                     command_options=["--threads", str(args.threads)],
                     record_epoch_seconds=True,
                     extra_meta={"architecture": describe(ResNetFMNIST)})


if __name__ == "__main__":
    main()
