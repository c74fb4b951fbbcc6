"""How much cheaper is probing a network than the usual ways of counting its multiply-adds?

For every registered variant (ResNet, VGG, GoogLeNet, AlexNet, NIN, LeNet-5, ...) and each framework (PyTorch,
Keras) this measures the wall time and the peak memory of three routes, with batch 1 at the variant's paper
input (224×224×3 for the ImageNet networks, 32×32 for NIN's CIFAR network, 32×32×1 for LeNet-5; below, S×S×C):

* bare build (the floor): the network built without weights and nothing else. PyTorch:
  `with torch.device("meta"): builder()`; Keras: `probe_keras.build_without_weights(builder, ...)`.
* probe: `build_and_probe(builder, S, {}, C)` of `paperverify.frameworks.torch.probe` / `.keras.probe`, i.e. the
  bare build plus the probe (a meta-tensor forward pass with hooks in PyTorch, a walk of the graph in Keras).
* usual route: a normal build with real, initialised weights and a count by a standard tool.
  PyTorch: `builder()` on the CPU, `.eval()`, then fvcore's `FlopCountAnalysis(model, x).total()` on a real
  1×C×S×S tensor under `torch.no_grad()` (fvcore counts one "flop" per multiply-add for conv/linear);
  and, as a second usual route, `builder()` + torchinfo's `summary(model, input_size=(1, C, S, S))`.
  Keras: `builder(input_size=S, input_channels=C)`, the model wrapped in a `tf.function` with a
  TensorSpec([1, S, S, C]), frozen with `convert_variables_to_constants_v2`, and the TensorFlow
  profiler's `total_float_ops` on the frozen graph (two float ops per multiply-add, so halved).

Each (framework, variant, route) runs in a fresh subprocess (this script with a hidden `--worker` argument),
so its memory is its own. Reported per measurement: the wall time of the measured operation only
(`time.perf_counter`, not the framework import), the peak RSS of the subprocess (`ru_maxrss`), and the peak
RSS above the subprocess's baseline: its RSS after importing the framework, the builders and the counting
tool (the kernel's high-water mark is reset at that point through /proc/self/clear_refs, so a peak during
the imports does not count). The bare build and the probe run once as a warm-up, then `--repeats` (3)
times in the same subprocess; their time is the best of those. The usual route runs once per subprocess,
in `--usual-repeats` (3) fresh subprocesses; its time is the best of those, its memory the largest (one
run alone is less reliable on a shared machine). The first, cold call of the bare build and the probe is
reported too, with the one-shot ratio usual/probe cold (what a single invocation in a fresh process
pays). Threads: 2 (torch intra/inter-op,
TensorFlow intra/inter-op); KERAS_BACKEND=tensorflow, TF_CPP_MIN_LOG_LEVEL=3, OMP_WAIT_POLICY=PASSIVE
(unless set: with libgomp's active spin-wait, torch's 2-thread forward pass on a 2-core machine took
either 0.12 s or 0.7-1.1 s at random).

The report is a machine header and a Markdown table (ready for the README), with the ratios probe/bare and
usual/probe (of wall times) and the multiply-adds each route counted (probe; fvcore total, torchinfo
mult-adds; TF profiler float ops / 2), so the counts can be compared as well as the costs.

Targets (issue 2, on ResNet): probe/bare <= 1.3× for every ResNet variant and framework (probing adds little
to building), and usual/probe >= 10× on resnet152 (probing is at least ten times cheaper than the usual
route). The other architectures are measured and reported the same way; a network that builds in a
millisecond or two (LeNet-5, NIN) pays the probe's fixed cost in a ratio above 1.3×, so no target is set for them.

Run from the repository root:

    python benchmarks/bench_probe.py                          # everything (the usual route takes minutes)
    python benchmarks/bench_probe.py --variants resnet18,resnet50 --frameworks torch
    python benchmarks/bench_probe.py --variants resnet        # an architecture's variants
    python benchmarks/bench_probe.py --skip-usual             # bare build and probe only
    python benchmarks/bench_probe.py --check                  # exit 1 if a target is missed

Exit status: 0, or 1 with `--check` when a target is missed, or 2 when a measurement failed.
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
# libgomp's default active spin-wait makes torch's 2-thread CPU ops randomly 5-10× slower on a 2-vCPU VM
# (a spinning thread starves its partner); passive waiting keeps the usual route's timing stable.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import gc
import json
import platform
import resource
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import machine  # benchmarks/machine.py: this folder is the script's first import path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from paperverify import registry  # noqa: E402  (imports no framework)
from paperverify.tables import load_claims  # noqa: E402

VARIANTS: tuple[str, ...] = tuple(sorted(registry.variants(), key=lambda v: (registry.get(v).architecture, v)))
#: The variants the targets are set for (issue 2).
TARGET_VARIANTS: tuple[str, ...] = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152")
FRAMEWORKS: tuple[str, ...] = ("torch", "keras")
#: The usual routes of each framework; the first one fills the main table.
USUAL_ROUTES: dict[str, tuple[str, ...]] = {"torch": ("fvcore", "torchinfo"), "keras": ("tfprofiler",)}
CHEAP_ROUTES: tuple[str, ...] = ("bare", "probe")
THREADS = 2
PROBE_OVER_BARE_MAX = 1.3
USUAL_OVER_PROBE_MIN = 10.0
USUAL_TARGET_VARIANT = "resnet152"
RESULT_MARKER = "BENCH_PROBE_RESULT "
MB = 1024.0  # ru_maxrss and /proc/self/status are in KiB; MB here means MiB


# ------------------------------------------------------------------------------------------------ worker


def _status_kib(field: str) -> int:
    """A `Vm*` field of /proc/self/status, in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _reset_peak_rss() -> bool:
    """Reset the kernel's RSS high-water mark (which `ru_maxrss` reports); False if not permitted."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def geometry(variant: str) -> tuple[int, int]:
    """The variant's paper input side (from its claims; 224 if none) and its registered input channels."""
    sizes = [claim.config.input_size for claim in load_claims() if claim.config.variant == variant]
    return (sizes[0] if sizes else 224), registry.get(variant).input_channels


