"""Lab FRITZ!Box TR-064 endpoint: device description, service descriptions, SOAP with digest auth.

No FRITZ!Box firmware runs on Linux. This serves what TR-064 clients (fritzconnection)
read from a real box: /tr64desc.xml (with systemVersion), one SCPD per service and SOAP
control answering the read-only actions praxisscan calls, behind HTTP digest
authentication as on a real box. Values come from the lab's practice.toml.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import secrets
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

REALM = "F!Box SOAP-Auth"
# service name -> (serviceType, {action: [(argument, state variable, dataType, direction)]})
SERVICES: dict[str, tuple[str, dict[str, list[tuple[str, str, str, str]]]]] = {
    "DeviceInfo1": ("urn:dslforum-org:service:DeviceInfo:1", {"GetInfo": [
        ("NewManufacturerName", "ManufacturerName", "string", "out"),
        ("NewModelName", "ModelName", "string", "out"),
        ("NewSoftwareVersion", "SoftwareVersion", "string", "out")]}),
    "X_AVM-DE_RemoteAccess1": ("urn:dslforum-org:service:X_AVM-DE_RemoteAccess:1", {"GetInfo": [
        ("NewEnabled", "Enabled", "boolean", "out"), ("NewPort", "Port", "ui2", "out"),
        ("NewUsername", "Username", "string", "out"),
        ("NewLetsEncryptEnabled", "LetsEncryptEnabled", "boolean", "out")]}),
    "X_AVM-DE_MyFritz1": ("urn:dslforum-org:service:X_AVM-DE_MyFritz:1", {"GetInfo": [
        ("NewEnabled", "Enabled", "boolean", "out"),
        ("NewDeviceRegistered", "DeviceRegistered", "boolean", "out"),
        ("NewDynDNSName", "DynDNSName", "string", "out"), ("NewPort", "Port", "ui2", "out")],
        # x_myfritzSCPD's share list (arguments and types: scanner/probes/tr064_myfritz.py)
        "GetNumberOfServices": [("NewNumberOfServices", "NumberOfServices", "ui4", "out")],
        "GetServiceByIndex": [("NewIndex", "ServiceIndex", "ui4", "in"), *(
            (f"New{a}", f"Service{a}", t, "out") for a, t in (
                ("Enabled", "boolean"), ("Name", "string"), ("Scheme", "string"),
                ("Port", "ui4"), ("URLPath", "string"), ("Type", "string"),
                ("IPv4ForwardingWarning", "ui1"), ("IPv4Addresses", "string"),
                ("IPv6Addresses", "string"), ("IPv6InterfaceIDs", "string"),
                ("MACAddress", "string"), ("HostName", "string"), ("DynDnsLabel", "string"),
                ("Status", "ui4")))]}),
    "X_AVM-DE_Storage1": ("urn:dslforum-org:service:X_AVM-DE_Storage:1", {"GetInfo": [
        ("NewFTPEnable", "FTPEnable", "boolean", "out"),
        ("NewFTPWANEnable", "FTPWANEnable", "boolean", "out"),
        ("NewSMBEnable", "SMBEnable", "boolean", "out")]}),
    "WANIPConnection1": ("urn:dslforum-org:service:WANIPConnection:1", {
        "GetPortMappingNumberOfEntries": [
            ("NewPortMappingNumberOfEntries", "PortMappingNumberOfEntries", "ui2", "out")],
        "GetGenericPortMappingEntry": [
            ("NewPortMappingIndex", "PortMappingIndex", "ui2", "in"),
            ("NewRemoteHost", "RemoteHost", "string", "out"),
            ("NewExternalPort", "ExternalPort", "ui2", "out"),
            ("NewProtocol", "PortMappingProtocol", "string", "out"),
            ("NewInternalPort", "InternalPort", "ui2", "out"),
            ("NewInternalClient", "InternalClient", "string", "out"),
            ("NewEnabled", "PortMappingEnabled", "boolean", "out"),
            ("NewPortMappingDescription", "PortMappingDescription", "string", "out"),
            ("NewLeaseDuration", "PortMappingLeaseDuration", "ui4", "out")]}),
}
WLAN_ACTIONS = {"GetInfo": [
    ("NewEnable", "Enable", "boolean", "out"), ("NewSSID", "SSID", "string", "out"),
    ("NewBSSID", "BSSID", "string", "out"), ("NewBeaconType", "BeaconType", "string", "out"),
    ("NewChannel", "Channel", "ui1", "out")],
    "X_AVM-DE_GetWPSInfo": [("NewX_AVM-DE_WPSMode", "X_AVM-DE_WPSMode", "string", "out"),
                            ("NewX_AVM-DE_WPSStatus", "X_AVM-DE_WPSStatus", "string", "out")]}


def tr64desc(cfg: dict) -> str:
    services = "".join(
        f"<service><serviceType>{st}</serviceType><serviceId>urn:x:serviceId:{name}</serviceId>"
        f"<controlURL>/upnp/control/{name}</controlURL><eventSubURL>/upnp/event/{name}</eventSubURL>"
        f"<SCPDURL>/{name}SCPD.xml</SCPDURL></service>" for name, (st, _) in all_services(cfg).items())
    major, minor, patch = cfg["firmware"].split(".")
    return ('<?xml version="1.0"?><root xmlns="urn:dslforum-org:device-1-0">'
            f"<specVersion><major>1</major><minor>0</minor></specVersion><systemVersion><HW>226</HW>"
            f"<Major>{major}</Major><Minor>{minor}</Minor><Patch>{patch}</Patch><Buildnumber>1</Buildnumber>"
            f"<Display>{cfg['firmware']}</Display></systemVersion><device>"
            "<deviceType>urn:dslforum-org:device:InternetGatewayDevice:1</deviceType>"
            f"<friendlyName>{escape(cfg['model'])}</friendlyName><manufacturer>AVM</manufacturer>"
            f"<modelName>{escape(cfg['model'])}</modelName><serviceList>{services}</serviceList>"
            "</device></root>")


def all_services(cfg: dict) -> dict[str, tuple[str, dict]]:
    out = dict(SERVICES)
    for i, _ in enumerate(cfg.get("wlans", []), 1):
        out[f"WLANConfiguration{i}"] = (f"urn:dslforum-org:service:WLANConfiguration:{i}", WLAN_ACTIONS)
    return out


def scpd(actions: dict) -> str:
    acts, variables = "", {}
    for action, args in actions.items():
        acts += f"<action><name>{action}</name><argumentList>" + "".join(
            f"<argument><name>{a}</name><direction>{d}</direction>"
            f"<relatedStateVariable>{v}</relatedStateVariable></argument>" for a, v, t, d in args
        ) + "</argumentList></action>"
        variables.update({v: t for _, v, t, _ in args})
    states = "".join(f'<stateVariable sendEvents="no"><name>{v}</name><dataType>{t}</dataType>'
                     "</stateVariable>" for v, t in variables.items())
    return ('<?xml version="1.0"?><scpd xmlns="urn:dslforum-org:service-1-0"><specVersion>'
            "<major>1</major><minor>0</minor></specVersion>"
            f"<actionList>{acts}</actionList><serviceStateTable>{states}</serviceStateTable></scpd>")


def answer(cfg: dict, name: str, action: str, body: str) -> dict[str, object] | None:
    b = lambda v: "1" if v else "0"  # noqa: E731
    if name == "DeviceInfo1":
        return {"NewManufacturerName": "AVM", "NewModelName": cfg["model"],
                "NewSoftwareVersion": cfg["firmware"]}
    if name == "X_AVM-DE_RemoteAccess1":
        return {"NewEnabled": b(cfg["remote_access"]), "NewPort": cfg["remote_port"],
                "NewUsername": cfg["user"], "NewLetsEncryptEnabled": "0"}
    if name == "X_AVM-DE_MyFritz1" and action != "GetInfo":
        return _myfritz_service(cfg, action, body)
    if name == "X_AVM-DE_MyFritz1":
        return {"NewEnabled": b(cfg["myfritz"]), "NewDeviceRegistered": b(cfg["myfritz"]),
                "NewDynDNSName": cfg.get("dyndns", ""), "NewPort": cfg["remote_port"]}
    if name == "X_AVM-DE_Storage1":
        return {"NewFTPEnable": "1", "NewFTPWANEnable": b(cfg["ftp_wan"]), "NewSMBEnable": "1"}
    if name == "WANIPConnection1":
        shares = cfg.get("port_shares", [])
        if action == "GetPortMappingNumberOfEntries":
            return {"NewPortMappingNumberOfEntries": len(shares)}
        m = re.search(r"<NewPortMappingIndex>(\d+)</NewPortMappingIndex>", body)
        i = int(m.group(1)) if m else -1
        if not 0 <= i < len(shares):
            return None  # 713 SpecifiedArrayIndexInvalid
        s = shares[i]
        return {"NewRemoteHost": "", "NewExternalPort": s["external_port"], "NewProtocol": "TCP",
                "NewInternalPort": s["internal_port"], "NewInternalClient": s["internal_client"],
                "NewEnabled": "1", "NewPortMappingDescription": s["description"],
                "NewLeaseDuration": 0}
    if name.startswith("WLANConfiguration"):
        w = cfg["wlans"][int(name.removeprefix("WLANConfiguration")) - 1]
        if action == "X_AVM-DE_GetWPSInfo":  # AVM wlanconfigSCPD (gofritz model, FRITZ!OS 7.57)
            return {"NewX_AVM-DE_WPSMode": "pbc", "NewX_AVM-DE_WPSStatus": w.get("wps", "off")}
        return {"NewEnable": "1", "NewSSID": w["ssid"], "NewBSSID": w["bssid"],
                "NewBeaconType": w["beacon_type"], "NewChannel": w.get("channel", 6)}
    return None


def _myfritz_service(cfg: dict, action: str, body: str) -> dict[str, object] | None:
    """The MyFRITZ! shares, as the lab's recipe resolved them (scanner/lab/daemons.py):
    each a dict of GetServiceByIndex's out arguments without the "New" prefix."""
    shares = cfg.get("myfritz_shares", [])
    if action == "GetNumberOfServices":
        return {"NewNumberOfServices": cfg.get("myfritz_count", len(shares))}
    m = re.search(r"<NewIndex>(\d+)</NewIndex>", body)
    i = int(m.group(1)) if m else -1
    if not 0 <= i < len(shares):
        return None  # 713 SpecifiedArrayIndexInvalid
    defaults = {"Enabled": "1", "Name": "", "Scheme": "https://", "Port": 443, "URLPath": "",
                "Type": "", "IPv4ForwardingWarning": 0, "IPv4Addresses": "", "IPv6Addresses": "",
                "IPv6InterfaceIDs": "", "MACAddress": "", "HostName": "", "DynDnsLabel": "",
                "Status": 200}
    return {f"New{k}": v for k, v in {**defaults, **shares[i]}.items()}


