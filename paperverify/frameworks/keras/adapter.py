"""The Keras adapter: the `Framework` interface (paperverify.frameworks) over `probe.py` and `run.py`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import keras

from paperverify.frameworks import Adapter
from paperverify.frameworks.keras import probe as _probe
from paperverify.frameworks.keras import run as _run
from paperverify.trace import Trace


class KerasFramework(Adapter):
    """Keras 3 functional models: probed symbolically without initialising any variable, run node by node."""

    name = "keras"
    flattens_channels_first = False

    def owns(self, model: Any) -> bool:
        return isinstance(model, keras.Model)

    def build_and_probe(self, builder: Callable[..., Any], size: int, options: dict[str, Any], channels: int) -> Trace:
        return _probe.build_and_probe(builder, size, options, channels)

    def probe(self, model: Any, size: int, channels: int) -> Trace:
        """A Keras model is traced at its own input (`fixed_input`)."""
        return _probe.probe_model(model)

    def fixed_input(self, model: Any) -> tuple[int | None, ...] | None:
        inputs = getattr(model, "inputs", None)
        return tuple(inputs[0].shape[1:3]) if inputs else None

    @contextmanager
    def loading(self, weights: bool) -> Iterator[None]:
        """Fresh name counters, so unnamed layers are named as a stage map expects (`conv2d`, `add_11`), and
        no initialisation unless `weights`."""
        with _probe.fresh_names():
            if weights:
                yield
            else:
                with _probe.no_weights():
                    yield

    def load_file(self, path: Path) -> Any:
        return keras.saving.load_model(path, compile=False)


ADAPTER = KerasFramework(_run)
