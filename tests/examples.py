"""How many hypothesis examples the properties run, per profile (HYPOTHESIS_PROFILE; `dev` by default, `ci` in
tox, `thorough` on demand): one place for the budget, loaded by conftest.py.

A property's default is its profile's `max_examples`: examples that cost milliseconds (a PyTorch model on the
meta device, a printed number, a table round-trip, a counting formula). Properties whose examples build whole
networks in Keras or run them through the flop counter (about a second each), or probe PyTorch networks at
several sizes (tenths of a second), take the smaller counts here, per variant. In `ci` those do not shrink a
failing example: shrinking one that builds networks ran past five minutes, and `ci` draws its examples
derandomized, so the failing example it prints is the one every machine draws. The `ci` counts keep the test
phase of `tox` within five minutes on two cores; `thorough` is for exploring.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
#: Examples of a cheap property, per profile.
CHEAP = {"ci": 30, "dev": 20, "thorough": 300}
#: Examples per variant of a property that builds a whole network in Keras or runs it through the flop counter.
NETWORK = {"ci": 2, "dev": 2, "thorough": 20}
#: Examples per variant of a property that probes PyTorch networks at several sizes.
PROBE = {"ci": 4, "dev": 4, "thorough": 50}
#: Examples per kind of damage of a property that copies a paper folder and reads it afresh (10-20 ms each, for
#: each of the 76 kinds).
FOLDER = {"ci": 15, "dev": 10, "thorough": 300}

for _name, _count in CHEAP.items():
    settings.register_profile(
        _name,
        max_examples=_count,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        derandomize=_name == "ci",  # CI draws the same examples on every machine; dev and thorough explore
    )


def load() -> None:
    """Load the profile HYPOTHESIS_PROFILE names (conftest.py, before any test runs)."""
    settings.load_profile(PROFILE)


#: Phases of the costly properties: in `ci`, no shrinking (see the module docstring).
_COSTLY_PHASES = tuple(p for p in Phase if p is not Phase.shrink) if PROFILE == "ci" else tuple(Phase)

#: Decorators for the properties that cost more than milliseconds per example.
network_examples = settings(
    parent=settings.get_profile(PROFILE), max_examples=NETWORK.get(PROFILE, NETWORK["dev"]), phases=_COSTLY_PHASES
)
probe_examples = settings(
    parent=settings.get_profile(PROFILE), max_examples=PROBE.get(PROFILE, PROBE["dev"]), phases=_COSTLY_PHASES
)
folder_examples = settings(parent=settings.get_profile(PROFILE), max_examples=FOLDER.get(PROFILE, FOLDER["dev"]))
