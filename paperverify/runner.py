"""Run claims against the registered implementations: each configuration built and probed once, in worker
processes when that pays, every trace read from the trace cache (paperverify.cache) where it holds one."""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from paperverify import cache, compare, frameworks
from paperverify.claims import Claim, Config
from paperverify.compare import Verdict
from paperverify.probes import fresh, probe
from paperverify.registry import FRAMEWORKS
from paperverify.trace import Trace

#: The environment variables that size PyTorch's and TensorFlow's thread pools when they are imported.
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
#: A worker's collector thresholds (Python's default: 700, 10, 10).
_GC_THRESHOLDS = (50_000, 20, 20)
#: Progress: (configurations done, configurations in all, the one just done, its framework).
Progress = Callable[[int, int, Config, str], None]


def verdict(claim: Claim, framework: str) -> Verdict:
    """Judge one claim in one framework; a model that fails to build or probe gives an error verdict."""
    return _judge(claim, framework, _probed(claim.config, framework))


def cores() -> int:
    """The processor cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run(
    claims: Iterable[Claim],
    frameworks: Iterable[str] = FRAMEWORKS,
    progress: Progress | None = None,
    jobs: int | None = None,
) -> list[Verdict]:
    """Every claim in every framework, each configuration probed once, verdicts in claim order.

    Configurations the trace cache holds are read from it. The others are probed in `jobs` worker processes
    (a standard process pool; each worker imports the frameworks it needs) or, with `jobs=1`, here; by default
    (`jobs=None`) in as many workers as there are cores, unless this process has already imported every
    framework they need (a worker would import it again). Verdicts are the same either way.
    """
    claims = list(claims)
    names = list(frameworks)
    groups: dict[tuple[str, Config], list[Claim]] = {}
    for framework in names:
        for claim in claims:
            groups.setdefault((framework, claim.config), []).append(claim)
    order = sorted(groups, key=lambda item: (item[0], str(item[1])))
    results: dict[tuple[str, str], Verdict] = {}

    def judge(item: tuple[str, Config], trace: Trace | str) -> None:  # while the workers build the rest
        results.update(((claim.id, item[0]), _judge(claim, item[0], trace)) for claim in groups[item])

    _traces(order, judge, progress, jobs)
    return [results[(claim.id, framework)] for claim in claims for framework in names]


def _traces(
    order: list[tuple[str, Config]],
    judge: Callable[[tuple[str, Config], Trace | str], None],
    progress: Progress | None,
    jobs: int | None,
) -> None:
    """Hand `judge` the trace (or the error text) of each (framework, configuration) as it comes: from the
    cache, probed here, or from a worker."""
    done: set[tuple[str, Config]] = set()

    def finished(item: tuple[str, Config], result: Trace | str) -> None:
        judge(item, result)
        done.add(item)
        if progress is not None:
            progress(len(done), len(order), item[1], item[0])

    if jobs == 1:
        for item in order:
            finished(item, _probed(item[1], item[0]))
        return
    entries = {item: cache.key(item[1], item[0]) for item in order}
    missing = []
    for item in order:
        trace = cache.load(entries[item])
        if trace is None:
            missing.append(item)
        else:
            finished(item, trace)
    workers = min(_workers(missing, jobs), len(missing))
    if workers <= 1:
        for item in missing:
            finished(item, _probed(item[1], item[0]))
        return
    context = multiprocessing.get_context("spawn")  # a fork would copy a framework's threads mid-flight
    threads = max(1, cores() // workers)
    with ProcessPoolExecutor(workers, context, initializer=start_worker, initargs=(threads,)) as pool:
        pending: dict[Future[list[Trace | str]], list[tuple[str, Config]]] = {
            pool.submit(_probe_in_worker, batch): batch for batch in _batches(missing)
        }
        while pending:
            finishing, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finishing:
                batch = pending.pop(future)
                for item, result in zip(batch, future.result(), strict=True):
                    if isinstance(result, Trace):
                        cache.store(entries[item], result)
                    finished(item, result)


def _batches(missing: list[tuple[str, Config]]) -> list[list[tuple[str, Config]]]:
    """The workers' jobs: all of a framework that builds at no cost in one job (one worker imports it), then each
    configuration of the others alone, in the order given; the cheap job first, while the other workers start on
    the costly builds."""
    cheap = {framework for framework, _ in missing if frameworks.cheap(framework)}
    batches = [[item for item in missing if item[0] == framework] for framework in sorted(cheap)]
    return batches + [[item] for item in missing if item[0] not in cheap]


def _workers(missing: list[tuple[str, Config]], jobs: int | None) -> int:
    if jobs is not None:
        return max(1, jobs)
    needed = {frameworks.package(framework) for framework, _ in missing}
    return 1 if needed <= set(sys.modules) else cores()


def start_worker(threads: int) -> None:
    """Size the frameworks' thread pools for one worker's share of the cores, before they are imported (a
    setting the user made is kept), and collect garbage less often: a build makes tens of thousands of objects."""
    for variable in _THREAD_VARIABLES:
        os.environ.setdefault(variable, str(threads))
    gc.set_threshold(*_GC_THRESHOLDS)


_imported: set[str] = set()


def _import(framework: str) -> None:
    """Import a framework in a worker, then freeze what the imports made: the collector no longer walks the
    frameworks' own objects at every collection (Keras builds take a quarter less time). Only what exists once
    the imports are done is frozen, so each build's garbage is collected as usual."""
    if framework not in _imported:
        frameworks.get(framework)
        _imported.add(framework)
        gc.freeze()


def _probed(config: Config, framework: str) -> Trace | str:
    """The trace of `config` in `framework` (cached in this process and on disk), or what went wrong."""
    try:
        return probe(config, framework)
    except Exception as err:  # a broken implementation is reported, never crashes the run
        return f"{type(err).__name__}: {err}"


def _probe_in_worker(batch: list[tuple[str, Config]]) -> list[Trace | str]:
    """A worker's job: build and probe each (framework, configuration) afresh (the parent reads and writes the
    cache), or say what went wrong."""
    results: list[Trace | str] = []
    for framework, config in batch:
        try:
            _import(framework)
            results.append(fresh(config, framework))
        except Exception as err:  # as in _probed; an exception need not survive pickling, its text does
            results.append(f"{type(err).__name__}: {err}")
    return results


def _judge(claim: Claim, framework: str, trace: Trace | str) -> Verdict:
    if isinstance(trace, str):
        return compare.error(claim, framework, f"{claim.config}: {trace}")
    return compare.safe_judge(claim, trace)
