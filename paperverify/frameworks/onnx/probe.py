"""ONNX probe: a graph's nodes as a Trace, read without running the model.

The graph is read with its weights left aside: every large initializer becomes an input of known shape, the
small constants (shapes, pads, axes) keep their values and the nodes computed from them alone are folded
(`onnx.reference`), so that ONNX shape inference with data propagation tells every node's output shape at batch 1
and the probe's input size (an exporter's computed paddings and reshapes included).

Each remaining node, taken in the order a program runs them (`program_order`), is then one of three things. A
layer of a kind (`_KINDS`, by op type; a kind a user declares for an op type, `--kind Erf=gelu`, wins), named after
the module scope the exporter wrote into its name or metadata. Plumbing (`Cast`, `Squeeze`, `Slice`, `Shape`, a
sum or product with a scalar, a subtraction or division by a constant, as PyTorch's `x * 0.5` or
`(x - mean) / std`): no record; its output comes from the layer its input came from. Or the computation of a
weight (the transpose or dequantisation of an initializer): part of the weight. A node of an op type the probe
cannot tell is a layer of the unknown kind: its shapes and parameters are measured, and only the claims that need
its cost are errors naming it.

What exporters split, the probe joins again: a `MatMul` by a constant followed by the `Add` of a constant bias is
one dense layer, `x * Sigmoid(x)` is one swish, and a `Tanh` takes the scalar factors around it as its constants
(A tanh(S a)); LeNet-5's subsampling (a window average times a coefficient per map, plus a bias) and its RBF
output (`Sub`, `Pow` by 2, `ReduceSum`) are one layer each, and a convolution whose kernel is scattered from fewer
weights than it holds has a connection table (C3). A Transpose that only moves a map's channels last or first is
no layer: the values after it are read in their new layout.

Parameters are the floating-point initializers a layer reads as weights, counted for each layer that reads them
(exporters merge initializers of equal values, such as the zero biases of folded BatchNorms); a
BatchNormalization's mean and variance are buffers. An exporter that folded BatchNorm into the convolutions before
it (PyTorch's does, in inference mode) leaves convolutions with a bias and no BatchNorm: the trace is the exported
graph's.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference

from paperverify import kinds
from paperverify.counting import count_macs
from paperverify.probes import numeric
from paperverify.probes.numeric import MODEL_INPUT, PLAIN_TANH, scaled_squashing
from paperverify.trace import LayerRecord, Trace

#: Initializers with at most this many elements keep their values in the graph shape inference reads (shapes,
#: pads, axes, scalars); larger ones (weights) are given by their shape only.
SMALL = 4096

#: Element-wise activations other than those of a kind of their own.
_ACTIVATIONS = (
    "Elu", "LeakyRelu", "Selu", "Celu", "HardSigmoid", "HardSwish", "Softplus", "Softsign", "Mish", "Clip", "PRelu",
    "ThresholdedRelu",
)  # fmt: skip
#: Op types that are layers, and their kinds.
_KINDS: dict[str, str] = {
    "Conv": "conv2d",
    "Gemm": "dense",
    "MatMul": "dense",
    "BatchNormalization": "batchnorm",
    "LayerNormalization": "layernorm",
    "LRN": "lrn",
    "Relu": "relu",
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "Gelu": "gelu",
    "Softmax": "softmax",
    "LogSoftmax": "softmax",
    **dict.fromkeys(_ACTIVATIONS, "activation"),
    "MaxPool": "maxpool",
    "GlobalMaxPool": "maxpool",
    "AveragePool": "avgpool",
    "GlobalAveragePool": "avgpool",
    "Flatten": "flatten",
    "Reshape": "flatten",
    "Transpose": "transpose",
    "Pad": "pad",
    "Dropout": "dropout",
    "Concat": "concat",
    "Add": "add",
    "Sum": "add",
    "Mul": "multiply",
}
#: Op types that only move, select or retype values, or read a shape: never a layer.
_PLUMBING = frozenset((
    "Identity", "Cast", "CastLike", "Squeeze", "Unsqueeze", "Slice", "Split", "Gather", "Shape", "Size", "Expand",
    "Sub", "Div", "ConstantOfShape", "Range", "Tile",
))  # fmt: skip
#: Inputs of each op type that are learnable weights (by position); the rest of its constant inputs are not.
_WEIGHTS: dict[str, tuple[int, ...]] = {
    "Conv": (1, 2),
    "Gemm": (1, 2),
    "MatMul": (0, 1),
    "BatchNormalization": (1, 2),
    "LayerNormalization": (1, 2),
    "PRelu": (1,),
    "Add": (0, 1),
    "Mul": (0, 1),
    "Sum": (0, 1),
}
#: Inputs that are non-learnable state: a BatchNormalization's running mean and variance.
_BUFFERS: dict[str, tuple[int, ...]] = {"BatchNormalization": (3, 4)}
_FLOATS = frozenset((
    onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16,
))  # fmt: skip


class OnnxProbeError(ValueError):
    """A graph the probe cannot read: no image input, or a node whose output shape cannot be inferred."""


def image_input(model: onnx.ModelProto) -> onnx.ValueInfoProto:
    """The graph's image input: its first input that is not an initializer, of rank 4."""
    initializers = {tensor.name for tensor in model.graph.initializer}
    inputs = [value for value in model.graph.input if value.name not in initializers]
    if not inputs or len(inputs[0].type.tensor_type.shape.dim) != 4:
        found = [(value.name, _dims(value)) for value in inputs]
        raise OnnxProbeError(f"expected a graph whose first input is an image batch of rank 4. Received: {found}")
    return inputs[0]


