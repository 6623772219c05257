"""Synthetic detection benchmark on Fashion-MNIST and small detectors (issue 7, item 2).

The networks end before any decoding; the C++ runner does all post-processing.
The contract (fixed):

Data (canvas.py): 96x96x1 uint8 canvases, background 0, 1-4 Fashion-MNIST items each
resized bilinearly to a square side of 20..56 px, pasted fully inside with max(),
pairwise box IoU <= 0.4. Ground truth: tight box of the item's pixels > 30, corners
(x0, y0, x1 = last column + 1, y1 = last row + 1), label 0..9. boxes.npy is
(N, 4, 6) float32: label, x0, y0, x1, y1, valid. Evaluation set: TEST split,
--count 2000 --seed 1.

Input: "input" [N,1,96,96] float32 NCHW, x = (pixel/255 - 0.2860)/0.3530
(metadata qe.scale=255, qe.mean=0.286, qe.std=0.353, qe.layout=NCHW, qe.task=detection,
qe.classes=10, qe.decoder=<below>).

Anchors (anchors.py, decoders anchors-softmax / anchors-sigmoid): levels 12x12 stride 8,
6x6 stride 16, 3x3 stride 32; sizes 24, 48, 80; ratios [1.0, 2.0, 0.5]; order level,
row i, column j, ratio; center ((j+0.5)*stride, (i+0.5)*stride), w = size*sqrt(r),
h = size/sqrt(r); A = 567. Encoding tx = (cx-acx)/aw/0.1, ty = (cy-acy)/ah/0.1,
tw = log(w/aw)/0.2, th = log(h/ah)/0.2.

Outputs, in this order:
  ssd_fmnist        "boxes" [N,567,4] (tx,ty,tw,th), "scores" [N,567,11] logits, class 0 =
                    background; softmax; label = argmax class - 1.   qe.decoder=anchors-softmax
  retinanet_fmnist, effdet_fmnist
                    "boxes" [N,567,4], "scores" [N,567,10] logits; sigmoid.
                                                                     qe.decoder=anchors-sigmoid
  centernet_fmnist  "heatmap" [N,10,24,24] logits (sigmoid), "size" [N,2,24,24] (w, h in
                    input pixels), "offset" [N,2,24,24] (x, y sub-cell center offset in
                    cells; trained to 0..1 at object centers only, unconstrained elsewhere);
                    box of cell (i, j) = center ((j+offx)*4, (i+offy)*4), predicted size.
                                                                     qe.decoder=centernet

Post-processing and score (voc_map.py): score >= 0.01, per-class greedy NMS at IoU 0.5,
at most 100 detections per image, VOC all-point AP at IoU >= 0.5 (duplicates are false
positives), mAP = mean over the classes with ground truth.

Modules: canvas (generator + CLI), anchors, models, train (shared training loop,
--arch), voc_map (mAP + CLI on raw outputs), check_runner (C++ runner vs PyTorch).
"""
