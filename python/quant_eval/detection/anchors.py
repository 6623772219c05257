"""Anchor contract shared by the anchor-based detectors (ssd_fmnist, retinanet_fmnist,
effdet_fmnist) and the C++ runner's decoders "anchors-softmax" / "anchors-sigmoid".

Levels: feature maps 12x12 (stride 8), 6x6 (stride 16), 3x3 (stride 32) with anchor
base sizes 24, 48, 80 and aspect ratios [1.0, 2.0, 0.5]. Order: level, then row i,
then column j, then ratio. Anchor center ((j+0.5)*stride, (i+0.5)*stride),
w = size*sqrt(r), h = size/sqrt(r). A = (144+36+9)*3 = 567 anchors.

Box encoding of a box with center cx, cy and size w, h against anchor (acx, acy, aw, ah):
    tx = (cx-acx)/aw/0.1   ty = (cy-acy)/ah/0.1   tw = log(w/aw)/0.2   th = log(h/ah)/0.2
Decoding inverts it; boxes are in input pixels (96x96 canvas).

Network outputs ("boxes" [N,567,4] = tx,ty,tw,th; "scores" [N,567,K]) are laid out in
this same anchor order: for a head producing [N, 3*C, H, W] per level the graph does
Transpose(0,2,3,1) -> Reshape(N, H*W*3, C), then Concat over the levels on axis 1.
"""

import numpy as np

LEVELS = ((12, 8, 24.0), (6, 16, 48.0), (3, 32, 80.0))  # (feature size, stride, base size)
RATIOS = (1.0, 2.0, 0.5)
NUM_ANCHORS = sum(f * f for f, _, _ in LEVELS) * len(RATIOS)  # 567
VARIANCES = (0.1, 0.1, 0.2, 0.2)


def anchors():
    """(567, 4) float32 array of [cx, cy, w, h] in the contract's order."""
    out = []
    for fsize, stride, size in LEVELS:
        for i in range(fsize):
            for j in range(fsize):
                for r in RATIOS:
                    out.append(((j + 0.5) * stride, (i + 0.5) * stride,
                                size * np.sqrt(r), size / np.sqrt(r)))
    return np.asarray(out, np.float32)


def corners(cxcywh):
    c = np.asarray(cxcywh, np.float32)
    return np.stack([c[..., 0] - c[..., 2] / 2, c[..., 1] - c[..., 3] / 2,
                     c[..., 0] + c[..., 2] / 2, c[..., 1] + c[..., 3] / 2], -1)


def encode(boxes_xyxy, anc):
    """Corner boxes (..., 4) matched to anchors (..., 4) -> targets (..., 4)."""
    b = np.asarray(boxes_xyxy, np.float32)
    cx, cy = (b[..., 0] + b[..., 2]) / 2, (b[..., 1] + b[..., 3]) / 2
    w, h = b[..., 2] - b[..., 0], b[..., 3] - b[..., 1]
    return np.stack([(cx - anc[..., 0]) / anc[..., 2] / VARIANCES[0],
                     (cy - anc[..., 1]) / anc[..., 3] / VARIANCES[1],
                     np.log(w / anc[..., 2]) / VARIANCES[2],
                     np.log(h / anc[..., 3]) / VARIANCES[3]], -1)


def decode(t, anc):
    """Targets (..., 4) -> corner boxes (..., 4) in input pixels."""
    t = np.asarray(t, np.float32)
    cx = t[..., 0] * VARIANCES[0] * anc[..., 2] + anc[..., 0]
    cy = t[..., 1] * VARIANCES[1] * anc[..., 3] + anc[..., 1]
    w = np.exp(np.minimum(t[..., 2] * VARIANCES[2], 10.0)) * anc[..., 2]
    h = np.exp(np.minimum(t[..., 3] * VARIANCES[3], 10.0)) * anc[..., 3]
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1)


def iou_matrix(a, b):
    """IoU between corner boxes a (M,4) and b (K,4) -> (M,K)."""
    a = np.asarray(a, np.float32)[:, None]
    b = np.asarray(b, np.float32)[None]
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return inter / np.maximum(area_a + area_b - inter, 1e-9)


def match(gt_boxes, anc, pos_iou=0.5, neg_iou=None):
    """Assign anchors to ground truth.

    gt_boxes: (N, 4, 6) canvas boxes (label, x0, y0, x1, y1, valid).
    Returns labels (N, A) int64 with -1 = ignore, 0 = background, 1..10 = class+1,
    and targets (N, A, 4) float32. An anchor is positive when its IoU with a box is
    >= pos_iou or it is that box's best anchor; negative below neg_iou (default
    pos_iou), ignored in between.
    """
    if neg_iou is None:
        neg_iou = pos_iou
    anc_xyxy = corners(anc)
    n, a = gt_boxes.shape[0], anc.shape[0]
    labels = np.zeros((n, a), np.int64)
    targets = np.zeros((n, a, 4), np.float32)
    for k in range(n):
        valid = gt_boxes[k, :, 5] > 0
        g = gt_boxes[k, valid]
        if len(g) == 0:
            continue
        ious = iou_matrix(anc_xyxy, g[:, 1:5])  # (A, G)
        best_gt = ious.argmax(1)
        best_iou = ious.max(1)
        best_anchor = ious.argmax(0)
        best_iou[best_anchor] = 2.0
        best_gt[best_anchor] = np.arange(len(g))
        lab = (g[best_gt, 0] + 1).astype(np.int64)
        lab[best_iou < pos_iou] = -1
        lab[best_iou < neg_iou] = 0
        labels[k] = lab
        targets[k] = encode(g[best_gt, 1:5], anc)
    return labels, targets
