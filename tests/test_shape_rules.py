"""The probe's shape-only stand-ins agree with PyTorch's own meta kernels, and defer to them on bad input."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from paperverify.frameworks.torch.shape_rules import stand_in

sizes = st.integers(min_value=1, max_value=40)


def _both(module: nn.Module, x: torch.Tensor) -> tuple[torch.Size, torch.Size]:
    forward = stand_in(module)
    assert forward is not None
    with torch.no_grad():
        return forward(x).shape, module(x).shape


@given(
    height=sizes,
    width=sizes,
    kernel=st.integers(1, 7),
    stride=st.integers(1, 4),
    padding=st.integers(0, 3),
    dilation=st.integers(1, 3),
    groups=st.sampled_from([1, 2, 4]),
)
def test_convolution(height: int, width: int, kernel: int, stride: int, padding: int, dilation: int, groups: int):
    with torch.device("meta"):
        conv = nn.Conv2d(8, 12, kernel, stride, padding, dilation, groups)
        x = torch.empty(2, 8, height, width)
    if (height + 2 * padding - dilation * (kernel - 1)) < 1 or (width + 2 * padding - dilation * (kernel - 1)) < 1:
        with pytest.raises(RuntimeError):  # a kernel larger than its padded input: the real conv refuses it
            stand_in(conv)(x)
        return
    rule, real = _both(conv, x)
    assert rule == real


@pytest.mark.parametrize("pool_class", [nn.MaxPool2d, nn.AvgPool2d])
@given(height=sizes, width=sizes, kernel=st.integers(1, 5), stride=st.integers(1, 3), data=st.data())
def test_pools(pool_class: type[nn.Module], height: int, width: int, kernel: int, stride: int, data: st.DataObject):
    padding = data.draw(st.integers(0, kernel // 2))
    with torch.device("meta"):
        pool, x = pool_class(kernel, stride, padding), torch.empty(1, 3, height, width)
    if height + 2 * padding < kernel or width + 2 * padding < kernel:  # PyTorch's own error, without its kernel
        with pytest.raises(RuntimeError) as ours:
            stand_in(pool)(x)
        with pytest.raises(RuntimeError) as theirs:
            pool(x)
        assert str(ours.value) == str(theirs.value)
        return
    rule, real = _both(pool, x)
    assert rule == real


@pytest.mark.parametrize(
    ("module", "shape"),
    [
        (nn.AdaptiveAvgPool2d(1), (2, 5, 7, 9)),
        (nn.AdaptiveAvgPool2d((3, None)), (2, 5, 7, 9)),
        (nn.Linear(9, 4), (2, 5, 9)),
        (nn.ZeroPad2d((1, 2, 3, 4)), (1, 3, 5, 6)),
        (nn.BatchNorm2d(3), (1, 3, 5, 6)),
        (nn.ReLU(), (1, 3, 5, 6)),
        (nn.Softmax(dim=1), (2, 10)),
    ],
)
def test_fixed_layers(module: nn.Module, shape: tuple[int, ...]) -> None:
    rule, real = _both(module.to("meta"), torch.empty(shape, device="meta"))
    assert rule == real


@pytest.mark.parametrize(
    ("module", "shape"),
    [
        (nn.Conv2d(8, 4, 3), (1, 6, 9, 9)),  # fed 6 channels, built for 8
        (nn.BatchNorm2d(8), (1, 6, 9, 9)),
        (nn.Linear(8, 4), (1, 6)),
    ],
)
def test_wrong_input_runs_the_real_forward_which_raises(module: nn.Module, shape: tuple[int, ...]) -> None:
    forward = stand_in(module.to("meta"))
    assert forward is not None
    with pytest.raises(RuntimeError):
        forward(torch.empty(shape, device="meta"))


def test_a_subclass_is_not_stood_in_for() -> None:
    class Custom(nn.Conv2d):
        pass

    assert stand_in(Custom(3, 3, 3)) is None


def test_a_functional_concatenation_is_the_output_of_its_module(torch_threads: int) -> None:
    """torchvision's Inception joins its branches with torch.cat in its own forward: the probe records that
    as `<module>.cat`, so the module's named point is the concatenation, not its last branch; torchvision's
    DenseNet's `torch.cat([x])` of one tensor is no layer."""
    import torch
    from torch import nn

    from paperverify.frameworks.torch.probe import probe_model

    class Joined(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.branch1 = nn.Conv2d(3, 8, 1)
            self.branch2 = nn.Conv2d(3, 16, 3, padding=1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.cat([self.branch1(x), self.branch2(x)], 1)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.block = Joined()
            self.head = nn.Conv2d(24, 4, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(torch.concat([self.block(x)], dim=1))

    trace = probe_model(Net(), (8, 8, 3))  # a concatenation of one tensor passes it on: no layer
    assert [layer.name for layer in trace.layers] == ["block.branch1", "block.branch2", "block.cat", "head"]
    assert trace.point("block").output_shape == (8, 8, 24)
    assert trace.point("block.cat").kind == "concat" and trace.point("block.cat").macs == 0
    assert torch.cat is torch._C._VariableFunctions.cat  # the probe put torch.cat back


@given(
    shapes=st.lists(st.tuples(st.integers(1, 4), st.integers(0, 5), st.integers(1, 3)), min_size=1, max_size=4),
    dim=st.integers(-3, 2),
    keyword=st.booleans(),
)
def test_a_meta_concatenation_has_the_real_ones_shape_and_defers_on_what_does_not_join(
    shapes: list[tuple[int, int, int]], dim: int, keyword: bool
) -> None:
    """The probe's concatenation of meta tensors (which spares torch._dynamo's import) gives torch.cat's shape,
    and leaves shapes that do not join to the real torch.cat, which raises."""
    from paperverify.frameworks.torch.shape_rules import concatenation

    values = [torch.empty(shape, device="meta") for shape in shapes]
    args, kwargs = ((values,), {"dim": dim}) if keyword else ((values, dim), {})
    ours = concatenation(torch.cat, args, kwargs)
    try:
        real = torch.cat(values, dim)
    except (RuntimeError, IndexError):
        assert ours is None
        return
    if ours is not None:  # None is allowed (the real one runs), a wrong shape is not
        assert ours.shape == real.shape and ours.device.type == "meta"
    assert concatenation(torch.add, args, kwargs) is None
    assert concatenation(torch.cat, ([torch.empty(shape) for shape in shapes], dim), {}) is None


def test_a_concatenation_module_runs_without_the_real_meta_kernel(torch_threads: int) -> None:
    from implementations.torch.blocks import Concat

    module = Concat()
    forward = stand_in(module)
    assert forward is not None
    x, y = torch.empty(2, 3, 5, 5, device="meta"), torch.empty(2, 4, 5, 5, device="meta")
    assert forward(x, y).shape == module(x, y).shape == (2, 7, 5, 5)


#: Functional calls as models write them, each on meta tensors x and y of one shape (x an in-place call's input),
#: and whether the probe stands in for it.
_CALLS = {
    "F.relu(x)": True, "F.relu(x, inplace=True)": True, "F.relu(x, True)": True, "torch.relu_(x)": True,
    "x.relu()": True, "F.gelu(x)": True, "F.silu(x)": True, "torch.sigmoid(x)": True, "torch.tanh(x)": True,
    "F.hardswish(x)": True, "F.relu6(x)": True, "F.softmax(x, 1)": True, "F.softmax(x, dim=-1)": True,
    "F.log_softmax(x, dim=1)": True, "x.softmax(3)": True, "F.dropout(x, p=0.5, training=False)": True,
    "F.dropout(x, p=0.5)": True, "x + y": True, "x * 0.5": True, "torch.add(x, y)": True,
    "F.adaptive_avg_pool2d(x, 1)": True, "F.adaptive_avg_pool2d(x, (2, None))": True, "torch.cat([x, y], 1)": True,
    "F.softmax(x, 1, dtype=torch.float64)": False, "x * y[:, :1]": False, "x.mean((2, 3))": False,
    "F.softmax(x, 4)": False, "x.mul_(2.0)": True, "x.__iadd__(y)": True, "x.relu_()": True,
}  # fmt: skip


@pytest.mark.parametrize("code", sorted(_CALLS))
def test_a_functional_call_on_meta_tensors_has_the_real_ones_shape_type_and_identity(code: str) -> None:
    """The probe's shape-only results for the functional calls models write most (whose real meta kernels import
    sympy and torch._dynamo on a process's first call), taken as the probe receives the call: the real call's
    shape and type, an in-place call's input; a broadcast, a dtype, a bad dim or another function is left to the
    real call (None), which raises where it must."""
    import torch.nn.functional as F
    from torch.overrides import TorchFunctionMode

    from paperverify.frameworks.torch.shape_rules import functional

    calls: list[tuple[Any, tuple, dict]] = []

    class Capture(TorchFunctionMode):
        def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
            calls.append((func, args, kwargs or {}))
            return func(*args, **(kwargs or {}))

    x, y = (torch.empty(2, 8, 5, 5, device="meta") for _ in range(2))
    names = {"x": x, "y": y, "F": F, "torch": torch}
    with Capture():
        try:
            real = eval(code, names)
        except (RuntimeError, IndexError):
            real = None
    func, args, kwargs = calls[-1]  # the call itself, after any slice of its arguments
    ours = functional(func, args, kwargs)
    if not _CALLS[code]:
        assert ours is None
        return
    assert ours is not None and real is not None
    assert (ours.shape, ours.dtype, ours.device) == (real.shape, real.dtype, real.device)
    assert (ours is args[0]) == (real is args[0])
