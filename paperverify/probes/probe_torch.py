"""PyTorch probe: build on the meta device (no weight memory, no initialisation) and run one forward pass
on a meta tensor with a hook on every leaf module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from paperverify.counting import count_macs
from paperverify.trace import LayerRecord, Trace

_KINDS: tuple[tuple[type[nn.Module], str], ...] = (
    (nn.Conv2d, "conv2d"),
    (nn.Linear, "dense"),
    (nn.BatchNorm2d, "batchnorm"),
    (nn.ReLU, "relu"),
    (nn.Softmax, "softmax"),
    (nn.MaxPool2d, "maxpool"),
    (nn.AvgPool2d, "avgpool"),
    (nn.AdaptiveAvgPool2d, "avgpool"),
    (nn.Flatten, "flatten"),
    (nn.ZeroPad2d, "pad"),
    (nn.Dropout, "dropout"),
    (nn.Identity, "identity"),
)


class UnknownModuleError(TypeError):
    """A leaf module whose kind the probe cannot tell."""


def kind_of(name: str, module: nn.Module) -> str:
    """The trace kind of a leaf module: a `paperverify_kind` attribute, or its class."""
    declared = getattr(module, "paperverify_kind", None)
    if declared is not None:
        return declared
    for cls, kind in _KINDS:
        if isinstance(module, cls):
            return kind
    raise UnknownModuleError(
        f"layer {name!r}: cannot tell the kind of {type(module).__module__}.{type(module).__qualname__}. "
        "Give the class a `paperverify_kind` attribute naming a kind in paperverify.counting.COUNTERS, "
        "or add it to paperverify.probes.probe_torch._KINDS."
    )


def hwc(shape: torch.Size) -> tuple[int, ...]:
    """A shape without its batch dimension, channels last: (N, C, H, W) -> (H, W, C)."""
    dims = tuple(int(d) for d in shape[1:])
    return (*dims[1:], dims[0]) if len(dims) == 3 else dims


def _pair(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _attributes(module: nn.Module) -> dict[str, Any]:
    if isinstance(module, nn.Conv2d):
        return {
            "kernel": _pair(module.kernel_size),
            "stride": _pair(module.stride),
            "channels": module.out_channels,
            "groups": module.groups,
        }
    if isinstance(module, nn.Linear):
        return {"channels": module.out_features}
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        return {"kernel": _pair(module.kernel_size), "stride": _pair(module.stride or module.kernel_size)}
    return {}


def probe_model(model: nn.Module, input_shape: tuple[int, int, int]) -> Trace:
    """Trace `model` on a meta input of shape H×W×C. The model must be on the meta device or movable to it."""
    model = model.to("meta").eval()
    calls: list[tuple[str, nn.Module, tuple[torch.Size, ...], torch.Size]] = []

    def hook(name: str) -> Callable[..., None]:
        def record(module: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
            shapes = tuple(t.shape for t in inputs if isinstance(t, torch.Tensor))
            calls.append((name, module, shapes, output.shape))

        return record

    handles = [
        module.register_forward_hook(hook(name))
        for name, module in model.named_modules()
        if name and not any(True for _ in module.children())
    ]
    try:
        height, width, channels = input_shape
        with torch.no_grad():
            model(torch.empty(1, channels, height, width, device="meta"))
    finally:
        for handle in handles:
            handle.remove()
    layers = []
    for name, module, inputs, output in calls:
        kind = kind_of(name, module)
        if kind == "identity":
            continue
        attributes = _attributes(module)
        in_shapes, out_shape = tuple(hwc(s) for s in inputs), hwc(output)
        layers.append(
            LayerRecord(
                name=name,
                kind=kind,
                input_shapes=in_shapes,
                output_shape=out_shape,
                params=sum(p.numel() for p in module.parameters(recurse=False) if p.requires_grad),
                buffers=sum(b.numel() for b in module.buffers(recurse=False) if b.is_floating_point()),
                macs=count_macs(
                    name, kind, in_shapes, out_shape, attributes.get("kernel"), attributes.get("groups", 1)
                ),
                **attributes,
            )
        )
    return Trace("torch", tuple(input_shape), tuple(layers))


def build_and_probe(builder: Callable[..., nn.Module], input_size: int, options: dict[str, Any]) -> Trace:
    """Build with `builder(**options)` on the meta device and probe it at input_size×input_size×3."""
    with torch.device("meta"):
        model = builder(**options)
    return probe_model(model, (input_size, input_size, 3))