def attribute(node: onnx.NodeProto, name: str, default: Any = None) -> Any:
    """A node's attribute `name`, or `default` where the node does not set it."""
    return next((helper.get_attribute_value(a) for a in node.attribute if a.name == name), default)


def _dims(value: onnx.ValueInfoProto) -> tuple[int | None, ...]:
    """A value's dimensions, None where the graph leaves one open (a symbol or nothing)."""
    return tuple(d.dim_value if d.HasField("dim_value") else None for d in value.type.tensor_type.shape.dim)


def layout(model: onnx.ModelProto, channels: int) -> str:
    """`NCHW` or `NHWC`: where the image input has its `channels` (channels first when it does not say)."""
    dims = _dims(image_input(model))
    if dims[1] == channels or (dims[3] != channels and dims[1] is None):
        return "NCHW"
    if dims[3] == channels:
        return "NHWC"
    raise OnnxProbeError(f"expected an image input with {channels} channels first or last. Received dimensions {dims}")


def fixed_input(model: onnx.ModelProto) -> tuple[int | None, ...] | None:
    """(H, W) of the image input when the graph fixes them, None when it takes any size."""
    dims = _dims(image_input(model))
    channels_first = dims[3] is None or (dims[1] is not None and dims[1] <= dims[3])
    sides = dims[2:4] if channels_first else dims[1:3]
    return None if None in sides else sides


@dataclass
class Layer:
    """What in the graph one record stands for (the equivalence check reads and runs it)."""

    #: The model it is part of.
    model: onnx.ModelProto = field(repr=False)
    #: The node that computes it (a Conv, a Gemm, a BatchNormalization, ...).
    node: onnx.NodeProto
    #: The tensor holding its output (after a bias or a swish product joined to it).
    output: str
    #: The constant an `Add` joined to it as its bias.
    bias: str | None = None
    #: A written-out local response normalisation's constants (n, α, β, k).
    normalisation: tuple[int, float, float, float] | None = None
    #: Whether its output map is N, C, H, W (as PyTorch's exports write maps) rather than N, H, W, C.
    channels_first: bool = True
    #: The small constants the probe knows the values of (shapes and pads it folded among them), by tensor.
    constants: dict[str, np.ndarray] = field(default_factory=dict, repr=False)


def probe_model(model: onnx.ModelProto, size: int, channels: int) -> Trace:
    """Trace `model` at size×size×channels (or at its own fixed input); the model is not changed."""
    return probe_graph(model, size, channels)[0]


def probe_graph(model: onnx.ModelProto, size: int, channels: int) -> tuple[Trace, list[Layer]]:
    """The trace of `model` (see `probe_model`) and, for each of its records, the graph's `Layer`."""
    entry = image_input(model)
    order = layout(model, channels)
    fixed = fixed_input(model)
    height, width = fixed if fixed is not None else (size, size)
    image = (1, channels, height, width) if order == "NCHW" else (1, height, width, channels)
    shapes: dict[str, np.ndarray] = {}
    while True:  # each pass folds the shapes the last one inferred (a 'same' padding computed from its input's)
        light, constants = _light(model, entry.name, image, shapes)
        inferred = shape_inference.infer_shapes(light, data_prop=True)
        values = {v.name: v for v in (*inferred.graph.value_info, *inferred.graph.input, *inferred.graph.output)}
        found = _known_shapes(inferred.graph.node, values)
        if not found.keys() - shapes.keys():
            break
        shapes.update(found)
    reader = _Reader(model, entry.name, order, values, constants)
    return reader.trace(program_order(inferred.graph), (height, width, channels)), reader.layers


