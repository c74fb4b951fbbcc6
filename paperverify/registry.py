"""One registry: paper variant -> {framework: builder}.

Our implementations are found by convention: the variants of architecture `resnet` are built by the functions
of those names in `implementations.<framework>.resnet`, for every framework of paperverify.frameworks that has
such a module. Listing variants and collecting tests import no framework; a builder's module is imported when
the builder is first asked for.

Every builder is called the same way, by keyword: `builder(input_size=s, input_channels=c, **options)`, the
side of the square input image, its channels, and the options of a table row's configuration. A network that
adapts to any input side (a global pool) still takes `input_size`.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from paperverify.frameworks import BUILDING

#: The frameworks a variant can be registered for: those whose models Python callables build (paperverify.frameworks).
FRAMEWORKS: tuple[str, ...] = BUILDING
#: Where our implementations live: `<IMPLEMENTATIONS>.<framework>.<architecture>`.
IMPLEMENTATIONS = "implementations"


class RegistryError(ValueError):
    """A duplicate registration or a request for a variant or framework that is not registered."""


@dataclass(frozen=True)
class Variant:
    """A paper variant (`resnet50`) and where each framework's builder for it lives."""

    name: str
    architecture: str
    modules: tuple[tuple[str, str], ...]
    #: Channels of the input image the builders expect (3 for RGB; LeNet-5 reads one grey plane).
    input_channels: int = 3

    @property
    def frameworks(self) -> tuple[str, ...]:
        return tuple(framework for framework, _ in self.modules)

    def builder(self, framework: str) -> Callable[..., Any]:
        """The builder function for `framework`, importing its module on first use."""
        modules = dict(self.modules)
        if framework not in modules:
            raise RegistryError(
                f"variant {self.name!r} has no {framework} builder. "
                f"Registered frameworks: {list(modules)}. Received: framework={framework!r}"
            )
        return getattr(importlib.import_module(modules[framework]), self.name)


_REGISTRY: dict[str, Variant] = {}
_LOADED = False


def register(architecture: str, variants: list[str], *, input_channels: int = 3, **modules: str) -> None:
    """Register `variants` of `architecture`, each built by the function of that name in each module.

    `modules` maps a framework to its module, e.g. `torch="mypackage.resnet"`; without any, the modules are
    found by convention, `implementations.<framework>.<architecture>` for each framework that has one.
    `input_channels` is the number of channels of the input image the models read (probes build them so).
    Raises RegistryError on a duplicate variant (ours are registered first, so a user's variant that takes one
    of their names is refused whenever it is registered), an unknown framework, or no module at all.
    """
    _load()
    unknown = sorted(set(modules) - set(FRAMEWORKS))
    if unknown:
        raise RegistryError(f"unknown frameworks {unknown}; expected some of {list(FRAMEWORKS)}")
    if not modules:
        modules = {
            framework: f"{IMPLEMENTATIONS}.{framework}.{architecture}"
            for framework in FRAMEWORKS
            if importlib.util.find_spec(f"{IMPLEMENTATIONS}.{framework}.{architecture}") is not None
        }
        if not modules:
            raise RegistryError(
                f"no module implements {architecture!r}: expected {IMPLEMENTATIONS}/<framework>/{architecture}.py "
                f"for some framework of {list(FRAMEWORKS)}, or modules given as framework='package.module'"
            )
    for name in variants:
        if name in _REGISTRY:
            raise RegistryError(
                f"variant {name!r} is registered twice: by {_REGISTRY[name].architecture!r} and by "
                f"{architecture!r}. Variant names must be unique."
            )
        ordered = tuple((framework, modules[framework]) for framework in FRAMEWORKS if framework in modules)
        _REGISTRY[name] = Variant(name, architecture, ordered, input_channels)


def _load() -> None:
    """Register our implementations, once (their own `register` calls find the flag already set)."""
    global _LOADED
    if not _LOADED:
        _LOADED = True
        importlib.import_module("implementations")


def variants() -> list[str]:
    """Every registered variant name, sorted."""
    _load()
    return sorted(_REGISTRY)


def get(name: str) -> Variant:
    """The registered variant `name`; RegistryError listing the known ones otherwise."""
    _load()
    if name not in _REGISTRY:
        raise RegistryError(f"no variant {name!r} is registered. Registered: {sorted(_REGISTRY)}")
    return _REGISTRY[name]
