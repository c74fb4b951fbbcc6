"""PyTorch side of the equivalence check: build a reference without initialising it, read and write weights
in the canonical layout, run a model in inference mode handing each layer's output to a sink, and trace the
wiring of its merges on meta tensors.

Trace indices are the positions of the probe's records: one per call of a leaf module, in call order, less
`identity` modules (as `probe_torch.probe_model` records them).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook
from torch.overrides import TorchFunctionMode

from paperverify.frameworks.torch.probe import concatenations, kind_of, meta_copy, probe_model
from paperverify.kinds import MERGES
from paperverify.probes.numeric import (
    MODEL_INPUT,
    Layout,
    Merge,
    Sink,
    Weights,
    as_array,
    flatten_rows,
    unflatten_rows,
)
from paperverify.registry import builder_options
from paperverify.trace import Trace

#: Functions that merge tensors when called with two or more of them (`x + y`, `out += identity`, `torch.cat`).
_ADDS = frozenset(
    {torch.add, torch.Tensor.add, torch.Tensor.add_, torch.Tensor.__add__, torch.Tensor.__radd__}
    | {torch.Tensor.__iadd__}
)
_CATS = frozenset({torch.cat, torch.concat, torch.concatenate})


def has_weights(model: nn.Module) -> bool:
    """Whether every parameter and buffer holds data (none lives on the meta device)."""
    tensors = [*model.parameters(), *model.buffers()]
    return bool(tensors) and not any(t.is_meta for t in tensors)


def probe(model: nn.Module, size: int, channels: int) -> Trace:
    return probe_model(model, (size, size, channels))


def build_reference(builder: Callable[..., nn.Module], size: int, channels: int, options: dict[str, Any]) -> nn.Module:
    """Our implementation on the meta device (no weight memory yet, see `materialise`)."""
    with torch.device("meta"):
        return builder(**builder_options(builder, size, options)).eval()


def materialise(model: nn.Module) -> None:
    """Give a meta-device model zero-filled CPU tensors, without running any initialiser."""
    model.to_empty(device="cpu")
    with torch.no_grad():
        for tensor in (*model.parameters(), *model.buffers()):
            tensor.zero_()


def layers(model: nn.Module, trace: Trace) -> list[nn.Module | None]:
    """The module behind each record of `trace` (a trace of `model` before any renaming); None for a
    container's own `torch.cat`, which no module performs."""
    modules = dict(model.named_modules())
    return [modules.get(record.name) for record in trace.layers]


def layout(module: nn.Module) -> Layout:
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return Layout(bias=module.affine, epsilon=module.eps)
    if isinstance(module, nn.LayerNorm):
        return Layout(bias=module.bias is not None, epsilon=module.eps)
    return Layout(bias=getattr(module, "bias", None) is not None)


def _numpy(tensor: torch.Tensor | None) -> np.ndarray | None:
    return None if tensor is None else as_array(tensor.detach().cpu().numpy())


def read(module: nn.Module, flattened: tuple[int, int, int] | None) -> Weights:
    """A conv2d, dense, batchnorm or layernorm module's weights in the canonical layout."""
    if isinstance(module, nn.Conv2d):
        return Weights(kernel=_numpy(module.weight).transpose(2, 3, 1, 0), bias=_numpy(module.bias))  # OIHW -> HWIO
    if isinstance(module, nn.Linear):
        return Weights(kernel=flatten_rows(_numpy(module.weight).T, flattened), bias=_numpy(module.bias))
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return Weights(
            gamma=_numpy(module.weight),
            beta=_numpy(module.bias),
            mean=_numpy(module.running_mean),
            var=_numpy(module.running_var),
            epsilon=module.eps,
        )
    if isinstance(module, nn.LayerNorm):
        return Weights(gamma=_numpy(module.weight), beta=_numpy(module.bias))
    raise TypeError(f"no weight layout for {type(module).__qualname__}")


def write(module: nn.Module, weights: Weights, flattened: tuple[int, int, int] | None) -> None:
    """Copy canonical weights into a conv2d, dense, batchnorm or layernorm module (a missing bias or scale is
    zero / one)."""

    def put(target: torch.Tensor | None, value: np.ndarray | None, default: float = 0.0) -> None:
        if target is None:
            return
        with torch.no_grad():
            if value is None:
                target.fill_(default)
            else:
                target.copy_(torch.from_numpy(np.ascontiguousarray(value)).reshape(target.shape))

    if isinstance(module, nn.Conv2d):
        put(module.weight, weights.kernel.transpose(3, 2, 0, 1))  # HWIO -> OIHW
        put(module.bias, weights.bias)
    elif isinstance(module, nn.Linear):
        put(module.weight, unflatten_rows(weights.kernel, flattened).T)
        put(module.bias, weights.bias)
    elif isinstance(module, nn.modules.batchnorm._BatchNorm):
        put(module.weight, weights.gamma, 1.0)
        put(module.bias, weights.beta)
        put(module.running_mean, weights.mean)
        put(module.running_var, weights.var, 1.0)
    elif isinstance(module, nn.LayerNorm):
        put(module.weight, weights.gamma, 1.0)
        put(module.bias, weights.beta)
    else:
        raise TypeError(f"no weight layout for {type(module).__qualname__}")


