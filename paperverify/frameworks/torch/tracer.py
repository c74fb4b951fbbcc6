"""What runs in a PyTorch forward pass, as the probe and the equivalence run both see it.

A model's layers are its leaf modules (but an identity) and the functional calls its containers make: a
module's `forward` written with `F.relu(x)`, `x + y`, `x * gate`, `torch.flatten(x, 1)`,
`F.adaptive_avg_pool2d(x, 1)`, `x.mean((2, 3))` or `torch.cat([...], 1)` computes layers no module stands for.
A `TorchFunctionMode` active during the pass sees those calls; each one of a kind in `FUNCTIONS`, made while a
container's own forward runs (not inside a leaf module, whose hook speaks for it), is a layer named after the
container and the function (`layer1.0.relu`, `layer1.0.add`, a second `layer1.0.add_1`). A sum or product is a
layer only between two tensors (`x * 0.5` or `x / 2` passes its input on, as a view does, and is reported to
`on_scale` with its factor: a squashing function's constants are read from them); a tensor times its own
sigmoid (`x * torch.sigmoid(x)`) is a swish.

A leaf module of a class the probe cannot tell and with no parameters or buffers of its own (a user's `Swish`
whose forward is `x * torch.sigmoid(x)`, a channel shuffle written with `view` and `transpose`) is opened: its
forward's calls are its layers, named under it, as a container's are, provided it calls nothing but layer
functions and the plumbing of `PLUMBING`; one that calls anything else (`torch.matmul`, a division) stays one
layer of the unknown kind, so that its cost is never taken for zero.

`trace(model, x, on_call, on_other, on_scale)` runs the model once and calls `on_call(call)` for every layer in
execution order (`call.index` is its trace index) and `on_other(inputs, output)` for every other function a
container calls (`Producers` follows which layer produced each tensor), so that both passes number the layers
alike. A
tensor `on_call` returns takes the layer's output's place in the rest of the pass (not for a layer inside an
opened module, whose calls are reported only once it has ended).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook
from torch.overrides import TorchFunctionMode

from paperverify import kinds
from paperverify.frameworks.torch import shape_rules
from paperverify.probes.numeric import MODEL_INPUT

_T = torch.Tensor


def _table(kind: str, base: str, *functions: Any) -> dict[Any, tuple[str, str]]:
    return dict.fromkeys(functions, (kind, base))


#: Functions a container's forward may call that are layers: function -> (kind, the record name's last part).
FUNCTIONS: dict[Any, tuple[str, str]] = {
    **_table("relu", "relu", F.relu, F.relu_, torch.relu, torch.relu_, _T.relu, _T.relu_),
    **_table("sigmoid", "sigmoid", torch.sigmoid, F.sigmoid, _T.sigmoid, _T.sigmoid_),
    **_table("tanh", "tanh", torch.tanh, F.tanh, _T.tanh, _T.tanh_),
    **_table("swish", "silu", F.silu),
    **_table("gelu", "gelu", F.gelu),
    **_table("activation", "activation", F.relu6, F.elu, F.leaky_relu, F.hardswish, F.hardsigmoid, F.mish, F.softplus),
    **_table("softmax", "softmax", F.softmax, torch.softmax, _T.softmax, F.log_softmax, torch.log_softmax,
             _T.log_softmax),
    **_table("maxpool", "maxpool", F.max_pool2d, F.adaptive_max_pool2d),
    **_table("avgpool", "avgpool", F.avg_pool2d, F.adaptive_avg_pool2d),
    **_table("flatten", "flatten", torch.flatten, _T.flatten, _T.view, _T.reshape, torch.reshape),
    **_table("transpose", "transpose", torch.transpose, _T.transpose, _T.permute, torch.permute),
    **_table("add", "add", torch.add, _T.add, _T.add_, _T.__add__, _T.__radd__, _T.__iadd__),
    **_table("multiply", "mul", torch.mul, _T.mul, _T.mul_, _T.__mul__, _T.__rmul__, _T.__imul__),
    **_table("concat", "cat", torch.cat, torch.concat, torch.concatenate),
    **_table("dropout", "dropout", F.dropout, F.dropout2d),
    **_table("pad", "pad", F.pad),
    **_table("channel_shuffle", "channel_shuffle", torch.channel_shuffle, F.channel_shuffle),
    **_table("conv2d", "conv", F.conv2d),  # a container's own weight, convolved functionally
    **_table("dense", "linear", F.linear),
}  # fmt: skip
#: A tensor times or divided by a number: function -> the power its number scales by (`x * 2`, `x / 2`).
_SCALINGS: dict[Any, int] = {
    **dict.fromkeys((torch.mul, _T.mul, _T.__mul__, _T.__rmul__), 1),
    **dict.fromkeys((torch.div, _T.div, _T.__truediv__), -1),
}
#: Reductions that are a global average pool when they average a map's two spatial axes (`x.mean((2, 3))`).
_MEANS = frozenset({torch.mean, _T.mean})
#: Kinds that are layers only between two tensors or more: `x * 0.5` and `torch.cat([x])` pass the value on.
_BINARY = frozenset(("add", "multiply", "concat"))
#: Functions (by name) that only read a tensor's shape or move its values: an opened module may call them.
PLUMBING = frozenset((
    "__get__", "__getitem__", "size", "dim", "numel", "contiguous", "view", "view_as", "reshape", "reshape_as",
    "flatten", "transpose", "permute", "movedim", "swapaxes", "unsqueeze", "squeeze", "expand", "expand_as", "chunk",
    "split", "unbind", "narrow", "stack", "cat", "clone", "detach",
))  # fmt: skip


class Call(NamedTuple):
    """One layer of a forward pass: its trace index, name and kind; its module (None for a functional call).
    (A named tuple: a pass makes one per layer, and cheaply.)"""

    index: int
    name: str
    kind: str
    module: nn.Module | None
    inputs: tuple[torch.Tensor, ...]
    output: Any
    #: For a functional call: the function and its arguments (a pool's window and stride are among them).
    function: Any = None
    arguments: tuple[tuple[Any, ...], dict[str, Any]] = ((), {})


def tensors(values: Any) -> list[torch.Tensor]:
    """The tensors among `values`, lists and tuples opened."""
    found: list[torch.Tensor] = []
    for value in values:
        if isinstance(value, torch.Tensor):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            found.extend(tensors(value))
    return found


def _spatial_mean(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether a mean pools: over the map of an N, C, H, W tensor (`x.mean((2, 3))`), or over the tokens of an
    N, S, C one (a Mixer's or a transformer's `x.mean(dim=1)`)."""
    if not args or not isinstance(args[0], torch.Tensor) or args[0].ndim not in (3, 4):
        return False
    rank = args[0].ndim
    dims = kwargs.get("dim", args[1] if len(args) > 1 else None)
    dims = (dims,) if isinstance(dims, int) else tuple(dims or ())
    return sorted(d % rank for d in dims) == ([2, 3] if rank == 4 else [1])


