"""What the zoo's Fashion-MNIST classifiers share: preprocessing, seeding,
training, ONNX export and checking, the JSON record, and the registry that
maps a model name to its PyTorch module.

Each model script (mobilenet_v2_fmnist.py, resnet_fmnist.py,
inception_fmnist.py) defines only its network and calls
`train_and_export`; qat_finetune.py and reference_logits.py find the module
of a committed ONNX file with `model_for`.

Preprocessing (done OUTSIDE the networks, so the ONNX graphs take
normalized float input):
    x = (uint8_pixels / 255 - 0.2860) / 0.3530
laid out NCHW as float32 of shape (N, 1, 28, 28). 0.2860 / 0.3530 are the
mean / std of the training images' pixel values on [0, 1].
"""

import importlib
import json
import os
import shlex
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

# Allow importing from a plain script (python/quant_eval/zoo/x.py) as well as with -m.
if __package__ in (None, ""):
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from quant_eval import fashion_mnist  # noqa: E402
from quant_eval import onnx_numpy  # noqa: E402

MEAN = 0.2860
STD = 0.3530
OPSET = 13
# Reference logits for the first few test images go into the JSON so that a
# consumer of the ONNX file (e.g. the C++ importer) can check its numerics.
NUM_REFERENCE_IMAGES = 4

# Model name (the ONNX file's stem) -> (module in quant_eval.zoo, class).
ZOO = {
    "mobilenet_v2_fmnist": ("mobilenet_v2_fmnist", "MobileNetV2FMNIST"),
    "resnet_fmnist": ("resnet_fmnist", "ResNetFMNIST"),
    "inception_fmnist": ("inception_fmnist", "InceptionFMNIST"),
}


def model_name(onnx_path):
    """The zoo name of a committed model file: its stem, without a `_qat`
    suffix (models/resnet_fmnist.onnx -> resnet_fmnist)."""
    stem = os.path.splitext(os.path.basename(onnx_path))[0]
    if stem not in ZOO and stem.endswith("_qat") and stem[:-4] in ZOO:
        stem = stem[:-4]
    return stem


def model_for(name):
    """A freshly initialized PyTorch module of zoo model `name`."""
    if name not in ZOO:
        raise ValueError("unknown zoo model %r (known: %s); name the model with --model"
                         % (name, ", ".join(sorted(ZOO))))
    module, cls = ZOO[name]
    return getattr(importlib.import_module("quant_eval.zoo." + module), cls)()


def init_weights(model):
    """torchvision's initialization for the zoo's networks: He normal
    (fan out) convolutions, BatchNorm at gamma 1 and beta 0, a small normal
    fully connected layer; with it SGD at lr 0.1 is stable from the start."""
    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, torch.nn.BatchNorm2d):
            torch.nn.init.ones_(m.weight)
            torch.nn.init.zeros_(m.bias)
        elif isinstance(m, torch.nn.Linear):
            torch.nn.init.normal_(m.weight, 0, 0.01)
            torch.nn.init.zeros_(m.bias)


def normalize(images_u8):
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28) with the model's normalization."""
    x = torch.from_numpy(images_u8).float().div_(255.0)
    return x.sub_(MEAN).div_(STD).unsqueeze(1)


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
    CPU training budget small. Returns the seconds each epoch took.
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
    epoch_seconds = []
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
        epoch_seconds.append(time.time() - t0)
        log(f"epoch {epoch + 1}/{epochs}: loss {total_loss / seen:.4f}, "
            f"{epoch_seconds[-1]:.0f}s", flush=True)
    return epoch_seconds


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
    undo_initializer_deduplication(path)
    add_preprocessing_metadata(path)


def undo_initializer_deduplication(path):
    """Give every parameter its own initializer again.

    The exporter stores parameters with equal values once and turns the
    others into Identity nodes of it. That happens in a ResNet: the
    shortcut's and the body's last BN biases always get the same gradient
    (both add into one tensor; no weight decay), so they stay equal. The
    Identity outputs are then no initializers and load_onnx_weights cannot
    find those state_dict keys, so each becomes a copy of its source again.
    """
    import onnx

    model = onnx.load(path)
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    aliases = [n for n in graph.node
               if n.op_type == "Identity" and n.input[0] in inits]
    if not aliases:
        return
    for node in aliases:
        copy = graph.initializer.add()
        copy.CopyFrom(inits[node.input[0]])
        copy.name = node.output[0]
        graph.node.remove(node)
    onnx.save(model, path)


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


