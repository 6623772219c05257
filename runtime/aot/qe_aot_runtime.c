/*===- qe_aot_runtime.c - Support routines for AOT-compiled models ------===*
 *
 * Code lowered by qe-lower-to-llvm calls memrefCopy for copies between
 * strided buffers. In-process (JIT) runs get it from MLIR's C runner utils;
 * a model compiled ahead of time for another machine (an AArch64 board, or
 * qemu) links this file instead, built with that machine's C compiler.
 *
 * It also keeps glibc from unmapping the model's freed feature maps (see
 * qe_keep_freed_buffers_mapped below); define QE_AOT_KEEP_MALLOC_DEFAULTS
 * when compiling it to leave malloc's settings to the application.
 *
 *===--------------------------------------------------------------------===*/

#include <stdint.h>
#include <string.h>

#if defined(__GLIBC__) && !defined(QE_AOT_KEEP_MALLOC_DEFAULTS)
#include <malloc.h>

/* A compiled model mallocs its intermediate feature maps and frees them
 * before it returns. glibc serves blocks above 128 KiB with mmap and gives
 * them back with munmap, so every inference paid page faults and the
 * zeroing of fresh pages: ResNet-50 int8 ran 54 ms instead of 27 here.
 * Higher thresholds keep freed blocks in the heap for the next inference,
 * as quant-eval's own runner does (keepFreedBuffersMapped). */
__attribute__((constructor)) static void qe_keep_freed_buffers_mapped(void) {
  /* 32 MiB is the largest mmap threshold glibc accepts on 64-bit hosts. */
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}
#endif

/* A ranked memref descriptor: allocated and aligned pointers, offset, then
 * rank sizes and rank strides (in elements). */
typedef struct {
  char *allocated;
  char *aligned;
  int64_t offset;
  int64_t sizesAndStrides[];
} QeMemRef;

typedef struct {
  int64_t rank;
  QeMemRef *descriptor;
} QeUnrankedMemRef;

void memrefCopy(int64_t elemSize, QeUnrankedMemRef *src,
                QeUnrankedMemRef *dst) {
  int64_t rank = src->rank;
  const QeMemRef *s = src->descriptor;
  QeMemRef *d = dst->descriptor;
  const int64_t *sizes = s->sizesAndStrides;
  const int64_t *sStrides = s->sizesAndStrides + rank;
  const int64_t *dStrides = d->sizesAndStrides + rank;
  int64_t total = 1;
  for (int64_t i = 0; i < rank; ++i)
    total *= sizes[i];
  if (total == 0)
    return;
  int64_t index[64] = {0};
  int64_t sOff = s->offset, dOff = d->offset;
  for (int64_t n = 0; n < total; ++n) {
    memcpy(d->aligned + dOff * elemSize, s->aligned + sOff * elemSize,
           (size_t)elemSize);
    /* Advance the multi-index, innermost dimension first. */
    for (int64_t k = rank - 1; k >= 0; --k) {
      sOff += sStrides[k];
      dOff += dStrides[k];
      if (++index[k] < sizes[k])
        break;
      sOff -= sStrides[k] * sizes[k];
      dOff -= dStrides[k] * sizes[k];
      index[k] = 0;
    }
  }
}
