"""VOC-style mAP@0.5 for the synthetic Fashion-MNIST detection benchmark, from RAW
network outputs (this module does the decoding the C++ runner does).

Decoders (the ONNX metadata key qe.decoder names one):
  anchors-softmax  outputs "boxes" [N,567,4] (tx,ty,tw,th) and "scores" [N,567,11]
                   logits, class 0 = background; probabilities = softmax over the 11,
                   candidate (anchor, class c in 1..10) has label c-1.
  anchors-sigmoid  outputs "boxes" [N,567,4] and "scores" [N,567,10] logits;
                   probabilities = sigmoid, label = class index.
      Boxes decode against quant_eval.detection.anchors.anchors() (see that module:
      cx = tx*0.1*aw + acx, cy = ty*0.1*ah + acy, w = exp(tw*0.2)*aw, h = exp(th*0.2)*ah).
  centernet        outputs "heatmap" [N,10,24,24] logits (sigmoid), "size" [N,2,24,24]
                   (w, h in input pixels), "offset" [N,2,24,24] (x, y sub-cell offset in
                   cells); cell (i, j) of class c gives the box centered at
                   ((j+offx)*4, (i+offy)*4) with the predicted size, score sigmoid(heat).
                   Every cell is a candidate (no 3x3 peak filter; NMS below removes
                   duplicates).

Then, per image: candidates with score >= 0.01, per-class greedy NMS at IoU 0.5 (a box
is suppressed if its IoU with a kept higher-scoring box of the same class is > 0.5),
the 100 highest-scoring survivors over all classes.

AP per class: detections of all images sorted by score (descending, stable), each
matched to the unmatched ground-truth box of its class and image with the highest
IoU; IoU >= 0.5 is a true positive, otherwise (or a duplicate of a matched box) a
false positive. All-point interpolated AP (VOC 2010+): area under the monotone
precision envelope. mAP = mean over the classes that have ground truth.

CLI: voc_map.py --decoder NAME --outputs OUT.npz --boxes boxes.npy
(OUT.npz holds the raw outputs by name for all images, in canvas order.)
"""

import argparse
import json
import os
import sys

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from quant_eval.detection import anchors as anchors_mod  # noqa: E402

SCORE_THRESHOLD = 0.01
NMS_IOU = 0.5
MAX_DETECTIONS = 100
MATCH_IOU = 0.5
NUM_CLASSES = 10
CENTERNET_STRIDE = 4

DECODER_OUTPUTS = {
    "anchors-softmax": ("boxes", "scores"),
    "anchors-sigmoid": ("boxes", "scores"),
    "centernet": ("heatmap", "size", "offset"),
}


def _softmax(x, axis=-1):
    x = x - x.max(axis, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis, keepdims=True)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def nms(boxes, scores, iou_threshold=NMS_IOU):
    """Greedy NMS; returns kept indices in descending score order."""
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        if order.size == 1:
            break
        rest = order[1:]
        ious = anchors_mod.iou_matrix(boxes[i:i + 1], boxes[rest])[0]
        order = rest[ious <= iou_threshold]
    return np.asarray(keep, np.int64)


def candidates(decoder, outputs, n):
    """Decoded candidates of image n: (boxes (K,4) xyxy, scores (K,), labels (K,))."""
    if decoder in ("anchors-softmax", "anchors-sigmoid"):
        anc = anchors_mod.anchors()
        boxes = anchors_mod.decode(outputs["boxes"][n], anc)
        logits = outputs["scores"][n].astype(np.float64)
        if decoder == "anchors-softmax":
            probs = _softmax(logits)[:, 1:]
        else:
            probs = _sigmoid(logits)
        a_idx, cls = np.nonzero(probs >= SCORE_THRESHOLD)
        return boxes[a_idx], probs[a_idx, cls], cls
    if decoder == "centernet":
        heat = _sigmoid(outputs["heatmap"][n].astype(np.float64))  # (10, H, W)
        size = outputs["size"][n]
        off = outputs["offset"][n]
        cls, i, j = np.nonzero(heat >= SCORE_THRESHOLD)
        cx = (j + off[0, i, j]) * CENTERNET_STRIDE
        cy = (i + off[1, i, j]) * CENTERNET_STRIDE
        w, h = size[0, i, j], size[1, i, j]
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1)
        return boxes.astype(np.float32), heat[cls, i, j], cls
    raise ValueError(f"unknown decoder {decoder!r}")


