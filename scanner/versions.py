"""Version strings as devices announce them, parsed and compared per vendor scheme.

Every parser takes the raw announcement (a banner, a TR-064 ``Display`` value, a Server
header) and returns a ``Version`` or None when the text is not a version of that scheme.
A version compares as a tuple of integers; a distribution's patch level (Debian's
``deb12u3``) is kept apart, because upstream numbers alone cannot say whether a
distribution backported a fix.

Schemes:
  fritzos   ``154.07.57`` (hardware id, major, minor), ``07.57``, ``7.57``; AVM writes the
            minor as two digits and says "FRITZ!OS 7.6" for 07.60, so a one-digit minor is
            tenths: 7.6 > 7.57. Labor builds ``07.39-94751`` keep their build number.
  dsm       ``DSM 7.2.1-69057 Update 5`` (as DSM shows it) or ``7.2.1-69057-5`` (as
            Synology's advisories and CVE records write it): major.minor[.micro]-build-update.
  qts       ``5.1.0.2444 build 20230629``: four numbers, then the build date.
  windows   ``10.0.19045.5011`` (with the update revision) or ``10.0 build 19045`` (NTLMSSP,
            no revision); a bound with a revision cannot be judged without one.
  openssh   ``SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3``, ``OpenSSH_9.7p1``, nmap's
            ``9.2p1 Debian 2+deb12u3``: 9.2p1 is (9, 2, 1); a missing portable level is 0.
  dotted    ``4.17.12``, ``8.5``, ``Samba 4.6.2``: the first dotted number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Version:
    numbers: tuple[int, ...]
    distro: str = ""  # "debian", "ubuntu", ... when the announcement names a distribution
    patch: str = ""  # the distribution's package revision, e.g. "2+deb12u3"
    text: str = ""  # what was parsed, for evidence

    def __str__(self) -> str:
        return self.text or ".".join(map(str, self.numbers))


_FRITZOS = re.compile(r"(?:^|[^\d])(?:(\d{2,3})\.)?(\d{1,2})\.(\d{1,2})(?:-(\d+))?(?![\d.])")
_DSM = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?-(\d+)(?:\s+Update\s+(\d+)|-(\d+))?", re.IGNORECASE)
_QTS = re.compile(r"(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\s+build\s+(\d{8}))?", re.IGNORECASE)
_WIN_DOTTED = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:\.(\d+))?")
_WIN_NTLM = re.compile(r"(\d+)\.(\d+) build (\d+)")
_OPENSSH = re.compile(r"OpenSSH_(\d+)\.(\d+)(?:\.(\d+))?(?:p(\d+))?(?:[ _-]+(\S.*))?$|"
                      r"^(\d+)\.(\d+)(?:\.(\d+))?(?:p(\d+))?(?:\s+(\S.*))?$")
_DOTTED = re.compile(r"(\d+(?:\.\d+)+)")
_DISTROS = (("ubuntu", "ubuntu"), ("debian", "debian"), ("raspbian", "raspbian"),
            ("deb", "debian"), ("freebsd", "freebsd"), ("el", "redhat"))


def fritzos(text: str) -> Version | None:
    m = _FRITZOS.search(text.strip())
    if not m:
        return None
    major, minor = int(m.group(2)), m.group(3)
    minor_n = int(minor) * 10 if len(minor) == 1 else int(minor)
    return Version((major, minor_n, int(m.group(4) or 0)), text=f"{major}.{minor_n:02d}"
                   + (f"-{m.group(4)}" if m.group(4) else ""))


def dsm(text: str) -> Version | None:
    m = _DSM.search(text)
    if not m:
        return None
    n = (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0), int(m.group(4)),
         int(m.group(5) or m.group(6) or 0))
    return Version(n, text=m.group(0))


def qts(text: str) -> Version | None:
    m = _QTS.search(text)
    if not m:
        return None
    n = tuple(int(g) for g in m.groups()[:4]) + (int(m.group(5) or 0),)
    return Version(n, text=m.group(0))


def windows(text: str) -> Version | None:
    """(major, minor, build[, revision]); a build of 0 is Samba's answer, not Windows."""
    m = _WIN_NTLM.search(text) or _WIN_DOTTED.search(text)
    if not m:
        return None
    n = tuple(int(g) for g in m.groups() if g is not None)
    if n[2] == 0:
        return None
    return Version(n, text=m.group(0))


