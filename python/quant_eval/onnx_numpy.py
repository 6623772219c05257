"""A tiny numpy interpreter for the ONNX op subset our exported models use.

Debian ships neither onnxruntime nor onnx.reference (that arrived in onnx
1.13; we have 1.12), yet an exported graph should be executed once to prove
it computes what torch computed. This evaluator covers only the ops that the
exporters in this package emit; anything else raises, so an unexpected op in
an export is noticed instead of being skipped.

Written for clarity, not speed: evaluate a handful of images, not a dataset.
"""

import numpy as np
from onnx import mapping, numpy_helper


def _attrs(node):
    import onnx

    out = {}
    for a in node.attribute:
        out[a.name] = onnx.helper.get_attribute_value(a)
    return out


def _conv(x, w, b, attrs):
    n, cin, h, wd = x.shape
    cout, cin_g, kh, kw = w.shape
    group = attrs.get("group", 1)
    sh, sw = attrs.get("strides", [1, 1])
    dh, dw = attrs.get("dilations", [1, 1])
    pt, pl, pb, pr = attrs.get("pads", [0, 0, 0, 0])
    if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise NotImplementedError("Conv auto_pad")
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    oh = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
    # im2col: patches[n, c, i, j, oh, ow] is the input under kernel tap (i, j).
    patches = np.empty((n, cin, kh, kw, oh, ow), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patches[:, :, i, j] = xp[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                                     j * dw:j * dw + sw * (ow - 1) + 1:sw]
    cout_g = cout // group
    y = np.empty((n, cout, oh, ow), dtype=np.float64)
    for g in range(group):
        pg = patches[:, g * cin_g:(g + 1) * cin_g]
        wg = w[g * cout_g:(g + 1) * cout_g].astype(np.float64)
        y[:, g * cout_g:(g + 1) * cout_g] = np.einsum("ncijhw,ocij->nohw", pg, wg)
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y


def _batchnorm(x, scale, bias, mean, var, attrs):
    if attrs.get("training_mode", 0):
        raise NotImplementedError("BatchNormalization in training mode")
    eps = attrs.get("epsilon", 1e-5)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return ((x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
            * scale.reshape(shape) + bias.reshape(shape))


def _gemm(a, b, c, attrs):
    if attrs.get("transA", 0):
        a = a.T
    if attrs.get("transB", 0):
        b = b.T
    y = attrs.get("alpha", 1.0) * (a @ b)
    if c is not None:
        y = y + attrs.get("beta", 1.0) * c
    return y


def _flatten(x, attrs):
    axis = attrs.get("axis", 1)
    return x.reshape(int(np.prod(x.shape[:axis])), -1)


def _clip(x, lo=None, hi=None):
    if lo is not None:
        x = np.maximum(x, lo)
    if hi is not None:
        x = np.minimum(x, hi)
    return x


def _quantize_linear(x, scale, zero_point, attrs):
    # Per-tensor when scale is a scalar, otherwise per-channel along `axis`.
    axis = attrs.get("axis", 1)
    dtype = zero_point.dtype if zero_point is not None else np.uint8
    zp = zero_point if zero_point is not None else np.zeros_like(scale, dtype=dtype)
    scale, zp = _broadcast_axis(scale, x.ndim, axis), _broadcast_axis(zp, x.ndim, axis)
    info = np.iinfo(dtype)
    # ONNX rounds half to even, which is what np.rint does.
    q = np.rint(x / scale) + zp.astype(np.float64)
    return np.clip(q, info.min, info.max).astype(dtype)


def _dequantize_linear(x, scale, zero_point, attrs):
    axis = attrs.get("axis", 1)
    zp = zero_point if zero_point is not None else np.zeros_like(scale, dtype=x.dtype)
    scale, zp = _broadcast_axis(scale, x.ndim, axis), _broadcast_axis(zp, x.ndim, axis)
    return (x.astype(np.float64) - zp.astype(np.float64)) * scale


def _broadcast_axis(v, ndim, axis):
    v = np.asarray(v)
    if v.ndim == 0:
        return v
    shape = [1] * ndim
    shape[axis] = -1
    return v.reshape(shape)


def _reshape(x, shape, attrs):
    if attrs.get("allowzero", 0):
        raise NotImplementedError("Reshape allowzero")
    # ONNX 0 means "copy this dimension from the input"; numpy has no such code.
    shape = [x.shape[i] if d == 0 else int(d) for i, d in enumerate(shape)]
    return x.reshape(shape)


def _relu(x):
    return np.maximum(x, 0)


def run(model, feeds):
    """Evaluate `model` (an onnx.ModelProto) on `feeds` {name: array}.

    Returns {output name: array}. Float arithmetic is done in float64 so
    the result is a reference against which float32 implementations compare.
    """
    env = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    for name, value in feeds.items():
        env[name] = np.asarray(value)

    def get(node, i):
        if i >= len(node.input) or node.input[i] == "":
            return None
        return env[node.input[i]]

    for node in model.graph.node:
        op, a = node.op_type, _attrs(node)
        if op == "Constant":
            out = numpy_helper.to_array(a["value"]) if "value" in a else None
            if out is None:
                raise NotImplementedError(f"Constant without 'value': {list(a)}")
        elif op == "Identity":
            out = get(node, 0)
        elif op == "Conv":
            out = _conv(get(node, 0), get(node, 1), get(node, 2), a)
        elif op == "BatchNormalization":
            out = _batchnorm(*(get(node, i) for i in range(5)), a)
        elif op == "Relu":
            out = _relu(get(node, 0))
        elif op == "Clip":
            out = _clip(get(node, 0), get(node, 1), get(node, 2))
        elif op == "Add":
            out = get(node, 0) + get(node, 1)
        elif op == "Mul":
            out = get(node, 0) * get(node, 1)
        elif op == "Div":
            out = get(node, 0) / get(node, 1)
        elif op == "Sqrt":
            out = np.sqrt(get(node, 0))
        elif op == "Reshape":
            out = _reshape(get(node, 0), get(node, 1), a)
        elif op == "Cast":
            out = get(node, 0).astype(mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])
        elif op == "GlobalAveragePool":
            x = get(node, 0)
            out = x.mean(axis=tuple(range(2, x.ndim)), keepdims=True)
        elif op == "Flatten":
            out = _flatten(get(node, 0), a)
        elif op == "Gemm":
            out = _gemm(get(node, 0), get(node, 1), get(node, 2), a)
        elif op == "QuantizeLinear":
            out = _quantize_linear(get(node, 0), get(node, 1), get(node, 2), a)
        elif op == "DequantizeLinear":
            out = _dequantize_linear(get(node, 0), get(node, 1), get(node, 2), a)
        else:
            raise NotImplementedError(f"onnx_numpy: op {op} ({node.name})")
        if len(node.output) != 1:
            # Only single-output ops are supported; inference-mode BN has one.
            raise NotImplementedError(f"onnx_numpy: {op} with {len(node.output)} outputs")
        env[node.output[0]] = out
    return {o.name: env[o.name] for o in model.graph.output}
