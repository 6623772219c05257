"""A tiny Fashion-MNIST-shaped ONNX classifier with seeded random weights.

conv1 (1->4, 3x3, stride 2) -> Relu -> conv2 (4->8, 3x3, stride 2) -> Relu
-> GlobalAveragePool -> Flatten -> fc (Gemm 8->10), with the zoo's
preprocessing in its metadata. Its accuracy is near chance; it exists so
that tests of whole-model commands (sensitivity) run in seconds.

Usage: tiny_classifier.py OUT.onnx [--seed S]
"""

import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)

    def init(name, shape, scale):
        return numpy_helper.from_array(
            (rng.standard_normal(shape) * scale).astype(np.float32), name)

    inits = [init("w1", (4, 1, 3, 3), 0.5), init("b1", (4,), 0.1),
             init("w2", (8, 4, 3, 3), 0.3), init("b2", (8,), 0.1),
             init("w3", (10, 8), 0.5), init("b3", (10,), 0.1)]
    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], name="conv1",
                         strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], name="conv2",
                         strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["g"], name="pool"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "w3", "b3"], ["logits"], name="fc",
                         transB=1),
    ]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    for k, v in (("qe.scale", "255"), ("qe.mean", "0.286"), ("qe.std", "0.353"),
                 ("qe.layout", "NCHW")):
        model.metadata_props.append(onnx.StringStringEntryProto(key=k, value=v))
    onnx.checker.check_model(model)
    onnx.save(model, a.out)


if __name__ == "__main__":
    main()
