"""Train, evaluate and export the synthetic Fashion-MNIST detectors.

Usage (from the repository root):
    /usr/bin/python3 python/quant_eval/detection/train.py --arch ssd_fmnist \
        --out models/ --epochs E --seed 0 [--canvases 12000]

Every epoch draws fresh training canvases (TRAIN split items,
quant_eval.detection.canvas with seed 100000*seed + epoch). After training the model
is exported (ONNX opset 13, BatchNormalization kept, dynamic batch, input "input"
[N,1,96,96] with x = (pixel/255 - 0.2860)/0.3530) and scored with
quant_eval.detection.voc_map on the 2000 TEST canvases of seed 1.
Writes <out>/<arch>.onnx and <out>/<arch>.json.

Output / decoder contracts: see quant_eval.detection.voc_map and .anchors.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

if __package__ in (None, ""):
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from quant_eval import fashion_mnist  # noqa: E402
from quant_eval.detection import anchors as anchors_mod  # noqa: E402
from quant_eval.detection import canvas, voc_map  # noqa: E402
from quant_eval.detection.models import ARCHS  # noqa: E402

MEAN, STD = 0.2860, 0.3530
OPSET = 13
EVAL_COUNT, EVAL_SEED = 2000, 1
CENTERNET_STRIDE = 4
CENTERNET_SIZE = 24


def normalize(images_u8):
    return ((images_u8.astype(np.float32) / 255.0 - MEAN) / STD).astype(np.float32)


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


# --- targets ------------------------------------------------------------------

def anchor_targets(boxes, pos_iou, neg_iou):
    labels, targets = anchors_mod.match(boxes, anchors_mod.anchors(), pos_iou, neg_iou)
    return torch.from_numpy(labels), torch.from_numpy(targets)


def gaussian_radius(h, w, min_overlap=0.7):
    """CenterNet's radius (of the corner-shift analysis), sizes in output cells."""
    a1, b1 = 1, h + w
    c1 = w * h * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + math.sqrt(b1 ** 2 - 4 * a1 * c1)) / 2
    a2, b2 = 4, 2 * (h + w)
    c2 = (1 - min_overlap) * w * h
    r2 = (b2 + math.sqrt(b2 ** 2 - 4 * a2 * c2)) / 2
    a3, b3 = 4 * min_overlap, -2 * min_overlap * (h + w)
    c3 = (min_overlap - 1) * w * h
    r3 = (b3 + math.sqrt(b3 ** 2 - 4 * a3 * c3)) / 2
    return min(r1, r2, r3)


def centernet_targets(boxes):
    n = len(boxes)
    s = CENTERNET_SIZE
    heat = np.zeros((n, 10, s, s), np.float32)
    size = np.zeros((n, 2, s, s), np.float32)
    off = np.zeros((n, 2, s, s), np.float32)
    mask = np.zeros((n, s, s), np.float32)
    yy, xx = np.mgrid[0:s, 0:s]
    for k in range(n):
        for label, x0, y0, x1, y1, valid in boxes[k]:
            if not valid:
                continue
            w, h = x1 - x0, y1 - y0
            cx, cy = (x0 + x1) / 2 / CENTERNET_STRIDE, (y0 + y1) / 2 / CENTERNET_STRIDE
            ci, cj = min(int(cy), s - 1), min(int(cx), s - 1)
            r = max(0, int(gaussian_radius(h / CENTERNET_STRIDE, w / CENTERNET_STRIDE)))
            sigma = (2 * r + 1) / 6
            g = np.exp(-((xx - cj) ** 2 + (yy - ci) ** 2) / (2 * sigma ** 2))
            g[np.abs(xx - cj) > r] = 0
            g[np.abs(yy - ci) > r] = 0
            c = int(label)
            np.maximum(heat[k, c], g, out=heat[k, c])
            heat[k, c, ci, cj] = 1.0
            size[k, :, ci, cj] = (w, h)
            off[k, :, ci, cj] = (cx - cj, cy - ci)
            mask[k, ci, cj] = 1.0
    return [torch.from_numpy(t) for t in (heat, size, off, mask)]


# --- losses -------------------------------------------------------------------