def program_order(graph: onnx.GraphProto) -> list[onnx.NodeProto]:
    """The graph's nodes in the order a program would run them (`numeric.program_order`), whatever order the
    exporter sorted them in; nodes no output needs come last, in the graph's order."""
    producer = {name: node for node in graph.node for name in node.output}
    outputs = [producer[output.name] for output in graph.output if output.name in producer]
    order = numeric.program_order(outputs, lambda node: [producer[name] for name in node.input if name in producer])
    ordered = {id(node) for node in order}
    return order + [node for node in graph.node if id(node) not in ordered]


def _known_shapes(nodes: Iterable[onnx.NodeProto], values: dict[str, onnx.ValueInfoProto]) -> dict[str, np.ndarray]:
    """The output of every `Shape` node whose input's shape inference has told in full, as a constant."""
    found = {}
    for node in nodes:
        value = values.get(node.input[0]) if node.op_type == "Shape" and node.input else None
        dims = _dims(value) if value is not None else (None,)
        if value is not None and None not in dims:
            selected = dims[attribute(node, "start", 0) : attribute(node, "end", len(dims))]
            found[node.output[0]] = np.array(selected, dtype=np.int64)
    return found


class _Constants:
    """What the graph's constant tensors are: every initializer (by its shape), the values of the small ones and
    of the folded nodes, and which initializers each constant derives from (a weight's transpose, its own)."""

    def __init__(self) -> None:
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.values: dict[str, np.ndarray] = {}
        self.origins: dict[str, frozenset[str]] = {}
        self.floats: set[str] = set()

    def __contains__(self, name: str) -> bool:
        return name in self.origins

    def numel(self, names: Iterable[str]) -> int:
        return sum(math.prod(self.shapes[name]) for name in names if name in self.floats)


def _light(
    model: onnx.ModelProto, entry: str, image: tuple[int, ...], shapes: dict[str, np.ndarray]
) -> tuple[onnx.ModelProto, _Constants]:
    """A copy of the graph without its weights' values, constants folded, the image input at `image`, and the
    `Shape` nodes whose outputs `shapes` knows folded into constants."""
    graph = model.graph
    constants = _Constants()
    constants.values.update(shapes)
    for name in shapes:
        constants.origins[name] = frozenset()
    kept: list[onnx.TensorProto] = []
    inputs = [helper.make_tensor_value_info(entry, _input_type(graph, entry), image)]
    for tensor in graph.initializer:
        constants.shapes[tensor.name] = tuple(tensor.dims)
        constants.origins[tensor.name] = frozenset((tensor.name,))
        if tensor.data_type in _FLOATS:
            constants.floats.add(tensor.name)
        if math.prod(tensor.dims) <= SMALL:
            constants.values[tensor.name] = numpy_helper.to_array(tensor)
            kept.append(tensor)
        else:
            inputs.append(helper.make_tensor_value_info(tensor.name, tensor.data_type, tuple(tensor.dims)))
    folded, rest, waiting = [], [], []  # waiting: folded, not evaluated yet (in one run, below)
    pending = list(reversed(graph.node))
    while pending:
        node = pending.pop()
        if node.op_type == "If" and node.input[0] in constants.values:
            if waiting:
                constants.values.update(evaluate(model, waiting, constants.values))
                waiting = []
            pending += reversed(_branch(node, bool(np.ravel(constants.values[node.input[0]])[0])))
            continue
        given = [name for name in node.input if name]
        if node.op_type == "Shape" and node.output[0] in shapes:
            continue
        if all(name in constants.values for name in given) and node.op_type not in ("RandomNormal", "RandomUniform"):
            folded.append(node)
            waiting.append(node)
            for output in node.output:
                constants.values[output] = np.empty(0)  # its value, filled below
                constants.origins[output] = frozenset().union(*(constants.origins[name] for name in given))
        else:
            if given and all(name in constants for name in given):
                for output in node.output:
                    constants.origins[output] = frozenset().union(*(constants.origins[name] for name in given))
            rest.append(node)
    if waiting:
        constants.values.update(evaluate(model, waiting, constants.values))
    needed = {name for node in rest for name in node.input}
    produced = [name for node in folded for name in node.output] + list(shapes)
    kept += [numpy_helper.from_array(np.asarray(constants.values[name]), name) for name in produced if name in needed]
    light = helper.make_model(
        helper.make_graph(rest, graph.name or "graph", inputs, list(graph.output), initializer=kept),
        opset_imports=list(model.opset_import),
        ir_version=model.ir_version,
        functions=list(model.functions),
    )
    return light, constants


