"""A small MobileNetV2-style Fashion-MNIST classifier, trained reproducibly.

This is the in-tree "real" model for quantization experiments: it is small
enough to commit (a few hundred KB of ONNX), trains on 2 CPU cores in minutes,
and has the features quantization methods care about -- depthwise convs,
ReLU6, linear bottlenecks, residual adds and a BatchNorm after every conv
(data-free methods read the BN statistics, so the export keeps BN nodes).

Preprocessing (done OUTSIDE the network, so the ONNX graph takes normalized
float input):
    x = (uint8_pixels / 255 - 0.2860) / 0.3530
laid out NCHW as float32 of shape (N, 1, 28, 28). 0.2860 / 0.3530 are the
mean / std of the training images' pixel values on [0, 1].

Usage (from the repository root):
    /usr/bin/python3 python/quant_eval/zoo/mobilenet_v2_fmnist.py \
        --out models/ --epochs 6 --seed 0

Writes <out>/mobilenet_v2_fmnist.onnx and <out>/mobilenet_v2_fmnist.json.
"""

import argparse
import json
import os
import shlex
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# Allow running as a plain script (python/quant_eval/zoo/x.py) as well as with -m.
if __package__ in (None, ""):
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from quant_eval import fashion_mnist  # noqa: E402
from quant_eval import onnx_numpy  # noqa: E402

NAME = "mobilenet_v2_fmnist"
MEAN = 0.2860
STD = 0.3530
OPSET = 13
# Reference logits for the first few test images go into the JSON so that a
# consumer of the ONNX file (e.g. the C++ importer) can check its numerics.
NUM_REFERENCE_IMAGES = 4


def normalize(images_u8):
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28) with the model's normalization."""
    x = torch.from_numpy(images_u8).float().div_(255.0)
    return x.sub_(MEAN).div_(STD).unsqueeze(1)