def _torch_operation(variant: str, route: str) -> Callable[[], int | None]:
    """Import torch and everything `route` needs; return the operation to measure (it returns MACs)."""
    import torch

    torch.set_num_threads(THREADS)
    torch.set_num_interop_threads(THREADS)
    from paperverify.frameworks.torch import probe as probe_torch

    builder = registry.get(variant).builder("torch")
    size, channels = geometry(variant)

    if route == "bare":

        def bare() -> None:
            with torch.device("meta"):
                builder()

        return bare
    if route == "probe":
        return lambda: probe_torch.build_and_probe(builder, size, {}, channels).macs
    if route == "fvcore":
        from fvcore.nn import FlopCountAnalysis

        def fvcore() -> int:
            model = builder().eval()
            x = torch.randn(1, channels, size, size)
            with torch.no_grad():
                analysis = FlopCountAnalysis(model, x)
                analysis.unsupported_ops_warnings(False)
                analysis.uncalled_modules_warnings(False)
                return int(analysis.total())

        return fvcore
    if route == "torchinfo":
        from torchinfo import summary

        def torchinfo() -> int:
            model = builder().eval()
            return int(summary(model, input_size=(1, channels, size, size), verbose=0).total_mult_adds)

        return torchinfo
    raise ValueError(f"unknown torch route {route!r}")


