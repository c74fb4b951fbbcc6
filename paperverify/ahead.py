"""References probed ahead: while `paperverify check` imports a user's framework and builds their model, a worker
process builds our implementation of the variant in the framework references are built in and leaves the traces
in the trace cache (paperverify.cache), so that the check need not import that framework after the model's.

A Keras or ONNX model is lined up with, and its configuration told from, our PyTorch implementation built on the
meta device (`probes.reference`); importing PyTorch after TensorFlow costs a first check seconds that a second
core spends at the same time instead. The worker starts only when the target's framework can be told without
importing it (`targets.guess_framework`), is not the one references are built in, the cache is on and there is a
second core; the check waits for it at its first reference, and a worker that fails leaves the check to build
what it needs itself.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from paperverify import cache, frameworks, probes, runner
from paperverify.claims import Config
from paperverify.configuration import builder_defaults
from paperverify.targets import guess_framework


def start(
    target: str, framework: str, paper: str, variant: str | None, tables: Iterable[Path | str], hint: str
) -> bool:
    """Start probing the references a check of `target` against `paper` will want, in a worker process, when
    that can save the check time; whether a worker was started."""
    guessed = guess_framework(target, framework)
    if guessed is None or not cache.enabled() or (os.cpu_count() or 1) < 2:
        return False
    chosen = frameworks.for_references(frameworks.BUILDING, guessed)
    if chosen == guessed or frameworks.package(chosen) in sys.modules:
        return False
    from paperverify.check import select_claims

    try:
        first = select_claims(paper, variant, tables, hint=hint)[0].config
    except Exception:  # an unknown paper or variant: the check says so
        return False
    if cache.load(cache.key(first, chosen)) is not None:  # a warm cache: the check reads its references there
        return False
    context = multiprocessing.get_context("spawn")  # a fork would copy a framework's threads mid-flight
    arguments = (paper, variant, [str(folder) for folder in tables], hint, chosen)
    process = context.Process(target=_probe_references, args=arguments, name="paperverify-ahead", daemon=True)
    process.start()
    probes.ahead(chosen, process)
    return True


def configurations(paper: str, variant: str | None, tables: Iterable[str], hint: str, framework: str) -> list[Config]:
    """The references a check is likely to want: every configuration the variant's claims are printed for, and
    our builder's default one at each input size they are printed at (the one a model is lined up with)."""
    from paperverify.check import select_claims

    claims = select_claims(paper, variant, tables, hint=hint, framework=framework)
    main = tuple(sorted(builder_defaults(claims, framework).items()))
    sizes = dict.fromkeys(claim.config.input_size for claim in claims)
    chosen = claims[0].config.variant
    lined_up = [Config(chosen, size, main) for size in sizes]
    return list(dict.fromkeys([*lined_up, *(claim.config for claim in claims)]))


def _probe_references(paper: str, variant: str | None, tables: list[str], hint: str, framework: str) -> None:
    """The worker: probe each configuration into the trace cache; whatever fails is left for the check to say."""
    runner.start_worker(1)
    try:
        wanted = configurations(paper, variant, tables, hint, framework)
    except Exception:  # an unknown paper or variant: the check itself says so
        return
    for config in wanted:
        try:
            probes.probe(config, framework)
        except Exception:  # a reference that cannot be built: the check reports it where it needs it
            continue
