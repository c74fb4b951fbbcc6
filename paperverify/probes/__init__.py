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
#: Framework -> the worker process probing references in it ahead of the check that needs them, and the end of
#: the pipe its traces come through.
_ahead: dict[str, tuple[Any, Any]] = {}
#: The traces the worker sent, by configuration and framework.
_sent: dict[tuple[Config, str], Trace] = {}


def ahead(framework: str, process: Any, traces: Any) -> None:
    """Note that `process` is probing references in `framework` and sends them, as one list of (configuration,
    trace), through the pipe end `traces`: the first reference built in it waits for them."""
    _ahead[framework] = (process, traces)


def _received(framework: str, wanted: bool = True) -> None:
    """Take the traces of the worker probing in `framework` ahead, if `wanted` (waiting at most AHEAD_TIMEOUT
    seconds), and end it."""
    process, traces = _ahead.pop(framework)
    try:
        if wanted and traces.poll(AHEAD_TIMEOUT):
            _sent.update(((config, framework), trace) for config, trace in traces.recv())
    except (EOFError, OSError):  # a worker that died sent nothing: the check builds what it needs itself
        pass
    process.terminate()
    traces.close()


def dismiss() -> None:
    """End every worker still probing ahead: the check that started it is over."""
    for framework in list(_ahead):
        _received(framework, wanted=False)


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
    if chosen in _ahead:  # its work is not needed where the model's own framework builds them at no cost
        _received(chosen, wanted=chosen != framework)
    if (config, chosen) in _sent:
        return _sent[(config, chosen)]
    if frameworks.cheap(chosen) and chosen == framework:
        with disk.disabled():
            return probe(config, chosen)
    return probe(config, chosen)
