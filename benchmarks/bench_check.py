"""What does `paperverify check` cost over building the model, for a model as a stranger writes it?

For models of tests/strangers/ (their names are their own, so `check` lines them up with our implementation by
structure, and where the paper prints several configurations tells which one the model is), this times two
commands, each in a fresh process, as a user runs them:

* floor: import the target and build it without weights, as `check` does (`paperverify.targets.load_target`:
  the framework's import, the target module's, the builder in the no-weight scope), and nothing else;
* check: `paperverify check TARGET --paper P --variant V`, the whole command (tables read, the model
  probed, our implementation probed to line it up with, the configuration inferred, every claim judged, the
  table printed): a first check (an empty trace cache each run: a Keras model's references are built in PyTorch
  by a worker process meanwhile, paperverify.ahead), with `--no-cache` (our implementation built and probed in
  the check's process every time) and with a warm trace cache (paperverify.cache: our implementation's traces
  read back, as from a user's second check on).

Each is the best wall time of `--repeats` (3) runs, the interpreter's start included in both. Target (issue 17):
check / floor <= 1.3x. Threads: 2 (OMP_NUM_THREADS, TensorFlow's via TF_NUM_INTRAOP_THREADS); run it on a quiet
machine: `python benchmarks/bench_check.py`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import machine  # benchmarks/machine.py: this folder is the script's first import path

ROOT = Path(__file__).resolve().parent.parent
STRANGERS = [
    ("tests/strangers/torch_resnet.py:resnet50", "he2016_resnet", "resnet50"),
    ("tests/strangers/torch_mobilenet.py:mobilenet_v1", "howard2017_mobilenet", "mobilenet_v1"),
    ("tests/strangers/torch_densenet.py:densenet121", "huang2017_densenet", "densenet121"),
    ("tests/strangers/keras_resnet.py:resnet50", "he2016_resnet", "resnet50"),
    ("tests/strangers/keras_mobilenet.py:mobilenet", "howard2017_mobilenet", "mobilenet_v1"),
    ("tests/strangers/keras_xception.py:xception", "chollet2017_xception", "xception"),
]
FLOOR = "from paperverify.targets import load_target; load_target({target!r}, {{}})"


def _best(command: list[str], repeats: int, cache: str | None = None, fresh: bool = False) -> float:
    """The best wall time of `repeats` runs: with the trace cache in `cache`, or in an empty folder each run."""
    if fresh:
        runs = []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory() as empty:
                runs.append(_best(command, 1, empty))
        return min(runs)
    environment = {
        **os.environ,
        **({"PAPERVERIFY_CACHE_DIR": cache} if cache else {}),
        "OMP_NUM_THREADS": "2",
        "TF_NUM_INTRAOP_THREADS": "2",
        "TF_NUM_INTEROP_THREADS": "2",
        "KERAS_BACKEND": "tensorflow",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:  # a faithful model passes: anything else measures something else
            raise SystemExit(
                f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
            )
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--match", default="", help="only the targets whose name holds this text (keras_)")
    args = parser.parse_args()
    print(machine.describe())
    print("| target | floor | first check | / floor | check, no cache | / floor | check, warm cache | / floor |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as cache:
        for target, paper, variant in STRANGERS:
            if args.match not in target:
                continue
            floor = _best([sys.executable, "-c", FLOOR.format(target=target)], args.repeats)
            command = str(Path(sys.executable).parent / "paperverify")
            check = [command, "check", target, "--paper", paper, "--variant", variant]
            first = _best(check, args.repeats, fresh=True)
            cold = _best([*check, "--no-cache"], args.repeats)
            warm = _best(check, args.repeats + 1, cache)  # the first run fills the cache
            times = [f"{time:.2f} s | {time / floor:.2f}×" for time in (first, cold, warm)]
            print(f"| {target} | {floor:.2f} s | {' | '.join(times)} |", flush=True)


if __name__ == "__main__":
    main()
