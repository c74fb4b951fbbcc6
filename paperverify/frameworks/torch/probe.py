"""PyTorch probe: build on the meta device (no weight memory, no initialisation) and run one forward pass
on a meta tensor with a hook on every leaf module."""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from paperverify import kinds
from paperverify.counting import count_macs
from paperverify.frameworks.torch import shape_rules
from paperverify.frameworks.torch.tracer import Call, Producers, trace
from paperverify.probes import numeric
from paperverify.trace import LayerRecord, Trace

_KINDS: tuple[tuple[type[nn.Module], str], ...] = (
    (nn.Conv2d, "conv2d"),
    (nn.Linear, "dense"),
    (nn.BatchNorm2d, "batchnorm"),
    (nn.ReLU, "relu"),
    (nn.Sigmoid, "sigmoid"),
    (nn.GELU, "gelu"),
    (nn.LayerNorm, "layernorm"),
    (nn.Softmax, "softmax"),
    (nn.MaxPool2d, "maxpool"),
    (nn.AvgPool2d, "avgpool"),
    (nn.AdaptiveAvgPool2d, "avgpool"),
    (nn.Flatten, "flatten"),
    (nn.ZeroPad2d, "pad"),
    (nn.Dropout, "dropout"),
    (nn.LocalResponseNorm, "lrn"),
    (nn.Identity, "identity"),
    (nn.SiLU, "swish"),
    (nn.Tanh, "tanh"),
    (nn.LogSoftmax, "softmax"),  # a softmax in log space, as PyTorch classifiers end for NLLLoss
    (nn.BatchNorm1d, "batchnorm"),
    (nn.AdaptiveMaxPool2d, "maxpool"),
    (nn.Dropout2d, "dropout"),
    (nn.Unflatten, "flatten"),
    (nn.ChannelShuffle, "channel_shuffle"),
    (nn.Sequential, "identity"),  # an empty Sequential (a leaf), as written for a shortcut that does nothing
    (nn.ELU, "activation"),
    (nn.LeakyReLU, "activation"),
    (nn.ReLU6, "activation"),
    (nn.Hardswish, "activation"),
    (nn.Hardsigmoid, "activation"),
    (nn.Mish, "activation"),
    (nn.Softplus, "activation"),
)


#: Leaf modules of other libraries, known by their qualified class name so that probing imports nothing of
#: theirs: torchvision's stochastic depth (EfficientNet's MBConv) is the identity in inference, as dropout is;
#: einops' Rearrange (a reshape or transpose written as a pattern) moves values and computes nothing.
_KINDS_BY_NAME = {
    "torchvision.ops.stochastic_depth.StochasticDepth": "dropout",
    "einops.layers.torch.Rearrange": "transpose",
}


def kind_of(name: str, module: nn.Module) -> str:
    """The trace kind of a leaf module: declared by the user (`kinds.declaring`), by a `paperverify_kind`
    attribute, or by its class; `unknown` for a class none of them names (its shapes and parameters are still
    measured; what needs its kind is an error naming it)."""
    return kinds.declared(type(module)) or _kind_of_class(type(module)) or kinds.UNKNOWN


def origin(module: nn.Module) -> str:
    """A module's class, as a user names it to declare its kind."""
    return f"{type(module).__module__}.{type(module).__qualname__}"


@cache
def _kind_of_class(cls: type[nn.Module]) -> str | None:
    declared = getattr(cls, "paperverify_kind", None)
    if declared is not None:
        return declared
    named = _KINDS_BY_NAME.get(f"{cls.__module__}.{cls.__qualname__}")
    if named is not None:
        return named
    return next((kind for base, kind in _KINDS if issubclass(cls, base)), None)


def hwc(shape: torch.Size) -> tuple[int, ...]:
    """A shape without its batch dimension, channels last: (N, C, H, W) -> (H, W, C)."""
    dims = tuple(shape)[1:]
    return (*dims[1:], dims[0]) if len(dims) == 3 else dims


