"""Keras probe: build symbolically without initialising any weight, and read shapes from the graph.

Weights are created inside `keras.StatelessScope(initialize_variables=False)`, which leaves them
uninitialised and queues them in a Keras-global list; the list is emptied afterwards, or the next ordinary
StatelessScope exit would initialise them all. This touches Keras internals: the keras version is pinned.
"""

from __future__ import annotations

import collections
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from math import prod
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
from keras.src.backend.common import global_state
from keras.src.ops import nn as _nn
from keras.src.ops import numpy as _np

from paperverify import kinds
from paperverify.counting import count_macs
from paperverify.probes import numeric
from paperverify.probes.numeric import MODEL_INPUT
from paperverify.trace import LayerRecord, Trace

#: A depthwise convolution is a `conv2d` whose groups are its input channels (as PyTorch writes it).
_KINDS: tuple[tuple[type, str], ...] = (
    (keras.layers.Conv2D, "conv2d"),
    (keras.layers.DepthwiseConv2D, "conv2d"),
    (keras.layers.SeparableConv2D, "conv2d"),  # traced as its two convolutions (`separable_records`)
    (keras.layers.Dense, "dense"),
    (keras.layers.BatchNormalization, "batchnorm"),
    (keras.layers.ReLU, "relu"),
    (keras.layers.Softmax, "softmax"),
    (keras.layers.MaxPooling2D, "maxpool"),
    (keras.layers.AveragePooling2D, "avgpool"),
    (keras.layers.GlobalAveragePooling2D, "avgpool"),
    (keras.layers.GlobalAveragePooling1D, "avgpool"),
    (keras.layers.LayerNormalization, "layernorm"),
    (keras.layers.Permute, "transpose"),
    (keras.layers.Reshape, "flatten"),
    (keras.layers.Add, "add"),
    (keras.layers.Flatten, "flatten"),
    (keras.layers.ZeroPadding2D, "pad"),
    (keras.layers.Dropout, "dropout"),
    (keras.layers.Concatenate, "concat"),
    (keras.layers.Multiply, "multiply"),
    (keras.layers.Rescaling, "rescaling"),
    (keras.layers.Normalization, "input_normalization"),
    (keras.layers.GlobalMaxPooling2D, "maxpool"),
    (keras.layers.SpatialDropout2D, "dropout"),
    (keras.layers.Identity, "identity"),
    (keras.layers.LeakyReLU, "activation"),
    (keras.layers.ELU, "activation"),
)
#: Activation function names (Keras 3 names swish `silu`) -> kinds; any other activation is element-wise and
#: costs nothing: kind `activation`.
_ACTIVATIONS = {
    "relu": "relu", "softmax": "softmax", "log_softmax": "softmax", "silu": "swish", "swish": "swish",
    "sigmoid": "sigmoid", "tanh": "tanh", "gelu": "gelu", "linear": "identity",
}  # fmt: skip


#: Keras operations a functional model may apply to its tensors (`keras.ops.relu(x)`, `x + y`) that are layers:
#: class -> kind. Any other operation (slicing, a cast, `ops.expand_dims`) only moves values and is not recorded,
#: as PyTorch's tensor plumbing is not; one that computes with a tensor of weights (`ops.matmul`, `ops.conv`) is
#: of the unknown kind: its cost is not guessed.
_OPERATIONS: dict[type, str] = {
    _nn.Relu: "relu", _nn.Sigmoid: "sigmoid", _np.Tanh: "tanh", _nn.Silu: "swish", _nn.Gelu: "gelu",
    _nn.Softmax: "softmax", _nn.LogSoftmax: "softmax",
    **dict.fromkeys((_nn.Relu6, _nn.Elu, _nn.LeakyRelu, _nn.HardSigmoid, _nn.HardSilu, _nn.Softplus, _nn.Selu,
                     _nn.Celu, _nn.Softsign), "activation"),
    _nn.MaxPool: "maxpool", _nn.AveragePool: "avgpool", _nn.AdaptiveMaxPool: "maxpool",
    _nn.AdaptiveAveragePool: "avgpool",
    _np.Add: "add", _np.Multiply: "multiply", _np.Concatenate: "concat", _np.Reshape: "flatten",
    _np.Transpose: "transpose",
    **dict.fromkeys((_np.Matmul, _np.Einsum, _np.Dot, _np.Tensordot, _nn.Conv, _nn.DepthwiseConv, _nn.SeparableConv,
                     _nn.ConvTranspose), kinds.UNKNOWN),
}  # fmt: skip
#: Reductions that pool when they reduce a map's two spatial axes (`ops.mean(x, axis=(1, 2))`) or the tokens of an
#: N, S, C tensor (a Mixer's `ops.mean(x, axis=1)`).
_REDUCTIONS: dict[type, str] = {_np.Mean: "avgpool", _np.Max: "maxpool"}
#: Kinds that are layers only between two tensors or more: `x * 0.5` passes the value on.
_BINARY = frozenset(("add", "multiply", "concat"))


