"""ONNX side of the equivalence check: not yet (the `Framework` interface's equivalence operations)."""

from __future__ import annotations

from typing import Any, NoReturn

from paperverify.frameworks import EQUIVALENCE_OPERATIONS, FrameworkError


def _not_yet(*args: Any, **kwargs: Any) -> NoReturn:
    raise FrameworkError("the equivalence check does not run ONNX models yet; check the model without --equivalence")


for _operation in EQUIVALENCE_OPERATIONS:
    globals()[_operation] = _not_yet
