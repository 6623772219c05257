"""Quantization-aware fine-tuning of a zoo detector, exported as QDQ ONNX.

The detection counterpart of quant_eval/zoo/qat_finetune.py. Rebuilds the
detector's PyTorch module (quant_eval.detection.models.ARCHS, chosen by the
file name, e.g. models/ssd_fmnist.onnx -> ssd_fmnist), loads the committed
float ONNX file's weights back into it (train.py saves no checkpoint; the
exporter names initializers by their state_dict keys), and prepares it with
FX graph-mode QAT using the classifiers' qconfig (export_qat_qdq.qat_qconfig:
plain FakeQuantize with MovingAverageMinMaxObserver, quint8 per-tensor affine
activations; MovingAveragePerChannelMinMaxObserver, qint8 per-channel
symmetric weights; torch 1.13's fused observers do not export to ONNX).

Fine-tuning uses the detector's own loss and targets (train.LOSSES,
train.make_targets) and the float training's batch flip augmentation on
fresh TRAIN-split canvases (canvas seed 100000*seed + 50000 + epoch, disjoint
from the float training's 100000*seed + epoch), AdamW at a small constant
learning rate. As for the classifiers, observers and BN statistics are frozen
for the last epoch (when there is more than one). Seeded, one torch thread by
default.

The fake-quantized model and the float model are both scored with
quant_eval.detection.voc_map on the 2000 TEST canvases of seed 1 (the float
number reproduces the float model's JSON), and on the first 500 of them. The
QAT model is exported like the float one (opset 13, TrainingMode.PRESERVE in
eval mode, dynamic batch, the same output names and qe.* metadata_props) but
with constant folding on, as the classifiers' QAT models (see export();
BatchNormalization stays), and a JSON record is written next to it
(<out stem>.json).

Usage (from the repository root; 1-2.5 minutes of training on one thread
plus about a minute of scoring):
    /usr/bin/python3 python/quant_eval/detection/qat_finetune.py models/ssd_fmnist.onnx \\
        --out models/ssd_fmnist_qat.onnx --epochs 2 --canvases 6000 --seed 0 --threads 1
"""

import argparse
import copy
import json
import os
import sys
import time

import torch

if __package__ in (None, ""):
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from quant_eval import fashion_mnist  # noqa: E402
from quant_eval.detection import canvas, voc_map  # noqa: E402
from quant_eval.detection import train as det  # noqa: E402
from quant_eval.detection.models import ARCHS  # noqa: E402
from quant_eval.export_qat_qdq import qat_qconfig  # noqa: E402
from quant_eval.zoo import common as zoo  # noqa: E402

CANVAS_SEED_OFFSET = 50000
# The first SUBSET test canvases (of seed 1) are scored separately too: a
# reference a quick check of the C++ runner (quant-eval run --limit SUBSET)
# can compare with. make_canvases draws canvas after canvas from one
# generator, so they are the first SUBSET of the 2000.
SUBSET = 500


def arch_name(onnx_path):
    stem = os.path.splitext(os.path.basename(onnx_path))[0]
    if stem not in ARCHS and stem.endswith("_qat") and stem[:-4] in ARCHS:
        stem = stem[:-4]
    return stem


def score(model, decoder, names, images, boxes):
    """(mAP, per-class AP, raw outputs, mAP of the first SUBSET canvases)."""
    outs = det.run_model(model, images)
    m, aps = voc_map.evaluate_outputs(decoder, dict(zip(names, outs)), boxes)
    sub, _ = voc_map.evaluate_outputs(decoder, {k: o[:SUBSET] for k, o in zip(names, outs)},
                                      boxes[:SUBSET])
    return m, aps, outs, sub


