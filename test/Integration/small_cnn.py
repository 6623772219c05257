"""A small CNN written directly in TOSA, with its numpy reference.

Writes, for a seed:
  small_cnn.mlir     conv, depthwise conv, relu and relu6 clamps, an add,
                     max and average pooling, reshape, matmul (FC), softmax;
  small_cnn_fq.mlir  the same with qe.fake_quant on the weights (per
                     channel, symmetric narrow int8) and on activations
                     (per tensor, asymmetric uint8);
  input.npy          an NHWC input;
  expected.npy, expected_fq.npy   numpy's outputs for the two models.

numpy is the independent route: convolution and pooling are written out as
loops over windows here, not taken from the compiler. check() compares an
output with its expectation.

Usage: small_cnn.py OUT_DIR [--seed S]
       small_cnn.py --check OUTPUT.npy EXPECTED.npy --atol A
         (a .f32 output is raw float32, as runtime/aot/qe_run_model writes)
"""

import argparse
import os
import sys

import numpy as np

H = W = 8
CIN, C = 2, 4
CLASSES = 5


def fake_quant(x, scale, zp, qmin, qmax, axis=None):
    """qe.fake_quant with RNE, computed in float32 like the compiler."""
    x = x.astype(np.float32)
    scale = np.asarray(scale, dtype=np.float32)
    zp = np.asarray(zp, dtype=np.float32)
    if axis is not None:
        shape = [1] * x.ndim
        shape[axis] = -1
        scale = scale.reshape(shape)
        zp = zp.reshape(shape)
    r = np.round(x / scale)  # numpy rounds half to even
    r = np.clip(r, qmin - zp, qmax - zp)
    return (scale * r).astype(np.float32)


def conv2d(x, w, b, pad, stride):
    """x NHWC, w [OC, KH, KW, IC], pad [top, bottom, left, right]."""
    x = np.pad(x, ((0, 0), (pad[0], pad[1]), (pad[2], pad[3]), (0, 0)))
    oc, kh, kw, _ = w.shape
    oh = (x.shape[1] - kh) // stride + 1
    ow = (x.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, oc), dtype=np.float64)
    for i in range(oh):
        for j in range(ow):
            win = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j, :] = np.einsum("nhwc,ohwc->no", win, w)
    return (out + b).astype(np.float32)


def depthwise2d(x, w, b, pad, stride):
    """w [KH, KW, C, 1]."""
    x = np.pad(x, ((0, 0), (pad[0], pad[1]), (pad[2], pad[3]), (0, 0)))
    kh, kw = w.shape[:2]
    oh = (x.shape[1] - kh) // stride + 1
    ow = (x.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]), dtype=np.float64)
    for i in range(oh):
        for j in range(ow):
            win = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j, :] = np.einsum("nhwc,hwc->nc", win, w[:, :, :, 0])
    return (out + b).astype(np.float32)


def pool(x, k, stride, fn):
    oh = (x.shape[1] - k) // stride + 1
    ow = (x.shape[2] - k) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]), dtype=np.float32)
    for i in range(oh):
        for j in range(ow):
            out[:, i, j, :] = fn(x[:, i * stride:i * stride + k,
                                   j * stride:j * stride + k, :], axis=(1, 2))
    return out


class Params:
    def __init__(self, seed):
        rng = np.random.default_rng(seed)
        f = lambda *s: rng.standard_normal(s).astype(np.float32) * 0.5
        self.x = rng.uniform(-1, 1, (1, H, W, CIN)).astype(np.float32)
        self.w1, self.b1 = f(C, 3, 3, CIN), f(C)
        self.w2, self.b2 = f(3, 3, C, 1), f(C)
        self.shift = f(C)
        self.fc, self.fcb = f(C * 2 * 2, CLASSES), f(CLASSES)
        # Quantization parameters: per-channel symmetric narrow int8 weights
        # and per-tensor uint8 activations with ranges that cover them.
        self.s1 = np.abs(self.w1).reshape(C, -1).max(1) / 127
        self.s2 = np.abs(self.w2).reshape(-1, C).max(0) / 127
        self.a1 = (0.05, 0)    # after the ReLU
        self.a2 = (6 / 255, 0)  # after the ReLU6


