"""Tiny detectors with seeded random weights, in the zoo detectors' output
contract (python/quant_eval/detection), and a small detection data set.

  tiny_detector.py OUT_DIR     writes anchors.onnx (SSD form: boxes
      [1, 567, 4] and scores [1, 567, 11], qe.decoder anchors-softmax),
      centernet.onnx (heatmap [1, 10, 24, 24], size and offset [1, 2, 24, 24],
      qe.decoder centernet), images.npy (8 x 1 x 96 x 96) and boxes.npy
      (8 x 4 x 6: label, x0, y0, x1, y1, valid), with boxes sized so that
      random detections overlap some; train_images.npy and train_boxes.npy
      to calibrate on.

  tiny_detector.py --check DECODER OUTPUTS.npy BOXES.npy RESULT.json
      decodes the runner's dumped raw outputs here, in numpy and float64
      (anchors, softmax or sigmoid, CenterNet peaks), applies per-label NMS
      (IoU > 0.5 suppresses, 100 per image, scores from 0.01) and VOC AP
      (all-point, IoU >= 0.5), and checks the runner's map50 against it.

Their mAP means nothing; they exist so that the runner's detection path
runs in seconds and can be compared with this Python-side reference.
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(path, nodes, inits, outputs, decoder):
    graph = helper.make_graph(
        nodes, "tiny_detector",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 96, 96])],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in outputs],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    for k, v in (("qe.scale", "255"), ("qe.mean", "0.286"), ("qe.std", "0.353"),
                 ("qe.layout", "NCHW"), ("qe.task", "detection"),
                 ("qe.decoder", decoder), ("qe.classes", "10")):
        model.metadata_props.append(onnx.StringStringEntryProto(key=k, value=v))
    onnx.checker.check_model(model)
    onnx.save(model, path)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)

    def w(name, shape, scale=0.3):
        return numpy_helper.from_array(
            (rng.standard_normal(shape) * scale).astype(np.float32), name)

    # Anchor form: three levels (12, 6, 3 cells) from strided convs; each
    # level's head gives 3 anchors x 4 box values and 3 x 11 scores per
    # cell, flattened in (row, column, anchor) order.
    nodes, inits = [], [w("stem", (4, 1, 8, 8))]
    nodes.append(helper.make_node("Conv", ["input", "stem"], ["f12"], strides=[8, 8]))
    inits += [w("down1", (4, 4, 2, 2)), w("down2", (4, 4, 2, 2))]
    nodes.append(helper.make_node("Conv", ["f12", "down1"], ["f6"], strides=[2, 2]))
    nodes.append(helper.make_node("Conv", ["f6", "down2"], ["f3"], strides=[2, 2]))
    boxes, scores = [], []
    for level in ("12", "6", "3"):
        for head, width, acc in (("box", 4, boxes), ("cls", 11, scores)):
            name = f"{head}{level}"
            # Box regressions near zero keep boxes near their anchors, so
            # that some overlap the data's boxes.
            small = head == "box"
            inits.append(w(name + "_w", (3 * width, 4, 1, 1), 0.02 if small else 0.3))
            inits.append(w(name + "_b", (3 * width,), 0.1 if small else 1.0))
            nodes.append(helper.make_node("Conv", [f"f{level}", name + "_w", name + "_b"],
                                          [name]))
            nodes.append(helper.make_node("Transpose", [name], [name + "_t"],
                                          perm=[0, 2, 3, 1]))
            inits.append(numpy_helper.from_array(np.array([1, -1, width], np.int64),
                                                 name + "_shape"))
            nodes.append(helper.make_node("Reshape", [name + "_t", name + "_shape"],
                                          [name + "_r"]))
            acc.append(name + "_r")
    nodes.append(helper.make_node("Concat", boxes, ["boxes"], axis=1))
    nodes.append(helper.make_node("Concat", scores, ["scores"], axis=1))
    save(os.path.join(out, "anchors.onnx"), nodes, inits,
         [("boxes", [1, 567, 4]), ("scores", [1, 567, 11])], "anchors-softmax")

    # CenterNet form at stride 4; sizes made positive and large with Relu
    # and a bias.
    inits = [w("stem", (8, 1, 4, 4)), w("heat_w", (10, 8, 1, 1)),
             w("size_w", (2, 8, 1, 1)),
             numpy_helper.from_array(np.array([40, 40], np.float32), "size_b"),
             w("off_w", (2, 8, 1, 1))]
    nodes = [helper.make_node("Conv", ["input", "stem"], ["f"], strides=[4, 4]),
             helper.make_node("Conv", ["f", "heat_w"], ["heatmap"]),
             helper.make_node("Conv", ["f", "size_w", "size_b"], ["size_raw"]),
             helper.make_node("Relu", ["size_raw"], ["size"]),
             helper.make_node("Conv", ["f", "off_w"], ["off_raw"]),
             helper.make_node("Sigmoid", ["off_raw"], ["offset"])]
    save(os.path.join(out, "centernet.onnx"), nodes, inits,
         [("heatmap", [1, 10, 24, 24]), ("size", [1, 2, 24, 24]),
          ("offset", [1, 2, 24, 24])], "centernet")

    # Boxes of every label, sized like the 24- and 48-pixel anchors.
    images = rng.integers(0, 256, (8, 1, 96, 96)).astype(np.uint8)
    boxes = np.zeros((8, 4, 6), np.float32)
    for i in range(8):
        for k in range(4):
            x0, y0 = rng.uniform(0, 60, 2)
            s = rng.uniform(20, 50)
            boxes[i, k] = [rng.integers(0, 10), x0, y0, x0 + s, y0 + s, 1]
    np.save(os.path.join(out, "images.npy"), images)
    np.save(os.path.join(out, "boxes.npy"), boxes)
    # A separate set to calibrate on.
    np.save(os.path.join(out, "train_images.npy"),
            rng.integers(0, 256, (8, 1, 96, 96)).astype(np.uint8))
    np.save(os.path.join(out, "train_boxes.npy"), boxes)


def anchors():
    out = []
    for cells, stride, size in ((12, 8, 24), (6, 16, 48), (3, 32, 80)):
        for i in range(cells):
            for j in range(cells):
                for r in (1.0, 2.0, 0.5):
                    out.append(((j + .5) * stride, (i + .5) * stride,
                                size * np.sqrt(r), size / np.sqrt(r)))
    return np.array(out)


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = lambda q: max(0.0, q[2] - q[0]) * max(0.0, q[3] - q[1])
    u = area(a) + area(b) - inter
    return inter / u if u > 0 else 0.0


def decode(decoder, row, classes=10):
    """(box, label, score) candidates of one image."""
    out = []
    if decoder.startswith("anchors"):
        a = anchors()
        n = len(a)
        t = row[:4 * n].reshape(n, 4).astype(np.float64)
        k = classes + (decoder == "anchors-softmax")
        logits = row[4 * n:].reshape(n, k).astype(np.float64)
        if decoder == "anchors-softmax":
            e = np.exp(logits - logits.max(1, keepdims=True))
            p = (e / e.sum(1, keepdims=True))[:, 1:]
        else:
            p = 1 / (1 + np.exp(-logits))
        cx = a[:, 0] + t[:, 0] * .1 * a[:, 2]
        cy = a[:, 1] + t[:, 1] * .1 * a[:, 3]
        w = a[:, 2] * np.exp(t[:, 2] * .2)
        h = a[:, 3] * np.exp(t[:, 3] * .2)
        for i, c in zip(*np.nonzero(p >= 0.01)):
            out.append(((cx[i] - w[i] / 2, cy[i] - h[i] / 2, cx[i] + w[i] / 2,
                         cy[i] + h[i] / 2), c, p[i, c]))
        return out
    hw = 24 * 24
    heat = row[:classes * hw].reshape(classes, 24, 24).astype(np.float64)
    size = row[classes * hw:(classes + 2) * hw].reshape(2, 24, 24)
    off = row[(classes + 2) * hw:].reshape(2, 24, 24)
    padded = np.pad(heat, ((0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    local = np.max([padded[:, 1 + di:25 + di, 1 + dj:25 + dj]
                    for di in (-1, 0, 1) for dj in (-1, 0, 1)], axis=0)
    p = 1 / (1 + np.exp(-heat))
    for c, i, j in zip(*np.nonzero((p >= 0.01) & (heat >= local))):
        cx, cy = (j + off[0, i, j]) * 4, (i + off[1, i, j]) * 4
        w, h = size[0, i, j], size[1, i, j]
        out.append(((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), c, p[c, i, j]))
    out.sort(key=lambda d: -d[2])
    return out[:100]


def nms(cands):
    order = sorted(range(len(cands)), key=lambda i: (-cands[i][2], i))
    kept = []
    for i in order:
        if len(kept) == 100:
            break
        if all(cands[k][1] != cands[i][1] or iou(cands[k][0], cands[i][0]) <= .5
               for k in kept):
            kept.append(i)
    return [cands[i] for i in kept]


def voc_map(dets, truth, classes=10):
    aps = []
    for c in range(classes):
        gts = [(img, b) for img, b, l in truth if l == c]
        if not gts:
            continue
        mine = sorted([d for d in dets if d[2] == c], key=lambda d: -d[3])
        used, tp, fp, prec, rec = set(), 0, 0, [], []
        for img, box, _, _ in mine:
            best, arg = -1, None
            for g, (gi, gb) in enumerate(gts):
                if gi == img and iou(box, gb) > best:
                    best, arg = iou(box, gb), g
            if best >= .5 and arg not in used:
                used.add(arg)
                tp += 1
            else:
                fp += 1
            prec.append(tp / (tp + fp))
            rec.append(tp / len(gts))
        for i in range(len(prec) - 2, -1, -1):
            prec[i] = max(prec[i], prec[i + 1])
        ap, last = 0.0, 0.0
        for p_, r in zip(prec, rec):
            ap += (r - last) * p_
            last = r
        aps.append(ap)
    return sum(aps) / len(aps) if aps else 0.0


def check(decoder, outputs, boxes, result):
    import json
    rows, gt = np.load(outputs), np.load(boxes)
    truth = [(i, tuple(b[1:5]), int(b[0])) for i in range(len(rows))
             for b in gt[i] if b[5]]
    dets = [(i, box, label, score) for i in range(len(rows))
            for box, label, score in nms(decode(decoder, rows[i]))]
    ref = voc_map(dets, truth)
    got = json.load(open(result))["map50"]
    print(f"runner mAP {got:.6f}, numpy reference {ref:.6f}, "
          f"{len(dets)} detections")
    sys.exit(0 if abs(got - ref) < 1e-6 else 1)


if __name__ == "__main__":
    if sys.argv[1] == "--check":
        check(*sys.argv[2:6])
    else:
        main()
