"""Keras side of the equivalence check: build a reference without initialising it, read and write weights
in the canonical layout, run a functional model node by node in inference mode handing each layer's output
to a sink (and freeing each tensor once its last consumer has run).

Trace indices are the positions of the probe's records: one per layer call in `execution_order` (two for a
`SeparableConv2D`: its depthwise, then its pointwise convolution), and one more right after it for a
convolution's or dense layer's own activation (`probe_keras.probe_model`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from paperverify.frameworks.keras.probe import (
    NORMALISATION,
    constants_of,
    execution_order,
    fused_activation,
    kind_of,
    no_weights,
    node_records,
    probe_model,
)
from paperverify.probes.numeric import Layout, Normalisation, Padding, Sink, Weights, as_array, same_padding
from paperverify.trace import LayerRecord, Trace


@dataclass(frozen=True)
class SeparableHalf:
    """One of the two convolutions a `SeparableConv2D` computes: its `part`, "depthwise" or "pointwise"."""

    layer: keras.layers.SeparableConv2D
    part: str


def _records(node: Any) -> int:
    """How many records the probe makes of one call node (`probe_keras.node_records`)."""
    return len(node_records(node))


def _initialised(variable: Any) -> bool:
    return getattr(variable, "_value", True) is not None


def has_weights(model: keras.Model) -> bool:
    """Whether every variable holds a value (a model built without initialising its variables has none)."""
    return bool(model.weights) and all(_initialised(v) for v in model.weights)


def probe(model: keras.Model, size: int, channels: int) -> Trace:
    return probe_model(model)


def build_reference(
    builder: Callable[..., keras.Model], size: int, channels: int, options: dict[str, Any]
) -> keras.Model:
    """Our implementation at size×size×channels with variables that have shapes but no values yet
    (`materialise`)."""
    with no_weights():
        return builder(input_size=size, input_channels=channels, **options)


def materialise(model: keras.Model, values: Callable[[Any], np.ndarray] | None = None) -> None:
    """Give every uninitialised variable a value without running its initialiser (Keras internals, pinned):
    `values(variable)`, or zeros."""
    for variable in model.weights:
        if not _initialised(variable):
            if values is None:
                variable._initializer = keras.initializers.Zeros()
            else:
                value = values(variable)
                variable._initializer = lambda shape, dtype=None, value=value: keras.ops.cast(value, dtype)
            variable._deferred_initialize()


def _indices(model: keras.Model) -> dict[int, int]:
    """Trace index of each call node (by id) whose layer the probe records."""
    indices, index = {}, 0
    for node in execution_order(model):
        indices[id(node)] = index
        index += _records(node)
    return indices


def layers(model: keras.Model, trace: Trace) -> list[keras.layers.Layer | SeparableHalf | None]:
    """The layer behind each record of `trace` (a `SeparableHalf` for each convolution of a SeparableConv2D);
    None for a record of a layer's own activation."""
    found: list[keras.layers.Layer | SeparableHalf | None] = []
    for node in execution_order(model):
        if isinstance(node.operation, keras.layers.SeparableConv2D):
            found += [SeparableHalf(node.operation, "depthwise"), SeparableHalf(node.operation, "pointwise")]
        elif isinstance(node.operation, keras.layers.Lambda):  # the operations its function applies
            found += [None] * _records(node)
        else:
            found.append(node.operation)
        if fused_activation(node.operation):
            found.append(None)
    return found


def layout(layer: keras.layers.Layer | SeparableHalf) -> Layout:
    if isinstance(layer, SeparableHalf):  # the layer's bias is added after the pointwise convolution
        return Layout(bias=layer.part == "pointwise" and layer.layer.use_bias)
    if isinstance(layer, (keras.layers.BatchNormalization, keras.layers.LayerNormalization)):
        return Layout(bias=layer.center, epsilon=layer.epsilon)
    return Layout(bias=getattr(layer, "use_bias", False))


def _numpy(variable: Any) -> np.ndarray | None:
    return None if variable is None else as_array(keras.ops.convert_to_numpy(keras.ops.copy(variable.value)))


