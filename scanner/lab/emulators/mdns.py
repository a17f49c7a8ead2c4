"""Lab mDNS responder: publishes a host's services with python-zeroconf (no avahi, no D-Bus)."""

from __future__ import annotations

import json
import signal
import socket
import sys
import threading

from zeroconf import ServiceInfo, Zeroconf


def main() -> None:
    spec = json.loads(open(sys.argv[1]).read())
    zc = Zeroconf(interfaces=[spec["ip"]])
    server = spec["hostname"] + ".local."
    for s in spec["services"]:
        stype = s["type"] + ".local."
        zc.register_service(ServiceInfo(
            stype, f"{s['name']}.{stype}", addresses=[socket.inet_aton(spec["ip"])],
            port=int(s["port"]), properties=s.get("txt", {}), server=server,
        ))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    zc.close()


if __name__ == "__main__":
    main()
