"""paperverify: hold deep-learning implementations to the numbers their papers printed."""

__version__ = "0.1.0"

from paperverify.check import assert_matches, verify
from paperverify.equivalence import equivalence  # the function; the module stays importable by its full name

__all__ = ["__version__", "assert_matches", "equivalence", "verify"]
