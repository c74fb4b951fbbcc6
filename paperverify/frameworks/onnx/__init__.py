"""ONNX: `adapter.ADAPTER` (probe: `probe.py`). Importing this imports nothing heavy.

ONNX models are read from `.onnx` files (an export from PyTorch, TensorFlow or JAX); paperverify builds none of
its implementations in ONNX, so a model is checked against the claims and compared with our implementation in a
framework that builds it. Needs the `onnx` extra (`pip install paperverify[onnx]`: onnx and onnxruntime).
"""

PACKAGE = "onnx"
#: The class its models are instances of, as a user writes it.
MODEL = "onnx.ModelProto"
SAVED_SUFFIXES: tuple[str, ...] = (".onnx",)
#: No Python callable builds an ONNX model: neither ours nor a user's (`paperverify.frameworks.BUILDING`).
BUILDS = False
#: Its models are inference graphs: an exporter leaves dropout out (`paperverify.frameworks.inference_only`).
INFERENCE_ONLY = True
