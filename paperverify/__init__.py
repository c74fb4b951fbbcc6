"""paperverify: hold deep-learning implementations to the numbers their papers printed."""

__version__ = "0.1.0"
