/* Per-thread scratch, build/CPU facts and malloc tuning (threads: pool.c). */
#include "common.h"

#ifndef TG_CFLAGS
#define TG_CFLAGS "unknown"
#endif

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void *tg_scratch(int slot, size_t bytes)
{
    static _Thread_local void *buf[2];
    static _Thread_local size_t cap[2];
    if (cap[slot] < bytes) {
        free(buf[slot]);
        buf[slot] = malloc(bytes);
        cap[slot] = buf[slot] ? bytes : 0;
    }
    return buf[slot];
}

int tg_built_avx2(void)
{
#ifdef __AVX2__
    return 1;
#else
    return 0;
#endif
}

int tg_built_fma(void)
{
#ifdef __FMA__
    return 1;
#else
    return 0;
#endif
}

int tg_built_openmp(void)
{
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

/* Integer-only code, so safe to run on a CPU without AVX even in an
   -mavx2 build: c_backend asks this before calling any kernel. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define TG_CPU_HAS(feature) (__builtin_cpu_init(), __builtin_cpu_supports(feature) ? 1 : 0)
#else
#define TG_CPU_HAS(feature) 0
#endif

int tg_cpu_avx2(void) { return TG_CPU_HAS("avx2"); }
int tg_cpu_fma(void) { return TG_CPU_HAS("fma"); }

const char *tg_compile_flags(void) { return TG_CFLAGS; }

/* Keep freed large blocks in the heap for reuse. glibc serves blocks above
   128 KiB with a fresh mmap and unmaps them on free, so every large temporary
   of a training step (activations, gradients) paid page faults on first touch:
   a 784-512-256-10 step at batch 128 ran twice as long. */
int tg_tune_malloc(size_t mmap_threshold, size_t trim_threshold)
{
#if defined(__GLIBC__)
    int ok = mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold);
    ok = mallopt(M_TRIM_THRESHOLD, (int)trim_threshold) && ok;
    return ok;
#else
    (void)mmap_threshold; (void)trim_threshold;
    return 0;
#endif
}
