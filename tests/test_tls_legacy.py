"""The TLS probe's legacy check (TLS 1.0 and 1.1 accepted?) against real servers on
127.0.0.1. Asking for a deprecated version is the point of the check: the scan must do it
without Python's DeprecationWarning escaping into the user's output (the module runs with
that warning as an error)."""

from __future__ import annotations

import socket
import ssl
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.probes import tls
from tests.receivers import make_certificate

pytestmark = pytest.mark.filterwarnings("error::DeprecationWarning")


def _serve(sock: socket.socket, ctx: ssl.SSLContext) -> None:
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        try:
            with ctx.wrap_socket(conn, server_side=True) as s:
                s.recv(1)
        except (OSError, ssl.SSLError):
            pass


@pytest.fixture(params=["legacy", "modern"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[int, str]]:
    cert, key = make_certificate(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if request.param == "legacy":  # an old device: every version from TLS 1.0 up
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # the server's, not the probe's
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            ctx.minimum_version = ssl.TLSVersion.TLSv1
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    threading.Thread(target=_serve, args=(sock, ctx), daemon=True).start()
    try:
        yield sock.getsockname()[1], request.param
    finally:
        sock.close()


def test_the_legacy_check_names_the_old_versions_a_server_accepts(server: tuple[int, str]) -> None:
    port, kind = server
    (obs,) = tls.tls("127.0.0.1", port).observations
    assert obs.get("version") == "TLSv1.3"
    expected = "TLSv1,TLSv1.1" if kind == "legacy" else "none"
    assert obs.get("legacy_versions") == expected
