"""Benchmark: the equivalence check on the largest registered architectures at the paper's input size.

VGG-19 (143.7 M parameters) and ResNet-152 (60.2 M parameters, 155 weight layers) at 224×224: our PyTorch
implementation with random weights plays the user's model and is compared with our implementation in the same
framework and in the other one. And the dependency probe: an AlexNet whose grouped layers are written as tower
convolutions over slices bound late (`tests/broken_equivalence.py`), whose weights cannot be lined up there, so
that which input channels each output channel reads is measured in both models (it must be NOT equivalent,
with three dependency differences). Each measurement runs in a fresh interpreter: wall time of the
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

paper, variant, reference, user = sys.argv[1:5]
torch.manual_seed(0)
if user == "-":
    model = registry.get(variant).builder("torch")()
else:
    import importlib
    module, function = user.split(":")
    model = getattr(importlib.import_module(module), function)()
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
    "dependencies": len(result.dependencies),
    "largest": max(c.difference.absolute for c in result.points + result.layers),
    "largest_relative": max(c.difference.relative for c in result.points + result.layers),
}))
"""

#: (paper, variant, our framework, the user's model as module:builder or "-" for ours, dependency differences).
CASES = (
    ("simonyan2015_vgg", "vgg19", "torch", "-", 0),
    ("simonyan2015_vgg", "vgg19", "keras", "-", 0),
    ("he2016_resnet", "resnet152", "torch", "-", 0),
    ("he2016_resnet", "resnet152", "keras", "-", 0),
    ("krizhevsky2012_alexnet", "alexnet", "torch", "tests.broken_equivalence:alexnet_in_towers_bound_late", 3),
)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def measure(*args: str) -> tuple[float, dict]:
    """Run the check in a fresh interpreter; its whole wall time and the JSON it prints last."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", RUN, *args], capture_output=True, text=True, check=True, env=os.environ.copy(), cwd=ROOT
    )
    return time.perf_counter() - start, json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    print(f"{machine.describe()}; 2 threads per framework\n")
    header = ("variant", "user -> ours", "check", "process", "RSS before", "peak RSS", "compared", "largest diff", "ok")
    print(" | ".join(header))
    failed = False
    for paper, variant, reference, user, dependencies in CASES:
        whole, found = measure(paper, variant, reference, user)
        expected = found["dependencies"] == dependencies and found["equivalent"] == (dependencies == 0)
        failed |= not expected
        print(
            " | ".join(
                (
                    variant if user == "-" else f"{variant} ({user.split(':')[1]})",
                    f"torch -> {reference}",
                    f"{found['seconds']:.1f} s",
                    f"{whole:.1f} s",
                    f"{found['before_kib'] / 1024:.0f} MB",
                    f"{found['peak_kib'] / 1024:.0f} MB",
                    f"{found['points']} points, {found['layers']} layers, {found['dependencies']} dependencies",
                    f"{found['largest']:.2g}",
                    ("equivalent" if found["equivalent"] else "NOT equivalent") + ("" if expected else " (unexpected)"),
                )
            ),
            flush=True,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