def conv_bn(cin, cout, kernel, stride=1, groups=1, act=True):
    """Conv without bias (BN supplies it) -> BN -> optional ReLU6."""
    layers = [
        nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand -> 3x3 depthwise -> 1x1 linear projection.

    The projection has no activation (the "linear bottleneck"); the skip
    connection exists only when the block preserves the tensor shape.
    """

    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = []
        if expand != 1:
            layers.append(conv_bn(cin, hidden, 1))
        layers.append(conv_bn(hidden, hidden, 3, stride, groups=hidden))
        layers.append(conv_bn(hidden, cout, 1, act=False))
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class MobileNetV2FMNIST(nn.Module):
    # (expansion t, output channels c, repeats n, first stride s), as in the
    # MobileNetV2 paper's table but scaled down for 28x28 single-channel input:
    # 28x28 -> 14x14 -> 7x7 -> 4x4.
    CONFIG = (
        (1, 16, 1, 1),
        (4, 24, 2, 2),
        (4, 32, 3, 2),
        (4, 48, 2, 2),
    )
    STEM = 16
    HEAD = 160

    def __init__(self, num_classes=10):
        super().__init__()
        layers = [conv_bn(1, self.STEM, 3)]
        cin = self.STEM
        for t, c, n, s in self.CONFIG:
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers.append(conv_bn(cin, self.HEAD, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(self.HEAD, num_classes)
        self._init_weights()

    def _init_weights(self):
        # torchvision's MobileNetV2 initialization; with it SGD at lr 0.1 is stable.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.features(x)
        # Global average pool; exported as GlobalAveragePool + Flatten.
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.classifier(x)


def seed_everything(seed):
    torch.manual_seed(seed)
    np.random.seed(seed)
    # Makes any nondeterministic kernel raise instead of silently varying;
    # the CPU kernels used here are all deterministic so this never fires.
    torch.use_deterministic_algorithms(True)


def augment(x, generator, pad=2):
    """Random translation by up to `pad` pixels (pad with background, crop 28x28).

    Done on whole batches with a dedicated generator so the data order and the
    augmentation draw from separate, seeded streams.
    """
    n, _, h, w = x.shape
    # Pad with the normalized value of a black pixel, i.e. the image background.
    padded = F.pad(x, (pad, pad, pad, pad), value=(0.0 - MEAN) / STD)
    offsets = torch.randint(0, 2 * pad + 1, (n, 2), generator=generator)
    out = torch.empty_like(x)
    for i in range(n):
        dy, dx = offsets[i].tolist()
        out[i] = padded[i, :, dy:dy + h, dx:dx + w]
    return out


@torch.no_grad()
def load_onnx_weights(model, onnx_path):
    """Loads a committed ONNX file's weights back into `model`: the
    initializer names are the state_dict keys. Returns the model in eval
    mode."""
    import onnx
    from onnx import numpy_helper

    weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy())
               for i in onnx.load(onnx_path).graph.initializer}
    state = model.state_dict()
    missing = [k for k in state if k not in weights and "num_batches" not in k]
    if missing:
        raise ValueError("weights missing from %s: %s" % (onnx_path, missing[:5]))
    model.load_state_dict({k: weights.get(k, v) for k, v in state.items()})
    return model.eval()


def evaluate(model, images, labels, batch_size=1000):
    model.eval()
    correct = 0
    for i in range(0, images.shape[0], batch_size):
        logits = model(images[i:i + batch_size])
        correct += (logits.argmax(1) == labels[i:i + batch_size]).sum().item()
    return correct / images.shape[0]


def train(model, train_x, train_y, epochs, seed, batch_size=128, lr=0.1,
          weight_decay=4e-5, log=print):
    """SGD + Nesterov momentum with a one-cycle schedule (warmup, cosine decay).

    One-cycle reaches a good accuracy in few epochs, which is what keeps the
    CPU training budget small.
    """
    data_gen = torch.Generator().manual_seed(seed)
    aug_gen = torch.Generator().manual_seed(seed + 1)
    n = train_x.shape[0]
    steps_per_epoch = (n + batch_size - 1) // batch_size
    # No weight decay on BN parameters and biases: it only fights the BN scale.
    decay, no_decay = [], []
    for p in model.parameters():
        (decay if p.ndim > 1 else no_decay).append(p)
    opt = torch.optim.SGD(
        [{"params": decay, "weight_decay": weight_decay},
         {"params": no_decay, "weight_decay": 0.0}],
        lr=lr, momentum=0.9, nesterov=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=lr, epochs=epochs, steps_per_epoch=steps_per_epoch,
        pct_start=0.2, anneal_strategy="cos", div_factor=10.0, final_div_factor=100.0)
    for epoch in range(epochs):
        model.train()
        t0 = time.time()
        perm = torch.randperm(n, generator=data_gen)
        total_loss, seen = 0.0, 0
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            x = augment(train_x[idx], aug_gen)
            y = train_y[idx]
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total_loss += loss.item() * y.shape[0]
            seen += y.shape[0]
        log(f"epoch {epoch + 1}/{epochs}: loss {total_loss / seen:.4f}, "
            f"{time.time() - t0:.0f}s", flush=True)


def export_onnx(model, path):
    """Export with BatchNormalization kept and a dynamic batch dimension.

    The default export runs in EVAL mode with constant folding, which folds BN
    into the preceding conv; PRESERVE on an eval-mode model plus no constant
    folding keeps the BN nodes (with their running statistics) instead.
    """
    model.eval()
    dummy = torch.zeros(1, 1, 28, 28)
    torch.onnx.export(
        model, dummy, path,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=OPSET,
        training=torch.onnx.TrainingMode.PRESERVE,
        do_constant_folding=False)
    add_preprocessing_metadata(path)


def add_preprocessing_metadata(path):
    """Record the input preprocessing in the model itself.

    quant-eval reads metadata_props named "qe.*" (the importer keeps them as
    the module's qe.metadata), so `quant-eval run` needs no flags.
    """
    import onnx

    model = onnx.load(path)
    props = {"qe.scale": "255", "qe.mean": str(MEAN), "qe.std": str(STD),
             "qe.layout": "NCHW"}
    del model.metadata_props[:]
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, path)


def verify_onnx(path, images, expected_logits):
    """Check the file with onnx.checker and rerun it with the numpy evaluator.

    There is no onnxruntime here; onnx_numpy implements exactly the op types
    this model uses, so agreement with torch shows the export is faithful
    (and that BN really survived with its statistics).
    """
    import onnx

    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    op_types = sorted({node.op_type for node in model.graph.node})
    if "BatchNormalization" not in op_types:
        raise RuntimeError(f"{path}: BatchNormalization was folded away; ops: {op_types}")
    got = onnx_numpy.run(model, {"input": images})["logits"]
    max_err = float(np.max(np.abs(got - expected_logits)))
    if max_err > 1e-3:
        raise RuntimeError(f"{path}: numpy evaluation differs from torch by {max_err}")
    num_bn = sum(node.op_type == "BatchNormalization" for node in model.graph.node)
    return op_types, num_bn, max_err


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="models/", help="output directory")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default=fashion_mnist.DEFAULT_ROOT,
                        help="directory with the Fashion-MNIST IDX(.gz) files")
    args = parser.parse_args(argv)

    torch.set_num_threads(os.cpu_count())  # Debian's torch defaults to 1 thread
    seed_everything(args.seed)

    (train_u8, train_lbl), (test_u8, test_lbl) = fashion_mnist.load_all(args.data)
    train_x, test_x = normalize(train_u8), normalize(test_u8)
    train_y = torch.from_numpy(train_lbl.astype(np.int64))
    test_y = torch.from_numpy(test_lbl.astype(np.int64))

    model = MobileNetV2FMNIST()
    num_params = sum(p.numel() for p in model.parameters())
    print(f"{NAME}: {num_params} parameters, {args.epochs} epochs, seed {args.seed}, "
          f"{torch.get_num_threads()} threads")

    t0 = time.time()
    train(model, train_x, train_y, args.epochs, args.seed)
    train_seconds = time.time() - t0

    accuracy = evaluate(model, test_x, test_y)
    print(f"float test top-1: {accuracy:.4f} on {test_x.shape[0]} images "
          f"(training {train_seconds:.0f}s)")

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, NAME + ".onnx")
    export_onnx(model, onnx_path)

    ref_images = test_x[:NUM_REFERENCE_IMAGES]
    with torch.no_grad():
        ref_logits = model.eval()(ref_images).numpy()
    op_types, num_bn, max_err = verify_onnx(onnx_path, ref_images.numpy(), ref_logits)
    print(f"ONNX ok: {os.path.getsize(onnx_path)} bytes, {num_bn} BatchNormalization, "
          f"numpy-vs-torch max |diff| {max_err:.2e}, ops {op_types}")

    # Record the command as run from the repository root, the way it is meant
    # to be rerun, rather than however this process happened to be started.
    script = os.path.relpath(os.path.abspath(__file__), _repo_root())
    command = " ".join(["/usr/bin/python3", script,
                        "--out", shlex.quote(_display_dir(args.out)),
                        "--epochs", str(args.epochs), "--seed", str(args.seed)])
    meta = {
        "name": NAME,
        "file": NAME + ".onnx",
        "task": "Fashion-MNIST 10-class image classification",
        "float_test_top1": round(accuracy, 4),
        "test_samples": int(test_x.shape[0]),
        "train_samples": int(train_x.shape[0]),
        "command": command,
        "seed": args.seed,
        "epochs": args.epochs,
        "training_seconds": round(train_seconds, 1),
        "torch_threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "opset": OPSET,
        "parameters": num_params,
        "onnx_op_types": op_types,
        "batchnorm_nodes": num_bn,
        "input": {"name": "input", "shape": ["batch", 1, 28, 28], "dtype": "float32",
                  "layout": "NCHW"},
        "output": {"name": "logits", "shape": ["batch", 10], "dtype": "float32"},
        "preprocessing": {
            "formula": "x = (pixel / scale - mean) / std",
            "scale": 255.0, "mean": MEAN, "std": STD,
            "layout": "NCHW", "channels": 1, "height": 28, "width": 28,
            "source_dtype": "uint8",
        },
        "classes": list(fashion_mnist.CLASSES),
        "training": {
            "split": "train (all 60000 images; no validation split taken)",
            "optimizer": "SGD momentum 0.9 nesterov, weight decay 4e-5 (not on BN/bias)",
            "schedule": "OneCycleLR max_lr 0.1, 20% cosine warmup, cosine decay",
            "batch_size": 128,
            "augmentation": "random translation up to 2 px (pad with background)",
        },
        "reference": {
            "description": "torch eval-mode logits of the first test images, "
                           "preprocessed as above",
            "test_indices": list(range(NUM_REFERENCE_IMAGES)),
            "labels": [int(v) for v in test_lbl[:NUM_REFERENCE_IMAGES]],
            "logits": [[round(float(v), 6) for v in row] for row in ref_logits],
        },
    }
    json_path = os.path.join(args.out, NAME + ".json")
    with open(json_path, "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"wrote {onnx_path} and {json_path}")


def _repo_root():
    return os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def _display_dir(path):
    """`path` relative to the repository root if inside it, else absolute."""
    path, root = os.path.abspath(path), _repo_root()
    if os.path.commonpath([path, root]) == root:
        return os.path.relpath(path, root) + "/"
    return path + "/"


if __name__ == "__main__":
    main()
