/*===- qe_run_model.c - Run an AOT-compiled model on raw float files ----===*
 *
 *   qe_run_model IN.f32 OUT.f32 RANK_IN D0 D1 ... RANK_OUT D0 D1 ...
 *
 * Reads the input tensor as raw little-endian float32 (row-major), calls the
 * model's _mlir_ciface_main(input, output) and writes the output the same
 * way. Linked with the model's object file and qe_aot_runtime.c, it runs a
 * model on a machine without MLIR, or under qemu.
 *
 *===--------------------------------------------------------------------===*/

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

void _mlir_ciface_main(void *input, void *output);

/* Builds a contiguous row-major descriptor in `words`; returns the count. */
static int64_t describe(int64_t *words, float *data, int rank,
                        const int64_t *dims) {
  int64_t stride = 1, count = 1;
  words[0] = (int64_t)(intptr_t)data;
  words[1] = (int64_t)(intptr_t)data;
  words[2] = 0;
  for (int d = rank - 1; d >= 0; --d) {
    words[3 + d] = dims[d];
    words[3 + rank + d] = stride;
    stride *= dims[d];
  }
  for (int d = 0; d < rank; ++d)
    count *= dims[d];
  return count;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s IN.f32 OUT.f32 RANK_IN DIMS... RANK_OUT DIMS...\n",
            argv[0]);
    return 2;
  }
  int arg = 3;
  int64_t dims[2][16];
  int ranks[2];
  for (int t = 0; t < 2; ++t) {
    if (arg >= argc)
      return 2;
    ranks[t] = atoi(argv[arg++]);
    if (ranks[t] < 0 || ranks[t] > 16 || arg + ranks[t] > argc) {
      fprintf(stderr, "bad shape arguments\n");
      return 2;
    }
    for (int d = 0; d < ranks[t]; ++d)
      dims[t][d] = atoll(argv[arg++]);
  }
  int64_t inWords[3 + 32], outWords[3 + 32];
  int64_t inCount = 1, outCount = 1;
  for (int d = 0; d < ranks[0]; ++d)
    inCount *= dims[0][d];
  for (int d = 0; d < ranks[1]; ++d)
    outCount *= dims[1][d];
  float *in = malloc(sizeof(float) * inCount);
  float *out = calloc(outCount, sizeof(float));
  FILE *f = fopen(argv[1], "rb");
  if (!f || fread(in, sizeof(float), inCount, f) != (size_t)inCount) {
    fprintf(stderr, "%s: cannot read %lld floats\n", argv[1], (long long)inCount);
    return 1;
  }
  fclose(f);
  describe(inWords, in, ranks[0], dims[0]);
  describe(outWords, out, ranks[1], dims[1]);
  _mlir_ciface_main(inWords, outWords);
  f = fopen(argv[2], "wb");
  if (!f || fwrite(out, sizeof(float), outCount, f) != (size_t)outCount) {
    fprintf(stderr, "%s: cannot write\n", argv[2]);
    return 1;
  }
  fclose(f);
  free(in);
  free(out);
  return 0;
}
