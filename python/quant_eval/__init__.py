"""Python side of quant-eval: dataset loading and ONNX model generation.

Only Debian's python3 with its packaged torch/torchvision/onnx/numpy is
assumed; nothing here downloads anything.
"""