def forward(p, quantized):
    w1, w2 = p.w1, p.w2
    if quantized:
        w1 = fake_quant(w1, p.s1, [0] * C, -127, 127, axis=0)
        w2 = fake_quant(w2, p.s2, [0] * C, -127, 127, axis=2)
    y = conv2d(p.x, w1, p.b1, (1, 1, 1, 1), 1)
    y = np.maximum(y, 0)
    if quantized:
        y = fake_quant(y, p.a1[0], p.a1[1], 0, 255)
    # 8 rows, kernel 3, stride 2: the end padding row is never read.
    y = depthwise2d(y, w2, p.b2, (1, 0, 1, 0), 2)
    y = (y + p.shift).astype(np.float32)
    y = np.clip(y, 0, 6)
    if quantized:
        y = fake_quant(y, p.a2[0], p.a2[1], 0, 255)
    y = pool(y, 2, 2, np.max) + pool(y, 2, 2, np.mean)
    logits = y.reshape(1, -1).astype(np.float64) @ p.fc + p.fcb
    e = np.exp(logits - logits.max(1, keepdims=True))
    return (e / e.sum(1, keepdims=True)).astype(np.float32)


def dense(a):
    return "dense<" + np.array2string(
        np.asarray(a, dtype=np.float32), separator=", ", threshold=1 << 30,
        floatmode="unique", max_line_width=1 << 30) + ">"


def shape(a):
    return "x".join(str(d) for d in a.shape) + "xf32"


def fq_line(name, src, t, scales, zps, bits_spec, axis=None):
    axis_text = "" if axis is None else " axis(%d)" % axis
    s = ", ".join(repr(float(v)) for v in np.atleast_1d(scales))
    z = ", ".join(str(int(v)) for v in np.atleast_1d(zps))
    return ("  %%%s = qe.fake_quant %%%s %s%s scales([%s]) zero_points([%s]) "
            "rounding(rne) : tensor<%s>\n" % (name, src, bits_spec, axis_text, s,
                                              z, t))


