"""Run every benchmark, print each target's ratio and verdict, write RESULTS.md.

    python benchmarks/run_all.py [--quick] [--only gemm,train] [--out PATH] [--note TEXT]

Each script runs in its own subprocess (its own thread pools and RSS) and hands
back its tables and verdicts as JSON. A full run writes benchmarks/RESULTS.md;
--quick (seconds per script, for CI) writes nothing unless --out is given.
A run that starts on a busy machine (1-minute load average above
NOISY_LOAD) is marked noisy in RESULTS.md: ratios from it are not figures.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

import _harness as H

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = ["gemm", "fused", "elementwise", "overhead", "backward", "train", "conv", "lm", "cuda"]
NOISY_LOAD = 0.5


def _commit():
    """The checkout's commit, '+ changes' when the working tree differs from it."""
    def git(*a):
        return subprocess.run(["git", "-C", HERE, *a], capture_output=True, text=True,
                              check=False).stdout
    head = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    return head + (" + uncommitted changes" if git("status", "--porcelain", "--", ".", "../src",
                                                     "../csrc").strip() else "")


def run_script(name, quick):
    """(result dict or None, seconds, return code) of benchmarks/bench_<name>.py."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        path = tmp.name
    cmd = [sys.executable, os.path.join(HERE, f"bench_{name}.py"), "--json", path]
    cmd += ["--quick"] if quick else []
    print(f"\n===== bench_{name}.py{' --quick' if quick else ''} =====", flush=True)
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, check=False).returncode
    seconds = time.perf_counter() - t0
    try:
        with open(path) as f:
            result = json.load(f) if rc == 0 else None
    except (OSError, ValueError):
        result = None
    finally:
        os.unlink(path)
    return result, seconds, rc


def _counts(targets):
    met = sum(t["met"] is True for t in targets)
    missed = sum(t["met"] is False for t in targets)
    return f"{met} met, {missed} not met, {len(targets) - met - missed} unmeasured"


def summary(results):
    lines = []
    for name, (res, seconds, rc) in results.items():
        if res is None:
            lines.append(f"bench_{name}.py FAILED (exit {rc}) after {seconds:.0f} s")
            continue
        lines.append(f"bench_{name}.py ({seconds:.0f} s)")
        for t in sorted(res["targets"], key=lambda t: t["stretch"]):
            lines.append("  " + H.verdict_line(t))
    every = [t for res, _, _ in results.values() if res for t in res["targets"]]
    lines.append("targets: " + _counts([t for t in every if not t["stretch"]])
                 + "; stretch: " + _counts([t for t in every if t["stretch"]]))
    return lines


def _md_table(columns, rows):
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in rows]
    return out


def write_markdown(path, args, machine, results, total, load_start):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cmd = "python benchmarks/run_all.py" + (" --quick" if args.quick else "") + \
        (f" --only {args.only}" if args.only else "")
    md = ["# Benchmark results", "",
          f"`{cmd}` on {now}, {total:.0f} s in all.", ""]
    banners = []
    if args.quick:
        banners.append("QUICK run: a smoke run of few repeats; its figures are not results.")
    if load_start > NOISY_LOAD:
        banners.append(f"NOISY run: the 1-minute load average was {load_start:.2f} at the start "
                       "(other work shared the cores); treat every ratio below as unreliable.")
    if args.note:
        banners.append(args.note)
    md += [f"> **{b}**" for b in banners] + ([""] if banners else [])
    md += ["## Machine", ""] + _md_table(["", ""], [[k, str(v)] for k, v in machine.items()])
    md += ["", "## Targets", ""]
    rows = []
    for name, (res, seconds, rc) in results.items():
        if res is None:
            rows.append([f"bench_{name}.py", f"FAILED (exit {rc})", "", "", ""])
            continue
        for t in res["targets"]:
            val = "-" if t["met"] is None else f"{t['value']:.3g}{t['unit']}"
            verdict = "unmeasured" if t["met"] is None else ("met" if t["met"] else "**not met**")
            rows.append([t["name"] + (" (stretch)" if t["stretch"] else ""), val,
                         f"{t['op']} {t['threshold']:g}{t['unit']}", verdict, t["detail"]])
    md += _md_table(["target", "measured", "goal", "verdict", "note"], rows)
    for name, (res, seconds, rc) in results.items():
        md += ["", f"## bench_{name}.py ({seconds:.0f} s)"]
        for t in (res or {}).get("tables", []):
            md += ["", f"**{t['title']}**" + (f" ({t['note']})" if t["note"] else ""), ""]
            md += _md_table(t["columns"], t["rows"])
    with open(path, "w") as f:
        f.write("\n".join(md) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    p.add_argument("--quick", action="store_true", help="seconds per script (CI smoke run)")
    p.add_argument("--only", help="comma-separated subset of " + ",".join(SCRIPTS))
    p.add_argument("--out", help="markdown report path (default: benchmarks/RESULTS.md "
                   "for a full run, none for --quick)")
    p.add_argument("--note", help="a line to put at the top of the report")
    args = p.parse_args()
    names = args.only.split(",") if args.only else SCRIPTS
    unknown = set(names) - set(SCRIPTS)
    if unknown:
        p.error(f"unknown benchmark(s) {sorted(unknown)}; choose from {SCRIPTS}")
    load_start = os.getloadavg()[0]
    t0 = time.perf_counter()
    machine = H.machine()
    machine["commit"] = _commit()
    print("\n".join(f"{k}: {v}" for k, v in machine.items()))
    results = {n: run_script(n, args.quick) for n in names}
    total = time.perf_counter() - t0
    machine["load average"] = f"{load_start:.2f} at start, {os.getloadavg()[0]:.2f} at end"
    print("\n===== targets =====")
    print("\n".join(summary(results)))
    print(f"\nrun_all: {total:.0f} s" + (f" (load average {load_start:.2f} at start: NOISY)"
                                         if load_start > NOISY_LOAD else ""))
    out = args.out or (None if args.quick else os.path.join(HERE, "RESULTS.md"))
    if out:
        write_markdown(out, args, machine, results, total, load_start)
        print(f"wrote {out}")
    return 0 if all(r is not None for r, _, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
