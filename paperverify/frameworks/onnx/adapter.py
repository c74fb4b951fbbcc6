"""The ONNX adapter: the `Framework` interface (paperverify.frameworks) over `probe.py` and `run.py`."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import onnx

from paperverify.frameworks import Adapter, FrameworkError
from paperverify.frameworks.onnx import probe as _probe
from paperverify.frameworks.onnx import run as _run
from paperverify.trace import Trace


class OnnxFramework(Adapter):
    """ONNX models (`onnx.ModelProto`, read from `.onnx` files): probed from the graph, run by onnxruntime."""

    name = "onnx"
    flattens_channels_first = True

    def owns(self, model: Any) -> bool:
        return isinstance(model, onnx.ModelProto)

    def build_and_probe(self, builder: Callable[..., Any], size: int, options: dict[str, Any], channels: int) -> Trace:
        raise FrameworkError("paperverify builds none of its implementations in ONNX")

    def probe(self, model: Any, size: int, channels: int) -> Trace:
        return _probe.probe_model(model, size, channels)

    def fixed_input(self, model: Any) -> tuple[int | None, ...] | None:
        return _probe.fixed_input(model)

    def loading(self, weights: bool) -> AbstractContextManager[None]:
        return nullcontext()

    def load_file(self, path: Path) -> Any:
        """The model with its weights (external data from the file's folder); onnx.checker refuses a bad graph."""
        model = onnx.load(path)
        onnx.checker.check_model(model)
        return model


ADAPTER = OnnxFramework(_run)