def _spatial(axis: Any, rank: int) -> bool:
    axes = (axis,) if isinstance(axis, int) else tuple(axis or ())
    return sorted(a % rank for a in axes) == ([1, 2] if rank == 4 else [1])


def operation_kind(node: Any) -> str | None:
    """The kind of a call of a Keras operation that is not a layer; None for plumbing, which is not recorded."""
    operation = node.operation
    kind = kinds.declared(type(operation)) or _OPERATIONS.get(type(operation))
    if kind is None and type(operation) in _REDUCTIONS and node.input_tensors:
        rank = len(node.input_tensors[0].shape)
        kind = _REDUCTIONS[type(operation)] if rank in (3, 4) and _spatial(operation.axis, rank) else None
    if kind in _BINARY and len(node.input_tensors) < 2:
        return None
    return kind


def _activation(function: Any) -> str:
    """The kind of an activation function."""
    return _ACTIVATIONS.get(getattr(function, "__name__", str(function)), "activation")


def kind_of(layer: keras.layers.Layer) -> str:
    """The trace kind of a layer: declared by the user (`kinds.declaring`), by a `paperverify_kind` attribute, by
    its class or its activation; `unknown` for a class none of them names (its shapes and parameters are still
    measured; what needs its kind is an error naming it)."""
    user = kinds.declared(type(layer))
    if user is not None:
        return user
    declared = getattr(layer, "paperverify_kind", None)
    if declared is not None:
        return declared
    for cls, kind in _KINDS:
        if isinstance(layer, cls):
            return kind
    if isinstance(layer, keras.layers.Activation):
        return _activation(layer.activation)
    return kinds.UNKNOWN


def origin(layer: keras.layers.Layer) -> str:
    """A layer's class, as a user names it to declare its kind."""
    return f"{type(layer).__module__}.{type(layer).__qualname__}"


def _attributes(layer: keras.layers.Layer) -> dict[str, Any]:
    """Record fields beyond shapes: from a standard class, or a custom class's `paperverify_attributes()`
    (a dict of LayerRecord fields: kernel, stride, channels, groups, links, bias)."""
    declared = getattr(layer, "paperverify_attributes", None)
    if declared is not None:
        return declared()
    if isinstance(layer, keras.layers.Conv2D):
        return {
            "kernel": tuple(layer.kernel_size),
            "stride": tuple(layer.strides),
            "channels": layer.filters,
            "groups": layer.groups,
            "bias": layer.use_bias,
        }
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        _, _, groups, multiplier = layer.kernel.shape  # (kh, kw, input channels, depth multiplier)
        return {
            "kernel": tuple(layer.kernel_size),
            "stride": tuple(layer.strides),
            "channels": groups * multiplier,
            "groups": groups,
            "bias": layer.use_bias,
        }
    if isinstance(layer, keras.layers.Dense):
        return {"channels": layer.units, "bias": layer.use_bias}
    if isinstance(layer, (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)):
        return {"kernel": tuple(layer.pool_size), "stride": tuple(layer.strides)}
    if isinstance(layer, (_nn.MaxPool, _nn.AveragePool)):
        kernel = _pair(layer.pool_size)
        return {"kernel": kernel, "stride": _pair(layer.strides) if layer.strides is not None else kernel}
    return {}


