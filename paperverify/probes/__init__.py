"""Probes: turn a built model into a Trace through its framework's adapter (paperverify.frameworks)."""

from __future__ import annotations

from functools import cache
from typing import Any

from paperverify import cache as disk
from paperverify import frameworks, registry
from paperverify.claims import Config
from paperverify.trace import Trace

#: How long a check waits for references probed ahead (paperverify.ahead) before building them itself.
AHEAD_TIMEOUT = 120.0
#: Framework -> the worker process probing references in it ahead of the check that needs them.
_ahead: dict[str, Any] = {}


def ahead(framework: str, process: Any) -> None:
    """Note that `process` is probing references in `framework` into the trace cache: the first reference built
    in it waits for the process to end, then reads the cache."""
    _ahead[framework] = process


@cache
def probe(config: Config, framework: str) -> Trace:
    """Build `config` with `framework`'s registered builder, without weights, and probe it; kept for the process
    and in the trace cache (paperverify.cache), which a later process reads instead of building again."""
    entry = disk.key(config, framework)
    trace = disk.load(entry)
    if trace is None:
        trace = fresh(config, framework)
        disk.store(entry, trace)
    return trace


def fresh(config: Config, framework: str) -> Trace:
    """Build `config` with `framework`'s registered builder, without weights, and probe it (no cache)."""
    adapter = frameworks.get(framework)
    variant = registry.get(config.variant)
    builder = variant.builder(framework)
    return adapter.build_and_probe(builder, config.input_size, config.kwargs(), variant.input_channels)


def reference(config: Config, framework: str) -> Trace:
    """Our implementation of `config` probed for comparing a model's trace with: built in the framework that
    builds it at no cost if one is installed (`frameworks.for_references`), else in `framework`. The trace cache
    is read where it spares importing a framework or a costly build: a build at no cost in the model's own
    framework is quicker than reading the sources that key the cache, but references built in another (a Keras
    model's, in PyTorch) are cached, each of them, so that a later check need not import that framework."""
    chosen = frameworks.for_references(registry.get(config.variant).frameworks, framework)
    worker = _ahead.pop(chosen, None)
    if worker is not None:
        if chosen != framework:  # else its work is not needed: the model's framework builds at no cost
            worker.join(AHEAD_TIMEOUT)
        if worker.is_alive():  # a worker that hangs is ended: the check builds what it needs itself
            worker.terminate()
    if frameworks.cheap(chosen) and chosen == framework:
        with disk.disabled():
            return probe(config, chosen)
    return probe(config, chosen)
