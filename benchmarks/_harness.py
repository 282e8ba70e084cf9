"""Shared benchmark machinery: alternating timing, tables, targets, machine facts.

Every script in benchmarks/ answers one question with `Bench`: it times its
competitors alternately in the same loop, takes the median of the repeats and
shows min-max, prints a table with a ratio column, and records target verdicts.
Before each sample it sleeps `settle_s` and makes one untimed call: OpenBLAS
threads spin ~0.1 s after a call and our OpenMP threads briefly, and a sample
taken while another competitor's pool still spins on the same 2 cores measured
up to 10x slow here (bench_train.py measures the mixed, end-to-end cost).
`--json PATH` writes the tables and verdicts for run_all.py; `--quick` is a
seconds-long smoke run. The garbage collector stays on: users pay for it too.
"""
import argparse
import ctypes
import importlib.util
import json
import math
import os
import platform
import statistics
import sys
import time

import numpy as np

# From a checkout without PYTHONPATH=src and nothing installed: use the checkout's
# src/. An installed package or an explicit PYTHONPATH is never shadowed.
if importlib.util.find_spec("tinygrad_edu") is None:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                    "src"))


def optional(module):
    """The imported peer module, or None when it is not installed."""
    try:
        return __import__(module)
    except ImportError:
        return None


# ---- timing -------------------------------------------------------------------
def _sample(fn, setup, number, settle=0.0):
    """Seconds per call of `number` calls; `setup()` (untimed) feeds each call."""
    if settle:
        time.sleep(settle)
    if setup is None:
        if settle:
            fn()  # untimed: wakes this competitor's thread pool after the settle
        start = time.perf_counter()
        for _ in range(number):
            fn()
        return (time.perf_counter() - start) / number
    total = 0.0
    for _ in range(number):
        state = setup()
        start = time.perf_counter()
        fn(state)
        total += time.perf_counter() - start
    return total / number


class Stat:
    """Median and range of a competitor's seconds per call."""

    def __init__(self, samples):
        self.samples = samples
        self.med, self.lo, self.hi = statistics.median(samples), min(samples), max(samples)


