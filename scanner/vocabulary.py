"""The words the command line offers before any scan: severities and report languages.

They live apart from ``scanner.model`` so that ``praxisscan --help`` builds its choices
without loading the scan model (and ``dataclasses`` with it). ``scanner.model`` re-exports
both; every other module keeps importing them from there.
"""

from __future__ import annotations

import enum


class Severity(str, enum.Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse; used for sorting and for ``--fail-on``."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Lang(enum.StrEnum):
    """The report languages."""

    DE = "de"
    EN = "en"
