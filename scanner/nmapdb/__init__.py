"""nmap's service database (``nmap-service-probes``) as a broad base for classification.

Only responses our own probes already collected are matched; this package sends nothing.
Importing it reads nothing: the file is parsed on the first :func:`default` call and each
probe's lines are compiled on the first response for that probe.

    db = nmapdb.default()
    if isinstance(db, nmapdb.Unavailable):
        not_tested.append(db.not_tested())
    else:
        hit = db.match_response("NULL", greeting)        # FTP, SSH, Telnet, SMTP ...
        hit = db.match_response("GetRequest", response)  # the raw answer to GET /
"""

from __future__ import annotations

import threading
from functools import cache

from scanner.nmapdb.database import (CHECK, MAX_RESPONSE, NmapMatch, ServiceDatabase, Unavailable,
                                     candidate_paths, load)
from scanner.nmapdb.roles import role_for_device_type

__all__ = ["CHECK", "MAX_RESPONSE", "NmapMatch", "ServiceDatabase", "Unavailable",
           "candidate_paths", "default", "load", "match_response", "role_for_device_type"]


_lock = threading.Lock()


def default() -> ServiceDatabase | Unavailable:
    """The installed nmap's database, loaded once per process."""
    with _lock:  # probes run in threads: one parses the file, the others wait for it
        return _loaded()


@cache
def _loaded() -> ServiceDatabase | Unavailable:
    return load()


def match_response(probe: str, response: bytes) -> NmapMatch | None:
    """The installed database's answer; None also when the database is unavailable
    (ask :func:`default` to tell the two apart and report "not tested")."""
    db = default()
    if isinstance(db, Unavailable):
        return None
    return db.match_response(probe, response)
