"""Quantization-aware fine-tuning of a zoo model, exported as QDQ ONNX.

Loads the committed float model's weights back into its PyTorch module
(chosen by the file name, e.g. resnet_fmnist.onnx -> resnet_fmnist.py, or
by --model), prepares it with FX graph-mode QAT (conv+bn(+relu) fused into
the QAT modules; FakeQuantize with moving-average observers: quint8 per-tensor
affine activations, qint8 per-channel symmetric weights, the qconfig of
export_qat_qdq.py, whose plain FakeQuantize exports to ONNX Q/DQ), and
fine-tunes it for a few epochs on the training split at a small learning
rate. Observers and BN statistics are frozen for the last epoch. Its
fake-quantized test accuracy (PyTorch's own number) goes into a JSON
sidecar with the command, seed, thread count and time; the model is
exported as QDQ ONNX (opset 13), checked against torch with the numpy
evaluator.

quant-eval imports the QDQ model and must reproduce that accuracy.

Usage (from the repository root, about 4 minutes on 2 cores):
    /usr/bin/python3 python/quant_eval/zoo/qat_finetune.py models/mobilenet_v2_fmnist.onnx \\
        --out models/mobilenet_v2_fmnist_qat.onnx --epochs 2 --seed 0
"""

import argparse
import copy
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from quant_eval import fashion_mnist  # noqa: E402
from quant_eval.export_qat_qdq import qat_qconfig  # noqa: E402
from quant_eval.zoo import common as zoo  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("float_onnx")
    ap.add_argument("--out", required=True, help="the QDQ .onnx to write")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--lr", type=float, default=0.005)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="torch threads (default: all cores)")
    ap.add_argument("--model", help="zoo model name (default: the file's stem)")
    args = ap.parse_args(argv)

    from torch.ao.quantization import QConfigMapping, disable_observer
    from torch.ao.quantization.quantize_fx import prepare_qat_fx
    from torch.nn.intrinsic.qat import freeze_bn_stats

    torch.set_num_threads(args.threads)
    zoo.seed_everything(args.seed)
    (train_u8, train_lbl), (test_u8, test_lbl) = fashion_mnist.load_all()
    train_x, test_x = zoo.normalize(train_u8), zoo.normalize(test_u8)
    train_y = torch.from_numpy(train_lbl.astype(np.int64))
    test_y = torch.from_numpy(test_lbl.astype(np.int64))

    name = args.model or zoo.model_name(args.float_onnx)
    model = zoo.load_onnx_weights(zoo.model_for(name), args.float_onnx)
    float_acc = zoo.evaluate(model, test_x, test_y)
    prepared = prepare_qat_fx(copy.deepcopy(model).train(),
                              QConfigMapping().set_global(qat_qconfig()),
                              example_inputs=(test_x[:1],))

    gen = torch.Generator().manual_seed(args.seed)
    opt = torch.optim.SGD(prepared.parameters(), lr=args.lr, momentum=0.9)
    batch = 128
    n = train_x.shape[0]
    t0 = time.time()
    for epoch in range(args.epochs):
        if epoch == args.epochs - 1 and args.epochs > 1:
            prepared.apply(disable_observer)
            prepared.apply(freeze_bn_stats)
        prepared.train()
        perm = torch.randperm(n, generator=gen)
        total, seen = 0.0, 0
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            loss = torch.nn.functional.cross_entropy(prepared(train_x[idx]), train_y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * idx.numel()
            seen += idx.numel()
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / seen:.4f}, "
              f"{time.time() - t0:.0f}s", flush=True)
    seconds = time.time() - t0
    prepared.apply(disable_observer)
    prepared.eval()
    with torch.no_grad():
        qat_acc = zoo.evaluate(prepared, test_x, test_y)
    print(f"float {float_acc:.4f}, QAT fake-quant {qat_acc:.4f} on {test_x.shape[0]} "
          f"test images")

    import onnx
    with torch.no_grad():
        torch.onnx.export(prepared, test_x[:1], args.out,
                          input_names=["input"], output_names=["logits"],
                          opset_version=zoo.OPSET,
                          training=torch.onnx.TrainingMode.EVAL,
                          do_constant_folding=True)
    zoo.add_preprocessing_metadata(args.out)
    proto = onnx.load(args.out)
    onnx.checker.check_model(proto, full_check=True)
    x = test_x[:8]
    with torch.no_grad():
        expected = prepared(x).numpy()
    got = zoo.run_onnx(proto, {"input": x.numpy()})["logits"]
    max_err = float(np.max(np.abs(got - expected)))
    ops = sorted({node.op_type for node in proto.graph.node})
    print(f"QDQ ONNX {args.out}: {os.path.getsize(args.out)} bytes, ops {ops}, "
          f"numpy-vs-torch max |diff| {max_err:.2e}")

    record = {
        "command": "/usr/bin/python3 python/quant_eval/zoo/qat_finetune.py "
                   f"{args.float_onnx} --out {args.out} --epochs {args.epochs} "
                   f"--lr {args.lr} --seed {args.seed} --threads {args.threads}"
                   + (f" --model {args.model}" if args.model else ""),
        "model": name,
        "float_model": args.float_onnx, "seed": args.seed, "epochs": args.epochs,
        "lr": args.lr, "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
        "train_seconds": round(seconds),
        "float_test_top1": float_acc, "qat_test_top1": qat_acc,
        "test_samples": int(test_x.shape[0]),
        "qconfig": "activations quint8 per-tensor affine (MovingAverageMinMax), "
                   "weights qint8 per-channel symmetric (MovingAveragePerChannelMinMax)",
        "onnx_ops": ops, "numpy_vs_torch_max_abs_diff": max_err,
    }
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(record, f, indent=2)


if __name__ == "__main__":
    main()