def _pair(value: int | tuple[int, ...]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[-1]))


def _shape(tensor: Any) -> tuple[int, ...]:
    return tuple(int(d) for d in tensor.shape[1:])


def _size(variables: list[Any]) -> int:
    return sum(prod(v.shape) for v in variables)


def execution_order(model: keras.Model, nodes: list[Any] | None = None) -> list[Any]:
    """The model's call nodes the probe records, in the order a program would run them: each output in turn, a
    node after its inputs, and a node's inputs in the order the call lists them, each input's branch to its end
    before the next one starts (as PyTorch's forward runs `add(main(x), shortcut(x))` or
    `cat(branch1(x), branch2(x), ...)`). Recorded: the model's layers, and the operations that are layers
    (`operation_kind`). `nodes`: the model's `_graph_nodes`, where the caller has them."""
    members = {id(layer) for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)}
    return [
        node
        for node in (_graph_nodes(model) if nodes is None else nodes)
        if id(node.operation) in members
        or (not isinstance(node.operation, keras.layers.Layer) and operation_kind(node) is not None)
    ]


def _graph_nodes(model: keras.Model) -> list[Any]:
    """Every call node of a functional model, in `numeric.program_order`."""
    outputs = [t._keras_history for t in model.outputs]
    roots = [h.operation._inbound_nodes[h.node_index] for h in outputs if h.operation is not None]
    return numeric.program_order(roots, lambda node: node.parent_nodes)


def fused_activation(layer: keras.layers.Layer) -> str | None:
    """The kind of the activation a convolution or dense layer applies itself (`Dense(activation="softmax")`),
    None for a linear one. The probe records it as a layer of its own, `<layer>.<kind>`, as PyTorch models
    and the papers' tables list it."""
    if not isinstance(
        layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D, keras.layers.Dense)
    ):
        return None
    kind = _activation(layer.activation)
    return None if kind == "identity" else kind


def separable_records(
    layer: keras.layers.SeparableConv2D, source: tuple[int, ...], output: tuple[int, ...]
) -> tuple[LayerRecord, LayerRecord]:
    """A `SeparableConv2D`, one layer holding two kernels, as the two convolutions it computes: `<name>.depthwise`
    (k×k, its strides, groups = input channels, C·M outputs) and `<name>.pointwise` (1×1 to the filters, with the
    layer's bias), so that each is counted and compared as a convolution of its own (Chollet, arXiv 1610.02357v3,
    Sec. 1.2: a depthwise convolution followed by a pointwise convolution)."""
    kh, kw, channels, multiplier = layer.depthwise_kernel.shape
    middle = (*output[:2], channels * multiplier)
    depthwise = {"kernel": (kh, kw), "stride": tuple(layer.strides), "channels": channels * multiplier}
    depthwise |= {"groups": channels, "bias": False}
    pointwise = {"kernel": (1, 1), "stride": (1, 1), "channels": layer.filters, "groups": 1, "bias": layer.use_bias}
    bias = layer.filters if layer.use_bias else 0
    return (
        LayerRecord(
            f"{layer.name}.depthwise",
            "conv2d",
            (source,),
            middle,
            params=prod(layer.depthwise_kernel.shape),
            buffers=0,
            macs=count_macs(layer.name, "conv2d", (source,), middle, (kh, kw), channels),
            **depthwise,
        ),
        LayerRecord(
            f"{layer.name}.pointwise",
            "conv2d",
            (middle,),
            output,
            params=prod(layer.pointwise_kernel.shape) + bias,
            buffers=0,
            macs=count_macs(layer.name, "conv2d", (middle,), output, (1, 1), 1),
            **pointwise,
        ),
    )