def _attributes(module: nn.Module) -> dict[str, Any]:
    """Record fields beyond shapes: from a standard class, or a custom class's `paperverify_attributes()`
    (a dict of LayerRecord fields: kernel, stride, channels, groups, links, bias)."""
    declared = getattr(type(module), "paperverify_attributes", None)
    if declared is not None:
        return declared(module)
    if isinstance(module, nn.Conv2d):
        return {
            "kernel": shape_rules.pair(module.kernel_size),
            "stride": shape_rules.pair(module.stride),
            "channels": module.out_channels,
            "groups": module.groups,
            "bias": module.bias is not None,
        }
    if isinstance(module, nn.Linear):
        return {"channels": module.out_features, "bias": module.bias is not None}
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        return {
            "kernel": shape_rules.pair(module.kernel_size),
            "stride": shape_rules.pair(module.stride or module.kernel_size),
        }
    constants = constants_of(module)
    return {"constants": constants} if constants is not None else {}


def constants_of(module: nn.Module | None) -> tuple[float, ...] | None:
    """A module's own constants (LayerRecord.constants): an `nn.LocalResponseNorm`'s (n, α, β, k), its alpha,
    which PyTorch divides by the size, as the paper's α; the rate (`p` or `rate`) of a module of the dropout kind
    (a stochastic depth's too); the (A, S) of a module of the tanh kind, A tanh(S a), measured on two values
    unless it is an `nn.Tanh`; a module declared a local response normalisation's (n, α, β, k), measured; None for
    any other module or one that cannot be measured."""
    if isinstance(module, nn.LocalResponseNorm):
        return (module.size, module.alpha / module.size, module.beta, module.k)
    kind = kind_of("", module) if module is not None else None
    if kind == "dropout":
        rate = getattr(module, "p", getattr(module, "rate", None))
        if isinstance(rate, (int, float)):
            return (float(rate),)
    if kind == "tanh":
        return numeric.PLAIN_TANH if type(module) is nn.Tanh else _squashing(module)
    if kind == "lrn" and module is not None:
        return _normalisation(module)
    return None


