"""Shape-only stand-ins for standard PyTorch layers during a meta-device probe.

On the meta device PyTorch still runs each op's shape function, many of them through Python decompositions
(BatchNorm and ReLU take ~0.5 ms a call, a convolution ~30 µs); for a probe those calls were most of the
cost. A stand-in computes the output shape with the layer's own arithmetic and returns an empty meta tensor
of that shape. Only the exact classes below are stood in for, and whenever an input is not what the layer
expects (wrong rank, wrong channel count) or a setting is unusual, the real forward runs, so a wrongly
wired model still fails exactly as it would without the probe (a pool whose window does not fit raises
PyTorch's own error) (an element-wise sum of two different shapes
runs the real sum, which broadcasts or raises). `tests/test_properties.py` cross-checks the
shapes against the real meta kernels (torch.utils.flop_counter runs them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

Forward = Callable[[torch.Tensor], torch.Tensor]


def _empty(*shape: int) -> torch.Tensor:
    """A new tensor, never a layer's input returned as its output: the probe follows tensors by identity."""
    return torch.empty(shape, device="meta")


def pair(value: int | tuple[int, ...]) -> tuple[int, int]:
    """A PyTorch layer's size argument (kernel, stride, padding, dilation) as (rows, columns)."""
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _window(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _conv(module: nn.Conv2d, real: Forward) -> Forward:
    if isinstance(module.padding, str):
        return real
    kh, kw = pair(module.kernel_size)
    (sh, sw), (ph, pw), (dh, dw) = pair(module.stride), pair(module.padding), pair(module.dilation)

    def forward(x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != module.in_channels:
            return real(x)
        n, _, h, w = x.shape
        oh, ow = _window(h, kh, sh, ph, dh), _window(w, kw, sw, pw, dw)
        return _empty(n, module.out_channels, oh, ow) if oh > 0 and ow > 0 else real(x)

    return forward


def _pooled(x: torch.Tensor, oh: int, ow: int) -> torch.Tensor:
    """A pool's output of `oh`×`ow`, or the error PyTorch raises where its window does not fit (a pool fixed to
    the paper's input, tried at a smaller one; the real meta kernel would import sympy to say the same)."""
    n, c, h, w = x.shape
    if oh <= 0 or ow <= 0:
        raise RuntimeError(
            f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{oh}x{ow}). Output size is too small"
        )
    return _empty(n, c, oh, ow)


def _maxpool(module: nn.MaxPool2d, real: Forward) -> Forward:
    if module.ceil_mode or module.return_indices:
        return real
    kh, kw = pair(module.kernel_size)
    (sh, sw), (ph, pw), (dh, dw) = (
        pair(module.stride or module.kernel_size),
        pair(module.padding),
        pair(module.dilation),
    )

    def forward(x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            return real(x)
        _, _, h, w = x.shape
        return _pooled(x, _window(h, kh, sh, ph, dh), _window(w, kw, sw, pw, dw))

    return forward


def _avgpool(module: nn.AvgPool2d, real: Forward) -> Forward:
    """An average pool's windows (its meta kernel is a Python decomposition whose first call imports sympy)."""
    if module.ceil_mode:
        return real
    kh, kw = pair(module.kernel_size)
    (sh, sw), (ph, pw) = pair(module.stride or module.kernel_size), pair(module.padding)

    def forward(x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            return real(x)
        _, _, h, w = x.shape
        return _pooled(x, _window(h, kh, sh, ph, 1), _window(w, kw, sw, pw, 1))

    return forward


def _adaptive_avgpool(module: nn.AdaptiveAvgPool2d, real: Forward) -> Forward:
    size = module.output_size
    oh, ow = (size, size) if isinstance(size, int) else size

    def forward(x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            return real(x)
        n, c, h, w = x.shape
        return _empty(n, c, h if oh is None else oh, w if ow is None else ow)

    return forward


def _linear(module: nn.Linear, real: Forward) -> Forward:
    def forward(x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 1 or x.shape[-1] != module.in_features:
            return real(x)
        return _empty(*x.shape[:-1], module.out_features)

    return forward


def _zeropad(module: nn.ZeroPad2d, real: Forward) -> Forward:
    left, right, top, bottom = module.padding

    def forward(x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            return real(x)
        n, c, h, w = x.shape
        return _empty(n, c, h + top + bottom, w + left + right)

    return forward


def _batchnorm(module: nn.BatchNorm2d, real: Forward) -> Forward:
    def forward(x: torch.Tensor) -> torch.Tensor:
        return _empty(*x.shape) if x.dim() == 4 and x.shape[1] == module.num_features else real(x)

    return forward


def _same(module: nn.Module, real: Forward) -> Forward:
    return lambda x: _empty(*x.shape)


def _same_4d(module: nn.Module, real: Forward) -> Forward:
    """A shape-preserving layer whose real forward needs a 4-d input (local response normalisation)."""
    return lambda x: _empty(*x.shape) if x.dim() == 4 else real(x)


_RULES: dict[type[nn.Module], Callable[..., Forward]] = {
    nn.Conv2d: _conv,
    nn.MaxPool2d: _maxpool,
    nn.AvgPool2d: _avgpool,
    nn.AdaptiveAvgPool2d: _adaptive_avgpool,
    nn.Linear: _linear,
    nn.ZeroPad2d: _zeropad,
    nn.BatchNorm2d: _batchnorm,
    nn.LocalResponseNorm: _same_4d,
    nn.ReLU: _same,
    nn.Sigmoid: _same,
    nn.Softmax: _same,
    nn.Dropout: _same,
    nn.Identity: _same,
    nn.SiLU: _same,
}


def _add(module: nn.Module, real: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    def forward(*inputs: torch.Tensor) -> torch.Tensor:
        first = inputs[0]
        return _empty(*first.shape) if all(x.shape == first.shape for x in inputs[1:]) else real(*inputs)

    return forward


_CONCATENATIONS = (torch.cat, torch.concat, torch.concatenate)


def concatenation(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> torch.Tensor | None:
    """The result of a concatenation of meta tensors, from their shapes (the real meta kernel imports
    torch._dynamo on its first call: 1.3 s); None for any other call, or one the real function must judge."""
    if func not in _CONCATENATIONS or "out" in kwargs:
        return None
    values = args[0] if args else kwargs.get("tensors")
    dim = args[1] if len(args) > 1 else kwargs.get("dim", kwargs.get("axis", 0))
    if not isinstance(values, list | tuple) or not values or not isinstance(dim, int):
        return None
    first = values[0]
    if not isinstance(first, torch.Tensor) or not -first.dim() <= dim < first.dim():
        return None
    dim %= first.dim()
    same = all(
        isinstance(value, torch.Tensor)
        and value.device.type == "meta"
        and value.dtype == first.dtype
        and value.shape[:dim] == first.shape[:dim]
        and value.shape[dim + 1 :] == first.shape[dim + 1 :]
        for value in values
    )
    if not same:
        return None
    shape = list(first.shape)
    shape[dim] = sum(value.shape[dim] for value in values)
    return torch.empty(shape, device="meta", dtype=first.dtype)


_F = torch.nn.functional
#: Functions of one tensor whose output has its shape and type (activations, softmax, dropout), and their in-place
#: forms (which return their input). On meta tensors their real kernels import sympy, most also torch._dynamo
#: (0.7-2 s) on a process's first call.
_ELEMENTWISE = frozenset((
    _F.relu, _F.relu6, _F.gelu, _F.silu, _F.elu, _F.leaky_relu, _F.hardswish, _F.hardsigmoid, _F.mish, _F.dropout,
    _F.softmax, _F.log_softmax, _F.sigmoid, _F.tanh, torch.relu, torch.sigmoid, torch.tanh, torch.softmax,
    torch.log_softmax, torch.Tensor.relu, torch.Tensor.sigmoid, torch.Tensor.tanh, torch.Tensor.softmax,
    torch.Tensor.log_softmax,
))  # fmt: skip
_IN_PLACE = frozenset((_F.relu_, torch.relu_, torch.Tensor.relu_, torch.Tensor.sigmoid_, torch.Tensor.tanh_))
#: Sums and products of two tensors of one shape, or of a floating-point tensor and a number; the in-place ones
#: (`out += identity`) return their first input.
_ARITHMETIC = frozenset((torch.add, torch.mul, torch.Tensor.add, torch.Tensor.mul, torch.Tensor.__add__,
                         torch.Tensor.__radd__, torch.Tensor.__mul__, torch.Tensor.__rmul__))  # fmt: skip
_ARITHMETIC_IN_PLACE = frozenset((torch.Tensor.add_, torch.Tensor.mul_, torch.Tensor.__iadd__, torch.Tensor.__imul__))
_SOFTMAXES = frozenset((_F.softmax, _F.log_softmax, torch.softmax, torch.log_softmax, torch.Tensor.softmax,
                        torch.Tensor.log_softmax))  # fmt: skip


def functional(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> torch.Tensor | None:
    """The result of a functional call on meta tensors from their shapes, where the call is one of a few common
    ones (a concatenation, an activation, a softmax, a dropout, a sum or product, an adaptive average pool); None
    for any other call, or one the real function must judge (a shape that does not fit, a broadcast, an `out`)."""
    if "out" in kwargs or not args or not isinstance(args[0], torch.Tensor):
        return concatenation(func, args, kwargs)
    first = args[0]
    if first.device.type != "meta":
        return None
    if func in _ELEMENTWISE or func in _IN_PLACE:
        in_place = func in _IN_PLACE or kwargs.get("inplace") is True or any(a is True for a in args[1:])
        if func is _F.dropout and (len(args) > 1 or set(kwargs) - {"p", "training", "inplace"}):
            return None  # positional rate, training and inplace: the real call reads them
        in_place = in_place or (func is _F.dropout and kwargs.get("training", True) is False)  # the identity
        if func in _SOFTMAXES:
            dim = args[1] if len(args) > 1 else kwargs.get("dim")
            extra = {key: value for key, value in kwargs.items() if key not in ("dim", "_stacklevel")}
            if len(args) > 2 or extra not in ({}, {"dtype": None}) or not _valid_dim(first, dim):
                return None  # no dim, a dtype: the real call judges
        return first if in_place else torch.empty(first.shape, device="meta", dtype=first.dtype)
    if func in _ARITHMETIC or func in _ARITHMETIC_IN_PLACE:
        other = args[1] if len(args) == 2 and not kwargs else None
        fits = (
            isinstance(other, torch.Tensor)
            and other.device.type == "meta"
            and other.shape == first.shape
            and other.dtype == first.dtype
        ) or (isinstance(other, int | float) and not isinstance(other, bool) and first.dtype.is_floating_point)
        if not fits:
            return None
        return first if func in _ARITHMETIC_IN_PLACE else torch.empty(first.shape, device="meta", dtype=first.dtype)
    if func is _F.adaptive_avg_pool2d and first.dim() == 4:
        size = args[1] if len(args) > 1 else kwargs.get("output_size")
        size = (size, size) if isinstance(size, int) else tuple(size) if isinstance(size, list | tuple) else ()
        if len(size) != 2 or not all(side is None or (isinstance(side, int) and side > 0) for side in size):
            return None
        n, c, h, w = first.shape
        return torch.empty((n, c, size[0] or h, size[1] or w), device="meta", dtype=first.dtype)
    return None


def _valid_dim(tensor: torch.Tensor, dim: Any) -> bool:
    return isinstance(dim, int) and -tensor.dim() <= dim < tensor.dim()


class _Concatenating(TorchFunctionMode):
    """Concatenations of meta tensors from their shapes (`concatenation`), every other call as it is."""

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        output = concatenation(func, args, kwargs)
        return func(*args, **kwargs) if output is None else output


def _concat(module: nn.Module, real: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    def forward(*inputs: torch.Tensor, **options: Any) -> torch.Tensor:
        with _Concatenating():
            return real(*inputs, **options)

    return forward


def stand_in(module: nn.Module) -> Callable[..., torch.Tensor] | None:
    """A shape-only forward for `module`, or None when its class has no rule (its real forward runs).

    Besides the standard classes, a module that declares `paperverify_kind = "add"` (an element-wise sum
    of its inputs) returns a tensor of its first input's shape when all inputs have one, and one that declares
    `paperverify_kind = "concat"` runs its own forward with its concatenations computed from the shapes.
    """
    declared = getattr(type(module), "paperverify_kind", None)
    if declared == "add":
        return _add(module, module.forward)
    if declared == "concat":
        return _concat(module, module.forward)
    rule = _RULES.get(type(module))
    return None if rule is None else rule(module, module.forward)