def probe_model(model: keras.Model) -> Trace:
    """Trace a functional Keras model from its graph; no data runs through it."""
    if not model.inputs or not all(d is not None for d in model.inputs[0].shape[1:]):
        shape = None if not model.inputs else tuple(model.inputs[0].shape)
        raise ValueError(
            f"model {model.name!r}: cannot probe a model without a fixed input shape (received input {shape}). "
            "Build it with a fixed input shape, e.g. keras.Input((224, 224, 3)) or input_shape=(224, 224, 3)."
        )
    layers = _graph_records(model, 0, lambda _: MODEL_INPUT)
    return Trace("keras", _shape(model.inputs[0]), tuple(layers))


def _graph_records(model: keras.Model, start: int, entry: Callable[[Any], int]) -> list[LayerRecord]:
    """The records of a functional model's nodes in `execution_order`, numbered from `start`, each with the
    sources of its inputs: an input's is `entry(tensor)`, an operation not recorded passes its first input's on."""
    records: list[LayerRecord] = []
    last: dict[int, int] = {}  # a recorded node (by id) -> the index of its output's record

    def source(tensor: Any) -> int:
        history = tensor._keras_history
        if history.operation is None or isinstance(history.operation, keras.layers.InputLayer):
            return entry(tensor)
        node = history.operation._inbound_nodes[history.node_index]
        if id(node) in last:
            return last[id(node)]
        return source(node.input_tensors[0]) if node.input_tensors else MODEL_INPUT

    nodes = _graph_nodes(model)
    made, read = _scalings(nodes)
    for node in execution_order(model, nodes):
        found = node_records(node, start + len(records), tuple(source(t) for t in node.input_tensors))
        if found and found[-1].kind == "tanh" and found[-1].constants is not None:  # A tanh(S a), `_scalings`
            amplitude = read.get(id(node.output_tensors[0]), 1.0)
            slope = made.get(id(node.input_tensors[0]), 1.0) if len(found) == 1 and node.input_tensors else 1.0
            found[-1] = found[-1]._replace(constants=numeric.scaled_squashing(found[-1].constants, amplitude, slope))
        records.extend(found)
        if found:
            last[id(node)] = start + len(records) - 1
    return records


def _scalings(nodes: list[Any]) -> tuple[dict[int, float], dict[int, float]]:
    """The products and quotients of a tensor and a number among a functional model's `nodes` (`1.7159 *
    ops.tanh(x / 1.5)`), which are no layers: the factor that made each tensor, and the factor each tensor is
    scaled by (by tensor id). A tanh's constants take the factors around it, as the PyTorch and ONNX probes read
    them."""
    made: dict[int, float] = {}
    read: dict[int, float] = {}
    for node in nodes:
        factor = _factor(node)
        if factor is not None:
            made[id(node.output_tensors[0])] = factor
            read.setdefault(id(node.input_tensors[0]), factor)
    return made, read


def _factor(node: Any) -> float | None:
    """The number a call multiplies one tensor by (`x * 2`, `2 * x`, `x / 1.5` as 1 / 1.5); None for another call."""
    operation, arguments = node.operation, list(node.arguments.args)
    if len(node.input_tensors) != 1 or len(arguments) != 2:
        return None
    numbers = [a for a in arguments if isinstance(a, (int, float)) and not isinstance(a, bool)]
    if len(numbers) != 1 or not numbers[0]:
        return None
    if isinstance(operation, _np.Multiply):
        return float(numbers[0])
    if isinstance(operation, (_np.TrueDivide, _np.Divide)) and arguments[1] is numbers[0]:
        return 1 / float(numbers[0])
    return None


