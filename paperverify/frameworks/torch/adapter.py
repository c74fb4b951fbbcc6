"""The PyTorch adapter: the `Framework` interface (paperverify.frameworks) over `probe.py` and `run.py`."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import torch
from torch import nn

from paperverify.frameworks import Adapter, FrameworkError
from paperverify.frameworks.torch import probe as _probe
from paperverify.frameworks.torch import run as _run
from paperverify.trace import Trace


class TorchFramework(Adapter):
    """PyTorch models (`torch.nn.Module`): probed on the meta device, run on the CPU."""

    name = "torch"
    flattens_channels_first = True

    def owns(self, model: Any) -> bool:
        return isinstance(model, nn.Module)

    def build_and_probe(self, builder: Callable[..., Any], size: int, options: dict[str, Any], channels: int) -> Trace:
        return _probe.build_and_probe(builder, size, options, channels)

    def probe(self, model: Any, size: int, channels: int) -> Trace:
        return _probe.probe_model(model, (size, size, channels))

    def fixed_input(self, model: Any) -> tuple[int | None, ...] | None:
        return None

    def loading(self, weights: bool) -> AbstractContextManager[Any]:
        return nullcontext() if weights else torch.device("meta")

    def load_file(self, path: Path) -> Any:
        raise FrameworkError(f"{path}: PyTorch reads no saved model file; name a module:callable that builds it")


ADAPTER = TorchFramework(_run)
