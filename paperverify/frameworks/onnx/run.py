"""ONNX side of the equivalence check: weights read from the graph's initializers in the canonical layout, the
model run by onnxruntime on the CPU with every record's output tensor among its outputs.

An ONNX model is always the user's side (ours are built in a framework that builds): nothing is written into it.
A run that is handed a replacement for a record's output (the dependency probe perturbs one) runs the graph again
with that tensor fed as an input in place of the node that computed it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Collection
from typing import Any, NoReturn

import numpy as np
import onnx
from onnx import helper, numpy_helper

from paperverify.frameworks.onnx.probe import Layer, attribute, evaluate, image_input, probe_graph
from paperverify.frameworks.onnx.probe import layout as graph_layout
from paperverify.probes.numeric import Layout, Normalisation, Padding, Sink, Weights, flatten_rows
from paperverify.trace import LayerRecord, Trace

#: Probes and sessions kept for the last few models (an equivalence check runs one model several times), each with
#: its model, which keeps the model's id from being reused while the entry stands.
_KEPT = 4
_graphs: OrderedDict[tuple[int, int, int], tuple[onnx.ModelProto, Trace, list[Layer]]] = OrderedDict()
_sessions: OrderedDict[tuple[int, tuple[str, ...], tuple[str, ...]], tuple[onnx.ModelProto, Any]] = OrderedDict()


def _keep(cache: OrderedDict, key: Any, make: Callable[[], Any]) -> Any:
    if key not in cache:
        cache[key] = make()
        while len(cache) > _KEPT:
            cache.popitem(last=False)
    cache.move_to_end(key)
    return cache[key]


def _graph(model: onnx.ModelProto, size: int, channels: int) -> tuple[Trace, list[Layer]]:
    _, trace, layers = _keep(_graphs, (id(model), size, channels), lambda: (model, *probe_graph(model, size, channels)))
    return trace, layers


def has_weights(model: onnx.ModelProto) -> bool:
    """Whether the graph holds its initializers' values (an export without parameters has them as inputs)."""
    return bool(model.graph.initializer) and all(
        tensor.raw_data or tensor.float_data or tensor.double_data or tensor.int32_data or tensor.int64_data
        for tensor in model.graph.initializer
    )


def layers(model: onnx.ModelProto, trace: Trace) -> list[Layer]:
    """The graph's `Layer` behind each record of the model's trace."""
    return _graph(model, trace.input_shape[0], trace.input_shape[-1])[1]


def _value(layer: Layer, name: str | None) -> np.ndarray | None:
    """A constant tensor's value, as float32: see `_constant`."""
    value = _constant(layer, name)
    return None if value is None else np.array(value, dtype=np.float32)  # writable: a framework copies from it


def _constant(layer: Layer, name: str | None) -> np.ndarray | None:
    """A constant tensor's value: one the probe folded, an initializer, or what the constant nodes producing it
    compute (an exporter's Identity of a shared initializer, a Transpose of a weight)."""
    if not name:
        return None
    if name in layer.constants and np.size(layer.constants[name]):
        return layer.constants[name]
    for tensor in layer.model.graph.initializer:
        if tensor.name == name:
            return numpy_helper.to_array(tensor)
    node = next((n for n in layer.model.graph.node if name in n.output), None)
    if node is None:
        raise ValueError(f"no initializer or constant node gives {name!r}")
    inputs = {n: _constant(layer, n) for n in node.input if n}
    return evaluate(layer.model, [node], inputs)[name]  # type: ignore[arg-type]


def layout(layer: Layer) -> Layout:
    node = layer.node
    if node.op_type in ("BatchNormalization", "LayerNormalization"):
        epsilon = float(attribute(node, "epsilon", 1e-5))
        return Layout(bias=len(node.input) > 2 and bool(node.input[2]), epsilon=epsilon)
    return Layout(bias=layer.bias is not None or (len(node.input) > 2 and bool(node.input[2])))


def read(layer: Layer, flattened: tuple[int, int, int] | None) -> Weights:
    """A Conv's, Gemm's, MatMul's, BatchNormalization's or LayerNormalization's weights, canonical."""
    node = layer.node
    inputs = [*node.input, "", "", "", ""]
    if node.op_type == "Conv":
        kernel = _value(layer, inputs[1]).transpose(2, 3, 1, 0)  # type: ignore[union-attr]  # OIHW -> HWIO
        return Weights(kernel=kernel, bias=_value(layer, inputs[2] or layer.bias))
    if node.op_type in ("Gemm", "MatMul"):
        weight = _value(layer, inputs[1])
        kernel = weight.T if node.op_type == "Gemm" and attribute(node, "transB", 0) else weight  # type: ignore[union-attr]
        bias = inputs[2] if node.op_type == "Gemm" and inputs[2] else layer.bias
        return Weights(kernel=flatten_rows(kernel, flattened), bias=_value(layer, bias))  # type: ignore[arg-type]
    if node.op_type == "BatchNormalization":
        return Weights(
            gamma=_value(layer, inputs[1]),
            beta=_value(layer, inputs[2]),
            mean=_value(layer, inputs[3]),
            var=_value(layer, inputs[4]),
            epsilon=float(attribute(node, "epsilon", 1e-5)),
        )
    if node.op_type == "LayerNormalization":
        return Weights(gamma=_value(layer, inputs[1]), beta=_value(layer, inputs[2]))
    raise TypeError(f"no weight layout for the ONNX {node.op_type} node {node.name!r}")


