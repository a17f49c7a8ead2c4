"""Errors the CLI turns into one actionable line and exit code 2 (no traceback)."""

from __future__ import annotations


class PraxisscanError(Exception):
    """Base of every error the user can act on. ``str(e)`` is the message to print."""


class UsageError(PraxisscanError):
    """Bad input on the command line."""


class TargetError(UsageError):
    """A target that is malformed or outside what the scope guard allows."""


class InterfaceError(UsageError):
    """An interface that does not exist or has no IPv4 address."""


class PrivilegeError(PraxisscanError):
    """The operation needs root (raw sockets, network namespaces)."""


class ToolMissingError(PraxisscanError):
    """A required external program (nmap, ip, a lab daemon) is not installed."""


class ScanRuntimeError(PraxisscanError):
    """A scan stage failed in a way that makes its result unusable."""


class ScanFileError(PraxisscanError):
    """A stored scan could not be read."""


class OutputError(PraxisscanError):
    """A report or file could not be written where the operator asked."""


class HistoryError(PraxisscanError):
    """The scan history database is damaged, locked or unreadable."""


class LabError(PraxisscanError):
    """The lab practice could not be built, queried or removed."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (kill, timeout, a service manager): handled like Ctrl-C, so a scan stops its
    nmap processes and writes what it learned."""