def _keras_operation(variant: str, route: str) -> Callable[[], int | None]:
    """Import TensorFlow, Keras and everything `route` needs; return the operation to measure."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(THREADS)
    tf.config.threading.set_inter_op_parallelism_threads(THREADS)
    import keras  # noqa: F401  (imported before the baseline, as the probe imports it)

    from paperverify.frameworks.keras import probe as probe_keras

    builder = registry.get(variant).builder("keras")
    size, channels = geometry(variant)
    shape = (size, size, channels)

    if route == "bare":

        def bare() -> None:
            probe_keras.build_without_weights(builder, input_size=size, input_channels=channels)

        return bare
    if route == "probe":
        return lambda: probe_keras.build_and_probe(builder, size, {}, channels).macs
    if route == "tfprofiler":
        from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

        profiler = tf.compat.v1.profiler
        options = profiler.ProfileOptionBuilder(profiler.ProfileOptionBuilder.float_operation())
        options = options.with_empty_output().build()  # the count only, no table on stdout

        def tfprofiler() -> int:
            model = builder(input_size=size, input_channels=channels)
            function = tf.function(lambda x: model(x, training=False))
            concrete = function.get_concrete_function(tf.TensorSpec([1, *shape], tf.float32))
            frozen = convert_variables_to_constants_v2(concrete)
            run_meta = tf.compat.v1.RunMetadata()
            flops = profiler.profile(graph=frozen.graph, run_meta=run_meta, cmd="op", options=options)
            return int(flops.total_float_ops) // 2

        return tfprofiler
    raise ValueError(f"unknown keras route {route!r}")


def _timed(operation: Callable[[], int | None]) -> tuple[float, int | None]:
    gc.collect()
    start = time.perf_counter()
    macs = operation()
    return time.perf_counter() - start, macs


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(framework: str, variant: str, route: str, repeats: int) -> dict[str, Any]:
    """Measure one route in this (fresh) process: seconds, peak RSS, peak RSS above the import baseline.

    A cheap route runs once as a warm-up (its first call, cold: `first_seconds`), then `repeats` timed times
    (`seconds` is the best); `warm_above_mb` is the peak of the timed runs above the RSS after the warm-up.
    """
    warnings.filterwarnings("ignore")
    operation = (_torch_operation if framework == "torch" else _keras_operation)(variant, route)
    gc.collect()
    import_peak_kib = _peak_kib()
    baseline_kib = _status_kib("VmRSS")
    hwm_reset = _reset_peak_rss()
    first_seconds, macs = _timed(operation)
    peak_kib = _peak_kib()
    times = [first_seconds]
    warm_above_mb: float | None = None
    if route in CHEAP_ROUTES:
        gc.collect()
        warm_baseline_kib = _status_kib("VmRSS")
        hwm_reset = _reset_peak_rss() and hwm_reset
        for _ in range(repeats):
            seconds, macs = _timed(operation)
            times.append(seconds)
        warm_peak_kib = _peak_kib()
        warm_above_mb = max(0, warm_peak_kib - warm_baseline_kib) / MB
        peak_kib = max(peak_kib, warm_peak_kib)
    timed = times[1:] if route in CHEAP_ROUTES else times
    return {
        "framework": framework,
        "variant": variant,
        "route": route,
        "seconds": min(timed),
        "first_seconds": first_seconds,
        "all_seconds": times,
        "peak_mb": max(import_peak_kib, peak_kib) / MB,
        "above_baseline_mb": max(0, peak_kib - baseline_kib) / MB,
        "warm_above_mb": warm_above_mb,
        "baseline_mb": baseline_kib / MB,
        "hwm_reset": hwm_reset,
        "macs": macs,
    }


def _worker(framework: str, variant: str, route: str, repeats: int) -> None:
    sys.path.insert(0, str(ROOT))
    result = measure(framework, variant, route, repeats)
    sys.stdout.flush()
    print(RESULT_MARKER + json.dumps(result), flush=True)


# ------------------------------------------------------------------------------------------------ parent


@dataclass(frozen=True)
class Measurement:
    seconds: float
    first_seconds: float
    peak_mb: float
    above_baseline_mb: float
    warm_above_mb: float | None
    hwm_reset: bool
    macs: int | None


@dataclass(frozen=True)
class Failure:
    framework: str
    variant: str
    route: str
    detail: str


def run_in_subprocesses(
    framework: str, variant: str, route: str, repeats: int, processes: int
) -> Measurement | Failure:
    """Run one measurement in `processes` fresh processes: the best time, the largest memory."""
    results = [run_in_subprocess(framework, variant, route, repeats) for _ in range(processes)]
    failures = [result for result in results if isinstance(result, Failure)]
    if failures:
        return failures[0]
    measured = [result for result in results if isinstance(result, Measurement)]
    best = min(measured, key=lambda result: result.seconds)
    return Measurement(
        seconds=best.seconds,
        first_seconds=min(result.first_seconds for result in measured),
        peak_mb=max(result.peak_mb for result in measured),
        above_baseline_mb=max(result.above_baseline_mb for result in measured),
        warm_above_mb=best.warm_above_mb,
        hwm_reset=all(result.hwm_reset for result in measured),
        macs=best.macs,
    )


def run_in_subprocess(framework: str, variant: str, route: str, repeats: int) -> Measurement | Failure:
    """Run one measurement in a fresh Python process running this script."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", framework, variant, route]
    command += ["--repeats", str(repeats)]
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")  # OMP_WAIT_POLICY too
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARKER)]
    if done.returncode != 0 or not lines:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        return Failure(framework, variant, route, f"exit status {done.returncode}\n{tail}")
    data = json.loads(lines[-1][len(RESULT_MARKER) :])
    fields = (
        "seconds",
        "first_seconds",
        "peak_mb",
        "above_baseline_mb",
        "warm_above_mb",
        "hwm_reset",
        "macs",
    )
    return Measurement(**{name: data[name] for name in fields})


