"""PyTorch: `adapter.ADAPTER` (probe: `probe.py`, equivalence: `run.py`). Importing this imports nothing heavy."""

PACKAGE = "torch"
#: The class its models are instances of, as a user writes it.
MODEL = "torch.nn.Module"
SAVED_SUFFIXES: tuple[str, ...] = ()
#: Whether our implementations build at no cost in weights (on the meta device: no weight memory, no
#: initialisation): such a framework builds the references a trace is lined up with, whatever the model's is.
CHEAP_BUILDS = True
