/* The process-wide thread pool behind tg_par_range / tg_par_tasks.

   Why not OpenMP: its workers spin (GOMP's default) or sleep at every
   barrier (OMP_WAIT_POLICY=passive: ~100 us per fork/join here), and on a
   busy 2-core machine a spinning team ran our kernels 4-9x slower. These
   workers spin briefly after a job (TG_SPIN_US, default 50 us), then keep
   polling with sched_yield() in between (TG_YIELD_US, default 1000 us), so
   any other thread that wants the core gets it, and only then sleep on a
   futex. Waking a sleeping worker costs ~15-50 us on this VM, and a training
   step has gaps of 100-300 us (the batch gather, Python): measured as whole
   processes (600 steps of the 784-512-10 MLP, medians of 12 pairs), polling
   for 1 ms ran 0.92x the wall time of sleeping after 50 us, and two such
   trainings at once 0.90x; a pure 1 ms spin gave 0.92x alone but 1.11x for
   two at once. The price is CPU time in gaps under 1 ms: with a 1M-element
   mul every 2 ms the process used about 0.7 CPU-seconds per second instead
   of 0.3 (TG_YIELD_US=0 restores that). The caller runs tasks too and claims
   them dynamically, so a worker that has lost its core to another process
   delays nothing it has not started. One job at a time: a second caller (another Python thread, or a
   kernel already running inside a task) finds the pool busy and runs its
   job serially on its own thread, which is always correct. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "common.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TG_PAUSE() _mm_pause()
#else
#define TG_PAUSE() ((void)0)
#endif

#define TG_MAX_WORKERS 255
#define LD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define LDR(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

static struct {
    /* (generation << 32) | next task; generation is odd while a job is being
       written, so a claim (a CAS on this word) always belongs to one job */
    uint64_t ticket;
    tg_range_fn fn;
    void *ctx;
    int64_t n, chunks, done;
    int maxw;           /* workers with id >= maxw sit this job out */
    uint32_t wake;      /* futex word, bumped by every job */
    int sleepers, busy, nworkers, spin_us, yield_us, threads;
    int caller_cpu;     /* where the caller of the open job runs, -1 if unknown */
    pthread_t tid[TG_MAX_WORKERS];
} P;
static pthread_mutex_t g_grow = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t g_init = PTHREAD_ONCE_INIT;

static double tg_now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec * 1e-3;
}

