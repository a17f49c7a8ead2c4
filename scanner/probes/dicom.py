"""DICOM verification (C-ECHO) with pynetdicom: the only DICOM message we ever send."""

from __future__ import annotations

import logging

from scanner.model import Protocol, Service
from scanner.probes.base import ProbeResult, observation

CALLING_AE = "PRAXISSCAN"
CALLED_AE = "ANY-SCP"


def c_echo(ip: str, port: int) -> ProbeResult:
    from pynetdicom import AE
    from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]  # made at import

    logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)
    ae = AE(ae_title=CALLING_AE)
    ae.add_requested_context(Verification)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 3
    ae.connection_timeout = 2
    assoc = ae.associate(ip, port, ae_title=CALLED_AE)
    try:
        if assoc.is_established:
            status = assoc.send_c_echo()
            result = "success" if status and status.Status == 0 else "failed"
            acceptor = assoc.acceptor
            obs = observation("dicom", port=port, association="accepted", echo=result,
                              implementation_uid=acceptor.implementation_class_uid,
                              implementation_version=acceptor.implementation_version_name)
        elif assoc.is_rejected:
            obs = observation("dicom", port=port, association="rejected")
        else:
            return ProbeResult()
    finally:
        if assoc.is_established:
            assoc.release()
        ae.shutdown()
    return ProbeResult((obs,), Service(port, Protocol.TCP, "dicom", "DICOM"))