def write_mlir(p, path, quantized):
    act1 = "1x%dx%dx%d" % (H, W, C)
    act2 = "1x4x4x%d" % C
    m = []
    m.append("func.func @main(%%x: tensor<1x%dx%dx%dxf32>) -> tensor<1x%dxf32> {\n"
             % (H, W, CIN, CLASSES))
    const = lambda n, a: m.append('  %%%s = "tosa.const"() {values = %s : tensor<%s>} : () -> tensor<%s>\n'
                                  % (n, dense(a), shape(a), shape(a)))
    const("w1", p.w1)
    const("b1", p.b1)
    const("w2", p.w2)
    const("b2", p.b2)
    const("shift", p.shift.reshape(1, 1, 1, C))
    const("fc", p.fc.reshape(1, C * 4, CLASSES))
    const("fcb", p.fcb.reshape(1, CLASSES))
    m.append('  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>\n')
    m.append('  %shift0 = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>\n')
    w1, w2 = "w1", "w2"
    if quantized:
        m.append(fq_line("w1q", "w1", shape(p.w1), p.s1, [0] * C,
                         "bits(8) narrow_range", axis=0))
        m.append(fq_line("w2q", "w2", shape(p.w2), p.s2, [0] * C,
                         "bits(8) narrow_range", axis=2))
        w1, w2 = "w1q", "w2q"
    m.append("  %%c1 = tosa.conv2d %%x, %%%s, %%b1, %%zp, %%zp {acc_type = f32, "
             "dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, "
             "stride = array<i64: 1, 1>} : (tensor<1x%dx%dx%dxf32>, tensor<%s>, "
             "tensor<%dxf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<%sxf32>\n"
             % (w1, H, W, CIN, shape(p.w1), C, act1))
    m.append("  %%r1 = tosa.clamp %%c1 {max_val = 3.40282347E+38 : f32, min_val = 0.0 : f32}"
             " : (tensor<%sxf32>) -> tensor<%sxf32>\n" % (act1, act1))
    a1 = "r1"
    if quantized:
        m.append(fq_line("r1q", "r1", act1 + "xf32", p.a1[0], p.a1[1], "unsigned bits(8)"))
        a1 = "r1q"
    m.append("  %%d = tosa.depthwise_conv2d %%%s, %%%s, %%b2, %%zp, %%zp {acc_type = f32, "
             "dilation = array<i64: 1, 1>, pad = array<i64: 1, 0, 1, 0>, "
             "stride = array<i64: 2, 2>} : (tensor<%sxf32>, tensor<%s>, tensor<%dxf32>, "
             "tensor<1xf32>, tensor<1xf32>) -> tensor<%sxf32>\n"
             % (a1, w2, act1, shape(p.w2), C, act2))
    m.append("  %%s = tosa.add %%d, %%shift : (tensor<%sxf32>, tensor<1x1x1x%dxf32>) -> tensor<%sxf32>\n"
             % (act2, C, act2))
    m.append("  %%r6 = tosa.clamp %%s {max_val = 6.0 : f32, min_val = 0.0 : f32}"
             " : (tensor<%sxf32>) -> tensor<%sxf32>\n" % (act2, act2))
    a2 = "r6"
    if quantized:
        m.append(fq_line("r6q", "r6", act2 + "xf32", p.a2[0], p.a2[1], "unsigned bits(8)"))
        a2 = "r6q"
    pooled = "1x2x2x%dxf32" % C
    m.append("  %%mp = tosa.max_pool2d %%%s {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>,"
             " stride = array<i64: 2, 2>} : (tensor<%sxf32>) -> tensor<%s>\n" % (a2, act2, pooled))
    m.append("  %%ap = tosa.avg_pool2d %%%s, %%zp, %%zp {acc_type = f32, kernel = array<i64: 2, 2>,"
             " pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<%sxf32>, "
             "tensor<1xf32>, tensor<1xf32>) -> tensor<%s>\n" % (a2, act2, pooled))
    m.append("  %%pp = tosa.add %%mp, %%ap : (tensor<%s>, tensor<%s>) -> tensor<%s>\n"
             % (pooled, pooled, pooled))
    m.append("  %%shape3 = tosa.const_shape {values = dense<[1, 1, %d]> : tensor<3xindex>} : () -> !tosa.shape<3>\n" % (C * 4))
    m.append("  %%flat = tosa.reshape %%pp, %%shape3 : (tensor<%s>, !tosa.shape<3>) -> tensor<1x1x%dxf32>\n"
             % (pooled, C * 4))
    m.append("  %%mm = tosa.matmul %%flat, %%fc, %%zp, %%zp : (tensor<1x1x%dxf32>, tensor<1x%dx%dxf32>,"
             " tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x%dxf32>\n" % (C * 4, C * 4, CLASSES, CLASSES))
    m.append("  %%shape2 = tosa.const_shape {values = dense<[1, %d]> : tensor<2xindex>} : () -> !tosa.shape<2>\n" % CLASSES)
    m.append("  %%lg = tosa.reshape %%mm, %%shape2 : (tensor<1x1x%dxf32>, !tosa.shape<2>) -> tensor<1x%dxf32>\n"
             % (CLASSES, CLASSES))
    t = "tensor<1x%dxf32>" % CLASSES
    m.append("  %%logits = tosa.add %%lg, %%fcb : (%s, %s) -> %s\n" % (t, t, t))
    m.append("  %%mx = tosa.reduce_max %%logits {axis = 1 : i32} : (%s) -> tensor<1x1xf32>\n" % t)
    m.append("  %%sub = tosa.sub %%logits, %%mx : (%s, tensor<1x1xf32>) -> %s\n" % (t, t))
    m.append("  %%e = tosa.exp %%sub : (%s) -> %s\n" % (t, t))
    m.append("  %%sum = tosa.reduce_sum %%e {axis = 1 : i32} : (%s) -> tensor<1x1xf32>\n" % t)
    m.append("  %inv = tosa.reciprocal %sum : (tensor<1x1xf32>) -> tensor<1x1xf32>\n")
    m.append("  %%prob = tosa.mul %%e, %%inv, %%shift0 : (%s, tensor<1x1xf32>, tensor<1xi8>) -> %s\n" % (t, t))
    m.append("  return %%prob : %s\n}\n" % t)
    with open(path, "w") as f:
        f.write("".join(m))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--check", nargs=2, metavar=("OUTPUT", "EXPECTED"))
    ap.add_argument("--atol", type=float, default=1e-5)
    args = ap.parse_args()
    if args.check:
        load = lambda p: (np.fromfile(p, np.float32) if p.endswith(".f32")
                          else np.load(p))
        got, want = load(args.check[0]), load(args.check[1])
        err = float(np.abs(got.reshape(want.shape) - want).max())
        print("max |output - expected| = %.3g (tolerance %g)" % (err, args.atol))
        sys.exit(0 if err <= args.atol else 1)
    os.makedirs(args.out, exist_ok=True)
    p = Params(args.seed)
    write_mlir(p, os.path.join(args.out, "small_cnn.mlir"), False)
    write_mlir(p, os.path.join(args.out, "small_cnn_fq.mlir"), True)
    np.save(os.path.join(args.out, "input.npy"), p.x)
    p.x.tofile(os.path.join(args.out, "input.f32"))
    np.save(os.path.join(args.out, "expected.npy"), forward(p, False))
    np.save(os.path.join(args.out, "expected_fq.npy"), forward(p, True))


if __name__ == "__main__":
    main()