def make_handler(cfg: dict):  # noqa: ANN201
    nonces: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        server_version = f"{cfg['model']} UPnP/1.0 AVM {cfg['model']} {cfg['firmware']}"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, code: int, body: str, ctype: str = "text/xml", extra: dict | None = None) -> None:
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", f'{ctype}; charset="utf-8"')
            self.send_header("Content-Length", str(len(data)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            services = all_services(cfg)
            if self.path == "/tr64desc.xml":
                return self._send(200, tr64desc(cfg))
            m = re.fullmatch(r"/(.+)SCPD\.xml", self.path)
            if m and m.group(1) in services:
                return self._send(200, scpd(services[m.group(1)][1]))
            self._send(404, "<html>404</html>", "text/html")

        def do_POST(self) -> None:  # noqa: N802
            length = min(int(self.headers.get("Content-Length", "0")), 65536)
            body = self.rfile.read(length).decode(errors="replace")
            if not self._authorized():
                nonce = secrets.token_hex(8)
                nonces.add(nonce)
                # As the box does: an HTML page with the 401 (clients key on it).
                return self._send(401, "<HTML><HEAD><TITLE>401 Unauthorized (ERR_NONE)</TITLE>"
                                  "</HEAD><BODY><H1>401 Unauthorized</H1>Authentication required"
                                  "</BODY></HTML>", "text/html", extra={"WWW-Authenticate":
                                  f'Digest realm="{REALM}", nonce="{nonce}", algorithm=MD5, qop="auth"'})
            name = self.path.rsplit("/", 1)[-1]
            action = self.headers.get("SOAPAction", "").strip('"').rsplit("#", 1)[-1]
            services = all_services(cfg)
            result = answer(cfg, name, action, body) if name in services else None
            if result is None:
                fault = ("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"
                         "<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring>"
                         "<detail><UPnPError xmlns=\"urn:dslforum-org:control-1-0\"><errorCode>713"
                         "</errorCode><errorDescription>SpecifiedArrayIndexInvalid</errorDescription>"
                         "</UPnPError></detail></s:Fault></s:Body></s:Envelope>")
                return self._send(500, fault)
            st = services[name][0]
            args = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in result.items())
            self._send(200, '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/'
                       'soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">'
                       f'<s:Body><u:{action}Response xmlns:u="{st}">{args}</u:{action}Response>'
                       "</s:Body></s:Envelope>")

        def _authorized(self) -> bool:
            h = self.headers.get("Authorization", "")
            if not h.startswith("Digest "):
                return False
            f = dict(re.findall(r'(\w+)="?([^",]+)"?', h[7:]))
            if f.get("username") != cfg["user"] or f.get("nonce") not in nonces:
                return False
            md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731,S324 - digest auth is MD5
            ha1 = md5(f"{cfg['user']}:{REALM}:{cfg['password']}")
            ha2 = md5(f"POST:{f.get('uri', '')}")
            expected = md5(f"{ha1}:{f['nonce']}:{f.get('nc', '')}:{f.get('cnonce', '')}:{f.get('qop', '')}:{ha2}")
            return secrets.compare_digest(expected, f.get("response", ""))

    return Handler


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", required=True)
    ap.add_argument("--port", type=int, default=49000)
    ap.add_argument("--config", required=True, help="JSON with the box's settings")
    a = ap.parse_args()
    cfg = json.loads(open(a.config).read())
    ThreadingHTTPServer((a.bind, a.port), make_handler(cfg)).serve_forever()


if __name__ == "__main__":
    main()
