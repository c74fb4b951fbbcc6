"""The frameworks paperverify works with: one adapter per framework behind one interface, and the one place
that dispatches on them.

Each framework is a subpackage `paperverify/frameworks/<name>/` whose `__init__.py` imports nothing heavy and
names the Python package its models come from (`PACKAGE = "torch"`), their class (`MODEL = "torch.nn.Module"`),
the suffixes of saved models it reads (`SAVED_SUFFIXES`), whether building costs no weight memory
(`CHEAP_BUILDS`), the environment variables that change what it builds (`SETTINGS`), the packages it runs
on that its adapter does not import (`RUNS_ON`), whether its models are built by Python callables at all
(`BUILDS`, true unless said otherwise: ONNX models are only read from files, and paperverify builds none of its
implementations in it) and whether they are inference graphs, dropout left out (`INFERENCE_ONLY`); and whose
`adapter.py` holds `ADAPTER`, an object with the `Framework` interface below.
Adding a framework is adding a folder: it is found by convention, and nothing else in the engine asks which
framework it is talking to.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

    from paperverify.probes.numeric import Layout, Normalisation, Padding, Sink, Weights
    from paperverify.trace import LayerRecord, Trace


class FrameworkError(ValueError):
    """An unknown framework, or a model no framework owns."""


class Framework(Protocol):
    """What the engine needs of a framework."""

    #: The framework's name (`torch`, `keras`): the registry's and the report's.
    name: str
    #: Whether a flatten orders a map's features C, H, W (PyTorch) rather than H, W, C.
    flattens_channels_first: bool

    def owns(self, model: Any) -> bool:
        """Whether `model` is one of this framework's models."""

    def build_and_probe(self, builder: Callable[..., Any], size: int, options: dict[str, Any], channels: int) -> Trace:
        """Build one of our implementations without weights at size×size×channels and probe it."""

    def probe(self, model: Any, size: int, channels: int) -> Trace:
        """Trace any model of this framework at size×size×channels (or at its own fixed input)."""

    def fixed_input(self, model: Any) -> tuple[int | None, ...] | None:
        """The input side(s) the model was built for (H, W), or None when it takes any size."""

    def loading(self, weights: bool) -> AbstractContextManager[None]:
        """The scope a user's builder is called in: without weights (no memory, no initialisation) unless
        `weights`, and with whatever makes the model's names those of a fresh process."""

    def load_file(self, path: Path) -> Any:
        """A model saved in a file with one of the subpackage's SAVED_SUFFIXES."""

    # The equivalence check: weights in the canonical layout of paperverify.probes.numeric, runs with taps.
    def has_weights(self, model: Any) -> bool: ...

    def build_reference(self, builder: Callable[..., Any], size: int, channels: int, options: dict[str, Any]) -> Any:
        """One of our implementations with weights allocated but not initialised (see `materialise`)."""

    def materialise(self, model: Any) -> None:
        """Give a reference's weights memory (zeros) without running any initialiser."""

    def layers(self, model: Any, trace: Trace) -> list[Any]:
        """The layer object behind each record of the model's trace (None where none is)."""

    def layout(self, layer: Any) -> Layout: ...

    def read(self, layer: Any, flattened: tuple[int, int, int] | None) -> Weights: ...

    def write(self, layer: Any, weights: Weights, flattened: tuple[int, int, int] | None) -> None: ...

    def run(self, model: Any, image: np.ndarray, wanted: Collection[int], sink: Sink) -> None:
        """Run in inference mode on an N×H×W×C image, handing each wanted trace record's output to `sink`."""

    def padding(self, layer: Any, record: LayerRecord) -> Padding | None:
        """The zero padding (top, bottom, left, right) a layer applies to its input, for its record; None for
        a layer that pads nothing of its own."""

    def set_padding(self, layer: Any, pads: Padding) -> bool:
        """Make a padding layer of ours pad by `pads`, or a layer of ours that pads itself pad by `pads` in
        all; False if it cannot."""

    def normalisation(self, layer: Any) -> Normalisation | None:
        """A local response normalisation layer's constants; None for another layer or one it cannot read."""

    def set_normalisation(self, layer: Any, constants: Normalisation) -> bool:
        """Make a local response normalisation layer of ours use `constants`; False if it cannot."""


#: The equivalence check's operations, which an adapter may take from its framework's `run` module.
EQUIVALENCE_OPERATIONS = (
    "has_weights", "build_reference", "materialise", "layers", "layout", "read", "write", "run",
    "padding", "set_padding", "normalisation", "set_normalisation",
)  # fmt: skip


