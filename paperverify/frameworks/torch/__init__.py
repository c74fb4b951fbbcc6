"""PyTorch: `adapter.ADAPTER` (probe: `probe.py`, equivalence: `run.py`). Importing this imports nothing heavy."""

PACKAGE = "torch"
#: The class its models are instances of, as a user writes it.
MODEL = "torch.nn.Module"
SAVED_SUFFIXES: tuple[str, ...] = ()