static void tg_wait_wake(uint32_t seen)
{
#ifdef __linux__
    syscall(SYS_futex, &P.wake, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
#else
    (void)seen;
    usleep(50);
#endif
}

static void tg_wake_all(void)
{
#ifdef __linux__
    syscall(SYS_futex, &P.wake, FUTEX_WAKE_PRIVATE, TG_MAX_WORKERS + 1, NULL, NULL, 0);
#endif
}

/* A worker woken from its futex is often placed on the CPU of the thread that
   woke it, and can stay there for many milliseconds while the other core idles:
   caller and worker then take turns on one core, slower than the caller alone
   (measured: add 64k at 25 us a call instead of 11, in a third of the samples).
   So a worker that finds itself on the caller's CPU moves off it: it excludes
   that CPU from its affinity, which migrates it at once, then allows every CPU
   again, which leaves it where it now is. */
static void tg_leave_caller_cpu(void)
{
#ifdef __linux__
    int caller = LDR(P.caller_cpu);
    if (caller < 0 || sched_getcpu() != caller)
        return;
    cpu_set_t all, others;
    if (sched_getaffinity(0, sizeof all, &all) != 0)
        return;
    others = all;
    CPU_CLR(caller, &others);
    if (CPU_COUNT(&others) > 0 && sched_setaffinity(0, sizeof others, &others) == 0)
        sched_setaffinity(0, sizeof all, &all);
#endif
}

/* Claims and runs tasks of the open job of generation gen; returns when none is left. */
static void tg_run_tasks(uint64_t gen, int id)
{
    uint64_t t = LD(P.ticket);
    while (t >> 32 == gen && id < LDR(P.maxw)) {
        tg_range_fn fn = LDR(P.fn);
        void *ctx = LDR(P.ctx);
        int64_t n = LDR(P.n), chunks = LDR(P.chunks), c = (int64_t)(t & 0xffffffffu);
        if (c >= chunks)
            return;
        /* the fields read above are this job's if the ticket has not moved */
        if (__atomic_compare_exchange_n(&P.ticket, &t, t + 1, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            fn(ctx, n * c / chunks, n * (c + 1) / chunks);
            __atomic_add_fetch(&P.done, 1, __ATOMIC_RELEASE);
            t = LD(P.ticket);
        }
    }
}

static void *tg_worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    uint64_t seen = 0;
    for (;;) {
        uint32_t w = LD(P.wake);
        uint64_t gen = LD(P.ticket) >> 32;
        if (!(gen & 1) && gen != seen) {
            seen = gen;
            tg_leave_caller_cpu();
            tg_run_tasks(gen, id);
            continue;
        }
        /* spin, then poll yielding the core to anyone who wants it, then sleep */
        double t0 = tg_now_us();
        double spin_end = t0 + P.spin_us, yield_end = spin_end + (double)P.yield_us;
        int spinning = 1;
        for (int i = 1; LD(P.wake) == w; ++i) {
            if (spinning) {
                TG_PAUSE();
                if (i % 256 == 0 && tg_now_us() > spin_end) /* the clock every 256 pauses */
                    spinning = 0;
            } else if (tg_now_us() <= yield_end) {
                sched_yield();
            } else {
                __atomic_add_fetch(&P.sleepers, 1, __ATOMIC_SEQ_CST);
                tg_wait_wake(w); /* returns at once if wake has moved on */
                __atomic_sub_fetch(&P.sleepers, 1, __ATOMIC_SEQ_CST);
                break;
            }
        }
    }
    return NULL;
}

/* fork() keeps only the calling thread: the child starts a pool of its own */
static void tg_after_fork(void)
{
    P.nworkers = P.busy = P.sleepers = 0;
    pthread_mutex_init(&g_grow, NULL);
}

static void tg_pool_init(void)
{
    const char *s = getenv("TG_SPIN_US");
    P.spin_us = s && *s ? atoi(s) : 50;
    s = getenv("TG_YIELD_US");
    P.yield_us = s && *s ? atoi(s) : 1000;
    s = getenv("OMP_NUM_THREADS");
    int n = s && *s ? atoi(s) : 0;
    if (n <= 0) {
#ifdef __linux__
        cpu_set_t set;
        n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
#endif
        if (n <= 0)
            n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    }
    P.threads = n > 0 ? (n > TG_MAX_WORKERS + 1 ? TG_MAX_WORKERS + 1 : n) : 1;
    pthread_atfork(NULL, NULL, tg_after_fork);
}

/* Workers 0..want-1 exist afterwards, as far as the system allows. */
static int tg_grow(int want)
{
    pthread_mutex_lock(&g_grow);
    if (P.nworkers < want) {
        sigset_t all, old;
        sigfillset(&all); /* signals go to Python's main thread, not a worker */
        pthread_sigmask(SIG_BLOCK, &all, &old);
        while (P.nworkers < want &&
               pthread_create(&P.tid[P.nworkers], NULL, tg_worker,
                              (void *)(intptr_t)P.nworkers) == 0) {
            pthread_detach(P.tid[P.nworkers]);
            P.nworkers++;
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    int have = P.nworkers;
    pthread_mutex_unlock(&g_grow);
    return have;
}

int tg_threads(void)
{
#ifdef TG_NO_THREADS
    return 1;
#else
    pthread_once(&g_init, tg_pool_init);
    return LDR(P.threads);
#endif
}

int tg_get_num_threads(void) { return tg_threads(); }

/* One count for the process, whichever Python thread sets it. n <= 0 goes
   back to the default (OMP_NUM_THREADS, else the CPUs this process may use). */
void tg_set_num_threads(int n)
{
    pthread_once(&g_init, tg_pool_init);
    if (n <= 0) {
        const char *s = getenv("OMP_NUM_THREADS");
        n = s && *s && atoi(s) > 0 ? atoi(s) : (int)sysconf(_SC_NPROCESSORS_ONLN);
    }
    ST(P.threads, n > TG_MAX_WORKERS + 1 ? TG_MAX_WORKERS + 1 : (n < 1 ? 1 : n));
}

void tg_parallel_for(int64_t n, int64_t chunks, tg_range_fn fn, void *ctx)
{
    int nt = tg_threads(), zero = 0;
    if (chunks > n)
        chunks = n;
    if (nt <= 1 || chunks <= 1 ||
        !__atomic_compare_exchange_n(&P.busy, &zero, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        fn(ctx, 0, n);
        return;
    }
    int nw = tg_grow(nt - 1);
    if (nw == 0 || chunks >= ((int64_t)1 << 31)) {
        ST(P.busy, 0);
        fn(ctx, 0, n);
        return;
    }
    uint64_t gen = (LDR(P.ticket) >> 32) + 1; /* odd: closed while written */
    __atomic_store_n(&P.ticket, gen << 32, __ATOMIC_SEQ_CST);
    __atomic_store_n(&P.fn, fn, __ATOMIC_RELAXED);
    __atomic_store_n(&P.ctx, ctx, __ATOMIC_RELAXED);
    __atomic_store_n(&P.n, n, __ATOMIC_RELAXED);
    __atomic_store_n(&P.chunks, chunks, __ATOMIC_RELAXED);
    __atomic_store_n(&P.maxw, nt - 1 < nw ? nt - 1 : nw, __ATOMIC_RELAXED);
#ifdef __linux__
    __atomic_store_n(&P.caller_cpu, sched_getcpu(), __ATOMIC_RELAXED);
#else
    __atomic_store_n(&P.caller_cpu, -1, __ATOMIC_RELAXED);
#endif
    __atomic_store_n(&P.done, 0, __ATOMIC_RELAXED);
    ST(P.ticket, (gen + 1) << 32);
    __atomic_add_fetch(&P.wake, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&P.sleepers, __ATOMIC_SEQ_CST) > 0)
        tg_wake_all();
    tg_run_tasks(gen + 1, -1); /* id -1: the caller always takes part */
    /* a worker that took a task and then lost its core: give it ours */
    for (int i = 1; LD(P.done) < chunks; ++i) {
        if (i < 4096)
            TG_PAUSE();
        else
            sched_yield();
    }
    ST(P.busy, 0);
}

void tg_par_range(int64_t n, int64_t work, tg_range_fn fn, void *ctx)
{
    int nt = tg_threads();
    if (nt > 1 && n > 1 && work >= TG_PAR_MIN)
        tg_parallel_for(n, n < nt ? n : nt, fn, ctx);
    else
        fn(ctx, 0, n);
}

void tg_par_tasks(int64_t ntasks, int64_t work, tg_range_fn fn, void *ctx)
{
    if (tg_threads() > 1 && ntasks > 1 && work >= TG_PAR_MIN)
        tg_parallel_for(ntasks, ntasks, fn, ctx);
    else
        fn(ctx, 0, ntasks);
}
