"""The fleet server: many practices' scans on one PostgreSQL server, a web console for the IT
service provider's staff. Needs the optional extra ``praxisscan[fleet]``; the practice box
itself only pushes (scanner/fleet/push.py, stdlib only)."""

from scanner.errors import PraxisscanError


class FleetError(PraxisscanError):
    """The fleet database or server could not do what was asked."""