def _branch(node: onnx.NodeProto, condition: bool) -> list[onnx.NodeProto]:
    """The nodes an `If` runs when its condition is known (an exporter's test of a shape), its outputs renamed to
    the `If`'s."""
    branch = next(a.g for a in node.attribute if a.name == ("then_branch" if condition else "else_branch"))
    renames = [
        helper.make_node("Identity", [inner.name], [outer], name=f"{node.name}/{outer}")
        for inner, outer in zip(branch.output, node.output, strict=True)
    ]
    return [*branch.node, *renames]


def _input_type(graph: onnx.GraphProto, name: str) -> int:
    return next(value.type.tensor_type.elem_type for value in graph.input if value.name == name)


def evaluate(model: onnx.ModelProto, nodes: list[onnx.NodeProto], values: dict[str, np.ndarray]) -> dict[str, Any]:
    """The outputs of nodes computed from small constants alone, by ONNX's reference evaluator."""
    from onnx.reference import ReferenceEvaluator

    produced = {name for node in nodes for name in node.output}
    read = {name for node in nodes for name in node.input if name and name not in produced}
    graph = helper.make_graph(
        nodes,
        "constants",
        [],
        [helper.make_empty_tensor_value_info(name) for name in sorted(produced)],
        initializer=[numpy_helper.from_array(np.asarray(values[name]), name) for name in sorted(read)],
    )
    evaluator = ReferenceEvaluator(
        helper.make_model(graph, opset_imports=list(model.opset_import), ir_version=model.ir_version)
    )
    names = sorted(produced)
    return dict(zip(names, evaluator.run(names, {}), strict=True))


