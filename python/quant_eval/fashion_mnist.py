"""Fashion-MNIST loader for the raw IDX files (optionally gzip-compressed).

torchvision's dataset class insists on its own directory layout and tries to
download when files are missing; the machine has no network, so we read the
IDX files directly. Everything is returned as uint8 so callers choose the
normalization (the zoo models document theirs).
"""

import gzip
import os
import struct

import numpy as np

DEFAULT_ROOT = "/usr/share/datasets/fashion-mnist"

# Standard file stems; each may exist with or without a .gz suffix.
_FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}

# IDX type code for unsigned bytes. Fashion-MNIST only uses this one; other
# codes are rejected rather than silently misread.
_IDX_UBYTE = 0x08

CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)


def read_idx(path):
    """Read one IDX file (plain or .gz) into a uint8 array of its stored shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic)")
    dtype_code, ndim = data[2], data[3]
    if dtype_code != _IDX_UBYTE:
        raise ValueError(f"{path}: IDX type 0x{dtype_code:02x} unsupported (want ubyte)")
    header = 4 + 4 * ndim
    shape = struct.unpack(">" + "I" * ndim, data[4:header])
    count = int(np.prod(shape)) if shape else 1
    if len(data) - header != count:
        raise ValueError(f"{path}: payload is {len(data) - header} bytes, shape {shape} needs {count}")
    # Copy so the array owns writable memory rather than viewing the bytes object.
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()


def _find(root, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(root, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"neither {stem}.gz nor {stem} in {root}")


def load(split, root=DEFAULT_ROOT):
    """Return (images, labels) for split 'train' or 'test'.

    images: uint8 array (N, 28, 28); labels: uint8 array (N,) with values 0..9.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    images = read_idx(_find(root, _FILES[(split, "images")]))
    labels = read_idx(_find(root, _FILES[(split, "labels")]))
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(f"inconsistent {split} shapes: images {images.shape}, labels {labels.shape}")
    return images, labels


def load_all(root=DEFAULT_ROOT):
    """Return ((train_images, train_labels), (test_images, test_labels))."""
    return load("train", root), load("test", root)
