"""Benchmark: the whole report (`paperverify report`) against its floor, cold and warm.

The floor is what no single process can avoid: importing both frameworks and building every configuration the
claims need, without weights (PyTorch on the meta device, Keras without initialising variables), one after the
other. Measured, each in a fresh subprocess (wall time: the subprocess's whole life, interpreter start included):

- serial: `paperverify report --jobs 1 --no-cache`, everything in one process;
- cold: `paperverify report` with an empty trace cache: configurations probed in one worker process per core;
- warm: `paperverify report` again, every trace read from the cache (no framework imported).

Memory is the peak, over the run, of the sum over the process and its workers of the proportional set size
(PSS: a page shared by n processes counts 1/n in each), sampled every 0.1 s; the sum of the resident sizes
(shared pages counted in every process) is shown beside it.

    python benchmarks/bench_report.py [--repeat 3] [--check]

Targets (issue 20): cold ≤ 0.6 × floor, warm ≤ 5 s, peak (PSS, all processes) ≤ 1.5 GB. `--check` exits 1 if
one is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import machine  # benchmarks/machine.py: this folder is the script's first import path

FLOOR = r"""
import json, os, sys
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import torch
import keras
from paperverify import registry
from paperverify.frameworks.keras.probe import build_without_weights
from paperverify.tables import load_claims

configs = sorted({claim.config for claim in load_claims()}, key=str)
for config in configs:
    variant, size = registry.get(config.variant), config.input_size
    keywords = {"input_size": size, "input_channels": variant.input_channels, **config.kwargs()}
    with torch.device("meta"):
        variant.builder("torch")(**keywords)
    build_without_weights(variant.builder("keras"), **keywords)
print(json.dumps({"configs": len(configs)}))
"""

REPORT = r"""
import json, sys
from paperverify.cli import main
frameworks = ("torch", "keras", "tensorflow")
code = main(["report", "--out", sys.argv[1], *sys.argv[2:]])
print(json.dumps({"exit": code, "frameworks": [name for name in frameworks if name in sys.modules]}))
"""


def _children(pid: int) -> list[int]:
    """`pid` and every process below it."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            tasks = Path(f"/proc/{current}/task").iterdir()
            pending.extend(int(child) for task in tasks for child in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def _memory(pid: int) -> tuple[int, int]:
    """PSS and RSS of one process in KiB (0, 0 once it is gone)."""
    values = {"Pss:": 0, "Rss:": 0}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            field, *rest = line.split()
            if field in values:
                values[field] = int(rest[0])
    except OSError:
        pass
    return values["Pss:"], values["Rss:"]


def measure(code: str, *args: str, cache: str | None = None) -> tuple[float, dict]:
    """Run `code` in a fresh interpreter; its wall time, and the JSON it prints last with the peak PSS and RSS
    (MB) of it and its workers together."""
    environment = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}
    if cache is not None:
        environment["PAPERVERIFY_CACHE_DIR"] = cache
    peak = [0, 0]
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env=environment,
    )  # fmt: skip

    def sample() -> None:
        while process.poll() is None:
            sizes = [_memory(pid) for pid in _children(process.pid)]
            peak[0] = max(peak[0], sum(size[0] for size in sizes))
            peak[1] = max(peak[1], sum(size[1] for size in sizes))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    elapsed = time.perf_counter() - start
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"the measured run exited {process.returncode}:\n{output[-2000:]}")
    result = json.loads(output.strip().splitlines()[-1])
    return elapsed, {**result, "pss_mb": peak[0] / 1024, "rss_mb": peak[1] / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the best is kept")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()
    runs: dict[str, list[tuple[float, dict]]] = {"floor": [], "serial": [], "cold": [], "warm": []}
    with tempfile.TemporaryDirectory() as out:
        for index in range(args.repeat):
            cache = str(Path(out) / f"cache{index}")
            runs["floor"].append(measure(FLOOR))
            runs["serial"].append(measure(REPORT, out, "--jobs", "1", "--no-cache", cache=cache))
            runs["cold"].append(measure(REPORT, out, cache=cache))
            runs["warm"].append(measure(REPORT, out, cache=cache))
    best = {name: min(items, key=lambda item: item[0]) for name, items in runs.items()}
    peak = {name: max(items, key=lambda item: item[1]["pss_mb"])[1] for name, items in runs.items()}
    floor_time = best["floor"][0]
    print(machine.describe())
    print(f"best of {args.repeat} runs, each in a fresh interpreter; {best['floor'][1]['configs']} configurations\n")
    print("| run | wall time (s) | × floor | peak PSS, all processes (MB) | peak RSS summed (MB) |")
    print("|---|---|---|---|---|")
    labels = {
        "floor": "floor: imports + bare no-weight builds, one process",
        "serial": "`paperverify report --jobs 1 --no-cache`",
        "cold": "`paperverify report`, empty trace cache (workers)",
        "warm": "`paperverify report`, warm trace cache",
    }
    for name, label in labels.items():
        elapsed = best[name][0]
        print(
            f"| {label} | {elapsed:.2f} | {elapsed / floor_time:.2f} | {peak[name]['pss_mb']:.0f} "
            f"| {peak[name]['rss_mb']:.0f} |"
        )
    cold, warm = best["cold"][0] / floor_time, best["warm"][0]
    imported = best["warm"][1].get("frameworks")
    print(f"\ncold / floor: {cold:.2f}× (target ≤ 0.6×); warm {warm:.2f} s (target ≤ 5 s), imported {imported}")
    missed = [
        text
        for text, bad in (
            ("cold time", cold > 0.6),
            ("warm time", warm > 5),
            ("warm imports a framework", bool(imported)),
            ("memory", peak["cold"]["pss_mb"] > 1536),
        )
        if bad
    ]
    exits = {name: result["exit"] for name, (_, result) in best.items() if name != "floor" and result["exit"] != 0}
    if exits:
        print(f"note: reports exited {exits}")
    if args.check and missed:
        print(f"missed: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