def _factor(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> float | None:
    """The factor a call scales one tensor by (`2 / 3 * x`: 2/3; `x / 4`: 1/4), None for any other call."""
    power = _SCALINGS.get(func)
    if power is None or kwargs.get("rounding_mode") is not None or len(args) != 2:
        return None
    first, second = args
    if isinstance(first, torch.Tensor):
        tensor, number = first, second
    elif power > 0:
        tensor, number = second, first  # 2 * x
    else:
        return None  # 2 / x scales nothing
    if not isinstance(tensor, torch.Tensor) or not isinstance(number, int | float) or isinstance(number, bool):
        return None
    if power > 0:
        return float(number)
    return 1 / float(number) if number else None


class _Tracer(TorchFunctionMode):
    def __init__(
        self,
        on_call: Callable[[Call], Any],
        on_other: Callable[[tuple[torch.Tensor, ...], Any], None] | None,
        kind_of: Callable[[str, nn.Module], str],
        modules: list[tuple[str, nn.Module]],
        on_scale: Callable[[torch.Tensor, torch.Tensor, float], None] | None = None,
    ) -> None:
        super().__init__()
        self.on_scale = on_scale
        self.leaves = {id(m): name for name, m in modules if name and not m._modules}
        #: Leaves opened as containers (see the module docstring), and the calls each made so far; a None
        #: entry marks one that called a function neither a layer nor plumbing.
        self.opened = {id(m): name for name, m in modules if id(m) in self.leaves and _openable(m, kind_of(name, m))}
        for key in self.opened:
            del self.leaves[key]
        self.pending: dict[int, list[Callable[[], None]] | None] = {}
        self.containers = {id(m): name for name, m in modules if m._modules} | self.opened
        self.taken = {name for name, _ in modules}
        self.on_call, self.on_other, self.kind_of = on_call, on_other, kind_of
        self.running: list[nn.Module] = []
        self.active = False  # whether the mode is entered (it is not while a leaf module's forward runs)
        self.index = 0
        self.named: dict[str, int] = {}
        #: The output of each sigmoid layer (by id) -> its input, to tell `x * torch.sigmoid(x)`.
        self.sigmoids: dict[int, torch.Tensor] = {}

    def before(self, module: nn.Module, _inputs: Any) -> None:
        self.running.append(module)
        if id(module) in self.opened:
            self.pending[id(module)] = []
        if id(module) in self.leaves and self.active:  # inside a layer the mode only costs: step out of it
            self.active = False
            self.__exit__(None, None, None)

    def after(self, module: nn.Module, inputs: Any, output: Any) -> Any:
        """The module's output's replacement, if `on_call` gives one (a forward hook's return value)."""
        self.running.pop()
        if id(module) in self.opened:
            events = self.pending.pop(id(module))
            if events is not None:
                for event in events:
                    event()
                return None
            call = Call(self.index, self.opened[id(module)], kinds.UNKNOWN, module, tuple(tensors(inputs)), output)
            return self._emit(call)
        name = self.leaves.get(id(module))
        if name is None:
            return None
        if not self.active and not (self.running and id(self.running[-1]) in self.leaves):
            self.active = True
            self.__enter__()
        kind = self.kind_of(name, module)
        if kind != "identity":
            return self._emit(Call(self.index, name, kind, module, tuple(tensors(inputs)), output))
        self._other(tuple(tensors(inputs)), output)  # no layer: its output is its input's
        return None

    def _emit(self, call: Call) -> Any:
        """Report a layer (held inside an opened module); what `on_call` returns to take its output's place."""
        if call.kind == "sigmoid" and call.inputs and isinstance(call.output, torch.Tensor):
            self.sigmoids[id(call.output)] = call.inputs[0]
        if self._held(lambda: self._emit(call)):
            return None
        replacement = self.on_call(call._replace(index=self.index))
        self.index += 1
        return replacement

    def _other(self, inputs: tuple[torch.Tensor, ...], output: Any) -> None:
        """Report a call that is no layer to `on_other`, held like a layer's inside an opened module."""
        on_other = self.on_other
        if on_other is not None and not self._held(lambda: on_other(inputs, output)):
            on_other(inputs, output)

    def _held(self, event: Callable[[], None]) -> bool:
        """Hold `event` (a layer, or another function's call) until the opened module it happens in ends, since
        that module may yet turn out to be one layer of the unknown kind; False outside an opened module."""
        opened = self._inside_opened()
        if opened is None:
            return False
        events = self.pending[opened]
        if events is not None:
            events.append(event)
        return True

    def _inside_opened(self) -> int | None:
        return id(self.running[-1]) if self.running and id(self.running[-1]) in self.opened else None

    def _swish(self, inputs: tuple[torch.Tensor, ...]) -> bool:
        """Whether a product is a tensor times its own sigmoid (`x * torch.sigmoid(x)`): swish, not a product."""
        if len(inputs) != 2:
            return False
        first, second = inputs
        return self.sigmoids.get(id(second)) is first or self.sigmoids.get(id(first)) is second

    def _name(self, container: str, base: str) -> str:
        """`<container>.<base>`, then `_1`, `_2`, ... for the container's later calls (never a module's name)."""
        stem = f"{container}.{base}" if container else base
        while True:
            count = self.named.get(stem, 0)
            self.named[stem] = count + 1
            name = stem if count == 0 else f"{stem}_{count}"
            if name not in self.taken:
                return name

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        output = shape_rules.functional(func, args, kwargs)
        if output is None:
            output = func(*args, **kwargs)
        if not self.running or id(self.running[-1]) in self.leaves:
            return output  # inside a layer (its module hook speaks for it), or outside the model
        factor = _factor(func, args, kwargs)
        if factor is not None and isinstance(output, torch.Tensor):  # no layer, even inside an opened module
            if self.on_scale is not None:
                self.on_scale(args[0] if isinstance(args[0], torch.Tensor) else args[1], output, factor)
            self._other(tuple(tensors(args)), output)
            return output
        found = FUNCTIONS.get(func)
        if found is None and func in _MEANS and _spatial_mean(args, kwargs):
            found = ("avgpool", "avgpool")
        inputs = tuple(tensors(args))
        if found is not None and found[0] in _BINARY and len(inputs) < 2:
            found = None  # a tensor times or plus a number, a concatenation of one: the value passes on
        if found is None or not isinstance(output, torch.Tensor):
            opened = self._inside_opened()
            if opened is not None and found is None and getattr(func, "__name__", "") not in PLUMBING:
                self.pending[opened] = None  # it computes what no layer function names: one unknown layer
            self._other(inputs, output)
            return output
        kind, base = found
        if kind == "multiply" and self._swish(inputs):
            kind, base = "swish", "swish"  # x · σ(x): the sigmoid was its layer, the product costs no multiply-add
        container = self.containers.get(id(self.running[-1]), "")
        call = Call(self.index, self._name(container, base), kind, None, inputs, output, func, (args, kwargs))
        replacement = self._emit(call)
        return output if replacement is None else replacement


class Producers:
    """Which layer produced each tensor of one pass (`trace`'s callbacks `layer` and `other`): the sources of a
    layer's inputs, as trace indices or -1 for the model's input. A function that is no layer (a view, a slice,
    a product with a number) passes its first input's producer on."""

    def __init__(self) -> None:
        self.producer: dict[int, int] = {}
        self.keep: list[torch.Tensor] = []  # alive until the pass ends, so that no id is reused

    def source(self, tensor: torch.Tensor) -> int:
        return self.producer.get(id(tensor), MODEL_INPUT)

    def layer(self, call: Call) -> tuple[int, ...]:
        """The sources of `call`'s inputs; then its outputs are its own."""
        sources = tuple(self.source(t) for t in call.inputs)
        for output in tensors([call.output]):
            self.producer[id(output)] = call.index
            self.keep.append(output)
        return sources

    def other(self, inputs: tuple[torch.Tensor, ...], output: Any) -> None:
        if inputs and isinstance(output, torch.Tensor) and id(output) not in self.producer:
            self.producer[id(output)] = self.source(inputs[0])
            self.keep.append(output)


def _openable(module: nn.Module, kind: str) -> bool:
    """A leaf of the unknown kind holding no parameter or buffer of its own."""
    own = [t for t in (*module._parameters.values(), *module._buffers.values()) if t is not None]
    return kind == kinds.UNKNOWN and not own


def trace(
    model: nn.Module,
    x: torch.Tensor,
    on_call: Callable[[Call], Any],
    on_other: Callable[[tuple[torch.Tensor, ...], Any], None] | None = None,
    kind_of: Callable[[str, nn.Module], str] | None = None,
    modules: list[tuple[str, nn.Module]] | None = None,
    on_scale: Callable[[torch.Tensor, torch.Tensor, float], None] | None = None,
) -> Any:
    """Run `model(x)` in inference mode without gradients, reporting every layer (see the module docstring);
    the model's training flags are restored afterwards. `kind_of(name, module)` tells a leaf module's kind;
    `modules` is `list(model.named_modules())` if the caller has it already; `on_scale(tensor, output, factor)`
    hears of every tensor a container scales by a number."""
    if kind_of is None:
        from paperverify.frameworks.torch.probe import kind_of as probe_kind_of

        kind_of = probe_kind_of
    modules = list(model.named_modules()) if modules is None else modules
    tracer = _Tracer(on_call, on_other, kind_of, modules, on_scale)
    flags = [(module, module.training) for _, module in modules]
    for module, _ in flags:  # model.eval(), without nn.Module.__setattr__'s cost on every module
        module.__dict__["training"] = False
    handles = (register_module_forward_pre_hook(tracer.before), register_module_forward_hook(tracer.after))
    tracer.active = True
    try:
        with torch.no_grad(), tracer:
            try:
                return model(x)
            finally:
                if not tracer.active:  # a leaf raised while the mode was stepped out of: re-enter for the exit
                    tracer.active = True
                    tracer.__enter__()
    finally:
        for handle in handles:
            handle.remove()
        for module, flag in flags:
            module.__dict__["training"] = flag
