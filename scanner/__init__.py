"""praxisscan: network exposure scanner for German medical practices."""

__version__ = "0.1.0"
