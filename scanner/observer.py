"""Progress reporting: library code calls an observer, only the CLI decides how to show it."""

from __future__ import annotations

from typing import Protocol


class ScanObserver(Protocol):
    def stage_started(self, stage: str, total: int | None = None) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def host_found(self, ip: str) -> None: ...
    def note(self, message: str) -> None: ...
    def stage_finished(self, summary: str = "") -> None: ...


class NullObserver:
    def stage_started(self, stage: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def host_found(self, ip: str) -> None:
        pass

    def note(self, message: str) -> None:
        pass

    def stage_finished(self, summary: str = "") -> None:
        pass
