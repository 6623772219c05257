//===- FuzzerMain.cpp - Replays fuzzer inputs without libFuzzer -----------===//
//
// The main function of a fuzz target in a build without libFuzzer: it runs
// LLVMFuzzerTestOneInput once on each file named on the command line, so the
// inputs that once crashed a target stay regression tests in every build.
//
//===----------------------------------------------------------------------===//

#include "llvm/FuzzMutate/FuzzerCLI.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
  return llvm::runFuzzerOnInputs(argc, argv, LLVMFuzzerTestOneInput);
}
