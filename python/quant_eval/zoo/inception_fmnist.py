"""A small InceptionV3-style Fashion-MNIST classifier, trained reproducibly.

The zoo's multi-branch network for quantization experiments: InceptionV3's
factorized inception blocks, whose parallel branches end in a channel
Concat (quantizers must give the concatenated tensors one scale), with a
BatchNorm after every conv and ReLU. Scaled to 1x28x28:

    stem      3x3 conv 1->24, 3x3 conv 24->32 stride 2          14x14
    block A   1x1 | 1x1->3x3 | 1x1->3x3->3x3 | avgpool->1x1    -> 64
              (the 5x5 branch factorized into two 3x3, Mixed_5)
    reduction 3x3 s2 | 1x1->3x3->3x3 s2 | maxpool s2           7x7, -> 160
              (Mixed_6a)
    block B   1x1 | 1x1->1x7->7x1 | 1x1->7x1->1x7 | avgpool->1x1  -> 128
              (n x n factorized into 1 x n and n x 1, Mixed_6)
    block C   1x1 | 1x1->1x3->3x1 | 1x1->3x3->1x3->3x1 | avgpool->1x1  -> 160
              (3 x 3 factorized into 1x3 and 3x1, Mixed_7)
    global average pool, fully connected 160->10

The pool branches are 3x3 stride-1 average pools padded by 1 that do not
count the padding (TensorFlow's SAME average pool of the original
InceptionV3; exported as one AveragePool with count_include_pad=0, where
torchvision's count_include_pad=True would export a Pad before it); every
conv is conv -> BN -> ReLU.

Preprocessing is the zoo's (python/quant_eval/zoo/common.py): x = (pixel/255
- 0.2860) / 0.3530, NCHW float32 (N, 1, 28, 28), outside the graph.

Usage (from the repository root; one torch thread):
    /usr/bin/python3 python/quant_eval/zoo/inception_fmnist.py \
        --out models/ --epochs 12 --seed 0 --threads 1

Writes <out>/inception_fmnist.onnx and <out>/inception_fmnist.json.
"""

import argparse
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

# Allow running as a plain script (python/quant_eval/zoo/x.py) as well as with -m.
if __package__ in (None, ""):
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from quant_eval.zoo.common import add_arguments, train_and_export, init_weights  # noqa: E402

NAME = "inception_fmnist"