def _leaves(model: nn.Module) -> dict[int, tuple[str, nn.Module]]:
    return {id(m): (name, m) for name, m in model.named_modules() if name and not m._modules}


def run(model: nn.Module, image: np.ndarray, wanted: Collection[int], sink: Sink) -> None:
    """Run `model` in inference mode on `image` (N, H, W, C) and hand the output of every wanted trace record
    to `sink` as it is computed (NHWC). The records are counted as the probe makes them: every leaf module but
    an identity, and every `torch.cat` a container's own forward calls. The model's training flags are
    restored afterwards."""
    leaves = _leaves(model)
    containers = {id(m) for _, m in model.named_modules() if m._modules}
    running: list[bool] = []  # for each module whose forward is running: whether it is a container
    index = 0

    def emit(output: Any) -> None:
        nonlocal index
        if index in wanted and isinstance(output, torch.Tensor):
            array = output.detach().cpu().numpy()
            sink(index, array.transpose(0, 2, 3, 1) if array.ndim == 4 else array)
        index += 1

    def enter(module: nn.Module, _inputs: Any) -> None:
        running.append(id(module) in containers)

    def record(module: nn.Module, _inputs: Any, output: Any) -> None:
        running.pop()
        leaf = leaves.get(id(module))
        if leaf is not None and kind_of(*leaf) != "identity":
            emit(output)

    def concatenated(_inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        if running and running[-1]:
            emit(output)

    flags = [(module, module.training) for module in model.modules()]
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    handles = (register_module_forward_pre_hook(enter), register_module_forward_hook(record))
    try:
        model.eval()
        with torch.no_grad(), concatenations(concatenated):
            model(torch.from_numpy(np.ascontiguousarray(image.transpose(0, 3, 1, 2))).to(device))
    finally:
        for handle in handles:
            handle.remove()
        for module, flag in flags:
            module.training = flag


class _Wiring(TorchFunctionMode):
    """Follows which layer produced each tensor; records merges, by module or by a function call."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.leaves = _leaves(model)
        self.names = {id(m): name for name, m in model.named_modules()}
        self.producer: dict[int, int | str] = {}
        self.merges: list[Merge] = []
        self.stack: list[nn.Module] = []
        self.keep: list[torch.Tensor] = []  # alive until the pass ends, so that no id is reused
        self.index = 0

    def source(self, tensor: torch.Tensor) -> int | str:
        return self.producer.get(id(tensor), MODEL_INPUT)

    def before(self, module: nn.Module, _inputs: Any) -> None:
        self.stack.append(module)

    def after(self, module: nn.Module, inputs: Any, output: Any) -> None:
        self.stack.pop()
        leaf = self.leaves.get(id(module))
        if leaf is None or not isinstance(output, torch.Tensor):
            return
        kind = kind_of(*leaf)
        if kind == "identity":
            return
        if kind in MERGES:
            tensors = _tensors(inputs)
            self.merges.append(Merge(self.index, leaf[0], kind, tuple(self.source(t) for t in tensors)))
        self.producer[id(output)] = self.index
        self.keep.append(output)
        self.index += 1

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        output = func(*args, **(kwargs or {}))
        if (self.stack and id(self.stack[-1]) in self.leaves) or not isinstance(output, torch.Tensor):
            return output  # inside a layer: its module hook speaks for it
        tensors = _tensors(args)
        kind = "add" if func in _ADDS else "concat" if func in _CATS else None
        container = self.names.get(id(self.stack[-1]), "") if self.stack else ""
        suffix = "cat" if kind == "concat" else str(kind)  # the probe names a container's torch.cat `<name>.cat`
        name = f"{container}.{suffix}" if container else suffix
        if kind == "concat":  # the probe records a container's torch.cat as a layer: it has a trace index
            if len(tensors) >= 2:
                self.merges.append(Merge(self.index, name, kind, tuple(self.source(t) for t in tensors)))
            self.producer[id(output)] = self.index
            self.index += 1
        elif kind is not None and len(tensors) >= 2:
            self.merges.append(Merge(None, name, kind, tuple(self.source(t) for t in tensors)))
            self.producer[id(output)] = name
        elif tensors and id(output) not in self.producer:
            self.producer[id(output)] = self.source(tensors[0])  # a view or functional op passes its input on
        self.keep.append(output)
        return output


def _tensors(values: Any) -> list[torch.Tensor]:
    found: list[torch.Tensor] = []
    for value in values:
        if isinstance(value, torch.Tensor):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            found.extend(_tensors(value))
    return found


def wiring(model: nn.Module, size: int, channels: int) -> list[Merge]:
    """The merges of one forward pass on a meta tensor (through a meta copy when the model holds weights)."""
    copy = model if not has_weights(model) else meta_copy(model)
    flags = [(module, module.training) for module in copy.modules()]
    tracer = _Wiring(copy)
    pre = register_module_forward_pre_hook(tracer.before)
    post = register_module_forward_hook(tracer.after)
    try:
        copy.eval()
        with torch.no_grad(), tracer:
            copy(torch.empty(1, channels, size, size, device="meta"))
    finally:
        pre.remove()
        post.remove()
        for module, flag in flags:
            module.training = flag
    return tracer.merges