def compare(cands, repeats, sample_s=0.02, number=None, settle=0.0):
    """Time each competitor alternately; {name: Stat} of seconds per call.

    cands: {name: fn} or {name: (setup, fn)} where fn(setup()) is what is timed.
    Each sample runs about `sample_s` seconds (or exactly `number` calls); the
    order rotates every repeat so no competitor always follows the same one.
    """
    plan = {}
    for name, c in cands.items():
        setup, fn = c if isinstance(c, tuple) else (None, c)
        once = _sample(fn, setup, 1)  # warm-up, then calibration unless `number` is given
        if number is None:
            once = min(once, _sample(fn, setup, 1))
        plan[name] = (fn, setup, number or max(1, int(sample_s / max(once, 1e-7))))
    names = list(plan)
    samples = {n: [] for n in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            fn, setup, n = plan[name]
            samples[name].append(_sample(fn, setup, n, settle))
    return {n: Stat(s) for n, s in samples.items()}


def _unit(s):
    return (1e6, "us") if s < 1e-3 else ((1e3, "ms") if s < 1 else (1.0, "s"))


def fmt_time(s):
    if math.isnan(s):  # not measured
        return "-"
    scale, unit = _unit(s)
    return f"{s * scale:.3g} {unit}" if s * scale >= 100 else f"{s * scale:.2f} {unit}"


# ---- BLAS threads (numpy's OpenBLAS is a peer: it must run as many threads as we do)
def _openblas():
    try:
        with open("/proc/self/maps") as f:
            paths = {ln.split()[-1] for ln in f if "openblas" in ln.lower() and "/" in ln}
    except OSError:
        return None, None
    for path in sorted(paths):
        lib = ctypes.CDLL(path)
        for get, put in (("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
                         ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
                         ("openblas_get_num_threads", "openblas_set_num_threads")):
            if hasattr(lib, get) and hasattr(lib, put):
                return getattr(lib, get), getattr(lib, put)
    return None, None


def blas_threads(n=None):
    """numpy's OpenBLAS thread count (set first when n is given); None when unknown."""
    get, put = _openblas()
    if get is None:
        return None
    if n is not None:
        put(int(n))
    return int(get())


def our_threads():
    """Threads our kernels use: the C pool's, or numpy's BLAS under TG_BACKEND=numpy."""
    import tinygrad_edu as tg
    return int(tg.backend_info().get("threads") or blas_threads() or 1)


def match_threads(torch=None):
    """Give numpy's BLAS and PyTorch our thread count; returns it."""
    n = our_threads()
    blas_threads(n)
    if torch is not None:
        torch.set_num_threads(n)
    return n


# ---- machine ------------------------------------------------------------------
def _cpu_model_and_flags():
    model, flags = None, set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, val = line.partition(":")
                if key.strip() == "model name" and model is None:
                    model = val.strip()
                elif key.strip() == "flags" and not flags:
                    flags = set(val.split())
    except OSError:
        pass
    return model or platform.processor() or platform.machine(), flags


def cpu_flags():
    return _cpu_model_and_flags()[1]


def machine():
    """What these figures were measured on: CPU, cores, SIMD, library versions, threads."""
    import tinygrad_edu as tg
    torch = optional("torch")
    model, flags = _cpu_model_and_flags()
    blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    info = tg.backend_info()
    return {
        "cpu": model,
        "cores": f"{os.cpu_count()} logical, {len(os.sched_getaffinity(0))} usable",
        "simd": ", ".join(f"{f}={'yes' if f in flags else 'no'}" for f in ("avx2", "fma", "avx512f")),
        "load average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "numpy": f"{np.__version__} ({blas.get('name', '?')} {blas.get('version', '')}, "
                 f"{blas_threads()} threads)",
        "torch": (f"{torch.__version__} ({torch.get_num_threads()} threads at start)"
                  if torch else "not installed"),
        "tinygrad_edu": f"backend {info.get('backend')}, {info.get('threads', 1)} threads, "
                        f"cflags {info.get('cflags', '-')}",
        "gpu": (f"{tg.cuda.get_device_name()} (CuPy backend)" if tg.cuda.is_available()
                else "none"),
        "env": " ".join(f"{k}={os.environ[k]}" for k in
                        ("TG_BACKEND", "TG_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")
                        if k in os.environ) or "-",
    }


# ---- tables and targets -----------------------------------------------------------
class Table:
    def __init__(self, title, columns, note=""):
        self.title, self.columns, self.rows, self.note = title, list(columns), [], note

    def add(self, *cells):
        self.rows.append([str(c) for c in cells])

    def text(self):
        w = [max(len(c), *(len(r[i]) for r in self.rows)) if self.rows else len(c)
             for i, c in enumerate(self.columns)]
        lines = [f"\n{self.title}"] + ([f"  ({self.note})"] if self.note else [])
        lines.append("  " + "  ".join(c.rjust(w[i]) if i else c.ljust(w[i])
                                      for i, c in enumerate(self.columns)))
        for r in self.rows:
            lines.append("  " + "  ".join(c.rjust(w[i]) if i else c.ljust(w[i])
                                          for i, c in enumerate(r)))
        return "\n".join(lines)

    def as_dict(self):
        return {"title": self.title, "columns": self.columns, "rows": self.rows, "note": self.note}


class Bench:
    """One script's run: its tables, its target verdicts, its command line."""

    def __init__(self, doc):
        p = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
        p.add_argument("--quick", action="store_true", help="a seconds-long smoke run (CI)")
        p.add_argument("--json", metavar="PATH", help="also write tables and verdicts here")
        self.parser = p
        self.tables, self.targets = [], []
        self.t0 = time.perf_counter()

    def parse(self, argv=None):
        self.args = self.parser.parse_args(argv)
        self.quick = self.args.quick
        self.repeats = 3 if self.quick else 7
        self.sample_s = 0.005 if self.quick else 0.03
        self.settle_s = 0.01 if self.quick else 0.12
        return self.args

    def start(self, torch=None):
        """Parse the command line, give numpy's BLAS and torch our thread count, say so."""
        self.parse()
        import tinygrad_edu as tg
        threads = match_threads(torch)
        print(f"tinygrad_edu backend {tg.backend_info()['backend']}, {threads} threads; numpy's "
              f"BLAS {blas_threads()} threads; torch " +
              (f"{torch.__version__}, {torch.get_num_threads()} threads" if torch
               else "not installed"), flush=True)
        return threads

    def compare(self, cands, repeats=None, number=None):
        return compare(cands, repeats or self.repeats, self.sample_s, number, self.settle_s)

    def table(self, title, columns, note=""):
        t = Table(title, columns, note)
        self.tables.append(t)
        return t

    def show(self, table):
        print(table.text(), flush=True)

    def target(self, name, value, op, threshold, unit="x", stretch=False, detail=""):
        """Record a verdict: value `op` threshold, op one of '>=', '<='. NaN = unmeasured."""
        met = None if value is None or math.isnan(value) else (
            value >= threshold if op == ">=" else value <= threshold)
        self.targets.append({"name": name, "value": value, "op": op, "threshold": threshold,
                             "unit": unit, "met": met, "stretch": stretch, "detail": detail})

    def finish(self):
        if self.targets:
            print("\nTargets")
            for t in self.targets:
                print("  " + verdict_line(t))
        print(f"\n({time.perf_counter() - self.t0:.1f} s measuring)")
        if self.args.json:
            with open(self.args.json, "w") as f:
                json.dump({"tables": [t.as_dict() for t in self.tables],
                           "targets": self.targets, "quick": self.quick}, f)


def verdict_line(t):
    v = "unmeasured" if t["met"] is None else ("met" if t["met"] else "NOT met")
    val = "-" if t["met"] is None else f"{t['value']:.3g}{t['unit']}"
    tag = " (stretch)" if t["stretch"] else ""
    detail = f"  [{t['detail']}]" if t["detail"] else ""
    return f"{t['name']}{tag}: {val} (target {t['op']} {t['threshold']:g}{t['unit']}) {v}{detail}"


def speedup(res, ours, peer):
    """How many times faster ours is than peer (their median time / ours)."""
    return res[peer].med / res[ours].med


def time_cell(st):
    """'median (min-max)' of a Stat of seconds, the range in the median's unit."""
    scale, _ = _unit(st.med)
    return f"{fmt_time(st.med)} ({st.lo * scale:.3g}-{st.hi * scale:.3g})"


def rate_cell(st, work, scale=1e-9):
    """'median (min-max)' of work per second (e.g. GFLOP/s) from a Stat of seconds."""
    return f"{work / st.med * scale:.1f} ({work / st.hi * scale:.1f}-{work / st.lo * scale:.1f})"


class TimeTable:
    """A table of seconds per call: one row per case, ours then each peer, then ratios.

    kind "speedup": ratio = peer's time / ours (>1: ours faster);
    kind "time": ratio = ours / peer's time (<1: ours faster), as time targets are stated.
    """

    def __init__(self, bench, title, peers, kind="speedup", extra=(), ratios=None):
        self.peers, self.kind, self.extra = list(peers), kind, list(extra)
        self.ratios = list(peers if ratios is None else ratios)
        head = "x faster than" if kind == "speedup" else "time ours /"
        note = ("median (min - max) per call; " +
                ("ratio = their time / ours, >1: ours faster" if kind == "speedup"
                 else "ratio = our time / theirs, <1: ours faster"))
        self.table = bench.table(title, ["case", "ours"] + self.peers +
                                 [f"{head} {p}" for p in self.ratios] + self.extra, note)

    def ratio(self, res, peer):
        if peer not in res:
            return float("nan")
        r = speedup(res, "ours", peer)
        return r if self.kind == "speedup" else 1.0 / r

    def add(self, label, res, *extra):
        cells = [time_cell(res["ours"])]
        cells += [time_cell(res[p]) if p in res else "-" for p in self.peers]
        cells += ["-" if p not in res else f"{self.ratio(res, p):.2f}x" for p in self.ratios]
        self.table.add(label, *cells, *extra)
        return {p: self.ratio(res, p) for p in self.ratios}


