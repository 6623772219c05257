"""Small detectors for the synthetic Fashion-MNIST detection benchmark (96x96x1 input).

All networks end before any decoding (see quant_eval.detection.voc_map for the
decoder contracts and quant_eval.detection.anchors for the anchors):
  SSDFMNIST        -> "boxes" [N,567,4], "scores" [N,567,11]   (anchors-softmax)
  CenterNetFMNIST  -> "heatmap" [N,10,24,24], "size" [N,2,24,24], "offset" [N,2,24,24]
  RetinaNetFMNIST  -> "boxes" [N,567,4], "scores" [N,567,10]   (anchors-sigmoid)
  EffDetFMNIST     -> "boxes" [N,567,4], "scores" [N,567,10]   (anchors-sigmoid)
Ops used: Conv, BatchNormalization, Relu / Clip (ReLU6), Add, Resize (nearest x2),
MaxPool, Transpose, Reshape, Concat.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

NUM_CLASSES = 10
NUM_RATIOS = 3
LEVEL_SIZES = (12, 6, 3)


def conv_bn(cin, cout, k=3, s=1, groups=1, act=True):
    layers = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


def dwsep(cin, cout, s=1):
    """MobileNetV1 depthwise-separable block."""
    return nn.Sequential(conv_bn(cin, cin, 3, s, groups=cin), conv_bn(cin, cout, 1))


class Backbone(nn.Module):
    """Depthwise-separable backbone: C2 24x24 (s4), C3 12x12 (s8), C4 6x6 (s16), C5 3x3 (s32)."""
    CH = (24, 48, 96, 128)

    def __init__(self):
        super().__init__()
        c2, c3, c4, c5 = self.CH
        self.stem = nn.Sequential(conv_bn(1, 16, 3, 2), dwsep(16, 16))             # 48
        self.s2 = nn.Sequential(dwsep(16, c2, 2), dwsep(c2, c2))                   # 24
        self.s3 = nn.Sequential(dwsep(c2, c3, 2), dwsep(c3, c3))                   # 12
        self.s4 = nn.Sequential(dwsep(c3, c4, 2), dwsep(c4, c4), dwsep(c4, c4))    # 6
        self.s5 = nn.Sequential(dwsep(c4, c5, 2), dwsep(c5, c5))                   # 3

    def forward(self, x):
        c2 = self.s2(self.stem(x))
        c3 = self.s3(c2)
        c4 = self.s4(c3)
        c5 = self.s5(c4)
        return c2, c3, c4, c5


def flatten_head(x, channels, size):
    """[N, 3*C, H, W] -> [N, H*W*3, C] in (row, column, ratio) order.

    size (= H = W) is passed as a Python int so the export gets a constant Reshape
    (Transpose -> Reshape [-1, H*W*3, C]) instead of Shape/Gather arithmetic.
    """
    return x.permute(0, 2, 3, 1).reshape(-1, size * size * NUM_RATIOS, channels)


def init_weights(model):
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def up2(x):
    return F.interpolate(x, scale_factor=2.0, mode="nearest")


class SSDFMNIST(nn.Module):
    """SSD-MobileNet style: a 3x3 conv box head and class head on C3, C4, C5."""
    num_scores = NUM_CLASSES + 1

    def __init__(self):
        super().__init__()
        self.backbone = Backbone()
        chans = self.backbone.CH[1:]
        self.box_heads = nn.ModuleList(nn.Conv2d(c, NUM_RATIOS * 4, 3, 1, 1) for c in chans)
        self.cls_heads = nn.ModuleList(
            nn.Conv2d(c, NUM_RATIOS * self.num_scores, 3, 1, 1) for c in chans)
        init_weights(self)
        for h in list(self.box_heads) + list(self.cls_heads):
            nn.init.normal_(h.weight, 0, 0.01)

    def forward(self, x):
        feats = self.backbone(x)[1:]
        boxes = torch.cat([flatten_head(h(f), 4, s)
                           for h, f, s in zip(self.box_heads, feats, LEVEL_SIZES)], 1)
        scores = torch.cat([flatten_head(h(f), self.num_scores, s)
                            for h, f, s in zip(self.cls_heads, feats, LEVEL_SIZES)], 1)
        return boxes, scores


class CenterNetFMNIST(nn.Module):
    """CenterNet: backbone + top-down upsampling (nearest Resize) to stride 4, three heads."""

    def __init__(self, width=48):
        super().__init__()
        self.backbone = Backbone()
        c2, c3, c4, c5 = self.backbone.CH
        self.lat5 = conv_bn(c5, width, 1)
        self.lat4 = conv_bn(c4, width, 1)
        self.lat3 = conv_bn(c3, width, 1)
        self.lat2 = conv_bn(c2, width, 1)
        self.smooth4 = dwsep(width, width)
        self.smooth3 = dwsep(width, width)
        self.smooth2 = dwsep(width, width)

        def head(cout):
            return nn.Sequential(conv_bn(width, width, 3), nn.Conv2d(width, cout, 1))

        self.heatmap = head(NUM_CLASSES)
        self.size = head(2)
        self.offset = head(2)
        init_weights(self)
        nn.init.constant_(self.heatmap[-1].bias, -2.19)  # prior 0.1 as in the paper
        nn.init.constant_(self.size[-1].bias, 30.0)
        nn.init.constant_(self.offset[-1].bias, 0.5)

    def forward(self, x):
        c2, c3, c4, c5 = self.backbone(x)
        p = self.lat5(c5)
        p = self.smooth4(self.lat4(c4) + up2(p))
        p = self.smooth3(self.lat3(c3) + up2(p))
        p = self.smooth2(self.lat2(c2) + up2(p))
        return self.heatmap(p), self.size(p), self.offset(p)


class SharedHeads(nn.Module):
    """RetinaNet-style class and box subnets shared across levels."""

    def __init__(self, width, depth, separable):
        super().__init__()
        block = (lambda: dwsep(width, width)) if separable else (lambda: conv_bn(width, width, 3))
        self.cls = nn.Sequential(*[block() for _ in range(depth)])
        self.box = nn.Sequential(*[block() for _ in range(depth)])
        self.cls_out = nn.Conv2d(width, NUM_RATIOS * NUM_CLASSES, 3, 1, 1)
        self.box_out = nn.Conv2d(width, NUM_RATIOS * 4, 3, 1, 1)

    def init_outputs(self):
        nn.init.normal_(self.cls_out.weight, 0, 0.01)
        nn.init.constant_(self.cls_out.bias, -math.log((1 - 0.01) / 0.01))
        nn.init.normal_(self.box_out.weight, 0, 0.01)
        nn.init.zeros_(self.box_out.bias)

    def forward(self, feats):
        boxes = torch.cat([flatten_head(self.box_out(self.box(f)), 4, s)
                           for f, s in zip(feats, LEVEL_SIZES)], 1)
        scores = torch.cat([flatten_head(self.cls_out(self.cls(f)), NUM_CLASSES, s)
                            for f, s in zip(feats, LEVEL_SIZES)], 1)
        return boxes, scores


class RetinaNetFMNIST(nn.Module):
    """RetinaNet: FPN (1x1 laterals, top-down nearest x2 + add, 3x3 smoothing) on C3..C5."""

    def __init__(self, width=64):
        super().__init__()
        self.backbone = Backbone()
        _, c3, c4, c5 = self.backbone.CH
        self.lat = nn.ModuleList([conv_bn(c, width, 1, act=False) for c in (c3, c4, c5)])
        self.smooth = nn.ModuleList([conv_bn(width, width, 3) for _ in range(3)])
        self.heads = SharedHeads(width, 2, separable=False)
        init_weights(self)
        self.heads.init_outputs()

    def forward(self, x):
        _, c3, c4, c5 = self.backbone(x)
        p5 = self.lat[2](c5)
        p4 = self.lat[1](c4) + up2(p5)
        p3 = self.lat[0](c3) + up2(p4)
        feats = [self.smooth[0](p3), self.smooth[1](p4), self.smooth[2](p5)]
        return self.heads(feats)


class EffDetFMNIST(nn.Module):
    """EfficientDet-Lite style: one BiFPN-lite layer (plain-add fusion, separable convs,
    nearest x2 up, 3x3/2 max-pool down) and separable shared heads."""

    def __init__(self, width=64):
        super().__init__()
        self.backbone = Backbone()
        _, c3, c4, c5 = self.backbone.CH
        self.lat = nn.ModuleList([conv_bn(c, width, 1, act=False) for c in (c3, c4, c5)])
        self.td4 = dwsep(width, width)
        self.out3 = dwsep(width, width)
        self.out4 = dwsep(width, width)
        self.out5 = dwsep(width, width)
        self.heads = SharedHeads(width, 2, separable=True)
        init_weights(self)
        self.heads.init_outputs()

    def forward(self, x):
        _, c3, c4, c5 = self.backbone(x)
        p3, p4, p5 = self.lat[0](c3), self.lat[1](c4), self.lat[2](c5)
        p4td = self.td4(p4 + up2(p5))
        o3 = self.out3(p3 + up2(p4td))
        o4 = self.out4(p4 + p4td + F.max_pool2d(o3, 3, 2, 1))
        o5 = self.out5(p5 + F.max_pool2d(o4, 3, 2, 1))
        return self.heads([o3, o4, o5])


ARCHS = {
    "ssd_fmnist": (SSDFMNIST, "anchors-softmax", ("boxes", "scores")),
    "centernet_fmnist": (CenterNetFMNIST, "centernet", ("heatmap", "size", "offset")),
    "retinanet_fmnist": (RetinaNetFMNIST, "anchors-sigmoid", ("boxes", "scores")),
    "effdet_fmnist": (EffDetFMNIST, "anchors-sigmoid", ("boxes", "scores")),
}
