"""PyTorch peers of `quant-eval bench`: the torch module an ONNX model came
from, timed at batch 1 as float (torch.jit.optimize_for_inference) and as
int8 through FX post-training quantization with the onednn (fbgemm where
this torch has no onednn) and qnnpack engines.

The module is a torchvision architecture (quant_eval.export_torchvision's
MODELS, built with the same seed as build/models/<name>.onnx) or a zoo
classifier (quant_eval.zoo, with the ONNX file's weights). Weights do not
change the latency of these kernels; the shapes do, and they are checked
against the ONNX input.

Prints one JSON line per measurement, like tools/ort-bench/bench.js:
{"runtime", "precision", "version", "threads", "latency_ms_median",
"latency_ms_p90", "times_ms", ...}; a runtime that cannot run prints
{"runtime", "skipped": why} (runtime "pytorch" when no torch runtime can
run), one that fails prints "error": what failed.

    /usr/bin/python3 python/quant_eval/bench_peers.py MODEL.onnx \\
        [--model-name NAME] [--threads N|all] [--repeat 21] [--warmup 3] \\
        [--runtimes pytorch,pytorch-onednn,pytorch-qnnpack]
"""

import argparse
import json
import os
import sys
import time

# Run as a script: the package is two directories up.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

RUNTIMES = ("pytorch", "pytorch-onednn", "pytorch-qnnpack")


def emit(**record):
    print(json.dumps(record), flush=True)


def percentile(values, p):
    v = sorted(values)
    pos = p * (len(v) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def pseudo_random(n, seed=12345):
    """The input of quant-eval bench and bench.js: an LCG mapped to [-1, 1)."""
    import numpy as np
    out = np.empty(n, dtype=np.float32)
    state = seed
    for i in range(n):
        state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
        out[i] = (state >> 8) / float(1 << 24) * 2.0 - 1.0
    return out


def onnx_input_shape(path):
    import onnx
    graph = onnx.load(path, load_external_data=False).graph
    initializers = {i.name for i in graph.initializer}
    inp = next(i for i in graph.input if i.name not in initializers)
    dims = [d.dim_value if d.dim_value > 0 else 1
            for d in inp.type.tensor_type.shape.dim]
    dims[0] = 1
    return dims


def build_module(name, onnx_path):
    """(eval-mode torch module, why not) for architecture `name`."""
    import torch
    from quant_eval import export_torchvision
    if name in export_torchvision.MODELS:
        build, _ = export_torchvision.MODELS[name]
        torch.manual_seed(0)  # export_torchvision's default seed
        return build().eval(), None
    try:
        from quant_eval.zoo import common
    except ImportError as e:  # pragma: no cover - the zoo is in-tree
        return None, "cannot import quant_eval.zoo: %s" % e
    stem = common.model_name(onnx_path)
    zoo_name = name if name in common.ZOO else stem
    if zoo_name in common.ZOO:
        if stem.endswith("_qat") or os.path.basename(onnx_path).endswith("_qat.onnx"):
            return None, ("%s is a QAT export (QuantizeLinear/DequantizeLinear): "
                          "no float torch module to match" % onnx_path)
        model = common.model_for(zoo_name)
        try:
            common.load_onnx_weights(model, onnx_path)
        except Exception:  # the shapes are what matter; keep the random init
            pass
        return model.eval(), None
    known = sorted(export_torchvision.MODELS) + sorted(common.ZOO)
    return None, ("no torch module for '%s' (known: %s; name one with "
                  "--torch-model)" % (name, ", ".join(known)))


def time_module(fn, x, warmup, repeat):
    import torch
    with torch.no_grad():
        for _ in range(warmup):
            fn(x)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn(x)
            times.append((time.perf_counter() - t0) * 1e3)
    return times


def float_module(model, x):
    import torch
    with torch.no_grad():
        traced = torch.jit.trace(model, x)
        return torch.jit.optimize_for_inference(torch.jit.freeze(traced.eval()))


def int8_module(model, x, engine):
    """FX post-training static quantization for `engine`, calibrated on a few
    pseudo-random inputs, traced and frozen."""
    import copy
    import torch
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    torch.backends.quantized.engine = engine
    prepared = prepare_fx(copy.deepcopy(model).eval(),
                          get_default_qconfig_mapping(engine), (x,))
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for _ in range(4):
            prepared(torch.rand(x.shape, generator=g) * 2 - 1)
        quantized = convert_fx(prepared)
        return torch.jit.freeze(torch.jit.trace(quantized, x).eval())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", help="the ONNX model")
    parser.add_argument("--model-name", default=None,
                        help="its torchvision or zoo architecture (default: the file's stem)")
    parser.add_argument("--threads", default="1", help="a count or 'all'")
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--runtimes", default=",".join(RUNTIMES))
    args = parser.parse_args(argv)
    runtimes = [r for r in args.runtimes.split(",") if r]
    for r in runtimes:
        if r not in RUNTIMES:
            parser.error("unknown runtime %r (known: %s)" % (r, ", ".join(RUNTIMES)))

    try:
        import torch
    except ImportError as e:
        emit(runtime="pytorch", skipped="no torch: %s" % e)
        return 0
    threads = len(os.sched_getaffinity(0)) if args.threads == "all" else int(args.threads)
    torch.set_num_threads(threads)
    name = args.model_name or os.path.splitext(os.path.basename(args.model))[0]
    model, why = build_module(name, args.model)
    if model is None:  # one line for all the torch runtimes
        emit(runtime="pytorch", skipped=why)
        return 0
    shape = onnx_input_shape(args.model)
    x = torch.from_numpy(pseudo_random(int(torch.Size(shape).numel()))).reshape(shape)
    with torch.no_grad():
        try:
            model(x)
        except Exception as e:
            emit(runtime="pytorch", skipped="the %s module does not take the ONNX input %s: %s"
                 % (name, shape, e))
            return 0

    engines = torch.backends.quantized.supported_engines
    for runtime in runtimes:
        record = dict(runtime=runtime, model=args.model, torch_model=name, batch=1,
                      threads=torch.get_num_threads(), runs=args.repeat, warmup=args.warmup)
        try:
            if runtime == "pytorch":
                record.update(precision="f32",
                              version="torch %s jit.optimize_for_inference" % torch.__version__)
                fn = float_module(model, x)
            else:
                engine = runtime.split("-", 1)[1]
                if engine == "onednn" and "onednn" not in engines:
                    engine = "fbgemm"  # onednn's predecessor in older torch
                    record["runtime"] = "pytorch-fbgemm"
                if engine not in engines:
                    emit(runtime=record["runtime"],
                         skipped="torch %s has no %s engine (it has %s)"
                         % (torch.__version__, engine, ", ".join(engines)))
                    continue
                record.update(precision="int8",
                              version="torch %s FX PTQ, %s engine" % (torch.__version__, engine))
                fn = int8_module(model, x, engine)
            times = time_module(fn, x, args.warmup, args.repeat)
        except Exception as e:  # one runtime failing leaves the others
            msg = ("%s: %s" % (type(e).__name__, e)).splitlines()[0][:300]
            record.update(precision=record.get("precision", "int8"), error=msg)
            emit(**record)
            continue
        record.update(latency_ms_median=percentile(times, 0.5),
                      latency_ms_p90=percentile(times, 0.9), times_ms=times)
        emit(**record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