def detect(decoder, outputs, n):
    """Post-processed detections of image n: (boxes, scores, labels), <= 100."""
    boxes, scores, labels = candidates(decoder, outputs, n)
    kb, ks, kl = [], [], []
    for c in np.unique(labels):
        m = labels == c
        keep = nms(boxes[m], scores[m])
        kb.append(boxes[m][keep]); ks.append(scores[m][keep]); kl.append(labels[m][keep])
    if not kb:
        return np.zeros((0, 4), np.float32), np.zeros(0), np.zeros(0, np.int64)
    boxes, scores, labels = np.concatenate(kb), np.concatenate(ks), np.concatenate(kl)
    order = np.argsort(-scores, kind="stable")[:MAX_DETECTIONS]
    return boxes[order], scores[order], labels[order]


def voc_ap(recall, precision):
    """All-point interpolated AP."""
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[0.0], precision, [0.0]])
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    idx = np.nonzero(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]))


def mean_ap(detections, gt_boxes, iou_threshold=MATCH_IOU):
    """detections: list per image of (boxes, scores, labels); gt_boxes (N,4,6).

    Returns (mAP, {class: AP}) over the classes with ground truth.
    """
    aps = {}
    for c in range(NUM_CLASSES):
        gts = {}
        npos = 0
        for n in range(len(gt_boxes)):
            g = gt_boxes[n]
            sel = (g[:, 5] > 0) & (g[:, 0] == c)
            if sel.any():
                gts[n] = [g[sel, 1:5], np.zeros(sel.sum(), bool)]
                npos += int(sel.sum())
        if npos == 0:
            continue
        dets = []
        for n, (b, s, l) in enumerate(detections):
            m = l == c
            for box, score in zip(b[m], s[m]):
                dets.append((float(score), n, box))
        dets.sort(key=lambda d: -d[0])  # stable
        tp = np.zeros(len(dets))
        fp = np.zeros(len(dets))
        for k, (_, n, box) in enumerate(dets):
            if n not in gts:
                fp[k] = 1
                continue
            gb, used = gts[n]
            ious = anchors_mod.iou_matrix(box[None], gb)[0]
            best = int(ious.argmax())
            if ious[best] >= iou_threshold and not used[best]:
                tp[k] = 1
                used[best] = True
            else:
                fp[k] = 1
        tp, fp = np.cumsum(tp), np.cumsum(fp)
        recall = tp / npos
        precision = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
        aps[c] = voc_ap(recall, precision)
    return float(np.mean(list(aps.values()))), aps


def evaluate_outputs(decoder, outputs, gt_boxes):
    """Raw outputs (dict name -> (N, ...) array) -> (mAP, per-class AP)."""
    n = len(gt_boxes)
    for name in DECODER_OUTPUTS[decoder]:
        if outputs[name].shape[0] != n:
            raise ValueError(f"output {name} has {outputs[name].shape[0]} images, boxes {n}")
    dets = [detect(decoder, outputs, k) for k in range(n)]
    return mean_ap(dets, gt_boxes)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--decoder", required=True, choices=sorted(DECODER_OUTPUTS))
    p.add_argument("--outputs", required=True, help="npz with the raw outputs by name")
    p.add_argument("--boxes", required=True, help="boxes.npy of the canvases")
    p.add_argument("--json", help="also write the result here")
    a = p.parse_args(argv)
    raw = np.load(a.outputs)
    outputs = {k: raw[k] for k in raw.files}
    gt = np.load(a.boxes)
    m, aps = evaluate_outputs(a.decoder, outputs, gt)
    result = {"decoder": a.decoder, "images": len(gt), "mAP@0.5": m,
              "AP_per_class": {str(k): v for k, v in aps.items()}}
    print(json.dumps(result, indent=1))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