def ssd_loss(outputs, targets):
    boxes, scores = outputs
    labels, tgt = targets
    pos = labels > 0
    npos = max(int(pos.sum()), 1)
    loc = F.smooth_l1_loss(boxes[pos], tgt[pos], reduction="sum")
    ce = F.cross_entropy(scores.reshape(-1, scores.shape[-1]), labels.clamp(min=0).reshape(-1),
                         reduction="none").reshape(labels.shape)
    # Hard negative mining, 3 negatives per positive in each image.
    neg_loss = ce.detach().clone()
    neg_loss[labels != 0] = -1.0
    rank = neg_loss.argsort(1, descending=True).argsort(1)
    num_neg = (3 * pos.sum(1, keepdim=True)).clamp(min=3)
    neg = (rank < num_neg) & (labels == 0)
    conf = ce[pos | neg].sum()
    return (loc + conf) / npos


def focal_sigmoid_loss(outputs, targets, alpha=0.25, gamma=2.0):
    boxes, scores = outputs
    labels, tgt = targets
    pos = labels > 0
    npos = max(int(pos.sum()), 1)
    valid = labels >= 0
    onehot = torch.zeros_like(scores)
    onehot[pos] = F.one_hot(labels[pos] - 1, scores.shape[-1]).float()
    p = torch.sigmoid(scores)
    ce = F.binary_cross_entropy_with_logits(scores, onehot, reduction="none")
    pt = p * onehot + (1 - p) * (1 - onehot)
    at = alpha * onehot + (1 - alpha) * (1 - onehot)
    cls = (at * (1 - pt) ** gamma * ce)[valid].sum()
    loc = F.smooth_l1_loss(boxes[pos], tgt[pos], reduction="sum", beta=0.11)
    return (cls + loc) / npos


def centernet_loss(outputs, targets):
    heat_logits, size, off = outputs
    heat, size_t, off_t, mask = targets
    p = torch.sigmoid(heat_logits).clamp(1e-4, 1 - 1e-4)
    pos = heat.eq(1).float()
    pos_loss = -(torch.log(p) * (1 - p) ** 2 * pos).sum()
    neg_loss = -(torch.log(1 - p) * p ** 2 * (1 - heat) ** 4 * (1 - pos)).sum()
    npos = max(float(pos.sum()), 1.0)
    m = mask.unsqueeze(1)
    size_loss = (torch.abs(size - size_t) * m).sum() / npos
    off_loss = (torch.abs(off - off_t) * m).sum() / npos
    return (pos_loss + neg_loss) / npos + 0.1 * size_loss + off_loss


def make_targets(arch, boxes):
    if arch == "ssd_fmnist":
        return anchor_targets(boxes, 0.5, 0.5)
    if arch in ("retinanet_fmnist", "effdet_fmnist"):
        return anchor_targets(boxes, 0.5, 0.4)
    return centernet_targets(boxes)


LOSSES = {"ssd_fmnist": ssd_loss, "centernet_fmnist": centernet_loss,
          "retinanet_fmnist": focal_sigmoid_loss, "effdet_fmnist": focal_sigmoid_loss}


# --- training -----------------------------------------------------------------

def train(arch, model, epochs, seed, canvases, batch_size, lr, data_root):
    items, labels = fashion_mnist.load("train", data_root)
    loss_fn = LOSSES[arch]
    steps_per_epoch = canvases // batch_size
    total = epochs * steps_per_epoch
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    warmup = min(300, total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warmup if s < warmup
        else 0.5 * (1 + math.cos(math.pi * (s - warmup) / max(1, total - warmup))))
    gen = torch.Generator().manual_seed(seed)
    epoch_seconds = []
    for epoch in range(epochs):
        t0 = time.time()
        mean_loss = train_epoch(arch, model, loss_fn, items, labels, canvases,
                                100000 * seed + epoch, batch_size, gen, opt, sched)
        epoch_seconds.append(time.time() - t0)
        log(f"epoch {epoch + 1}/{epochs}: loss {mean_loss:.4f}, {epoch_seconds[-1]:.0f}s")
    return epoch_seconds


