"""Deterministic synthetic detection canvases built from Fashion-MNIST items.

Each canvas is 96x96, one channel, uint8, background 0, holding 1-4 Fashion-MNIST
items. Every item is resized (bilinear, half-pixel centers, numpy) to a square side
drawn uniformly from 20..56 px and pasted at a random position fully inside the
canvas, combined with max(). Items may overlap, but the IoU of any two ground-truth
boxes is <= 0.4 (positions are resampled otherwise).

Ground truth of an item: the tight box of its (resized) pixels > 30, in continuous
corner coordinates x0, y0, x1 = last column + 1, y1 = last row + 1; label = the
Fashion-MNIST class 0..9. Training canvases use items of the TRAIN split,
evaluation canvases items of the TEST split.

CLI (run from python/):
    /usr/bin/python3 -m quant_eval.detection.canvas --split test --count 2000 --seed 1 --out DIR
writes DIR/images.npy (N,1,96,96 uint8) and DIR/boxes.npy (N,4,6 float32; per slot
label, x0, y0, x1, y1, valid(1/0); unused slots all 0). Same arguments give the same
bytes.
"""

import argparse
import os
import sys

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from quant_eval import fashion_mnist  # noqa: E402

SIZE = 96
MAX_ITEMS = 4
MIN_SIDE, MAX_SIDE = 20, 56
PIXEL_THRESHOLD = 30
MAX_IOU = 0.4


def resize_bilinear(img, side):
    """(H, W) uint8 -> (side, side) uint8, bilinear with half-pixel centers (no antialias)."""
    h, w = img.shape
    src = img.astype(np.float64)

    def coords(n_out, n_in):
        c = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
        c = np.clip(c, 0, n_in - 1)
        lo = np.floor(c).astype(np.int64)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, c - lo

    y0, y1, fy = coords(side, h)
    x0, x1, fx = coords(side, w)
    top = src[y0][:, x0] * (1 - fx) + src[y0][:, x1] * fx
    bot = src[y1][:, x0] * (1 - fx) + src[y1][:, x1] * fx
    out = top * (1 - fy[:, None]) + bot * fy[:, None]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def iou(a, b):
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def make_canvases(items, labels, count, seed):
    """Return (images (N,1,96,96) uint8, boxes (N,4,6) float32)."""
    rng = np.random.default_rng(seed)
    images = np.zeros((count, 1, SIZE, SIZE), np.uint8)
    boxes = np.zeros((count, MAX_ITEMS, 6), np.float32)
    for n in range(count):
        canvas = images[n, 0]
        placed = []
        k = int(rng.integers(1, MAX_ITEMS + 1))
        while len(placed) < k:
            idx = int(rng.integers(len(items)))
            side = int(rng.integers(MIN_SIDE, MAX_SIDE + 1))
            patch = resize_bilinear(items[idx], side)
            ys, xs = np.nonzero(patch > PIXEL_THRESHOLD)
            if len(ys) == 0:
                continue
            rel = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
            for _ in range(100):
                px = int(rng.integers(0, SIZE - side + 1))
                py = int(rng.integers(0, SIZE - side + 1))
                box = (px + rel[0], py + rel[1], px + rel[2], py + rel[3])
                if all(iou(box, p[1]) <= MAX_IOU for p in placed):
                    break
            else:
                continue  # no position found: draw another item/size
            region = canvas[py:py + side, px:px + side]
            np.maximum(region, patch, out=region)
            placed.append((int(labels[idx]), box))
        for s, (label, box) in enumerate(placed):
            boxes[n, s] = (label, box[0], box[1], box[2], box[3], 1.0)
    return images, boxes


def generate(split, count, seed, root=fashion_mnist.DEFAULT_ROOT):
    items, labels = fashion_mnist.load(split, root)
    return make_canvases(items, labels, count, seed)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--split", choices=("train", "test"), required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--data", default=fashion_mnist.DEFAULT_ROOT)
    a = p.parse_args(argv)
    images, boxes = generate(a.split, a.count, a.seed, a.data)
    os.makedirs(a.out, exist_ok=True)
    np.save(os.path.join(a.out, "images.npy"), images)
    np.save(os.path.join(a.out, "boxes.npy"), boxes)
    print(f"{a.out}: {len(images)} canvases, {int(boxes[..., 5].sum())} boxes")


if __name__ == "__main__":
    main()
