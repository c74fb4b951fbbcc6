"""Benchmark: the equivalence check on the largest registered architectures at the paper's input size.

VGG-19 (143.7 M parameters) and ResNet-152 (60.2 M parameters, 155 weight layers) at 224×224: our PyTorch
implementation with random weights plays the user's model and is compared with our implementation in the same
framework and in the other one. Each measurement runs in a fresh interpreter: wall time of the
`equivalence` call alone (the user's model is built before the clock starts), peak RSS of the process, and the
RSS before the call (frameworks imported, the user's model built), so that the check's own share shows.

    python benchmarks/bench_equivalence.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import machine  # benchmarks/machine.py: this folder is the script's first import path

RUN = r"""
import json, os, resource, sys, time
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import torch
torch.set_num_threads(2)
if sys.argv[3] == "keras":
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(2)
    tf.config.threading.set_inter_op_parallelism_threads(2)
from paperverify import equivalence, registry

paper, variant, reference = sys.argv[1], sys.argv[2], sys.argv[3]
torch.manual_seed(0)
model = registry.get(variant).builder("torch")()
before = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
start = time.perf_counter()
result = equivalence(model, paper=paper, variant=variant, reference_framework=reference, input_size=224)
elapsed = time.perf_counter() - start
print(json.dumps({
    "seconds": elapsed,
    "before_kib": before,
    "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "equivalent": result.equivalent,
    "points": len(result.points),
    "layers": len(result.layers),
    "largest": max(c.difference.absolute for c in result.points + result.layers),
    "largest_relative": max(c.difference.relative for c in result.points + result.layers),
}))
"""

CASES = (
    ("simonyan2015_vgg", "vgg19", "torch"),
    ("simonyan2015_vgg", "vgg19", "keras"),
    ("he2016_resnet", "resnet152", "torch"),
    ("he2016_resnet", "resnet152", "keras"),
)


def measure(*args: str) -> tuple[float, dict]:
    """Run the check in a fresh interpreter; its whole wall time and the JSON it prints last."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", RUN, *args], capture_output=True, text=True, check=True, env=os.environ.copy()
    )
    return time.perf_counter() - start, json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    print(f"{machine.describe()}; 2 threads per framework\n")
    header = ("variant", "user -> ours", "check", "process", "RSS before", "peak RSS", "compared", "largest diff", "ok")
    print(" | ".join(header))
    failed = False
    for paper, variant, reference in CASES:
        whole, found = measure(paper, variant, reference)
        failed |= not found["equivalent"]
        print(
            " | ".join(
                (
                    variant,
                    f"torch -> {reference}",
                    f"{found['seconds']:.1f} s",
                    f"{whole:.1f} s",
                    f"{found['before_kib'] / 1024:.0f} MB",
                    f"{found['peak_kib'] / 1024:.0f} MB",
                    f"{found['points']} points, {found['layers']} layers",
                    f"{found['largest']:.2g}",
                    "equivalent" if found["equivalent"] else "NOT equivalent",
                )
            ),
            flush=True,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
