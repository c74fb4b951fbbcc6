"""Benchmark: the whole report (`paperverify report`) against its floor.

The floor is what no report can avoid: importing both frameworks and building every configuration the
claims need, without weights (PyTorch on the meta device, Keras without initialising variables). The
report adds table loading, probing, judging and rendering. Each measurement runs in a fresh subprocess;
wall time is the subprocess's whole life (interpreter start included), peak memory its maximum RSS.

    python benchmarks/bench_report.py [--repeat 3] [--check]

Targets (issue 3): report ≤ 1.5 × floor in wall time, peak RSS < 1.2 GB. `--check` exits 1 if missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import machine  # benchmarks/machine.py: this folder is the script's first import path

FLOOR = r"""
import json, os, resource, sys
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
    builder = variant.builder("torch")
    with torch.device("meta"):
        builder(**registry.builder_options(builder, size, config.kwargs()))
    builder = variant.builder("keras")
    options = registry.builder_options(builder, size, config.kwargs())
    build_without_weights(builder, input_shape=(size, size, variant.input_channels), **options)
print(json.dumps({"configs": len(configs), "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

REPORT = r"""
import json, resource, sys
from paperverify.cli import main
code = main(["report", "--out", sys.argv[1]])
print(json.dumps({"exit": code, "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def measure(code: str, *args: str) -> tuple[float, dict]:
    """Run `code` in a fresh interpreter; its wall time and the JSON it prints last."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, env=os.environ.copy()
    )
    elapsed = time.perf_counter() - start
    return elapsed, json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the best is kept")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()
    floors, reports = [], []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.repeat):
            floors.append(measure(FLOOR))
            reports.append(measure(REPORT, out))
    floor_time, floor = min(floors, key=lambda item: item[0])
    report_time, report = min(reports, key=lambda item: item[0])
    peak_mb = max(item[1]["rss_kib"] for item in reports) / 1024
    floor_mb = max(item[1]["rss_kib"] for item in floors) / 1024
    print(machine.describe())
    print(f"best of {args.repeat} runs, each in a fresh interpreter; {floor['configs']} configurations\n")
    print("| run | wall time (s) | peak RSS (MB) |")
    print("|---|---|---|")
    print(f"| floor: imports + bare no-weight builds | {floor_time:.2f} | {floor_mb:.0f} |")
    print(f"| `paperverify report` (all formats) | {report_time:.2f} | {peak_mb:.0f} |")
    ratio = report_time / floor_time
    print(f"\nreport / floor: {ratio:.2f}× (target ≤ 1.5×); peak {peak_mb:.0f} MB (target < 1200 MB)")
    missed = [text for text, bad in (("time", ratio > 1.5), ("memory", peak_mb >= 1200)) if bad]
    if report["exit"] != 0:
        print(f"note: the report exited {report['exit']}")
    if args.check and missed:
        print(f"missed: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
