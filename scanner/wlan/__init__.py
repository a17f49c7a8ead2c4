"""WLAN audit: live (iw, nmcli) and offline (monitor-mode captures), into WlanNetwork."""

from scanner.errors import PraxisscanError


class ToolOutputError(PraxisscanError):
    """Text handed to the iw or nmcli reader is not that tool's output: the audit could not
    run, which is "not tested", never "no WLANs"."""