def openssh(text: str) -> Version | None:
    m = _OPENSSH.search(text.strip())
    if not m:
        return None
    g = m.groups()
    major, minor, micro, portable, rest = g[0:5] if g[0] is not None else g[5:10]
    numbers = (int(major), int(minor), int(micro or 0), int(portable or 0))
    distro, patch = _distro(rest or "")
    label = f"{major}.{minor}" + (f".{micro}" if micro else "") + (f"p{portable}" if portable else "")
    return Version(numbers, distro, patch, label + (f" {rest.strip()}" if rest else ""))


def dotted(text: str) -> Version | None:
    """A distribution suffix (``4.17.12-Debian``, ``4.15.13-Ubuntu``) is kept as the distro."""
    m = _DOTTED.search(text)
    if not m:
        return None
    rest = text[m.end():].lstrip("-+~ ")
    distro = next((d for p, d in _DISTROS if p != "el" and rest.lower().startswith(p)), "")
    return Version(tuple(int(x) for x in m.group(1).split(".")), distro, rest if distro else "",
                   text.strip())


def _distro(rest: str) -> tuple[str, str]:
    """``Debian-2+deb12u3`` -> ("debian", "2+deb12u3"); ``Ubuntu-3ubuntu13.3`` -> ubuntu."""
    word = rest.strip().split()[0] if rest.strip() else ""
    name, _, patch = word.partition("-")
    if not patch and len(rest.split()) > 1:  # nmap: "Debian 2+deb12u3"
        patch = rest.split()[1]
    low = name.lower()
    for prefix, distro in _DISTROS:
        if low.startswith(prefix) and prefix != "el":
            return distro, patch
    if rest.strip():
        return "other", rest.strip()
    return "", ""


SCHEMES: dict[str, Callable[[str], Version | None]] = {
    "fritzos": fritzos, "dsm": dsm, "qts": qts, "windows": windows, "openssh": openssh,
    "dotted": dotted,
}


def parse(scheme: str, text: str) -> Version | None:
    if scheme not in SCHEMES:
        raise KeyError(f"unknown version scheme {scheme!r}")
    try:
        return SCHEMES[scheme](text or "")
    except (ValueError, IndexError):
        return None


def compare(a: Version, b: Version) -> int | None:
    """-1, 0, 1; None when ``b`` is more precise than ``a`` says (a Windows bound with an
    update revision against a build without one) and the answer depends on what is missing."""
    n = min(len(a.numbers), len(b.numbers))
    if a.numbers[:n] != b.numbers[:n]:
        return -1 if a.numbers[:n] < b.numbers[:n] else 1
    if len(a.numbers) < len(b.numbers) and any(b.numbers[n:]):
        return None
    if len(a.numbers) > len(b.numbers) and any(a.numbers[n:]):
        return 1
    return 0


def debian_revision_at_least(patch: str, fixed: str) -> bool | None:
    """Debian stable revisions ``2+deb12u3`` against ``2+deb12u3``: the same base revision
    and release, then the update counter. None when the two are not of one release line."""
    a, b = _deb_rev(patch), _deb_rev(fixed)
    if a is None or b is None or a[:2] != b[:2]:
        return None
    return a[2] >= b[2]


def _deb_rev(text: str) -> tuple[str, int, int] | None:
    m = re.fullmatch(r"(\S+?)\+deb(\d+)u(\d+)", text.strip())
    return (m.group(1), int(m.group(2)), int(m.group(3))) if m else None
