"""How many hypothesis examples the properties run, per profile (HYPOTHESIS_PROFILE; `dev` by default, `ci` in
tox, `thorough` on demand): one place for the budget, loaded by conftest.py.

A property's default is its profile's `max_examples`: examples that cost milliseconds (a PyTorch model on the
meta device, a printed number, a table round-trip, a counting formula). Properties whose examples build Keras
models (about a second each) or probe PyTorch models at several sizes take the smaller counts here, per variant.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
#: Examples of a cheap property, per profile.
CHEAP = {"ci": 50, "dev": 20, "thorough": 300}
#: Examples per variant of a property that builds Keras models.
KERAS = {"ci": 2, "dev": 2, "thorough": 20}
#: Examples per variant of a property that probes PyTorch models at several sizes (tenths of a second each).
TORCH = {"ci": 6, "dev": 4, "thorough": 50}

for _name, _count in CHEAP.items():
    settings.register_profile(_name, max_examples=_count, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def load() -> None:
    """Load the profile HYPOTHESIS_PROFILE names (conftest.py, before any test runs)."""
    settings.load_profile(PROFILE)


#: Decorators for the properties that cost more than milliseconds per example.
keras_examples = settings(parent=settings.get_profile(PROFILE), max_examples=KERAS.get(PROFILE, KERAS["dev"]))
torch_examples = settings(parent=settings.get_profile(PROFILE), max_examples=TORCH.get(PROFILE, TORCH["dev"]))
