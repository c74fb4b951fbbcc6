"""References probed ahead: while `paperverify check` imports a user's framework and builds their model, a worker
process builds our implementation of the variant in the framework references are built in and sends the traces
back (and keeps them in the trace cache, paperverify.cache, unless it is off), so that the check need not import
that framework after the model's.

A Keras or ONNX model is lined up with, and its configuration told from, our PyTorch implementation built on the
meta device (`probes.reference`); importing PyTorch after TensorFlow costs a first check seconds that a second
core spends at the same time instead. The worker starts only when the target's framework can be told without
importing it (`targets.guess_framework`), is not the one references are built in, the references are not in the
trace cache already and there is a second core; the check waits for its traces at its first reference, and a
worker that fails leaves the check to build what it needs itself.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from paperverify import cache, frameworks, probes, runner
from paperverify.check import select_claims
from paperverify.claims import Config
from paperverify.configuration import builder_defaults
from paperverify.targets import guess_framework


@contextlib.contextmanager
def probing(
    target: str, framework: str, paper: str, variant: str | None, tables: Iterable[Path | str], hint: str
) -> Iterator[None]:
    """While inside, a worker probes the references a check of `target` will want, if that pays (`start`); it is
    ended on leaving, its traces taken or not."""
    start(target, framework, paper, variant, tables, hint)
    try:
        yield
    finally:
        probes.dismiss()


def start(
    target: str, framework: str, paper: str, variant: str | None, tables: Iterable[Path | str], hint: str
) -> bool:
    """Start probing the references a check of `target` against `paper` will want, in a worker process, when
    that can save the check time; whether a worker was started."""
    guessed = guess_framework(target, framework)
    if guessed is None or (os.cpu_count() or 1) < 2:
        return False
    chosen = frameworks.for_references(frameworks.BUILDING, guessed)
    if chosen == guessed or frameworks.package(chosen) in sys.modules:
        return False
    try:
        first = select_claims(paper, variant, tables, hint=hint)[0].config
    except Exception:  # an unknown paper or variant: the check says so
        return False
    if cache.enabled() and cache.load(cache.key(first, chosen)) is not None:  # a warm cache: read there
        return False
    context = multiprocessing.get_context("spawn")  # a fork would copy a framework's threads mid-flight
    receiving, sending = context.Pipe(duplex=False)
    arguments = (paper, variant, [str(folder) for folder in tables], hint, chosen, cache.enabled(), sending)
    process = context.Process(target=_probe_references, args=arguments, name="paperverify-ahead", daemon=True)
    process.start()
    sending.close()  # the worker holds its own end: a worker that dies leaves the check an end of file
    probes.ahead(chosen, process, receiving)
    return True


def configurations(paper: str, variant: str | None, tables: Iterable[str], hint: str, framework: str) -> list[Config]:
    """The references a check is likely to want: every configuration the variant's claims are printed for, and
    our builder's default one at each input size they are printed at (the one a model is lined up with)."""
    claims = select_claims(paper, variant, tables, hint=hint, framework=framework)
    main = tuple(sorted(builder_defaults(claims, framework).items()))
    sizes = dict.fromkeys(claim.config.input_size for claim in claims)
    chosen = claims[0].config.variant
    lined_up = [Config(chosen, size, main) for size in sizes]
    return list(dict.fromkeys([*lined_up, *(claim.config for claim in claims)]))


def _probe_references(
    paper: str, variant: str | None, tables: list[str], hint: str, framework: str, cached: bool, sending: Any
) -> None:
    """The worker: probe each configuration (through the trace cache if `cached`) and send the traces, as one list
    of (configuration, trace); whatever fails is left for the check to build and say."""
    runner.start_worker(1)
    traces = []
    with contextlib.nullcontext() if cached else cache.disabled():
        try:
            wanted = configurations(paper, variant, tables, hint, framework)
        except Exception:  # an unknown paper or variant: the check itself says so
            wanted = []
        for config in wanted:
            try:
                traces.append((config, probes.probe(config, framework)))
            except Exception:  # a reference that cannot be built: the check reports it where it needs it
                continue
    sending.send(traces)
    sending.close()