# --- a numpy evaluator for the exported graphs -------------------------------

def _window_view(x, kernel, strides, pads, pad_value):
    """(N, C, H, W) -> (N, C, OH, OW, KH, KW) windows of the padded input."""
    kh, kw = kernel
    sh, sw = strides
    pt, pl, pb, pr = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=pad_value)
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))
    return win[:, :, ::sh, ::sw]


def _pool(op, x, attrs):
    kernel = list(attrs["kernel_shape"])
    strides = list(attrs.get("strides", [1, 1]))
    pads = list(attrs.get("pads", [0, 0, 0, 0]))
    if len(kernel) != 2 or attrs.get("ceil_mode", 0) or \
            attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET") or \
            list(attrs.get("dilations", [1, 1])) != [1, 1]:
        raise NotImplementedError(f"{op} with attributes {attrs}")
    x = x.astype(np.float64)
    if op == "MaxPool":
        return _window_view(x, kernel, strides, pads, -np.inf).max(axis=(4, 5))
    total = _window_view(x, kernel, strides, pads, 0.0).sum(axis=(4, 5))
    if attrs.get("count_include_pad", 0):
        return total / (kernel[0] * kernel[1])
    ones = np.ones((1, 1) + x.shape[2:])
    return total / _window_view(ones, kernel, strides, pads, 0.0).sum(axis=(4, 5))


def run_onnx(model, feeds):
    """onnx_numpy.run, plus Concat, MaxPool and AveragePool.

    A graph that onnx_numpy covers is handed to it whole; otherwise each node
    onnx_numpy knows runs through it as a one-node graph, so every shared op
    is computed by the same code (in float64), and the three extra ops here.
    """
    import onnx
    from onnx import helper, numpy_helper

    extra = {"Concat", "MaxPool", "AveragePool"}
    if not any(node.op_type in extra for node in model.graph.node):
        return onnx_numpy.run(model, feeds)
    env = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    for name, value in feeds.items():
        env[name] = np.asarray(value)
    for node in model.graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        inputs = [env[name] if name else None for name in node.input]
        if node.op_type == "Concat":
            out = np.concatenate(inputs, axis=attrs["axis"])
        elif node.op_type in ("MaxPool", "AveragePool"):
            if len(node.output) != 1:
                raise NotImplementedError(f"{node.op_type} with Indices output")
            out = _pool(node.op_type, inputs[0], attrs)
        else:
            graph = helper.make_graph(
                [node], "node", [],
                [helper.make_tensor_value_info(o, onnx.TensorProto.FLOAT, None)
                 for o in node.output])
            out = onnx_numpy.run(helper.make_model(graph),
                                 {n: env[n] for n in node.input if n})[node.output[0]]
        env[node.output[0]] = out
    return {o.name: env[o.name] for o in model.graph.output}


def verify_onnx(path, images, expected_logits):
    """Check the file with onnx.checker and rerun it with the numpy evaluator.

    There is no onnxruntime here; onnx_numpy (with run_onnx's additions)
    implements exactly the op types the zoo models use, so agreement with
    torch shows the export is faithful (and that BN really survived with its
    statistics).
    """
    import onnx

    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    op_types = sorted({node.op_type for node in model.graph.node})
    if "BatchNormalization" not in op_types:
        raise RuntimeError(f"{path}: BatchNormalization was folded away; ops: {op_types}")
    got = run_onnx(model, {"input": images})["logits"]
    max_err = float(np.max(np.abs(got - expected_logits)))
    if max_err > 1e-3:
        raise RuntimeError(f"{path}: numpy evaluation differs from torch by {max_err}")
    num_bn = sum(node.op_type == "BatchNormalization" for node in model.graph.node)
    return op_types, num_bn, max_err


# --- the model scripts' main --------------------------------------------------

def add_arguments(parser, epochs, threads=None):
    """The model scripts' options. `threads`: a default for a --threads
    option, or None for no option (the script picks the count)."""
    parser.add_argument("--out", default="models/", help="output directory")
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--seed", type=int, default=0)
    if threads is not None:
        parser.add_argument("--threads", type=int, default=threads,
                            help="torch threads for training (recorded)")
    parser.add_argument("--data", default=fashion_mnist.DEFAULT_ROOT,
                        help="directory with the Fashion-MNIST IDX(.gz) files")


