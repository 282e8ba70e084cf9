/* Shared by every kernel file: includes, name pasting, parallel driver. */
#ifndef TG_COMMON_H
#define TG_COMMON_H
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "tg_kernels.h"

#define TG_CAT_(a, b) a##b
#define TG_CAT(a, b) TG_CAT_(a, b)
/* TG_FN(tg_unary) -> tg_unary_f32 inside a template expanded for float. */
#define TG_FN(name) TG_CAT(name, TG_CAT(_, SFX))

/* Work (elements of a memory-bound loop) below which a parallel region costs
   more than it saves. Callers weight their element counts by cost: exp 8x
   (parallel from 32k elements), other elementwise ops 4x (from 64k). A pool
   asleep (idle for more than TG_SPIN_US + TG_YIELD_US) costs ~15 us more to wake on
   this VM. */
#define TG_PAR_MIN ((int64_t)1 << 18)
/* GEMM work is counted in multiply-adds divided by this before the TG_PAR_MIN
   test: two threads from 2^24 multiply-adds (256^3, 128x512x784). Below that
   a 2-core split measured no gain (the earlier OpenMP build: from ~256^3). */
#define TG_GEMM_PAR_SCALE 64

/* One loop per op: the switch sits outside, so each loop vectorises alone. */
#define TG_LOOP1(EXPR) for (int64_t i = lo; i < hi; ++i) { T v = x[i]; o[i] = (EXPR); } break
#define TG_LOOP2(EXPR) \
    for (int64_t i = lo; i < hi; ++i) { T u = x[i]; T v = y[i]; o[i] = (EXPR); } break

typedef void (*tg_range_fn)(void *ctx, int64_t lo, int64_t hi);

/* Calls fn over [0, n) split in contiguous ranges, one per thread, when
   work >= TG_PAR_MIN and more than one thread is allowed; else fn(ctx, 0, n). */
void tg_par_range(int64_t n, int64_t work, tg_range_fn fn, void *ctx);
/* The same with one task per call, handed out dynamically: a thread that
   loses its core to another process delays one small task, not half the job. */
void tg_par_tasks(int64_t ntasks, int64_t work, tg_range_fn fn, void *ctx);
/* The pool's primitive (pool.c): fn over [0, n) cut into `chunks` contiguous
   ranges, claimed by the caller and the pool's workers as they come free.
   Runs fn(ctx, 0, n) on the calling thread when the pool is busy (another
   caller, or a call from inside a task), so it never blocks or nests. */
void tg_parallel_for(int64_t n, int64_t chunks, tg_range_fn fn, void *ctx);
int tg_threads(void);
/* Per-thread scratch of at least `bytes` in slot 0 or 1, kept between calls
   (a fresh 1 MB malloc is an mmap plus page faults every time). NULL on OOM. */
void *tg_scratch(int slot, size_t bytes);

typedef struct { int op; double param; const void *x, *y; void *out; } tg_ew_ctx;
typedef struct {
    int op; const void *x; int64_t outer, n, inner; int64_t *arg; void *out;
    void *part; int64_t *part_arg; int64_t chunks;
} tg_red_ctx;
#endif
