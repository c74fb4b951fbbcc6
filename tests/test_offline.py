"""The suite runs offline: the conftest guard blocks the network, so nothing can download weights or data."""

from __future__ import annotations

import os
import socket
import urllib.request

import pytest


@pytest.mark.skipif(os.environ.get("PAPERVERIFY_ALLOW_NETWORK") == "1", reason="the network guard is lifted")
@pytest.mark.parametrize(
    "reach",
    [
        lambda: urllib.request.urlopen("https://storage.googleapis.com/tensorflow/keras-applications/", timeout=1),
        lambda: socket.create_connection(("download.pytorch.org", 443), timeout=1),
        lambda: socket.socket().connect(("8.8.8.8", 53)),
    ],
    ids=["urlopen", "create_connection", "connect"],
)
def test_the_network_is_blocked(reach) -> None:
    with pytest.raises(Exception, match="paperverify runs offline"):
        reach()


def test_loopback_stays_open() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=1):
            pass
