# -*- Python -*-
# Runs every GoogleTest case of quant-eval's unit-test binaries as one lit test.

import os

import lit.formats

config.name = "QUANT_EVAL_UNIT"
config.suffixes = []
config.test_exec_root = os.path.join(config.qe_obj_root, "test", "unittests")
config.test_source_root = config.test_exec_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