def conv_bn(cin, cout, kernel, stride=1):
    """Conv without bias (BN supplies it) -> BN -> ReLU; `kernel` is an int
    or (kh, kw), padded to keep the size (divided by the stride)."""
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    return nn.Sequential(
        nn.Conv2d(cin, cout, (kh, kw), stride, padding=(kh // 2, kw // 2), bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def chain(cin, *steps):
    """conv_bn layers in sequence; steps are (cout, kernel[, stride])."""
    layers = []
    for step in steps:
        layers.append(conv_bn(cin, *step))
        cin = step[0]
    return nn.Sequential(*layers)


class PoolBranch(nn.Module):
    """3x3 stride-1 average pool (padding not counted), then 1x1 conv -> BN -> ReLU."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = conv_bn(cin, cout, 1)

    def forward(self, x):
        return self.conv(F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False))


class Mixed(nn.Module):
    """Parallel branches concatenated on channels."""

    def __init__(self, *branches):
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x):
        return torch.cat([branch(x) for branch in self.branches], 1)


class MaxPoolBranch(nn.Module):
    """3x3 stride-2 max pool, padded by 1 (the reduction block's pool branch)."""

    def forward(self, x):
        return F.max_pool2d(x, 3, stride=2, padding=1)


def block_a(cin, c):
    """Mixed_5: 1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 -> 3x3 | pool -> 1x1; 4c out."""
    return Mixed(
        chain(cin, (c, 1)),
        chain(cin, (c * 3 // 4, 1), (c, 3)),
        chain(cin, (c * 3 // 4, 1), (c, 3), (c, 3)),
        PoolBranch(cin, c),
    )


def reduction(cin, c):
    """Mixed_6a: 3x3 s2 | 1x1 -> 3x3 -> 3x3 s2 | maxpool s2; c + c/2 + cin out."""
    return Mixed(
        chain(cin, (c, 3, 2)),
        chain(cin, (c // 4, 1), (c // 2, 3), (c // 2, 3, 2)),
        MaxPoolBranch(),
    )


def block_b(cin, c, mid, n=7):
    """Mixed_6b: 1x1 | 1x1 -> 1xn -> nx1 | 1x1 -> nx1 -> 1xn | pool -> 1x1; 4c out."""
    return Mixed(
        chain(cin, (c, 1)),
        chain(cin, (mid, 1), (mid, (1, n)), (c, (n, 1))),
        chain(cin, (mid, 1), (mid, (n, 1)), (c, (1, n))),
        PoolBranch(cin, c),
    )


def block_c(cin, c, mid):
    """Mixed_7: 1x1 | 1x1 -> 1x3 -> 3x1 | 1x1 -> 3x3 -> 1x3 -> 3x1 | pool -> 1x1."""
    return Mixed(
        chain(cin, (c, 1)),
        chain(cin, (mid, 1), (mid, (1, 3)), (c, (3, 1))),
        chain(cin, (mid, 1), (mid, 3), (mid, (1, 3)), (c, (3, 1))),
        PoolBranch(cin, c),
    )


ARCHITECTURE = (
    "stem 3x3 conv 1->24, 3x3 conv 24->32 stride 2 (14x14); "
    "block A (Mixed_5): 1x1 16 | 1x1 12->3x3 16 | 1x1 12->3x3 16->3x3 16 | "
    "avgpool 3x3->1x1 16, concat 64; "
    "reduction (Mixed_6a): 3x3 s2 64 | 1x1 16->3x3 32->3x3 s2 32 | maxpool 3x3 s2, "
    "concat 160 (7x7); "
    "block B (Mixed_6): 1x1 32 | 1x1 24->1x7 24->7x1 32 | 1x1 24->7x1 24->1x7 32 | "
    "avgpool 3x3->1x1 32, concat 128; "
    "block C (Mixed_7): 1x1 40 | 1x1 32->1x3 32->3x1 40 | 1x1 32->3x3 32->1x3 32->3x1 40 | "
    "avgpool 3x3->1x1 40, concat 160; "
    "global average pool, fully connected 160->10. Every conv: conv -> BN -> ReLU; "
    "average pools exclude the padding")


class InceptionFMNIST(nn.Module):
    STEM = (24, 32)
    A = 16            # block A: 4 x 16 = 64 channels at 14x14
    REDUCE = 64       # reduction: 64 + 32 + 64 = 160 channels at 7x7
    B = (32, 24)      # block B: 4 x 32 = 128 channels, 24 in the 7-wide branches
    C = (40, 32)      # block C: 4 x 40 = 160 channels

    def __init__(self, num_classes=10):
        super().__init__()
        s1, s2 = self.STEM
        a = 4 * self.A
        r = self.REDUCE + self.REDUCE // 2 + a
        b = 4 * self.B[0]
        c = 4 * self.C[0]
        self.features = nn.Sequential(
            conv_bn(1, s1, 3),
            conv_bn(s1, s2, 3, 2),
            block_a(s2, self.A),
            reduction(a, self.REDUCE),
            block_b(r, *self.B),
            block_c(b, *self.C),
        )
        self.classifier = nn.Linear(c, num_classes)
        self._init_weights()

    def _init_weights(self):
        init_weights(self)

    def forward(self, x):
        x = self.features(x)
        # Global average pool; exported as GlobalAveragePool + Flatten.
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.classifier(x)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_arguments(parser, epochs=12, threads=1)
    args = parser.parse_args(argv)
    train_and_export(NAME, InceptionFMNIST, __file__, args, threads=args.threads,
                     command_options=["--threads", str(args.threads)],
                     record_epoch_seconds=True,
                     extra_meta={"architecture": ARCHITECTURE})


if __name__ == "__main__":
    main()