def train_epoch(arch, model, loss_fn, items, labels, canvases, canvas_seed,
                batch_size, gen, opt, sched=None):
    """One pass over `canvases` fresh canvases (seeded by `canvas_seed`) in
    batches drawn with `gen`, each flipped horizontally with probability 0.5;
    returns the mean loss. The QAT fine-tuning reuses it."""
    images, boxes = canvas.make_canvases(items, labels, canvases, canvas_seed)
    x_all = torch.from_numpy(normalize(images))
    tg_all = make_targets(arch, boxes)
    perm = torch.randperm(canvases, generator=gen)
    model.train()
    total_loss, seen = 0.0, 0
    for b in range(canvases // batch_size):
        idx = perm[b * batch_size:(b + 1) * batch_size]
        x = x_all[idx]
        tg = [t[idx] for t in tg_all]
        if torch.rand(1, generator=gen).item() < 0.5:  # horizontal flip of the batch
            x, tg = flip_batch(arch, x, tg)
        loss = loss_fn(model(x), tg)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        total_loss += loss.item() * len(idx)
        seen += len(idx)
    return total_loss / seen


_FLIP_PERM = None


def anchor_flip_permutation():
    """Index map: anchor k of the flipped image corresponds to anchor perm[k]."""
    global _FLIP_PERM
    if _FLIP_PERM is None:
        perm, base = [], 0
        for fsize, _, _ in anchors_mod.LEVELS:
            r = len(anchors_mod.RATIOS)
            for i in range(fsize):
                for j in range(fsize):
                    for q in range(r):
                        perm.append(base + (i * fsize + (fsize - 1 - j)) * r + q)
            base += fsize * fsize * r
        _FLIP_PERM = torch.tensor(perm)
    return _FLIP_PERM


def flip_batch(arch, x, tg):
    x = x.flip(-1)
    if arch == "centernet_fmnist":
        # Horizontal flip moves centers; the 24x24 grid is 96/4 so cell j -> 23-j with
        # offset 1-offx only when the center is not on a cell border; recompute exactly.
        heat, size, off, mask = tg
        heat, size, mask = heat.flip(-1), size.flip(-1), mask.flip(-1)
        off = off.flip(-1).clone()
        off[:, 0] = torch.where(mask > 0, 1.0 - off[:, 0], off[:, 0])
        return x, [heat, size, off, mask]
    labels, t = tg
    perm = anchor_flip_permutation()
    labels = labels[:, perm]
    t = t[:, perm].clone()
    t[..., 0] = -t[..., 0]
    return x, [labels, t]


# --- evaluation and export ----------------------------------------------------

def run_model(model, images_u8, batch_size=200):
    model.eval()
    outs = None
    with torch.no_grad():
        for s in range(0, len(images_u8), batch_size):
            y = model(torch.from_numpy(normalize(images_u8[s:s + batch_size])))
            y = [t.numpy() for t in y]
            outs = [[t] for t in y] if outs is None else [o + [t] for o, t in zip(outs, y)]
    return [np.concatenate(o) for o in outs]


def export(model, names, path, decoder):
    import onnx
    from quant_eval.zoo.common import undo_initializer_deduplication

    model.eval()
    torch.onnx.export(
        model, torch.zeros(1, 1, 96, 96), path, input_names=["input"], output_names=list(names),
        dynamic_axes={k: {0: "batch"} for k in ("input",) + tuple(names)},
        opset_version=OPSET, training=torch.onnx.TrainingMode.PRESERVE,
        do_constant_folding=False)
    undo_initializer_deduplication(path)
    m = onnx.load(path)
    props = {"qe.scale": "255", "qe.mean": "0.286", "qe.std": "0.353", "qe.layout": "NCHW",
             "qe.task": "detection", "qe.decoder": decoder, "qe.classes": "10"}
    del m.metadata_props[:]
    for k, v in props.items():
        e = m.metadata_props.add()
        e.key, e.value = k, v
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return sorted({n.op_type for n in m.graph.node}), props


DECODER_DOC = {
    "anchors-softmax": (
        "outputs boxes [N,567,4] (tx,ty,tw,th) and scores [N,567,11] raw logits, class 0 = "
        "background; softmax over 11, label = argmax class - 1. Anchors: levels 12x12/s8, "
        "6x6/s16, 3x3/s32, sizes 24/48/80, ratios [1,2,0.5], order level,row,col,ratio, "
        "center ((j+.5)s,(i+.5)s), w=size*sqrt(r), h=size/sqrt(r). Decode cx=tx*0.1*aw+acx, "
        "cy=ty*0.1*ah+acy, w=aw*exp(tw*0.2), h=ah*exp(th*0.2)."),
    "anchors-sigmoid": (
        "outputs boxes [N,567,4] (tx,ty,tw,th) and scores [N,567,10] raw logits; sigmoid "
        "per class, label = class index. Anchors and box decoding as anchors-softmax."),
    "centernet": (
        "outputs heatmap [N,10,24,24] raw logits (sigmoid), size [N,2,24,24] (w,h in input "
        "pixels), offset [N,2,24,24] (sub-cell center offset in cells); box of cell (i,j): "
        "center ((j+offx)*4, (i+offy)*4), size as predicted."),
}
POSTPROCESS_DOC = ("score >= 0.01, per-class greedy NMS at IoU 0.5, at most 100 detections "
                   "per image; VOC all-point AP at IoU >= 0.5, duplicates false positives, "
                   "mean over classes with ground truth (quant_eval.detection.voc_map)")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--arch", required=True, choices=sorted(ARCHS))
    p.add_argument("--out", required=True)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--canvases", type=int, default=12000, help="training canvases per epoch")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--data", default=fashion_mnist.DEFAULT_ROOT)
    a = p.parse_args(argv)

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    make, decoder, names = ARCHS[a.arch]
    model = make()
    params = sum(q.numel() for q in model.parameters())
    log(f"{a.arch}: {params} parameters")
    t0 = time.time()
    epoch_seconds = train(a.arch, model, a.epochs, a.seed, a.canvases, a.batch_size, a.lr, a.data)
    training_seconds = time.time() - t0

    os.makedirs(a.out, exist_ok=True)
    onnx_path = os.path.join(a.out, a.arch + ".onnx")
    op_types, props = export(model, names, onnx_path, decoder)

    items, labels = fashion_mnist.load("test", a.data)
    images, boxes = canvas.make_canvases(items, labels, EVAL_COUNT, EVAL_SEED)
    outs = run_model(model, images)
    t1 = time.time()
    m, aps = voc_map.evaluate_outputs(decoder, dict(zip(names, outs)), boxes)
    log(f"{a.arch}: mAP@0.5 {m:.4f} ({time.time() - t1:.0f}s to score)")

    record = {
        "name": a.arch,
        "command": "/usr/bin/python3 python/quant_eval/detection/train.py " + " ".join(
            [f"--arch {a.arch}", f"--out {a.out}", f"--epochs {a.epochs}", f"--seed {a.seed}",
             f"--canvases {a.canvases}", f"--batch-size {a.batch_size}", f"--lr {a.lr}"]),
        "seed": a.seed, "epochs": a.epochs, "training_canvases_per_epoch": a.canvases,
        "training_canvases": "fresh each epoch: TRAIN-split items, canvas seed 100000*seed+epoch",
        "batch_size": a.batch_size, "optimizer": f"AdamW lr {a.lr} wd 1e-4, warmup + cosine",
        "augmentation": "random horizontal flip per batch",
        "training_seconds": round(training_seconds, 1),
        "epoch_seconds": [round(s, 1) for s in epoch_seconds],
        "torch_threads": a.threads, "torch_version": torch.__version__,
        "parameters": params, "onnx_opset": OPSET, "onnx_op_types": op_types,
        "metadata_props": props,
        "input": {"name": "input", "shape": [1, 1, 96, 96], "dynamic_batch": True,
                  "preprocessing": "x = (pixel/255 - 0.2860)/0.3530, NCHW float32"},
        "outputs": {n: list(o.shape[1:]) for n, o in zip(names, outs)},
        "decoder": decoder, "decoder_contract": DECODER_DOC[decoder],
        "postprocessing": POSTPROCESS_DOC,
        "evaluation": {"canvases": EVAL_COUNT, "split": "test", "seed": EVAL_SEED,
                       "generator": "python3 -m quant_eval.detection.canvas --split test "
                                    "--count 2000 --seed 1"},
        "mAP@0.5": round(m, 4),
        "AP_per_class": {fashion_mnist.CLASSES[k]: round(v, 4) for k, v in aps.items()},
    }
    with open(os.path.join(a.out, a.arch + ".json"), "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")
    log(f"wrote {onnx_path}")


if __name__ == "__main__":
    main()