def train_and_export(name, make_model, script, args, threads, lr=0.1,
                     weight_decay=4e-5, command_options=(), extra_meta=None,
                     record_epoch_seconds=False):
    """Train zoo model `name` on all 60000 training images, measure it on all
    10000 test images, export it (name.onnx), check the export and write its
    record (name.json) into args.out.

    `script` is the model script's __file__ (recorded in the command, with
    args.out/epochs/seed and `command_options`), `threads` the torch thread
    count. `extra_meta` is added to the record, and with
    `record_epoch_seconds` each epoch's time goes into its "training" entry.
    """
    torch.set_num_threads(threads)
    seed_everything(args.seed)

    (train_u8, train_lbl), (test_u8, test_lbl) = fashion_mnist.load_all(args.data)
    train_x, test_x = normalize(train_u8), normalize(test_u8)
    train_y = torch.from_numpy(train_lbl.astype(np.int64))
    test_y = torch.from_numpy(test_lbl.astype(np.int64))

    model = make_model()
    num_params = sum(p.numel() for p in model.parameters())
    print(f"{name}: {num_params} parameters, {args.epochs} epochs, seed {args.seed}, "
          f"{torch.get_num_threads()} threads")

    t0 = time.time()
    epoch_seconds = train(model, train_x, train_y, args.epochs, args.seed, lr=lr,
                          weight_decay=weight_decay)
    train_seconds = time.time() - t0

    accuracy = evaluate(model, test_x, test_y)
    print(f"float test top-1: {accuracy:.4f} on {test_x.shape[0]} images "
          f"(training {train_seconds:.0f}s)")

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, name + ".onnx")
    export_onnx(model, onnx_path)

    ref_images = test_x[:NUM_REFERENCE_IMAGES]
    with torch.no_grad():
        ref_logits = model.eval()(ref_images).numpy()
    op_types, num_bn, max_err = verify_onnx(onnx_path, ref_images.numpy(), ref_logits)
    print(f"ONNX ok: {os.path.getsize(onnx_path)} bytes, {num_bn} BatchNormalization, "
          f"numpy-vs-torch max |diff| {max_err:.2e}, ops {op_types}")

    # Record the command as run from the repository root, the way it is meant
    # to be rerun, rather than however this process happened to be started.
    script = os.path.relpath(os.path.abspath(script), _repo_root())
    command = " ".join(["/usr/bin/python3", script,
                        "--out", shlex.quote(_display_dir(args.out)),
                        "--epochs", str(args.epochs), "--seed", str(args.seed)]
                       + list(command_options))
    meta = {
        "name": name,
        "file": name + ".onnx",
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
            "optimizer": "SGD momentum 0.9 nesterov, weight decay %s (not on BN/bias)"
                         % _number(weight_decay),
            "schedule": "OneCycleLR max_lr %s, 20%% cosine warmup, cosine decay"
                        % _number(lr),
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
    if record_epoch_seconds:
        meta["training"]["epoch_seconds"] = [round(s, 1) for s in epoch_seconds]
    meta.update(extra_meta or {})
    json_path = os.path.join(args.out, name + ".json")
    with open(json_path, "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"wrote {onnx_path} and {json_path}")


@torch.no_grad()
def onnx_logits(model, onnx_path, images_u8):
    """PyTorch's float32 logits of `model` with the ONNX file's weights on
    uint8 images (N, 28, 28)."""
    model = load_onnx_weights(model, onnx_path)
    x = normalize(np.ascontiguousarray(images_u8))
    return model(x).numpy().astype(np.float32)


def _number(value):
    """4e-05 -> "4e-5", 0.1 -> "0.1" (the records' spelling)."""
    text = "%g" % value
    return text.replace("e-0", "e-").replace("e+0", "e+")


def _repo_root():
    return os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def _display_dir(path):
    """`path` relative to the repository root if inside it, else absolute."""
    path, root = os.path.abspath(path), _repo_root()
    if os.path.commonpath([path, root]) == root:
        return os.path.relpath(path, root) + "/"
    return path + "/"