class Adapter:
    """A base for adapters whose equivalence operations are the functions of one module (`run.py`)."""

    def __init__(self, run: Any) -> None:
        for operation in EQUIVALENCE_OPERATIONS:
            setattr(self, operation, getattr(run, operation))


def _declarations() -> dict[str, Any]:
    """Framework name -> its subpackage's light `__init__` (PACKAGE, SAVED_SUFFIXES), for every one found here."""
    return {
        info.name: importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name)
        if info.ispkg
    }


_DECLARED = _declarations()
_PACKAGES: dict[str, str] = {name: module.PACKAGE for name, module in _DECLARED.items()}
#: Every framework's name, sorted.
NAMES: tuple[str, ...] = tuple(_PACKAGES)
#: The frameworks whose models Python callables build (ours and a user's; the subpackage's BUILDS), sorted.
BUILDING: tuple[str, ...] = tuple(name for name, module in _DECLARED.items() if getattr(module, "BUILDS", True))


def adapter_module(name: str) -> str:
    """The module holding framework `name`'s adapter (nothing is imported)."""
    if name not in _PACKAGES:
        raise FrameworkError(f"unknown framework; expected one of {list(NAMES)}. Received: {name!r}")
    return f"{__name__}.{name}.adapter"


def get(name: str) -> Framework:
    """The adapter of framework `name`, importing it (and the framework) on first use."""
    return importlib.import_module(adapter_module(name)).ADAPTER


def package(name: str) -> str:
    """The Python package framework `name`'s models come from (its subpackage's PACKAGE)."""
    return _PACKAGES[name]


def cheap(name: str) -> bool:
    """Whether framework `name` builds our implementations at no cost in weights (its CHEAP_BUILDS)."""
    return bool(getattr(_DECLARED[name], "CHEAP_BUILDS", False))


def settings(name: str) -> tuple[str, ...]:
    """The environment variables that change what framework `name` builds (its subpackage's SETTINGS)."""
    return tuple(getattr(_DECLARED[name], "SETTINGS", ()))


def inference_only(name: str) -> bool:
    """Whether framework `name`'s models are inference graphs, from which an exporter leaves dropout out (its
    subpackage's INFERENCE_ONLY)."""
    return bool(getattr(_DECLARED.get(name), "INFERENCE_ONLY", False))


def runs_on(name: str) -> tuple[str, ...]:
    """The packages framework `name` runs on that its adapter does not import (its subpackage's RUNS_ON)."""
    return tuple(getattr(_DECLARED[name], "RUNS_ON", ()))


def of(model: Any) -> Framework:
    """The adapter of the framework `model` belongs to (only frameworks already imported are asked)."""
    for name, package in _PACKAGES.items():
        if package in sys.modules and get(name).owns(model):
            return get(name)
    kinds = ", ".join(module.MODEL for module in _DECLARED.values())
    raise FrameworkError(
        f"expected a model of one of {kinds}. Received: {type(model).__module__}.{type(model).__qualname__}"
    )


def imported() -> list[str]:
    """The frameworks whose package this process has imported."""
    return [name for name, package in _PACKAGES.items() if package in sys.modules]


def installed(names: Collection[str] = NAMES) -> list[str]:
    """The frameworks among `names` whose package can be imported here."""
    return [name for name in names if importlib.util.find_spec(_PACKAGES[name]) is not None]


def for_references(candidates: Collection[str], preferred: str) -> str:
    """The framework to build one of our implementations in when only its trace is needed (to line a model up,
    to tell its configuration): among `candidates` (those with a builder for it), an installed one whose builds
    cost nothing (CHEAP_BUILDS), else `preferred` if it is one of them, else the first installed one (a model of a
    framework that builds nothing, ONNX). Traces do not depend on the framework (tests/test_models.py)."""
    usable = installed([name for name in candidates if name in _DECLARED])
    cheapest = next((name for name in usable if cheap(name)), None)
    if cheapest is not None:
        return cheapest
    return preferred if preferred in candidates else next(iter(usable), preferred)


def reading(path: Path) -> str | None:
    """The framework that reads saved models with `path`'s suffix, if any."""
    return next((name for name, module in _DECLARED.items() if path.suffix in module.SAVED_SUFFIXES), None)


def saved_suffixes() -> list[str]:
    """Every suffix of a saved model some framework reads."""
    return [suffix for module in _DECLARED.values() for suffix in module.SAVED_SUFFIXES]
