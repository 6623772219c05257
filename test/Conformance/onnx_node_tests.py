"""Runs ONNX's own operator conformance tests through quant-eval.

Each test of Debian's libonnx-testdata (data/node/test_*) is a one-node
model with input and expected output tensors. For every test whose op type
is in the requested list, this harness imports, compiles and runs it with
`quant-eval infer` and compares against the expected output with the ONNX
backend tests' tolerances (rtol 1e-3, atol 1e-7).

quant-eval compiles models with one run-time float input and constant
weights, so the harness adapts each test the way a deployed model looks:
inputs after the first become initializers holding the test's values, and a
test with several outputs is run once per output. A test is

  passed       when the output matches,
  failed       when it imports and runs but the output differs, or the
               compiler crashes,
  unsupported  when quant-eval rejects it with a diagnostic (an op,
               attribute or type it does not support), or its first input
               is not float.

Usage: onnx_node_tests.py --quant-eval BIN --ops Conv,Relu,... [--data DIR]
       [--expect-min-passed N]
Exit status 1 if any test failed (or fewer than N passed).
"""

import argparse
import collections
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

DATA = "/usr/share/libonnx-testdata/data/node"


def load_tensor(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t


def adapt(model, inputs, output_index):
    """Freeze inputs 1.. as initializers; keep one output."""
    graph = model.graph
    init_names = {i.name for i in graph.initializer}
    runtime = [i for i in graph.input if i.name not in init_names]
    for vi, tensor in zip(runtime[1:], inputs[1:]):
        tensor = onnx.TensorProto.FromString(tensor.SerializeToString())
        tensor.name = vi.name
        graph.initializer.append(tensor)
    keep = runtime[0].name if runtime else None
    kept = [i for i in graph.input if i.name == keep]
    del graph.input[:]
    graph.input.extend(kept)
    out = graph.output[output_index]
    del graph.output[:]
    graph.output.extend([out])
    return model


def run_test(test_dir, quant_eval, tmp):
    model = onnx.load(os.path.join(test_dir, "model.onnx"))
    data = os.path.join(test_dir, "test_data_set_0")
    inputs = [load_tensor(p) for p in sorted(glob.glob(os.path.join(data, "input_*.pb")))]
    outputs = [load_tensor(p) for p in sorted(glob.glob(os.path.join(data, "output_*.pb")))]
    if not inputs or inputs[0].data_type != onnx.TensorProto.FLOAT:
        return "unsupported", "the first input is not float"
    x = numpy_helper.to_array(inputs[0]).astype(np.float32)
    np.save(os.path.join(tmp, "in.npy"), x)
    for k, expected in enumerate(outputs):
        m = adapt(onnx.ModelProto.FromString(model.SerializeToString()), inputs, k)
        path = os.path.join(tmp, "model.onnx")
        onnx.save(m, path)
        proc = subprocess.run(
            [quant_eval, "infer", path, "--input", os.path.join(tmp, "in.npy"),
             "--output", os.path.join(tmp, "out.npy")],
            capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            msg = (proc.stderr.strip().splitlines() or ["exit %d" % proc.returncode])[0]
            # A crash (signal) is a failure; a diagnostic is "unsupported".
            if proc.returncode < 0 or "error" not in proc.stderr:
                return "failed", "crashed: " + msg
            return "unsupported", msg
        got = np.load(os.path.join(tmp, "out.npy"))
        want = numpy_helper.to_array(expected)
        if want.dtype != np.float32:
            return "unsupported", "expected output of type %s" % want.dtype
        if got.shape != want.shape:
            return "failed", "shape %s, expected %s" % (got.shape, want.shape)
        if not np.allclose(got, want, rtol=1e-3, atol=1e-7, equal_nan=True):
            err = float(np.nanmax(np.abs(got - want)))
            return "failed", "output %d differs by up to %.3g" % (k, err)
    return "passed", ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quant-eval", required=True)
    ap.add_argument("--ops", required=True, help="comma-separated op types")
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--expect-min-passed", type=int, default=0)
    args = ap.parse_args()
    ops = set(args.ops.split(","))
    counts = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for test_dir in sorted(glob.glob(os.path.join(args.data, "test_*"))):
            try:
                model = onnx.load(os.path.join(test_dir, "model.onnx"))
            except Exception:  # noqa: BLE001 -- unreadable test data
                continue
            types = {n.op_type for n in model.graph.node}
            if not types or not types <= ops or len(model.graph.node) != 1:
                continue
            try:
                status, why = run_test(test_dir, args.quant_eval, tmp)
            except ValueError as e:  # test data onnx 1.12 cannot read
                status, why = "unsupported", "unreadable test data: %s" % e
            counts[status] += 1
            print("%-12s %s%s" % (status, os.path.basename(test_dir),
                                  (": " + why) if why else ""))
    print("%d passed, %d failed, %d unsupported"
          % (counts["passed"], counts["failed"], counts["unsupported"]))
    ok = counts["failed"] == 0 and counts["passed"] >= args.expect_min_passed
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