def finetune(arch, prepared, epochs, seed, canvases, batch_size, lr, data_root):
    """det.train's loop with QAT's observer / BN freezing and a constant lr."""
    from torch.ao.quantization import disable_observer
    from torch.nn.intrinsic.qat import freeze_bn_stats

    items, labels = fashion_mnist.load("train", data_root)
    loss_fn = det.LOSSES[arch]
    opt = torch.optim.AdamW(prepared.parameters(), lr=lr, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(seed)
    epoch_seconds = []
    for epoch in range(epochs):
        t0 = time.time()
        if epoch == epochs - 1 and epochs > 1:
            prepared.apply(disable_observer)
            prepared.apply(freeze_bn_stats)
        mean_loss = det.train_epoch(
            arch, prepared, loss_fn, items, labels, canvases,
            100000 * seed + CANVAS_SEED_OFFSET + epoch, batch_size, gen, opt)
        epoch_seconds.append(time.time() - t0)
        det.log(f"epoch {epoch + 1}/{epochs}: loss {mean_loss:.4f}, "
                f"{epoch_seconds[-1]:.0f}s")
    return epoch_seconds


def export(prepared, names, path, float_proto, constant_folding):
    """Export like train.export (opset 13, TrainingMode.PRESERVE in eval mode,
    dynamic batch, the float model's output names), with the float model's
    metadata_props copied over.

    Constant folding is ON by default, as for the classifiers' QAT models
    (zoo/qat_finetune.py, export_qat_qdq.py): without it torch 1.13 leaves
    the ConvBn weight scaling W*gamma/sqrt(var+eps) as Sqrt/Div/Mul nodes
    before each weight QuantizeLinear and every zero point as an int32
    initializer behind a Cast, and the importer has no Sqrt. Folding cannot
    touch the Q/DQ nodes, and BatchNormalization survives either way (the
    conv weight is a DequantizeLinear output).
    """
    import onnx

    prepared.eval()
    with torch.no_grad():
        torch.onnx.export(
            prepared, torch.zeros(1, 1, 96, 96), path, input_names=["input"],
            output_names=list(names),
            dynamic_axes={k: {0: "batch"} for k in ("input",) + tuple(names)},
            opset_version=det.OPSET, training=torch.onnx.TrainingMode.PRESERVE,
            do_constant_folding=constant_folding)
    m = onnx.load(path)
    del m.metadata_props[:]
    m.metadata_props.extend(float_proto.metadata_props)
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return {e.key: e.value for e in m.metadata_props}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("float_onnx")
    p.add_argument("--out", required=True, help="the QDQ .onnx to write")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--canvases", type=int, default=4000, help="training canvases per epoch")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--arch", help="detector name (default: the file's stem)")
    p.add_argument("--data", default=fashion_mnist.DEFAULT_ROOT)
    p.add_argument("--no-constant-folding", dest="constant_folding", action="store_false",
                   help="export without constant folding (leaves Sqrt/Div/Mul/Cast "
                        "that the importer does not take)")
    a = p.parse_args(argv)

    import onnx
    from torch.ao.quantization import QConfigMapping, disable_observer
    from torch.ao.quantization.quantize_fx import prepare_qat_fx

    torch.set_num_threads(a.threads)
    zoo.seed_everything(a.seed)
    arch = a.arch or arch_name(a.float_onnx)
    make, decoder, names = ARCHS[arch]
    float_proto = onnx.load(a.float_onnx)
    float_props = {e.key: e.value for e in float_proto.metadata_props}
    if float_props.get("qe.decoder") != decoder:
        raise ValueError(f"{a.float_onnx}: qe.decoder {float_props.get('qe.decoder')!r}, "
                         f"{arch} decodes {decoder!r}")
    model = zoo.load_onnx_weights(make(), a.float_onnx)

    items, labels = fashion_mnist.load("test", a.data)
    images, boxes = canvas.make_canvases(items, labels, det.EVAL_COUNT, det.EVAL_SEED)
    float_map, _, _, float_sub = score(model, decoder, names, images, boxes)
    det.log(f"{arch}: float mAP@0.5 {float_map:.4f} on {len(images)} test canvases")

    example = torch.from_numpy(det.normalize(images[:1]))
    prepared = prepare_qat_fx(copy.deepcopy(model).train(),
                              QConfigMapping().set_global(qat_qconfig()),
                              example_inputs=(example,))
    t0 = time.time()
    epoch_seconds = finetune(arch, prepared, a.epochs, a.seed, a.canvases, a.batch_size,
                             a.lr, a.data)
    seconds = time.time() - t0
    prepared.apply(disable_observer)
    prepared.eval()
    qat_map, qat_aps, qat_outs, qat_sub = score(prepared, decoder, names, images, boxes)
    det.log(f"{arch}: QAT fake-quant mAP@0.5 {qat_map:.4f} (float {float_map:.4f}); "
            f"first {SUBSET} canvases: QAT {qat_sub:.4f}, float {float_sub:.4f}")

    props = export(prepared, names, a.out, float_proto, a.constant_folding)
    proto = onnx.load(a.out)
    onnx.checker.check_model(proto, full_check=True)
    out_names = [o.name for o in proto.graph.output]
    if out_names != [o.name for o in float_proto.graph.output]:
        raise RuntimeError(f"outputs {out_names} differ from the float model's")
    ops = sorted({n.op_type for n in proto.graph.node})
    counts = {op: sum(n.op_type == op for n in proto.graph.node)
              for op in ("QuantizeLinear", "DequantizeLinear", "BatchNormalization", "Conv")}
    det.log(f"{a.out}: {os.path.getsize(a.out)} bytes, ops {ops}, counts {counts}")

    record = {
        "name": arch + "_qat",
        "command": "/usr/bin/python3 python/quant_eval/detection/qat_finetune.py "
                   f"{a.float_onnx} --out {a.out} --epochs {a.epochs} --canvases {a.canvases} "
                   f"--batch-size {a.batch_size} --lr {a.lr} --seed {a.seed} "
                   f"--threads {a.threads}" + (f" --arch {a.arch}" if a.arch else "")
                   + ("" if a.constant_folding else " --no-constant-folding"),
        "model": arch,
        "float_model": a.float_onnx, "seed": a.seed, "epochs": a.epochs,
        "training_canvases_per_epoch": a.canvases,
        "training_canvases": "fresh each epoch: TRAIN-split items, canvas seed "
                             f"100000*seed+{CANVAS_SEED_OFFSET}+epoch",
        "batch_size": a.batch_size, "lr": a.lr,
        "optimizer": f"AdamW lr {a.lr} constant, wd 1e-4; observers and BN statistics "
                     "frozen for the last epoch",
        "loss": det.LOSSES[arch].__name__,
        "augmentation": "random horizontal flip per batch",
        "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
        "train_seconds": round(seconds),
        "epoch_seconds": [round(s, 1) for s in epoch_seconds],
        "qconfig": "activations quint8 per-tensor affine (MovingAverageMinMax), "
                   "weights qint8 per-channel symmetric (MovingAveragePerChannelMinMax)",
        "evaluation": {"canvases": det.EVAL_COUNT, "split": "test", "seed": det.EVAL_SEED,
                       "subset": f"the first {SUBSET} of them (the *_first{SUBSET} entries)",
                       "generator": "python3 -m quant_eval.detection.canvas --split test "
                                    "--count 2000 --seed 1",
                       "postprocessing": det.POSTPROCESS_DOC},
        "float_mAP@0.5": round(float_map, 4),
        "qat_mAP@0.5": round(qat_map, 4),
        f"float_mAP@0.5_first{SUBSET}": round(float_sub, 4),
        f"qat_mAP@0.5_first{SUBSET}": round(qat_sub, 4),
        "qat_AP_per_class": {fashion_mnist.CLASSES[k]: round(v, 4) for k, v in qat_aps.items()},
        "decoder": decoder,
        "metadata_props": props,
        "outputs": {n: list(o.shape[1:]) for n, o in zip(names, qat_outs)},
        "onnx_opset": det.OPSET, "onnx_ops": ops, "onnx_op_counts": counts,
        "export": "torch.onnx.export opset 13, TrainingMode.PRESERVE (eval mode), "
                  f"do_constant_folding={a.constant_folding}, dynamic batch, the float "
                  "model's output names and metadata_props",
    }
    with open(os.path.splitext(a.out)[0] + ".json", "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")
    det.log(f"wrote {a.out}")


if __name__ == "__main__":
    main()
