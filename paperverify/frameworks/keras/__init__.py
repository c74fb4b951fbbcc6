"""Keras 3: `adapter.ADAPTER` (probe: `probe.py`, equivalence: `run.py`). Importing this imports nothing heavy."""

PACKAGE = "keras"
#: The class its models are instances of, as a user writes it.
MODEL = "keras.Model"
SAVED_SUFFIXES: tuple[str, ...] = (".keras", ".h5", ".hdf5")
#: Whether our implementations build at no cost in weights (no: every variable is allocated); see the PyTorch
#: subpackage's.
CHEAP_BUILDS = False
#: Environment variables that change what it builds: the backend Keras runs on.
SETTINGS: tuple[str, ...] = ("KERAS_BACKEND",)
#: Packages it runs on that its adapter does not import (their versions key the trace cache).
RUNS_ON: tuple[str, ...] = ("tensorflow",)