def read(layer: keras.layers.Layer | SeparableHalf, flattened: tuple[int, int, int] | None) -> Weights:
    """A Conv2D, DepthwiseConv2D, Dense, BatchNormalization or LayerNormalization layer's weights, or one half
    of a SeparableConv2D's, in the canonical layout (Keras' own; a depthwise kernel (kh, kw, C, M) is the
    grouped (kh, kw, 1, C·M), output channel c·M + m in both)."""
    if isinstance(layer, SeparableHalf):
        separable = layer.layer
        if layer.part == "pointwise":
            bias = _numpy(separable.bias) if separable.use_bias else None
            return Weights(kernel=_numpy(separable.pointwise_kernel), bias=bias)
        kernel = _numpy(separable.depthwise_kernel)
        kh, kw, channels, multiplier = kernel.shape
        return Weights(kernel=kernel.reshape(kh, kw, 1, channels * multiplier))
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        kernel = _numpy(layer.kernel)
        kh, kw, channels, multiplier = kernel.shape
        bias = _numpy(layer.bias) if layer.use_bias else None
        return Weights(kernel=kernel.reshape(kh, kw, 1, channels * multiplier), bias=bias)
    if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
        return Weights(kernel=_numpy(layer.kernel), bias=_numpy(layer.bias) if layer.use_bias else None)
    if isinstance(layer, keras.layers.BatchNormalization):
        return Weights(
            gamma=_numpy(layer.gamma) if layer.scale else None,
            beta=_numpy(layer.beta) if layer.center else None,
            mean=_numpy(layer.moving_mean),
            var=_numpy(layer.moving_variance),
            epsilon=layer.epsilon,
        )
    if isinstance(layer, keras.layers.LayerNormalization):
        gamma = _numpy(layer.gamma) if layer.scale else None
        return Weights(gamma=gamma, beta=_numpy(layer.beta) if layer.center else None)
    raise TypeError(f"no weight layout for {type(layer).__qualname__}")


def write(layer: keras.layers.Layer, weights: Weights, flattened: tuple[int, int, int] | None) -> None:
    """Copy canonical weights into a Conv2D, DepthwiseConv2D, Dense, BatchNormalization or LayerNormalization
    layer."""

    def put(variable: Any, value: np.ndarray | None, default: float = 0.0) -> None:
        if variable is not None:
            variable.assign(np.full(variable.shape, default, np.float32) if value is None else value)

    if isinstance(layer, keras.layers.DepthwiseConv2D):
        kernel = None if weights.kernel is None else weights.kernel.reshape(layer.kernel.shape)
        put(layer.kernel, kernel)
        put(layer.bias if layer.use_bias else None, weights.bias)
    elif isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
        put(layer.kernel, weights.kernel)
        put(layer.bias if layer.use_bias else None, weights.bias)
    elif isinstance(layer, keras.layers.BatchNormalization):
        put(layer.gamma if layer.scale else None, weights.gamma, 1.0)
        put(layer.beta if layer.center else None, weights.beta)
        put(layer.moving_mean, weights.mean)
        put(layer.moving_variance, weights.var, 1.0)
    elif isinstance(layer, keras.layers.LayerNormalization):
        put(layer.gamma if layer.scale else None, weights.gamma, 1.0)
        put(layer.beta if layer.center else None, weights.beta)
    else:
        raise TypeError(f"no weight layout for {type(layer).__qualname__}")


def run(model: keras.Model, image: np.ndarray, wanted: Collection[int], sink: Sink) -> None:
    """Run `model` in inference mode on `image` (N, H, W, C), node by node, and hand the output of every wanted
    trace record to `sink`; an array the sink returns is run on in its place. A convolution or dense layer with
    its own activation hands over both its linear output and the activation's, a SeparableConv2D its depthwise
    and its pointwise half's. Each intermediate tensor is dropped once its last consumer has run."""

    def hand(index: int, value: Any) -> Any:
        """`value`, or what the sink puts in its place."""
        replacement = sink(index, keras.ops.convert_to_numpy(value))
        return value if replacement is None else keras.ops.convert_to_tensor(replacement, dtype=value.dtype)

    indices = _indices(model)
    graph = getattr(model, "_functional", None) or model  # a Sequential runs its functional graph
    nodes = [node for depth in sorted(graph._nodes_by_depth, reverse=True) for node in graph._nodes_by_depth[depth]]
    uses: dict[int, int] = {}
    for node in nodes:
        for tensor in node.input_tensors:
            uses[id(tensor)] = uses.get(id(tensor), 0) + 1
    values: dict[int, Any] = {id(model.inputs[0]): keras.ops.convert_to_tensor(image)}
    for node in nodes:
        if node.operation is None or node.is_input:
            continue
        args, kwargs = node.arguments.fill_in(values)
        index = indices.get(id(node))
        layer = node.operation
        count = 0 if index is None else _records(node)
        last = index + count - 1 if count else None  # the record of the node's output (a Lambda may have none)
        separable = index is not None and isinstance(layer, keras.layers.SeparableConv2D)
        if separable and index in wanted:  # the depthwise half's output, which the layer keeps to itself
            outputs = [_pointwise(layer, hand(index, _depthwise(layer, args[0])))]
            index += 1
        else:
            index = index + 1 if separable else index
            activation = fused_activation(layer) if index is not None else None
            if activation is None:
                outputs = keras.tree.flatten(layer(*args, **kwargs))
            else:
                own = layer.activation
                layer.activation = keras.activations.linear
                try:
                    linear = layer(*args, **kwargs)
                finally:
                    layer.activation = own
                if index in wanted:
                    linear = hand(index, linear)
                index += 1
                outputs = [own(linear)]
        if last is not None and last in wanted:
            outputs[0] = hand(last, outputs[0])
        for tensor in node.input_tensors:
            uses[id(tensor)] -= 1
            if uses[id(tensor)] == 0:
                values.pop(id(tensor), None)
        for symbolic, value in zip(node.outputs, outputs, strict=False):
            if uses.get(id(symbolic), 0):
                values[id(symbolic)] = value


