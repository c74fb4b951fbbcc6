"""Probes: turn a built model into a Trace, one adapter per framework, imported only when used."""

from __future__ import annotations

import importlib
from functools import cache

from paperverify import registry
from paperverify.tables import Config
from paperverify.trace import Trace

_ADAPTERS = {"keras": "paperverify.probes.probe_keras", "torch": "paperverify.probes.probe_torch"}


class ProbeError(RuntimeError):
    """A model that could not be built or probed; the message names the configuration and the layer."""


@cache
def probe(config: Config, framework: str) -> Trace:
    """Build `config` with `framework`'s registered builder, without weights, and probe it (cached)."""
    if framework not in _ADAPTERS:
        raise registry.RegistryError(f"unknown framework; expected one of {sorted(_ADAPTERS)}. Received: {framework!r}")
    variant = registry.get(config.variant)
    adapter = importlib.import_module(_ADAPTERS[framework])
    builder = variant.builder(framework)
    options = registry.builder_options(builder, config.input_size, config.kwargs())
    return adapter.build_and_probe(builder, config.input_size, options, channels=variant.input_channels)
