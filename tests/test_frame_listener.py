"""FrameListener.stop() wakes its thread itself: it does not wait for a poll to come round.

The listener listens on the loopback interface (AF_PACKET, receive only: nothing is sent).
To show that stop() does not depend on a poll timeout, every select() in the listener's
module is made to wait without one: a loop that only notices stop() at its next poll
would then never end, and its thread would still be there after stop().
"""

from __future__ import annotations

import os
import select
import threading

import pytest

from scanner.discovery import sniff
from tests.conftest import unavailable


@pytest.fixture
def no_poll_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    real = select.select

    def without_timeout(r: list, w: list, x: list, timeout: float | None = None) -> tuple:
        return real(r, w, x)

    class Select:  # the module's view of ``select``: only select() changed
        select = staticmethod(without_timeout)

    monkeypatch.setattr(sniff, "select", Select)


def test_stop_ends_the_listening_thread_without_waiting_for_a_poll(no_poll_timeout: None) -> None:
    if os.geteuid() != 0:
        unavailable("AF_PACKET needs root")
    frames: list[bytes] = []
    listener = sniff.FrameListener("lo", "udp port 9", frames.append, "test-listener")
    assert listener.start() is None
    thread = next(t for t in threading.enumerate() if t.name == "test-listener")
    assert thread.is_alive()

    listener.stop()

    assert not thread.is_alive()
    assert "test-listener" not in [t.name for t in threading.enumerate()]
    listener.stop()  # a second stop is harmless