def _depthwise(layer: keras.layers.SeparableConv2D, x: Any) -> Any:
    """The depthwise convolution a SeparableConv2D applies before its pointwise one."""
    return keras.ops.depthwise_conv(
        x,
        layer.depthwise_kernel,
        strides=layer.strides,
        padding=layer.padding,
        data_format=layer.data_format,
        dilation_rate=layer.dilation_rate,
    )


def _pointwise(layer: keras.layers.SeparableConv2D, x: Any) -> Any:
    """The rest of a SeparableConv2D after its depthwise half: the 1×1 convolution, bias and activation."""
    y = keras.ops.conv(x, layer.pointwise_kernel, strides=1, padding="valid", data_format=layer.data_format)
    if layer.use_bias:
        y = y + layer.bias if layer.data_format == "channels_last" else y + keras.ops.reshape(layer.bias, (-1, 1, 1))
    return layer.activation(y)


def padding(layer: keras.layers.Layer | None, record: LayerRecord) -> Padding | None:
    """The zero padding a layer applies to its input, for the record it stands behind (a separable
    convolution's pointwise half pads nothing): a ZeroPadding2D's, or a convolution's or max pool's 'valid' or
    'same'; None for any other layer."""
    if isinstance(layer, keras.layers.ZeroPadding2D):
        (top, bottom), (left, right) = layer.padding
        return (top, bottom, left, right)
    if not isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D,
                              keras.layers.MaxPooling2D)) or record.kernel is None:  # fmt: skip
        return None
    if layer.padding == "valid":
        return (0, 0, 0, 0)
    dilation = getattr(layer, "dilation_rate", (1, 1))
    return same_padding(record.input_shapes[0][:2], record.kernel, record.stride or (1, 1), dilation)


def set_padding(layer: keras.layers.Layer | None, pads: Padding) -> bool:
    """Make a padding layer pad by `pads`; False for a layer that is none."""
    if not isinstance(layer, keras.layers.ZeroPadding2D):
        return False
    top, bottom, left, right = pads
    layer.padding = ((top, bottom), (left, right))
    return True


#: The attributes a Keras local response normalisation layer holds its constants in, in `Normalisation`'s order
#: (ours, `implementations/keras/blocks.py`; its alpha is the paper's α).
def _normalises(layer: Any) -> bool:
    return (
        isinstance(layer, keras.layers.Layer)
        and kind_of(layer) == "lrn"
        and all(hasattr(layer, name) for name in NORMALISATION)
    )


def normalisation(layer: keras.layers.Layer | None) -> Normalisation | None:
    """The constants of a layer of the kind lrn (declared, or `paperverify_kind = "lrn"`) that holds them as
    `size`, `alpha` (the paper's α), `beta` and `k`; None for any other layer."""
    if not _normalises(layer):
        return None
    return constants_of(layer, "lrn")  # type: ignore[return-value]


def set_normalisation(layer: keras.layers.Layer | None, constants: Normalisation) -> bool:
    """Give such a layer the constants (n, α, β, k); False for another layer."""
    if not _normalises(layer):
        return False
    for name, value in zip(NORMALISATION, constants, strict=True):
        setattr(layer, name, value)
    return True