def node_records(node: Any, start: int = 0, sources: tuple[int, ...] = ()) -> list[LayerRecord]:
    """The probe's records of one call node of `execution_order`, the first numbered `start` and reading from
    `sources`: a layer's (a SeparableConv2D's two convolutions), then its own activation's, each reading the one
    before; an operation's; for a Lambda, the operations its function applies."""
    layer = node.operation
    inputs = tuple(_shape(t) for t in node.input_tensors)
    output = _shape(node.output_tensors[0])
    if isinstance(layer, keras.layers.SeparableConv2D):
        records = list(separable_records(layer, inputs[0], output))
    elif isinstance(layer, keras.layers.Layer):
        kind, constants = kind_of(layer), None
        if kind == kinds.UNKNOWN and isinstance(layer, keras.layers.Lambda):
            expanded = _lambda_records(node, start, sources)
            if expanded is not None:
                return expanded
            constants = _normalisation(layer) if inputs == (output,) and not layer.weights else None
            if constants is not None:  # a Lambda of TensorFlow's local response normalisation, told by its outputs
                kind = "lrn"
        params, buffers = _size(layer.trainable_weights), _size(layer.non_trainable_weights)
        records = [_record(layer, kind, inputs, output, params, buffers, constants)]
    else:
        records = [_record(layer, operation_kind(node) or kinds.UNKNOWN, inputs, output, 0, 0)]
    activation = fused_activation(layer)
    if activation is not None:
        last = records[-1].output_shape
        constants = numeric.PLAIN_TANH if activation == "tanh" else None
        records.append(
            LayerRecord(f"{layer.name}.{activation}", activation, (last,), last, 0, 0, 0, constants=constants)
        )
    return [
        record._replace(sources=sources if index == 0 else (start + index - 1,)) for index, record in enumerate(records)
    ]


#: The attributes a local response normalisation layer holds its constants in (`alpha` the paper's α).
NORMALISATION = ("size", "alpha", "beta", "k")
#: The same as TensorFlow's `tf.nn.local_response_normalization` names them, which a user's layer wrapping it
#: keeps: the window is 2·depth_radius + 1 channels, `bias` is k, and `alpha` multiplies the sum (the paper's α).
TENSORFLOW_NORMALISATION = ("depth_radius", "alpha", "beta", "bias")


def constants_of(layer: Any, kind: str) -> tuple[float, ...] | None:
    """A layer's own constants (LayerRecord.constants): a local response normalisation's (n, α, β, k), read from
    `size`, `alpha`, `beta` and `k`, or TensorFlow's `depth_radius`, `alpha`, `beta` and `bias`, or else measured
    (`_normalisation`); a dropout's
    rate; the (A, S) of a layer of the tanh kind, A tanh(S a), measured on two values unless it is an `Activation`
    or `ops.tanh`; None for any other layer or one that holds none."""
    if kind == "lrn" and all(hasattr(layer, name) for name in NORMALISATION):
        size, alpha, beta, k = (getattr(layer, name) for name in NORMALISATION)
        return (int(size), float(alpha), float(beta), float(k))
    if kind == "lrn" and all(hasattr(layer, name) for name in TENSORFLOW_NORMALISATION):
        radius, alpha, beta, k = (getattr(layer, name) for name in TENSORFLOW_NORMALISATION)
        return (2 * int(radius) + 1, float(alpha), float(beta), float(k))
    if kind == "lrn":
        return _normalisation(layer)
    if kind == "dropout" and isinstance(getattr(layer, "rate", None), (int, float)):
        return (float(layer.rate),)
    if kind == "tanh":
        return numeric.PLAIN_TANH if isinstance(layer, (keras.layers.Activation, _np.Tanh)) else _squashing(layer)
    return None


def _normalisation(layer: Any) -> numeric.Normalisation | None:
    """The (n, α, β, k) of a layer declared a local response normalisation whose attributes do not name them,
    measured on its outputs at one position (`numeric.normalisation`; TensorFlow's kernel takes float32)."""

    def apply(values: Any) -> Any:
        x = keras.ops.convert_to_tensor(values.reshape(1, 1, 1, -1), dtype="float32")
        return keras.ops.convert_to_numpy(layer.call(x)).reshape(-1).astype("float64")

    try:
        return numeric.normalisation(apply)
    except Exception:  # a layer that cannot run on one position of 16 channels: its constants are not read
        return None