def _normalisation(module: nn.Module) -> numeric.Normalisation | None:
    """The (n, α, β, k) of a module declared a local response normalisation, measured on its outputs at one
    position (`numeric.normalisation`)."""

    def apply(values: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            x = torch.tensor(values, dtype=torch.float64, device="cpu").reshape(1, -1, 1, 1)
            return module(x).reshape(-1).double().numpy()

    try:
        return numeric.normalisation(apply)
    except Exception:  # a module that cannot run on one position of 16 channels: its constants are not read
        return None


def _squashing(module: nn.Module) -> tuple[float, float] | None:
    """The (A, S) of a module computing A tanh(S a), read from its outputs at 1 and 2 in double precision."""
    try:
        with torch.no_grad():
            values = module(torch.tensor(numeric.SQUASHING_INPUTS, dtype=torch.float64, device="cpu"))
        return numeric.squashing(float(values[0]), float(values[1]))
    except Exception:  # a module that cannot run on two numbers: its constants are not read
        return None


def meta_copy(model: nn.Module) -> nn.Module:
    """A copy of `model` whose parameters and buffers live on the meta device (shapes, no memory).

    The model itself is left untouched, whatever device its weights are on; tied weights stay tied.
    """
    memo: dict[int, Any] = {}
    for module in model.modules():
        for tensors in (module._parameters, module._buffers):
            for tensor in tensors.values():
                if tensor is not None and id(tensor) not in memo:
                    meta = torch.empty_like(tensor, device="meta")
                    if isinstance(tensor, nn.Parameter):
                        meta = nn.Parameter(meta, requires_grad=tensor.requires_grad)
                    memo[id(tensor)] = meta
    return copy.deepcopy(model, memo)


def probe_model(model: nn.Module, input_shape: tuple[int, int, int]) -> Trace:
    """Trace `model` on a meta input of shape H×W×C: every leaf module and every functional layer its containers
    call (`tracer.trace`). A model with real weights is probed through a meta copy (see `meta_copy`); the
    caller's model is never moved or changed."""
    modules = list(model.named_modules())
    tensors = [t for _, m in modules for t in (*m._parameters.values(), *m._buffers.values()) if t is not None]
    if any(not t.is_meta for t in tensors):
        model = meta_copy(model)
        modules = list(model.named_modules())
    calls: list[tuple[Call, tuple[int, ...]]] = []
    scalings: list[tuple[torch.Tensor, torch.Tensor, float]] = []
    producers = Producers()
    stood_in = []
    for name, module in modules:
        forward = shape_rules.stand_in(module) if name and not module._modules else None
        if forward is not None:
            module.__dict__["forward"] = forward  # shadows the class's forward for this probe only
            stood_in.append(module)
    try:
        height, width, channels = input_shape
        x = torch.empty(1, channels, height, width, device="meta")
        trace(
            model,
            x,
            lambda call: calls.append((call, producers.layer(call))),
            producers.other,
            modules=modules,
            on_scale=lambda tensor, output, factor: scalings.append((tensor, output, factor)),
        )
    finally:
        for module in stood_in:
            del module.__dict__["forward"]
    owned = _owned_parameters(modules)
    squashing = _squashing_factors(scalings)
    records = [_record(call, owned, squashing)._replace(sources=sources) for call, sources in calls]
    records += _unattributed(owned)
    return Trace("torch", tuple(input_shape), tuple(records))


def _owned_parameters(modules: list[tuple[str, nn.Module]]) -> dict[int, tuple[str, torch.Tensor]]:
    """The learnable parameters containers hold themselves (a LayerScale's gamma, a weight convolved with
    `F.conv2d` in a forward): id -> (container, parameter). Leaf modules' parameters are their records'."""
    return {
        id(p): (name, p)
        for name, module in modules
        if module._modules
        for p in module._parameters.values()
        if p is not None and p.requires_grad
    }


def _unattributed(owned: dict[int, tuple[str, torch.Tensor]]) -> list[LayerRecord]:
    """Containers' parameters no functional layer consumed: a record of unknown kind per container, so that the
    network's parameters stay whole and what needs to know where they act (multiply-adds, depth) says so."""
    by_container: dict[str, int] = {}
    for name, parameter in owned.values():
        by_container[name] = by_container.get(name, 0) + parameter.numel()
    return [
        LayerRecord(
            f"{name}.parameters" if name else "parameters",
            kinds.UNKNOWN,
            (),
            (),
            count,
            0,
            None,
            origin=f"parameters of {name or 'the model'} that no layer the probe sees uses",
        )
        for name, count in by_container.items()
    ]


def _shape(output: Any) -> torch.Size | None:
    """The shape of a layer's output, or of the first tensor of a tuple or list it returns (None if none)."""
    if isinstance(output, torch.Tensor):
        return output.shape
    if isinstance(output, (tuple, list)):
        return next((item.shape for item in output if isinstance(item, torch.Tensor)), None)
    return None


class BatchDimensionError(ValueError):
    """A layer whose output has lost the probe's batch dimension (or returns no tensor at all)."""


def _squashing_factors(
    scalings: list[tuple[torch.Tensor, torch.Tensor, float]],
) -> Callable[[Call], tuple[float, float]]:
    """The factors a tanh's output and input are scaled by around it, A · tanh(S · a) (1 where there is none): the
    first factor its output meets and the one its input was made by; `scalings` holds each (tensor, its scaled
    output, factor) of the pass."""
    made = {id(output): factor for _, output, factor in scalings}
    read: dict[int, float] = {}
    for tensor, _, factor in scalings:
        read.setdefault(id(tensor), factor)
    return lambda call: (read.get(id(call.output), 1.0), made.get(id(call.inputs[0]), 1.0) if call.inputs else 1.0)


def _record(
    call: Call, owned: dict[int, tuple[str, torch.Tensor]], squashing: Callable[[Call], tuple[float, float]]
) -> LayerRecord:
    """A layer's record; a functional layer takes the containers' parameters among its inputs (each once: they
    leave `owned`); a tanh's constants take the factors around it (`_squashing_factors`)."""
    output = _shape(call.output)
    if output is None or len(output) == 0 or output[0] != 1:
        raise BatchDimensionError(
            f"layer {call.name!r}: expected an output tensor whose first dimension is the probe's batch of 1. "
            f"Received: {'no tensor' if output is None else tuple(output)}. Does the model drop or move the batch "
            "dimension (e.g. x[0], or a reshape without it)?"
        )
    module, kind = call.module, call.kind
    attributes = _attributes(module) if module is not None else _functional_attributes(call)
    if kind == "tanh":  # the factors around it scale its own constants (a plain tanh's are 1, 1)
        own = attributes.get("constants") if module is not None else numeric.PLAIN_TANH
        if own is not None:
            amplitude, slope = squashing(call)
            attributes = {**attributes, "constants": numeric.scaled_squashing(own, amplitude, slope)}
    in_shapes, out_shape = tuple(hwc(t.shape) for t in call.inputs), hwc(output)
    if "kernel" not in attributes and module is not None and kinds.declared(type(module)):
        attributes = {**attributes, **kinds.tiling_window(kind, in_shapes, out_shape)}
    if module is not None:
        parameters, buffers = module._parameters, module._buffers
    else:
        consumed = [owned.pop(id(t))[1] for t in call.inputs if id(t) in owned]
        parameters, buffers = {str(index): p for index, p in enumerate(consumed)}, {}
    unknown = kind == kinds.UNKNOWN
    return LayerRecord(
        name=call.name,
        kind=kind,
        input_shapes=in_shapes,
        output_shape=out_shape,
        params=sum(p.numel() for p in parameters.values() if p is not None and p.requires_grad) if parameters else 0,
        buffers=sum(b.numel() for b in buffers.values() if b is not None and b.is_floating_point()) if buffers else 0,
        macs=None
        if unknown
        else count_macs(
            call.name,
            kind,
            in_shapes,
            out_shape,
            attributes.get("kernel"),
            attributes.get("groups", 1),
            attributes.get("links"),
        ),
        origin=origin(module) if unknown and module is not None else None,
        **attributes,
    )


def _functional_attributes(call: Call) -> dict[str, Any]:
    """A functional convolution's or dense layer's kernel, stride, groups and bias, read from its weight and
    arguments; a functional max or average pool's window and stride (a global one has none)."""
    args, kwargs = call.arguments
    if call.function is F.conv2d:
        weight = args[1] if len(args) > 1 else kwargs["weight"]
        bias = args[2] if len(args) > 2 else kwargs.get("bias")
        stride = args[3] if len(args) > 3 else kwargs.get("stride", 1)
        groups = args[6] if len(args) > 6 else kwargs.get("groups", 1)
        kernel = tuple(weight.shape[2:])
        return {
            "kernel": kernel,
            "stride": shape_rules.pair(stride),
            "channels": weight.shape[0],
            "groups": groups,
            "bias": bias is not None,
        }
    if call.function is F.linear:
        weight = args[1] if len(args) > 1 else kwargs["weight"]
        bias = args[2] if len(args) > 2 else kwargs.get("bias")
        return {"channels": weight.shape[0], "bias": bias is not None}
    if call.function in (F.dropout, F.dropout2d):
        rate = kwargs.get("p", args[1] if len(args) > 1 else 0.5)
        return {"constants": (float(rate),)}
    if call.function not in (F.max_pool2d, F.avg_pool2d):
        return {}
    kernel = kwargs.get("kernel_size", args[1] if len(args) > 1 else None)
    stride = kwargs.get("stride", args[2] if len(args) > 2 else None)
    return {"kernel": shape_rules.pair(kernel), "stride": shape_rules.pair(stride or kernel)}


def build_and_probe(
    builder: Callable[..., nn.Module], input_size: int, options: dict[str, Any], channels: int = 3
) -> Trace:
    """Build with `builder(input_size=s, input_channels=channels, **options)` on the meta device and probe it."""
    with torch.device("meta"):
        model = builder(input_size=input_size, input_channels=channels, **options)
    return probe_model(model, (input_size, input_size, channels))
