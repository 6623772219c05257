"""Cross-checks an imported model against its ONNX file.

Counts what the ONNX graph says should be there, with the onnx package (an
independent route from the C++ importer), and compares with the ops in the
imported MLIR: plain and depthwise convolutions, batch norms kept as
qe.batch_norm, fake quants for Q/DQ pairs and DQ'd weights, and layout
transposes only at the function boundary.

Usage: check_import.py MODEL.onnx MODEL.mlir
"""

import collections
import re
import sys

import onnx


def main():
    model = onnx.load(sys.argv[1])
    mlir = open(sys.argv[2]).read()
    graph = model.graph
    ops = collections.Counter(n.op_type for n in graph.node)

    def groups(node):
        return next((a.i for a in node.attribute if a.name == "group"), 1)

    expected = {
        "tosa.conv2d": sum(1 for n in graph.node
                           if n.op_type == "Conv" and groups(n) == 1),
        "tosa.depthwise_conv2d": sum(1 for n in graph.node
                                     if n.op_type == "Conv" and groups(n) > 1),
        "qe.batch_norm": ops["BatchNormalization"],
        # One fake quant per Q->DQ pair on activations, one per weight DQ;
        # 32-bit bias DQs are dequantized exactly and need none.
        "qe.fake_quant": ops["QuantizeLinear"] + sum(
            1 for n in graph.node if n.op_type == "DequantizeLinear"
            and n.input[0] in {i.name for i in graph.initializer
                               if i.data_type != onnx.TensorProto.INT32}),
        "tosa.matmul": ops["Gemm"] + ops["MatMul"],
    }
    inits = {i.name for i in graph.initializer}
    inputs4d = sum(1 for i in graph.input if i.name not in inits
                   and len(i.type.tensor_type.shape.dim) == 4)
    outputs4d = sum(1 for o in graph.output
                    if len(o.type.tensor_type.shape.dim) == 4)
    expected["tosa.transpose"] = inputs4d + outputs4d

    failures = []
    for op, want in expected.items():
        got = len(re.findall(r"\b%s\b" % re.escape(op) + r"(?![\w.])", mlir))
        status = "ok" if got == want else "MISMATCH"
        print("%-24s onnx %4d  mlir %4d  %s" % (op, want, got, status))
        if got != want:
            failures.append(op)
    if failures:
        sys.exit("import of %s differs from the ONNX graph in: %s"
                 % (sys.argv[1], ", ".join(failures)))


if __name__ == "__main__":
    main()
