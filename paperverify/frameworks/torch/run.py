"""PyTorch side of the equivalence check: build a reference without initialising it, read and write weights
in the canonical layout, and run a model in inference mode handing each layer's output to a sink.

Trace indices are the positions of the probe's records, numbered by the one tracer both passes use
(`tracer.trace`): every leaf module but an identity, and every functional layer a container calls.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from typing import Any

import numpy as np
import torch
from torch import nn

from paperverify.frameworks.torch.probe import constants_of, kind_of, probe_model
from paperverify.frameworks.torch.shape_rules import pair
from paperverify.frameworks.torch.tracer import Call, trace
from paperverify.probes.numeric import (
    Layout,
    Normalisation,
    Padding,
    Sink,
    Weights,
    as_array,
    flatten_rows,
    same_padding,
    unflatten_rows,
)
from paperverify.trace import LayerRecord, Trace


def has_weights(model: nn.Module) -> bool:
    """Whether every parameter and buffer holds data (none lives on the meta device)."""
    values = [*model.parameters(), *model.buffers()]
    return bool(values) and not any(t.is_meta for t in values)


def probe(model: nn.Module, size: int, channels: int) -> Trace:
    return probe_model(model, (size, size, channels))


def build_reference(builder: Callable[..., nn.Module], size: int, channels: int, options: dict[str, Any]) -> nn.Module:
    """Our implementation on the meta device (no weight memory yet, see `materialise`)."""
    with torch.device("meta"):
        return builder(input_size=size, input_channels=channels, **options).eval()


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


def run(model: nn.Module, image: np.ndarray, wanted: Collection[int], sink: Sink) -> None:
    """Run `model` in inference mode on `image` (N, H, W, C) and hand the output of every wanted trace record
    to `sink` as it is computed (NHWC); an array the sink returns is run on in its place. The records are
    numbered as the probe numbers them (`tracer.trace`): every leaf module but an identity, and every
    functional layer a container calls."""

    def emit(call: Call) -> torch.Tensor | None:
        output = call.output
        if call.index not in wanted or not isinstance(output, torch.Tensor):
            return None
        # a copy: a later in-place layer (nn.ReLU(inplace=True)) overwrites the tensor it was handed
        array = output.detach().cpu().numpy().copy()
        replacement = sink(call.index, array.transpose(0, 2, 3, 1) if array.ndim == 4 else array)
        if replacement is None:
            return None
        native = replacement.transpose(0, 3, 1, 2) if replacement.ndim == 4 else replacement
        return torch.tensor(native, dtype=output.dtype, device=output.device)  # its own memory: may be run on in place

    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    trace(model, torch.from_numpy(np.ascontiguousarray(image.transpose(0, 3, 1, 2))).to(device), emit)


def padding(module: nn.Module | None, record: LayerRecord) -> Padding | None:
    """The zero padding a layer applies to its input (a padding layer, a convolution or max pool padding
    itself; a max pool in ceil_mode as far as its last window reaches); None for any other layer or padding of
    another kind than zeros (a max pool's padding is the positions it adds, whatever their value). A padding
    module of another class than ZeroPad2d (one that works out TensorFlow's 'same' padding from its input) is
    measured: run on ones, its zero rows and columns are counted; so is a max pool whose own forward pads
    (`_measured_pool_padding`)."""
    if isinstance(module, nn.ZeroPad2d):
        left, right, top, bottom = module.padding
        return (top, bottom, left, right)
    if module is not None and record.kind == "pad":
        return _measured_padding(module, record)
    if isinstance(module, nn.Conv2d) and module.padding_mode == "zeros":
        if module.padding == "same":
            side = record.input_shapes[0][:2]
            return same_padding(side, module.kernel_size, module.stride, module.dilation)  # type: ignore[arg-type]
        if module.padding == "valid":
            return (0, 0, 0, 0)
        rows, columns = module.padding  # type: ignore[misc]
        return (rows, rows, columns, columns)
    if isinstance(module, nn.MaxPool2d) and type(module).forward is not nn.MaxPool2d.forward:
        return _measured_pool_padding(module, record)
    if isinstance(module, nn.MaxPool2d):
        rows, columns = (module.padding, module.padding) if isinstance(module.padding, int) else module.padding
        if not module.ceil_mode:
            return (rows, rows, columns, columns)
        # ceil_mode's last window runs past the input: padding after it, as far as that window reaches
        kernel, stride, dilation = (
            pair(v) for v in (module.kernel_size, module.stride or module.kernel_size, module.dilation)
        )
        inside, outside = record.input_shapes[0][:2], record.output_shape[:2]
        after = [
            max(pad, (out - 1) * s + d * (k - 1) + 1 - size - pad)
            for pad, out, s, d, k, size in zip((rows, columns), outside, stride, dilation, kernel, inside, strict=True)
        ]
        return (rows, after[0], columns, after[1])
    return None


def _measured_pool_padding(module: nn.MaxPool2d, record: LayerRecord) -> Padding | None:
    """The padding of a max pool that pads in a forward of its own (TensorFlow's 'same' worked out from its
    input): run on each position's row index, its first output is the last row its first window reaches, which
    gives the rows padded above; the output's size gives those below (columns alike). None for a dilated pool."""
    if pair(module.dilation) != (1, 1):
        return None
    height, width, _ = record.input_shapes[0]
    kernel, stride = pair(module.kernel_size), pair(module.stride or module.kernel_size)
    rows = torch.arange(height, dtype=torch.float32).view(1, 1, height, 1).expand(1, 1, height, width)
    columns = torch.arange(width, dtype=torch.float32).view(1, 1, 1, width).expand(1, 1, height, width)
    with torch.no_grad():
        down, across = module(rows.contiguous()), module(columns.contiguous())
    top, left = kernel[0] - 1 - int(down[0, 0, 0, 0]), kernel[1] - 1 - int(across[0, 0, 0, 0])
    bottom = (down.shape[2] - 1) * stride[0] + kernel[0] - height - top
    right = (down.shape[3] - 1) * stride[1] + kernel[1] - width - left
    return (top, bottom, left, right) if min(top, bottom, left, right) >= 0 else None


def _padded_pool(module: nn.MaxPool2d, pads: tuple[int, int, int, int], x: torch.Tensor) -> torch.Tensor:
    """`module`'s max pool over `x` padded by `pads` (left, right, top, bottom) with -inf, as its own padding."""
    padded = nn.functional.pad(x, pads, value=float("-inf"))
    return nn.functional.max_pool2d(padded, module.kernel_size, module.stride, 0, module.dilation)


def _measured_padding(module: nn.Module, record: LayerRecord) -> Padding | None:
    """The zero padding a padding module applies to an input of the record's shape, read from its output on
    ones; None unless that output is the ones with rows and columns of zeros around them."""
    height, width, channels = record.input_shapes[0]
    with torch.no_grad():
        output = module(torch.ones(1, channels, height, width))
    rows, columns = (output[0] != 0).any(0).any(1), (output[0] != 0).any(0).any(0)
    if not rows.any():
        return None
    top, left = int(rows.int().argmax()), int(columns.int().argmax())
    bottom, right = output.shape[2] - top - height, output.shape[3] - left - width
    if min(bottom, right) < 0 or not bool((output[0, :, top : top + height, left : left + width] == 1).all()):
        return None
    if int(rows.sum()) != height or int(columns.sum()) != width:
        return None
    return (top, bottom, left, right)


def set_padding(module: nn.Module | None, pads: Padding) -> bool:
    """Make a padding layer, or a max pool, pad by `pads` (a ZeroPad2d set; another padding module's or a max
    pool's forward replaced, inside the module, where the tracer sees no call of its own); False for another
    layer."""
    top, bottom, left, right = pads
    if isinstance(module, nn.MaxPool2d):
        module.forward = functools.partial(_padded_pool, module, (left, right, top, bottom))
        return True
    if isinstance(module, nn.ZeroPad2d):
        module.padding = (left, right, top, bottom)
        return True
    if module is None or kind_of("", module) != "pad":
        return False
    module.forward = functools.partial(nn.functional.pad, pad=(left, right, top, bottom))
    return True


def normalisation(module: nn.Module | None) -> Normalisation | None:
    """An `nn.LocalResponseNorm`'s constants, its alpha (which PyTorch divides by the size) as the paper's α."""
    if not isinstance(module, nn.LocalResponseNorm):
        return None
    return constants_of(module)  # type: ignore[return-value]


def set_normalisation(module: nn.Module | None, constants: Normalisation) -> bool:
    """Give an `nn.LocalResponseNorm` the constants (n, α, β, k); False for another module."""
    if not isinstance(module, nn.LocalResponseNorm):
        return False
    size, alpha, beta, k = constants
    module.size, module.alpha, module.beta, module.k = size, alpha * size, beta, k
    return True