def _session(model: onnx.ModelProto, fed: tuple[str, ...], outputs: tuple[str, ...]) -> Any:
    """An onnxruntime session computing `outputs` from the image and the tensors `fed` (the rest of the graph)."""
    import onnxruntime

    def make() -> tuple[onnx.ModelProto, Any]:
        tapped = onnx.ModelProto()
        tapped.CopyFrom(model)
        if fed:  # the nodes computing a fed tensor give way to an input of that name
            kept = [node for node in tapped.graph.node if not set(node.output) & set(fed)]
            del tapped.graph.node[:]
            tapped.graph.node.extend(kept)
            tapped.graph.input.extend(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None) for name in fed)
        # any batch: the dependency probe runs many samples at once (a graph that fixes its batch then runs them
        # one by one, see _outputs)
        entry = image_input(model).name
        for value in tapped.graph.input:
            if value.name == entry:
                value.type.tensor_type.shape.dim[0].dim_param = "batch"
        del tapped.graph.value_info[:]
        for value in tapped.graph.output:
            value.type.tensor_type.ClearField("shape")
        present = {value.name for value in tapped.graph.output}
        tapped.graph.output.extend(helper.make_empty_tensor_value_info(name) for name in outputs if name not in present)
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        return model, onnxruntime.InferenceSession(
            tapped.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )

    return _keep(_sessions, (id(model), fed, outputs), make)[1]


def run(model: onnx.ModelProto, image: np.ndarray, wanted: Collection[int], sink: Sink) -> None:
    """Run `model` on `image` (N, H, W, C) with onnxruntime and hand the output of every wanted record to `sink`
    in trace order (NHWC); an array the sink returns replaces that output for the rest of the run."""
    channels_first = graph_layout(model, image.shape[-1]) == "NCHW"
    found = _graph(model, image.shape[1], image.shape[-1])[1]
    order = sorted(set(wanted))
    names = tuple(dict.fromkeys(found[index].output for index in order))
    entry = image_input(model).name
    feeds: dict[str, np.ndarray] = {entry: image.transpose(0, 3, 1, 2) if channels_first else image}
    values = _outputs(_session(model, (), names), feeds, names)
    for position, index in enumerate(order):
        output, first = values[found[index].output], found[index].channels_first
        replacement = sink(index, output.transpose(0, 2, 3, 1) if first and output.ndim == 4 else output)
        if replacement is None:
            continue
        native = replacement.transpose(0, 3, 1, 2) if first and replacement.ndim == 4 else replacement
        feeds[found[index].output] = native.astype(np.float32)
        rest = tuple(dict.fromkeys(found[i].output for i in order[position + 1 :]) - feeds.keys())
        if rest:
            fed = tuple(name for name in feeds if name != entry)
            values.update(_outputs(_session(model, fed, rest), feeds, rest))


def _outputs(session: Any, feeds: dict[str, np.ndarray], names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """`names` computed by `session`: the whole batch at once, or sample by sample where the graph will not take
    it (a reshape to a batch of one written into it)."""
    accepted = {value.name for value in session.get_inputs()}
    given = {name: value for name, value in feeds.items() if name in accepted}
    batch = next(iter(given.values())).shape[0]
    try:
        return dict(zip(names, session.run(list(names), given), strict=True))
    except Exception:
        if batch == 1:
            raise
    parts = [session.run(list(names), {n: v[i : i + 1] for n, v in given.items()}) for i in range(batch)]
    return {name: np.concatenate([part[k] for part in parts]) for k, name in enumerate(names)}


def padding(layer: Layer | None, record: LayerRecord) -> Padding | None:
    """The zero padding a node applies to its input: a constant Pad's (of zeros), a Conv's or a MaxPool's own
    (`pads`, or 'same' worked out as onnxruntime does); None for another node."""
    if layer is None:
        return None
    node = layer.node
    if node.op_type == "Pad":
        if attribute(node, "mode", b"constant") not in (b"constant", "constant"):
            return None
        value = _value(layer, node.input[2]) if len(node.input) > 2 and node.input[2] else None
        if value is not None and np.any(value != 0):
            return None
        pads = [int(p) for p in np.ravel(_constant(layer, node.input[1]))]  # type: ignore[arg-type]
        if len(pads) != 8:
            return None
        rows, columns = (2, 3) if layer.channels_first else (1, 2)
        return (pads[rows], pads[4 + rows], pads[columns], pads[4 + columns])
    if node.op_type in ("Conv", "MaxPool", "AveragePool"):
        automatic = attribute(node, "auto_pad", b"NOTSET")
        automatic = automatic.decode() if isinstance(automatic, bytes) else automatic
        if automatic in ("SAME_UPPER", "SAME_LOWER"):
            side, out = record.input_shapes[0][:2], record.output_shape[:2]
            kernel, stride = record.kernel or (1, 1), record.stride or (1, 1)
            totals = [max((o - 1) * s + k - i, 0) for o, s, k, i in zip(out, stride, kernel, side, strict=True)]
            first = [t // 2 if automatic == "SAME_UPPER" else t - t // 2 for t in totals]
            return (first[0], totals[0] - first[0], first[1], totals[1] - first[1])
        pads = list(attribute(node, "pads", [0, 0, 0, 0]))
        return (pads[0], pads[2], pads[1], pads[3])
    return None


def normalisation(layer: Layer | None) -> Normalisation | None:
    """A local response normalisation's constants, as the probe read them (`Layer.normalisation`)."""
    if layer is None:
        return None
    return layer.normalisation


def _ours_only(*args: Any) -> NoReturn:
    raise TypeError("an ONNX model is never one of ours: nothing is built, materialised or written in ONNX")


build_reference = materialise = write = _ours_only


def set_padding(layer: Layer | None, pads: Padding) -> bool:
    return False


def set_normalisation(layer: Layer | None, constants: Normalisation) -> bool:
    return False