class _Reader:
    """Turns the inferred graph's nodes into records (see the module docstring)."""

    def __init__(
        self,
        model: onnx.ModelProto,
        entry: str,
        order: str,
        values: dict[str, onnx.ValueInfoProto],
        constants: _Constants,
    ) -> None:
        self.model, self.entry, self.values, self.constants = model, entry, values, constants
        #: Each image-derived tensor's layout, where it is not the graph's own (a map a Transpose put channels last).
        self.layouts: dict[str, str] = {entry: order}
        self.order = order
        self.records: list[LayerRecord] = []
        self.layers: list[Layer] = []
        #: The record each data tensor comes from (MODEL_INPUT for the image).
        self.producer: dict[str, int] = {entry: MODEL_INPUT}
        self.names: set[str] = set()
        #: Values on the way from a square x·x to a local response normalisation of x: x and the nodes so far.
        self.squares: dict[str, tuple[str, tuple[onnx.NodeProto, ...]]] = {}
        #: Values a product or quotient by a scalar constant made, and its factor (a tanh's S, A tanh(S a)).
        self.scaled: dict[str, float] = {}
        #: Tanh records whose output a scalar factor has already read (its A).
        self.amplified: set[int] = set()
        #: The nodes of the graph read that read each tensor (set by `trace`).
        self.readers: dict[str, list[onnx.NodeProto]] = {}
        #: Outputs of nodes a layer recorded before them stands for (an RBF's `Pow` and `ReduceSum`).
        self.joined: set[str] = set()

    def trace(self, nodes: Iterable[onnx.NodeProto], input_shape: tuple[int, int, int]) -> Trace:
        nodes = list(nodes)
        for node in nodes:
            for name in node.input:
                self.readers.setdefault(name, []).append(node)
        for node in nodes:
            given = [name for name in node.input if name]
            if given and all(name in self.constants for name in given):
                continue  # a weight's own computation (a transpose, a dequantisation): part of the weight
            self.node(node)
        return Trace("onnx", input_shape, tuple(self.records))

    def data(self, node: onnx.NodeProto) -> list[str]:
        """The node's inputs that carry values computed from the image (floating point, not constant)."""
        return [
            name
            for name in node.input
            if name and name not in self.constants and self._elem_type(name) in _FLOATS and name in self.producer
        ]

    def _elem_type(self, name: str) -> int:
        value = self.values.get(name)
        return value.type.tensor_type.elem_type if value is not None else onnx.TensorProto.FLOAT

    def shape(self, node: onnx.NodeProto, name: str) -> tuple[int, ...]:
        """A tensor's shape without its batch dimension, channels last; OnnxProbeError if inference left it open."""
        value = self.values.get(name)
        dims = _dims(value) if value is not None else ()
        if value is None or not dims or None in dims:
            raise OnnxProbeError(
                f"node {node.name or node.op_type!r} ({node.op_type}): ONNX shape inference could not tell the shape "
                f"of {name!r} (found {dims or 'nothing'}); is the graph valid (onnx.checker.check_model)?"
            )
        rest = tuple(int(d) for d in dims[1:])  # type: ignore[arg-type]
        return (*rest[1:], rest[0]) if self.layout(name) == "NCHW" and len(rest) == 3 else rest

    def layout(self, name: str) -> str:
        """`NCHW` or `NHWC`: where a tensor's channels are (the graph's order unless a Transpose moved them)."""
        return self.layouts.get(name, self.order)

    def node(self, node: onnx.NodeProto) -> None:
        op = node.op_type
        data = self.data(node)
        declared = kinds.declared_kinds().get(op)
        if not data:
            return  # reads no image-derived value (a Shape's arithmetic): nothing to record
        for output in node.output:  # a value keeps the layout of the value it is computed from
            self.layouts[output] = self.layout(data[0])
        if node.output[0] in self.joined:  # a later node of a layer already recorded (an RBF's Pow and sum)
            self.producer[node.output[0]] = self.producer[data[0]]
            return
        if declared is None and (self._moves_channels(node) or self._local_response_norm(node, data)):
            return
        if declared is None and op == "Sub" and self._rbf(node, data):
            return
        if declared is None and (op in _PLUMBING or self._scalar_operation(node, data)):
            self._scaling(node, data)
            for output in node.output:
                self.producer[output] = self.producer[data[0]]
            return
        if declared is None and op == "Add" and self._bias(node, data):
            return
        if declared is None and op == "Mul" and (self._swish(node, data) or self._coefficients(node, data)):
            return
        kind = declared or self._kind(node, data)
        self.record(node, kind, data)
        if kind == "tanh":  # A tanh(S a): S scaled its input; A, the first factor its output meets, is set then
            slope = self.scaled.get(data[0], 1.0)
            self.records[-1] = self.records[-1]._replace(constants=scaled_squashing(PLAIN_TANH, 1.0, slope))

    def _scaling(self, node: onnx.NodeProto, data: list[str]) -> None:
        """A product or quotient of one value by a scalar constant (`Mul` by 1.7159, `Div` by 1.5): its output
        remembers the factor, and a tanh's output scaled so takes it as its amplitude A."""
        others = [name for name in node.input if name and name not in data]
        divides_it = node.op_type == "Div" and node.input[0] == data[0]  # x / 1.5, not 1.5 / x
        if len(data) != 1 or len(others) != 1 or not (node.op_type == "Mul" or divides_it):
            return
        value = self.constants.values.get(others[0])
        if value is None or np.size(value) != 1 or not float(np.ravel(value)[0]):
            return
        factor = float(np.ravel(value)[0]) ** (1 if node.op_type == "Mul" else -1)
        self.scaled[node.output[0]] = factor
        index = self.producer[data[0]]
        if index != MODEL_INPUT and index not in self.amplified and self.layers[index].output == data[0]:
            layer = self.records[index]
            if layer.kind == "tanh" and layer.constants is not None:
                self.records[index] = layer._replace(constants=scaled_squashing(layer.constants, factor, 1.0))
                self.amplified.add(index)

    def _moves_channels(self, node: onnx.NodeProto) -> bool:
        """A Transpose of a map that only moves its channels last or first (`x.permute(0, 2, 3, 1)` around a
        dense layer applied at every position): no layer, and its output has the other layout."""
        if node.op_type != "Transpose":
            return False
        perm = tuple(attribute(node, "perm", ()))
        layout = {(0, 2, 3, 1): "NHWC", (0, 3, 1, 2): "NCHW"}.get(perm)
        if layout is None or layout == self.layout(node.input[0]):
            return False
        self.layouts[node.output[0]] = layout
        self.producer[node.output[0]] = self.producer[node.input[0]]
        return True

    def _reader(self, name: str, op: str) -> onnx.NodeProto | None:
        """The one node reading `name`, where there is one and it is an `op`."""
        readers = self.readers.get(name, [])
        return readers[0] if len(readers) == 1 and readers[0].op_type == op else None

    def _scalar(self, name: str) -> float | None:
        """A constant scalar's value; None for anything else."""
        value = self.constants.values.get(name)
        return float(np.ravel(value)[0]) if value is not None and np.size(value) == 1 else None

    def _coefficients(self, node: onnx.NodeProto, data: list[str]) -> bool:
        """A window average or sum times one constant per map: LeNet-5's trainable subsampling (Sec. II.B, "multiplied
        by a trainable coefficient, and added to a trainable bias"), the pool's record becoming one subsample
        layer; the bias an `Add` after it joins as a convolution's (`_bias`)."""
        index = self.producer[data[0]] if len(data) == 1 else MODEL_INPUT
        if index == MODEL_INPUT or index != len(self.records) - 1 or len(self.readers.get(data[0], ())) != 1:
            return False
        pool = self.records[index]
        others = [name for name in node.input if name and name != data[0]]
        if pool.kind != "avgpool" or pool.kernel is None or len(others) != 1 or others[0] not in self.constants:
            return False
        if math.prod(self._constant_shape(others[0])) != pool.output_shape[-1]:
            return False
        self.records[index] = pool._replace(
            kind="subsample",
            params=pool.params + self._params(others),
            channels=pool.output_shape[-1],
            macs=count_macs(pool.name, "subsample", pool.input_shapes, pool.output_shape, pool.kernel),
        )
        self.layers[index].output = node.output[0]
        self.producer[node.output[0]] = index
        return True

    def _rbf(self, node: onnx.NodeProto, data: list[str]) -> bool:
        """LeNet-5's output layer y_i = Σ_j (x_j − w_ij)² (Eq. 7) as exporters write it: the `Sub` of a constant
        matrix of parameter vectors, a `Pow` by 2, a `ReduceSum` over the last axis, each the only reader of the
        one before: one rbf layer. Its vectors are buffers, "chosen by hand and kept fixed" (p. 8): the graph
        does not say which initializers were learned."""
        centres = [name for name in node.input if name and name not in data]
        if len(data) != 1 or node.input[0] != data[0] or len(centres) != 1 or centres[0] not in self.constants:
            return False
        power = self._reader(node.output[0], "Pow")
        total = self._reader(power.output[0], "ReduceSum") if power is not None else None
        if total is None or power is None or self._scalar(power.input[1]) != 2.0 or attribute(total, "keepdims", 1):
            return False
        axes = [self._scalar(name) for name in total.input[1:2]] or [None]
        rank = len(self.values[node.output[0]].type.tensor_type.shape.dim)
        shape = self._constant_shape(centres[0])
        if len(shape) != 2 or axes[0] is None or int(axes[0]) % rank != rank - 1:
            return False
        index = self.producer[data[0]]
        inputs = (self.records[index].output_shape,) if index != MODEL_INPUT else None
        self.layouts[total.output[0]] = self.layout(data[0])
        self.record(node, "rbf", data, output=total.output[0], inputs=inputs)
        self.records[-1] = self.records[-1]._replace(buffers=self._params(centres), channels=shape[0])
        self.joined.update((power.output[0], total.output[0]))
        return True

    def _local_response_norm(self, node: onnx.NodeProto, data: list[str]) -> bool:
        """PyTorch's exporters write a local response normalisation as `x / (k + α·avg(x·x))^β`, the average taken
        over a window of channels by a 3-D average pool: from the square to the division, one lrn layer."""
        op, out = node.op_type, node.output[0]
        if op == "Mul" and len(data) == 2 and data[0] == data[1]:
            self.squares[out] = (data[0], (node,))
            self.producer[out] = self.producer[data[0]]
            return True
        chained = [self.squares[name] for name in data if name in self.squares]
        if not chained:
            return False
        root, nodes = chained[0]
        pooled = any(n.op_type == "AveragePool" for n in nodes)
        if op == "Div" and len(data) == 2 and data[0] == root and data[1] in self.squares and pooled:
            self.record(node, "lrn", [root])
            constants = self.layers[-1].normalisation = self._constants_of(nodes)
            self.records[-1] = self.records[-1]._replace(constants=constants)
            return True
        if len(data) != 1:
            return False
        self.squares[out] = (root, (*nodes, node))
        self.producer[out] = self.producer[root]
        return True

    def _constants_of(self, nodes: tuple[onnx.NodeProto, ...]) -> tuple[int, float, float, float] | None:
        """(n, α, β, k) of `x / (k + alpha·avg(x·x))^β` over n channels: the pool's window, alpha / n (the paper's α
        multiplies the sum), the exponent and the offset; None where a constant is not a plain scalar."""
        found: dict[str, float] = {}
        window = 0
        for node in nodes:
            if node.op_type == "AveragePool":
                window = int(attribute(node, "kernel_shape")[0])
            scalars = [self.constants.values.get(name) for name in node.input[1:] if name in self.constants]
            if node.op_type in ("Mul", "Add", "Pow") and len(scalars) == 1 and np.size(scalars[0]) == 1:
                found[node.op_type] = float(np.ravel(scalars[0])[0])
        if not window or found.keys() != {"Mul", "Add", "Pow"}:
            return None
        return (window, found["Mul"] / window, found["Pow"], found["Add"])

    def _scalar_operation(self, node: onnx.NodeProto, data: list[str]) -> bool:
        """A sum or product of one value with a constant scalar (`x * 0.5`): it passes its input on."""
        if node.op_type not in ("Add", "Mul") or len(data) != 1:
            return False
        others = [name for name in node.input if name and name not in data]
        return all(math.prod(self._constant_shape(name)) == 1 for name in others)

    def _constant_shape(self, name: str) -> tuple[int, ...]:
        """A constant's shape: an initializer's, a folded value's, or what shape inference says of a weight's own
        computation."""
        if name in self.constants.shapes:
            return self.constants.shapes[name]
        value = self.constants.values.get(name)
        return tuple(np.shape(value)) if value is not None else tuple(_dims(self.values[name]))  # type: ignore[arg-type]

    def _kind(self, node: onnx.NodeProto, data: list[str]) -> str:
        op = node.op_type
        if op == "ReduceMean":
            return "avgpool" if self._spatial_mean(node, data[0]) else kinds.UNKNOWN
        if op == "MatMul" and len(data) != 1:
            return kinds.UNKNOWN  # a product of two computed values (attention): no counting rule
        return _KINDS.get(op, kinds.UNKNOWN)

    def _spatial_mean(self, node: onnx.NodeProto, name: str) -> bool:
        """A mean over a map's two spatial axes, or over the tokens of an N, S, C tensor: a global average pool."""
        rank = len(self.values[name].type.tensor_type.shape.dim)
        axes = attribute(node, "axes")
        if axes is None and len(node.input) > 1 and node.input[1] in self.constants.values:
            axes = [int(a) for a in np.ravel(self.constants.values[node.input[1]])]
        spatial = {4: [2, 3] if self.layout(name) == "NCHW" else [1, 2], 3: [1]}.get(rank)
        return axes is not None and sorted(a % rank for a in axes) == spatial

    def _bias(self, node: onnx.NodeProto, data: list[str]) -> bool:
        """The Add of a constant bias to a dense layer, convolution or subsampling without one, its only reader:
        joined to it."""
        if len(data) != 1:
            return False
        index = self.producer[data[0]]
        if index == MODEL_INPUT or len(self.readers.get(data[0], ())) != 1:
            return False
        layer = self.records[index]
        bias = [name for name in node.input if name and name != data[0]]
        if layer.kind not in ("dense", "conv2d", "subsample") or layer.bias:
            return False
        if len(bias) != 1 or bias[0] not in self.constants:
            return False
        if math.prod(self._constant_shape(bias[0])) != layer.output_shape[-1]:
            return False
        self.records[index] = layer._replace(bias=True, params=layer.params + self._params([bias[0]]))
        self.layers[index].output, self.layers[index].bias = node.output[0], bias[0]
        self.producer[node.output[0]] = index
        return True

    def _swish(self, node: onnx.NodeProto, data: list[str]) -> bool:
        """`x * Sigmoid(x)` where the sigmoid feeds nothing else: the sigmoid's record becomes one swish."""
        if len(data) != 2:
            return False
        for gate, value in (data, data[::-1]):
            index = self.producer[gate]
            if index == MODEL_INPUT or len(self.readers.get(gate, ())) != 1:
                continue
            layer = self.records[index]
            if layer.kind == "sigmoid" and layer.sources == (self.producer[value],) and index == len(self.records) - 1:
                self.records[index] = layer._replace(kind="swish")
                self.layers[index].output = node.output[0]
                self.producer[node.output[0]] = index
                return True
        return False

    def _params(self, names: Iterable[str]) -> int:
        """Elements of the floating-point initializers behind `names`."""
        return self.constants.numel(set().union(*(self.constants.origins.get(name, frozenset()) for name in names)))

    def record(
        self,
        node: onnx.NodeProto,
        kind: str,
        data: list[str],
        output: str | None = None,
        inputs: tuple[tuple[int, ...], ...] | None = None,
    ) -> None:
        """Record `node` as a layer of `kind` reading `data`; `output` and `inputs` where a layer joined from several
        nodes ends in another node's output or reads a value before the plumbing that reshaped it."""
        op = node.op_type
        result = output or node.output[0]
        constant = [(position, name) for position, name in enumerate(node.input) if name in self.constants]
        params = self._params(name for position, name in constant if position in _WEIGHTS.get(op, ()))
        buffers = self._params(name for position, name in constant if position in _BUFFERS.get(op, ()))
        name = self._name(node)
        inputs = inputs or tuple(self.shape(node, value) for value in data)
        shape = self.shape(node, result)
        attributes = self._attributes(node, shape) if kind != kinds.UNKNOWN else {}
        unknown = kind == kinds.UNKNOWN
        macs = None
        if not unknown:
            kernel, groups, links = attributes.get("kernel"), attributes.get("groups", 1), attributes.get("links")
            macs = count_macs(name, kind, inputs, shape, kernel, groups, links)
        self.records.append(
            LayerRecord(
                name=name,
                kind=kind,
                input_shapes=inputs,
                output_shape=shape,
                params=params,
                buffers=buffers,
                macs=macs,
                origin=op if unknown else None,
                sources=tuple(self.producer[value] for value in data),
                **attributes,
            )
        )
        layer = Layer(self.model, node, result, channels_first=self.layout(result) == "NCHW")
        layer.constants = self.constants.values
        if kind == "lrn" and attributes.get("constants"):
            layer.normalisation = attributes["constants"]
        self.layers.append(layer)
        for output_name in {*node.output, result}:
            self.producer[output_name] = len(self.records) - 1

    def _attributes(self, node: onnx.NodeProto, output: tuple[int, ...]) -> dict[str, Any]:
        """Kernel, stride, channels, groups and bias of a convolution, dense layer or pool; an LRN node's constants."""
        op = node.op_type
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        weight = node.input[1] if len(node.input) > 1 and node.input[1] in self.constants else None
        has_bias = len(node.input) > 2 and bool(node.input[2])
        if op == "Conv":
            kernel = attributes.get("kernel_shape") or (self._constant_shape(weight)[2:] if weight else None)
            return {
                "kernel": tuple(kernel) if kernel else None,
                "stride": tuple(attributes.get("strides", (1, 1))),
                "channels": output[-1],
                "groups": int(attributes.get("group", 1)),
                "links": self._links(weight, kernel),
                "bias": has_bias,
            }
        if op in ("Gemm", "MatMul"):
            return {"channels": output[-1], "bias": op == "Gemm" and has_bias}
        if op in ("MaxPool", "AveragePool"):
            kernel = tuple(attributes["kernel_shape"])
            return {"kernel": kernel, "stride": tuple(attributes.get("strides", kernel))}
        if op == "LRN":  # ONNX's alpha is divided by the size, as PyTorch's
            size = int(attributes["size"])
            alpha, beta, k = (float(attributes.get(n, d)) for n, d in (("alpha", 1e-4), ("beta", 0.75), ("bias", 1.0)))
            return {"constants": (size, alpha / size, beta, k)}
        return {}

    def _links(self, weight: str | None, kernel: Any) -> int | None:
        """The connected (input map, output map) pairs of a convolution whose kernel is assembled from fewer weights
        than it holds, one kh×kw kernel per pair, the rest zero (LeNet-5's C3, Table I, written as a scatter into a
        zero kernel); None for an ordinary kernel."""
        if weight is None or not kernel:
            return None
        learned, area = self._params([weight]), math.prod(kernel)
        if not learned or learned >= math.prod(self._constant_shape(weight)) or learned % area:
            return None
        return learned // area

    def _name(self, node: onnx.NodeProto) -> str:
        """The module path the exporter wrote (PyTorch's dynamo exporter in metadata, its TorchScript exporter and
        tf2onnx in the node name's `/` scopes), the op after it where that path is a block's own (`layer1.0.add`);
        unique in the trace."""
        scope, op = self._scope(node)
        name = scope
        if not name or name in self.names or any(taken.startswith(name + ".") for taken in self.names):
            name = f"{scope}.{op}" if scope else op
        base, count = name, 1
        while name in self.names:
            name, count = f"{base}_{count}", count + 1
        self.names.add(name)
        return name

    def _scope(self, node: onnx.NodeProto) -> tuple[str, str]:
        meta = {prop.key: prop.value for prop in node.metadata_props}
        scopes = meta.get("pkg.torch.onnx.name_scopes")
        if scopes:
            try:
                parts = [str(part) for part in ast.literal_eval(scopes)]
            except (ValueError, SyntaxError):
                parts = []
            if len(parts) >= 2:
                return parts[-2], parts[-1].rstrip("0123456789").rstrip("_") or node.op_type.lower()
        parts = [part for part in node.name.split("/") if part]
        if len(parts) >= 2:
            return ".".join(parts[:-1]), node.op_type.lower()
        return "", (node.name or node.op_type).replace(".", "/")
