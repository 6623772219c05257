# -*- Python -*-
# lit configuration of quant-eval's regression tests.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "QUANT_EVAL"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".onnxtxt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qe_obj_root, "test")

# The unit tests have their own suite (unittests/lit.cfg.py).
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py",
                   "unittests", "check_import.py", "fake-quant-ties.test.mlir",
                   "cle-prelu.test.mlir", "calibrate-nan.test.mlir", "onnx_node_tests.py"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
# Debian's python, with its torch/onnx/numpy packages.
config.substitutions.append(("%python", "/usr/bin/python3"))
config.substitutions.append(("%qe_src_root", config.qe_src_root))
config.substitutions.append(("%qe_obj_root", config.qe_obj_root))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

tool_dirs = [config.qe_tools_dir, config.llvm_tools_dir]
tools = [
    ToolSubst("quant-opt", unresolved="fatal"),
    ToolSubst("quant-translate", unresolved="fatal"),
]
llvm_config.add_tool_substitutions(tools, tool_dirs)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.qe_tools_dir, append_path=True)

# AArch64 tests need Debian's cross compiler and qemu-user (scripts/bootstrap
# installs both); without them they are reported as unsupported, not passed.
import shutil
if shutil.which("aarch64-linux-gnu-gcc") and shutil.which("qemu-aarch64"):
    config.available_features.add("aarch64-cross")

# x86 code built for a named CPU runs only where the host has its features.
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next((l.split(":", 1)[1].split() for l in cpuinfo
                      if l.startswith("flags")), [])
except OSError:
    flags = []
if "avx2" in flags and "fma" in flags:
    config.available_features.add("host-avx2")
if "avx512bw" in flags:
    config.available_features.add("host-avx512bw")

# ONNX's node conformance tests come from Debian's libonnx-testdata.
if os.path.isdir("/usr/share/libonnx-testdata/data/node"):
    config.available_features.add("onnx-testdata")