def _squashing(layer: Any) -> tuple[float, float] | None:
    """The (A, S) of a layer computing A tanh(S a), read from its `call` at 1 and 2 in double precision."""
    try:
        values = keras.ops.convert_to_numpy(
            layer.call(keras.ops.convert_to_tensor(numeric.SQUASHING_INPUTS, dtype="float64"))
        )
        return numeric.squashing(float(values[0]), float(values[1]))
    except Exception:  # a layer that cannot run on two numbers: its constants are not read
        return None


def _record(
    layer: Any,
    kind: str,
    inputs: tuple[tuple[int, ...], ...],
    output: tuple[int, ...],
    params: int,
    buffers: int,
    constants: tuple[float, ...] | None = None,
) -> LayerRecord:
    """One layer's record; its `constants` those given, else read or measured (`constants_of`)."""
    attributes = _attributes(layer)
    constants = constants if constants is not None else constants_of(layer, kind)
    if constants is not None and "constants" not in attributes:
        attributes = {**attributes, "constants": constants}
    if "kernel" not in attributes and kinds.declared(type(layer)):
        attributes = {**attributes, **kinds.tiling_window(kind, inputs, output)}
    unknown = kind == kinds.UNKNOWN
    macs = None if unknown else count_macs(
        layer.name, kind, inputs, output, attributes.get("kernel"), attributes.get("groups", 1), attributes.get("links")
    )  # fmt: skip
    return LayerRecord(
        layer.name, kind, inputs, output, params, buffers, macs, origin=origin(layer) if unknown else None, **attributes
    )


def _lambda_records(node: Any, start: int, sources: tuple[int, ...]) -> list[LayerRecord] | None:
    """The operations a Lambda's function applies, traced on fresh symbolic inputs and named under the Lambda
    (`lambda.add`); None for a function that cannot run on symbolic tensors (one calling TensorFlow directly),
    which stays a layer of the unknown kind."""
    layer = node.operation
    fresh = {id(t): keras.Input(batch_shape=t.shape, dtype=t.dtype) for t in node.input_tensors}
    outer = {id(inner): source for inner, source in zip(fresh.values(), sources, strict=False)}
    args, kwargs = node.arguments.fill_in(fresh)
    try:
        outputs = layer.call(*args, **kwargs)
        if any(output is tensor for output in keras.tree.flatten(outputs) for tensor in fresh.values()):
            return []  # the function passes an input on
        inner = keras.Model(list(fresh.values()), outputs)
    except Exception:  # whatever the user's function raises on a symbolic tensor: it cannot be traced
        return None
    records = _graph_records(inner, start, lambda tensor: outer.get(id(tensor), MODEL_INPUT))
    return [record._replace(name=f"{layer.name}.{record.name}") for record in records]


@contextmanager
def no_weights() -> Iterator[None]:
    """Inside: Keras variables get shapes but no values (no initialisation, no weight memory)."""
    try:
        with keras.StatelessScope(initialize_variables=False):
            yield
    finally:
        global_state.set_global_attribute("uninitialized_variables", [])


@contextmanager
def fresh_names() -> Iterator[None]:
    """Inside: Keras names unnamed layers as a fresh process would (`conv2d`, `conv2d_1`, ..., `add`, `add_1`), so
    that a stage map can name them (keras.applications' Xception leaves its shortcut convolutions and sums
    unnamed); the session's own name counters are restored afterwards."""
    saved = global_state.get_global_attribute("object_name_uids")
    global_state.set_global_attribute("object_name_uids", collections.defaultdict(int))
    try:
        yield
    finally:
        global_state.set_global_attribute("object_name_uids", saved)


def build_without_weights(builder: Callable[..., keras.Model], **kwargs: Any) -> keras.Model:
    """Build a model whose variables have shapes but no values (no initialisation, no weight memory)."""
    with no_weights():
        return builder(**kwargs)


def build_and_probe(
    builder: Callable[..., keras.Model], input_size: int, options: dict[str, Any], channels: int = 3
) -> Trace:
    """Build with `builder(input_size=s, input_channels=channels, **options)` without weights and probe it."""
    model = build_without_weights(builder, input_size=input_size, input_channels=channels, **options)
    return probe_model(model)