def _version(*distributions: str) -> str:
    for name in distributions:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages, or '?' where /proc/loadavg is missing."""
    try:
        with open("/proc/loadavg") as loadavg:
            return " ".join(loadavg.read().split()[:3])
    except OSError:
        return "?"


def machine_header(load_at_start: str) -> list[str]:
    """The machine, the library versions and the load, as Markdown lines."""
    cpu = machine.cpu()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    memory = ""
    try:
        with open("/proc/meminfo") as meminfo:
            kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
        memory = f", {kib / 1024**2:.1f} GiB RAM"
    except (OSError, StopIteration):
        pass
    versions = ", ".join(
        f"{label} {_version(*names)}"
        for label, names in (
            ("torch", ("torch",)),
            ("tensorflow", ("tensorflow-cpu", "tensorflow", "tensorflow-intel")),
            ("keras", ("keras",)),
            ("fvcore", ("fvcore",)),
            ("torchinfo", ("torchinfo",)),
        )
    )
    return [
        "## paperverify probe benchmark",
        "",
        f"- Machine: {cpu}, {os.cpu_count()} logical cores ({usable} usable){memory}, "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; {versions}",
        f"- Threads: {THREADS} (torch intra/inter-op, TensorFlow intra/inter-op), "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '')}; batch 1 at each variant's paper input",
        f"- Load average (1, 5, 15 min) at the start: {load_at_start}; at the end: {load_average()}",
    ]


def _seconds(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _megabytes(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def _cell(result: Measurement | Failure | None) -> str:
    if result is None:
        return "–"
    if isinstance(result, Failure):
        return "failed"
    return f"{_seconds(result.seconds)} s, +{_megabytes(result.above_baseline_mb)} MB ({result.peak_mb:.0f})"


def _ratio(numerator: Measurement | Failure | None, denominator: Measurement | Failure | None) -> float | None:
    if isinstance(numerator, Measurement) and isinstance(denominator, Measurement) and denominator.seconds > 0:
        return numerator.seconds / denominator.seconds
    return None


def _ratio_cell(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}×" if value < 10 else f"{value:.0f}×"


def _macs_cell(result: Measurement | Failure | None) -> str:
    if isinstance(result, Measurement) and result.macs is not None:
        return f"{result.macs:,}"
    return "–"


Results = dict[tuple[str, str, str], Measurement | Failure]


def table(results: Results, frameworks: list[str], variants: list[str], skip_usual: bool) -> list[str]:
    """The main Markdown table: one row per framework and variant, the first usual route of each."""
    header = [
        "framework",
        "variant",
        "bare build (s, MB)",
        "probe (s, MB)",
        "usual route (s, MB)",
        "probe/bare",
        "usual/probe",
        "MACs probe",
        "MACs usual",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * 7) + "|"]
    for framework in frameworks:
        usual_route = USUAL_ROUTES[framework][0]
        for variant in variants:
            bare = results.get((framework, variant, "bare"))
            probe = results.get((framework, variant, "probe"))
            usual = None if skip_usual else results.get((framework, variant, usual_route))
            row = [
                framework if skip_usual else f"{framework} ({usual_route})",
                variant,
                _cell(bare),
                _cell(probe),
                _cell(usual),
                _ratio_cell(_ratio(probe, bare)),
                _ratio_cell(_ratio(usual, probe)),
                _macs_cell(probe),
                _macs_cell(usual),
            ]
            lines.append("| " + " | ".join(row) + " |")
    return lines


def extra_usual_table(results: Results, variants: list[str]) -> list[str]:
    """The second usual route of PyTorch (torchinfo) against the probe."""
    header = ["framework", "variant", "probe (s, MB)", "usual route (s, MB)", "usual/probe", "MACs probe"]
    lines = ["| " + " | ".join([*header, "MACs usual"]) + " |", "|---|---|---:|---:|---:|---:|---:|"]
    for framework, routes in USUAL_ROUTES.items():
        for route in routes[1:]:
            for variant in variants:
                if (framework, variant, "probe") not in results:
                    continue
                probe = results[(framework, variant, "probe")]
                usual = results.get((framework, variant, route))
                row = [f"{framework} ({route})", variant, _cell(probe), _cell(usual)]
                row += [_ratio_cell(_ratio(usual, probe)), _macs_cell(probe), _macs_cell(usual)]
                lines.append("| " + " | ".join(row) + " |")
    return lines if len(lines) > 2 else []


def warm_up_table(results: Results, frameworks: list[str], variants: list[str]) -> list[str]:
    """Bare build and probe: the first (cold) call against the warm calls the main table reports."""
    header = ["framework", "variant", "bare: first call (s, MB)", "bare: warm (s, MB)"]
    header += ["probe: first call (s, MB)", "probe: warm (s, MB)", "usual/probe cold"]
    lines = ["| " + " | ".join(header) + " |", "|---|---|---:|---:|---:|---:|---:|"]
    for framework in frameworks:
        for variant in variants:
            row = [framework, variant]
            for route in CHEAP_ROUTES:
                result = results.get((framework, variant, route))
                if not isinstance(result, Measurement):
                    row += ["–", "–"]
                    continue
                warm_mb = result.warm_above_mb or 0.0
                row.append(f"{_seconds(result.first_seconds)} s, +{_megabytes(result.above_baseline_mb)} MB")
                row.append(f"{_seconds(result.seconds)} s, +{_megabytes(warm_mb)} MB")
            probe = results.get((framework, variant, "probe"))
            cold = [
                f"{_ratio_cell(usual.seconds / probe.first_seconds)} ({route})"
                for route in USUAL_ROUTES[framework]
                if isinstance(usual := results.get((framework, variant, route)), Measurement)
                and isinstance(probe, Measurement)
            ]
            row.append(", ".join(cold) or "–")
            lines.append("| " + " | ".join(row) + " |")
    return lines


def missed_targets(results: Results, frameworks: list[str], variants: list[str]) -> list[str]:
    """Every target the results miss, one sentence each."""
    missed = []
    for framework in frameworks:
        for variant in variants:
            probe = results.get((framework, variant, "probe"))
            ratio = _ratio(probe, results.get((framework, variant, "bare")))
            if variant in TARGET_VARIANTS and ratio is not None and ratio > PROBE_OVER_BARE_MAX:
                missed.append(f"{framework} {variant}: probe/bare = {ratio:.2f}× > {PROBE_OVER_BARE_MAX}×")
            if variant != USUAL_TARGET_VARIANT:
                continue
            for route in USUAL_ROUTES[framework]:
                ratio = _ratio(results.get((framework, variant, route)), probe)
                if ratio is not None and ratio < USUAL_OVER_PROBE_MIN:
                    target = f"{USUAL_OVER_PROBE_MIN:.0f}×"
                    missed.append(f"{framework} {variant}: usual ({route})/probe = {ratio:.1f}× < {target}")
    return missed


def _names(text: str, known: tuple[str, ...], what: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if what == "variants":  # an architecture's name stands for all its variants
        names = [v for name in names for v in (_architecture(name) or [name])]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown {what} {unknown}; expected some of {list(known)}")
    return names


def _architecture(name: str) -> list[str]:
    return [v for v in VARIANTS if registry.get(v).architecture == name]


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--variants",
        type=lambda text: _names(text, VARIANTS, "variants"),
        default=list(VARIANTS),
        help="comma-separated variants or architectures, e.g. resnet50,vgg (default: every registered variant)",
    )
    parser.add_argument(
        "--frameworks",
        type=lambda text: _names(text, FRAMEWORKS, "frameworks"),
        default=list(FRAMEWORKS),
        help="comma-separated frameworks: torch, keras (default: both)",
    )
    parser.add_argument("--skip-usual", action="store_true", help="skip the slow usual route")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of bare build and probe (best of)")
    parser.add_argument("--usual-repeats", type=int, default=3, help="fresh processes per usual route (best of)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--worker", nargs=3, metavar=("FRAMEWORK", "VARIANT", "ROUTE"), help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.repeats < 1 or arguments.usual_repeats < 1:
        parser.error("--repeats and --usual-repeats must be at least 1")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if arguments.worker:
        _worker(*arguments.worker, arguments.repeats)
        return 0
    started, load_at_start = time.perf_counter(), load_average()
    frameworks: list[str] = arguments.frameworks
    variants: list[str] = arguments.variants
    results: Results = {}
    for framework in frameworks:
        routes = CHEAP_ROUTES + (() if arguments.skip_usual else USUAL_ROUTES[framework])
        for variant in variants:
            for route in routes:
                processes = 1 if route in CHEAP_ROUTES else arguments.usual_repeats
                results[(framework, variant, route)] = run_in_subprocesses(
                    framework, variant, route, arguments.repeats, processes
                )
    elapsed = time.perf_counter() - started

    measurements = [result for result in results.values() if isinstance(result, Measurement)]
    failures = [result for result in results.values() if isinstance(result, Failure)]
    report = [*machine_header(load_at_start), ""]
    report += table(results, frameworks, variants, arguments.skip_usual)
    if not arguments.skip_usual:
        extra = extra_usual_table(results, variants)
        if extra:
            report += [
                "",
                "Second usual route for PyTorch: torchinfo `summary` (real build + forward pass).",
                "",
            ]
            report += extra
    report += [
        "",
        "First call in a fresh process (cold: lazy imports and caches; one sample; its MB is the peak above "
        "the post-import RSS, as in the main table) against the warm calls (best time; MB: peak above the "
        "RSS after the warm-up). usual/probe cold: the usual route's time over the probe's first call, what "
        "one invocation in a fresh process pays.",
        "",
        *warm_up_table(results, frameworks, variants),
    ]
    report += [
        "",
        f"Each cell: wall time of the operation alone (bare build and probe: best of {arguments.repeats} "
        f"runs after one warm-up, in the same process; usual route: best of {arguments.usual_repeats} runs, "
        "each in its own fresh process), then the peak RSS above the process's RSS after importing the "
        "framework, then in parentheses the process's peak RSS. Every measurement runs in its own fresh "
        "subprocess; MB = 2^20 bytes. Ratios are of wall times. "
        f"Targets: probe/bare <= {PROBE_OVER_BARE_MAX}×; usual/probe >= {USUAL_OVER_PROBE_MIN:.0f}× on "
        f"{USUAL_TARGET_VARIANT}. MACs usual: fvcore total (one per multiply-add), torchinfo "
        "total_mult_adds, TF profiler total_float_ops / 2.",
    ]
    if any(not m.hwm_reset for m in measurements):
        report += [
            "",
            "Note: /proc/self/clear_refs was not writable, so some 'above baseline' figures are upper bounds "
            "(they may include a peak during the imports).",
        ]
    report += ["", f"Total wall time of the benchmark: {elapsed:.0f} s."]
    missed = missed_targets(results, frameworks, variants)
    if missed:
        report += ["", "Targets missed:", *[f"- {line}" for line in missed]]
    elif not failures:
        report += ["", "All targets met."]
    for failure in failures:
        report += ["", f"FAILED {failure.framework} {failure.variant} {failure.route}:", failure.detail]
    print("\n".join(report))
    if failures:
        return 2
    return 1 if arguments.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
