"""Hostile UPnP gateways and FRITZ!Boxes on loopback: what the network names is contacted only
inside the scope, and malformed port mappings become notes, never observations.

The scope in these tests is 127.0.0.1; "outside" is 127.0.0.2, where a spy server counts
every connection: if the guard failed, nothing would leave the machine, and the spy would
tell. The same on the wire, with 10.78.0.9 and 8.8.8.8, is tests/lab/test_upnp_scope_wire.py.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from scanner.model import NotTested
from scanner.probes import upnp_igd, web
from scanner.probes.base import RateWindow
from scanner.protocols import upnp
from scanner.scope import ScopeGuard
from tests.fake_upnp import WAN_IP, FakeGateway

LOOP = ScopeGuard((ipaddress.IPv4Network("127.0.0.1/32"),))
GOOD = {"NewRemoteHost": "", "NewExternalPort": "8443", "NewProtocol": "TCP",
        "NewInternalPort": "443", "NewInternalClient": "192.168.178.20", "NewEnabled": "1",
        "NewPortMappingDescription": "NAS", "NewLeaseDuration": "0"}


def bad(**fields: str | None) -> dict[str, str]:
    m = dict(GOOD)
    for k, v in fields.items():
        if v is None:
            del m[k]
        else:
            m[k] = v
    return m


HOSTILE = [bad(NewInternalPort="3389abc"), bad(NewExternalPort="-1"),
           bad(NewExternalPort="99999"), bad(NewEnabled="maybe"),
           bad(NewInternalClient="pvs.praxis.local"), bad(NewInternalPort="9" * 5000),
           bad(NewInternalPort=None), bad(NewProtocol="ICMP"), bad(NewExternalPort="３３８９"),
           bad(NewExternalPort="0"), bad(NewInternalClient="192.168.178.300")]


@pytest.mark.parametrize("fields", HOSTILE)
def test_a_malformed_mapping_is_a_note_never_an_observation(fields: dict[str, str]) -> None:
    obs, note = upnp_igd.mapping_observation("upnp-mapping", 3, fields)
    assert obs is None
    assert note and note.startswith("port mapping 3 not evaluated: ") and len(note) < 200


def test_a_valid_mapping_is_canonical() -> None:
    obs, note = upnp_igd.mapping_observation("upnp-mapping", 0, bad(
        NewProtocol="tcp", NewExternalPort=" 08443 ", NewEnabled="true",
        NewPortMappingDescription="NAS\x1b[2J\x07", NewLeaseDuration="99999999999"))
    assert note is None and obs is not None
    assert dict(obs.data) == {"index": "0", "protocol": "TCP", "external_port": "8443",
                              "internal_client": "192.168.178.20", "internal_port": "443",
                              "enabled": "yes", "description": "NAS"}


def test_typed_fields_as_fritzconnection_gives_them() -> None:
    obs, _ = upnp_igd.mapping_observation("tr064-port-share", 1, {
        **GOOD, "NewExternalPort": 3389, "NewInternalPort": 3389, "NewEnabled": True})
    assert obs and (obs.get("external_port"), obs.get("enabled")) == ("3389", "yes")
    assert upnp_igd.mapping_observation("x", 1, {**GOOD, "NewExternalPort": True})[0] is None
    assert upnp_igd.mapping_observation("x", 1, {**GOOD, "NewExternalPort": -5})[0] is None


def describe(gw: FakeGateway) -> web.UpnpResult:
    url = upnp.http_url(f"http://127.0.0.1:{gw.port}/desc.xml")
    assert url is not None
    return web.upnp_description(url, RateWindow(10_000), LOOP)


def test_control_and_scpd_urls_outside_the_scope_are_not_contacted() -> None:
    with _spy_server() as (outside, hits):
        cfg = {"ip": "127.0.0.1", "mappings": [GOOD, *HOSTILE[:4]], "services": [
            ["urn:schemas-upnp-org:service:WANPPPConnection:1", f"http://127.0.0.2:{outside}/ctl",
             f"//127.0.0.2:{outside}/scpd.xml"],
            [WAN_IP, "http://127.0.0.1:1@127.0.0.2/ctl", "/scpd.xml"],
            [WAN_IP, "http://gateway.invalid/ctl", "/scpd.xml"],
            [WAN_IP, "/ctl", "/scpd.xml"]]}
        with FakeGateway(cfg) as gw:
            result = describe(gw)
    assert hits == []  # not one connection to 127.0.0.2
    notes = "\n".join(result.notes)
    assert f"control URL outside the scope: not contacted (http://127.0.0.2:{outside}/ctl: " \
           "127.0.0.2 is outside the scanned networks)" in notes
    assert "SCPD URL outside the scope: not contacted" in notes
    assert "not contacted (http://127.0.0.1:1@127.0.0.2/ctl: not an http URL)" in notes
    assert "'gateway.invalid' is not an IPv4 address (host names are not resolved)" in notes
    # the in-scope service was audited: one good mapping, four malformed ones as notes
    mappings = [o for o in result.observations if o.kind == "upnp-mapping"]
    assert [(m.get("external_port"), m.get("internal_port")) for m in mappings] == [("8443", "443")]
    assert sum("not evaluated" in n for n in result.notes) == 4
    assert ("port mapping 1 not evaluated: NewInternalPort '3389abc' is not a port (1-65535)"
            in notes)
    assert "POST /ctl" in gw.hits


def test_a_description_naming_another_scanned_host_stays_on_its_own_host() -> None:
    guard = ScopeGuard((ipaddress.IPv4Network("127.0.0.0/30"),))
    with _spy_server() as (outside, hits):
        cfg = {"ip": "127.0.0.1", "url_base": f"http://127.0.0.2:{outside}/",
               "services": [[WAN_IP, "ctl", "scpd.xml"]]}
        with FakeGateway(cfg) as gw:
            url = upnp.http_url(f"http://127.0.0.1:{gw.port}/desc.xml")
            result = web.upnp_description(url, RateWindow(10_000), guard)
    assert hits == []
    assert any("on 127.0.0.2, not on the description's host 127.0.0.1" in n for n in result.notes)


def test_the_description_is_not_fetched_outside_the_scope() -> None:
    with _spy_server() as (outside, hits):
        url = upnp.http_url(f"http://127.0.0.2:{outside}/desc.xml")
        result = web.upnp_description(url, RateWindow(10_000), LOOP)
    assert hits == [] and result.observations == ()
    assert result.notes == (f"location outside the scope: not contacted ({url})",)


def test_a_redirect_is_not_followed() -> None:
    with _spy_server() as (outside, hits):
        with FakeGateway({"ip": "127.0.0.1",
                          "redirect": f"http://127.0.0.2:{outside}/desc.xml"}) as gw:
            result = describe(gw)
    assert hits == [] and result.observations == ()


@contextmanager
def _spy_server() -> Iterator[tuple[int, list[str]]]:
    """A real HTTP server on 127.0.0.2 that records every request it gets."""
    with FakeGateway({"ip": "127.0.0.2"}) as g:
        yield g.port, g.hits


@pytest.mark.parametrize("text, expected", [
    ("http://10.77.0.2:5000/desc.xml", ("10.77.0.2", 5000, "/desc.xml")),
    ("HTTP://10.77.0.2/a?b=c#frag", ("10.77.0.2", 80, "/a?b=c")),
    ("http://router.local:80/x", ("router.local", 80, "/x")),
    ("https://10.77.0.2/", None), ("http://10.77.0.2:99999/", None), ("http://10.77.0.2:0/", None),
    ("http://a@10.77.0.2/", None), ("http://10.77.0.2/a b", None),
    ("http://10.77.0.2/\r\nX: y", None),
    ("ftp://10.77.0.2/", None), ("", None), ("http:///x", None), ("x" * 2000, None),
])
def test_http_urls_from_the_network(text: str, expected: tuple | None) -> None:
    url = upnp.http_url(text)
    assert (None if url is None else (url.host, url.port, url.path)) == expected


def test_relative_urls_resolve_against_the_description() -> None:
    base = upnp.http_url("http://10.77.0.2:5000/dev/desc.xml")
    assert str(upnp.http_url("/ctl", base)) == "http://10.77.0.2:5000/ctl"
    assert str(upnp.http_url("ctl/ip", base)) == "http://10.77.0.2:5000/dev/ctl/ip"
    assert upnp.http_url("//8.8.8.8/x", base).host == "8.8.8.8"  # the guard decides


# -- the pipeline's UPnP step -----------------------------------------------------------------


def _upnp_step(locations: dict[str, str], drafts: tuple[str, ...]) -> tuple[list[NotTested], list]:
    from scanner import pipeline
    from scanner.policy import load_policy

    st = pipeline._State()
    for ip in drafts:
        st.draft(ip)
    calls: list = []
    listener = SimpleNamespace(locations=locations)
    real = web.upnp_description
    def record(url, window, guard, announced_by=None):  # noqa: ANN001, ANN202
        calls.append((str(url), announced_by))
        return web.UpnpResult()

    web.upnp_description = record
    try:
        pipeline._upnp(st, [listener], load_policy(),
                       ScopeGuard((ipaddress.IPv4Network("10.77.0.0/24"),)))
    finally:
        web.upnp_description = real
    return st.not_tested, calls


def test_announced_locations_pass_the_scope_guard() -> None:
    gaps, calls = _upnp_step({
        "http://10.77.0.2:5000/desc.xml": "10.77.0.2",
        "http://10.78.0.9:5000/desc.xml": "10.77.0.2",
        "http://8.8.8.8:80/desc.xml": "10.77.0.2",
        "http://10.77.0.3:5000/desc.xml": "10.77.0.2",  # a scanned host, another than the announcer
        "http://10.77.0.9:5000/desc.xml": "10.77.0.2",  # in the scope, but not found by the scan
        "http://fritz.box:49000/desc.xml": "10.77.0.2",
        "http://8.8.4.4/desc.xml": "10.99.0.1",  # an announcer outside the scan: ignored
    }, ("10.77.0.2", "10.77.0.3"))
    assert calls == [("http://10.77.0.2:5000/desc.xml", None),
                     ("http://10.77.0.3:5000/desc.xml", "10.77.0.2")]
    reasons = [g.reason for g in gaps]
    assert reasons == [
        "announced location outside the scope: not contacted (http://10.78.0.9:5000/desc.xml: "
        "10.78.0.9 is outside the scanned networks)",
        "announced location outside the scope: not contacted (http://8.8.8.8:80/desc.xml: "
        "8.8.8.8 is outside the scanned networks)",
        "announced location on a host this scan did not find: not contacted "
        "(http://10.77.0.9:5000/desc.xml: 10.77.0.9)",
        "announced location outside the scope: not contacted (http://fritz.box:49000/desc.xml: "
        "'fritz.box' is not an IPv4 address (host names are not resolved))"]
    assert {g.check for g in gaps} == {"upnp"} and {g.host for g in gaps} == {"ip:10.77.0.2"}


def test_a_flood_of_locations_is_bounded_and_counted() -> None:
    locations = {f"http://8.8.{i // 256}.{i % 256}/d.xml": "10.77.0.2" for i in range(500)}
    locations.update({f"http://10.77.0.2:{5000 + i}/d.xml": "10.77.0.2" for i in range(40)})
    gaps, calls = _upnp_step(locations, ("10.77.0.2",))
    assert len(calls) == 16 and len(gaps) == 17
    assert gaps[-1].reason == "484 more announced locations outside the scope: not contacted"


# -- TR-064: fritzconnection's requests stay on the box ----------------------------------------


@contextmanager
def fritzbox(cfg: dict, scpd_url: str | None = None, redirect: str | None = None
             ) -> Iterator[int]:
    """The lab's TR-064 emulator on 127.0.0.1, optionally with one hostile SCPDURL or a
    redirect of the storage service's SCPD."""
    from http.server import ThreadingHTTPServer

    from scanner.lab.emulators import tr064 as emulator

    base = emulator.make_handler(cfg)

    class Hostile(base):  # type: ignore[misc, valid-type]
        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/tr64desc.xml" and scpd_url:
                body = emulator.tr64desc(cfg).replace("/X_AVM-DE_Storage1SCPD.xml", scpd_url)
                return self._send(200, body)
            if self.path == "/X_AVM-DE_Storage1SCPD.xml" and redirect:
                return self._send(302, "", extra={"Location": redirect})
            return super().do_GET()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _box(**overrides: object) -> dict:
    from scanner.lab.topology import load_practice

    return {**load_practice().router.tr064, "wlans": [], **overrides}


def _audit(cfg: dict, port: int):  # noqa: ANN202
    from scanner.probes import tr064

    return tr064.audit("127.0.0.1", cfg["user"], cfg["password"], RateWindow(10_000), port)


@pytest.mark.parametrize("how", ["scpd-url", "redirect"])
def test_tr064_urls_off_the_box_are_not_contacted(how: str) -> None:
    cfg = _box()
    with _spy_server() as (outside, hits):
        hostile = {"scpd_url": f"@127.0.0.2:{outside}/x"} if how == "scpd-url" else {
            "redirect": f"http://127.0.0.2:{outside}/X_AVM-DE_Storage1SCPD.xml"}
        with fritzbox(cfg, **hostile) as port:
            obs, wlans, unreadable = _audit(cfg, port)
    assert hits == []
    assert obs == [] and wlans == []
    (note,) = unreadable
    assert note.startswith("TR-064 URL not on the FRITZ!Box 127.0.0.1: not contacted ")


def test_tr064_malformed_port_shares_are_notes() -> None:
    shares = [{"external_port": 3389, "internal_client": "pvs.praxis.local", "internal_port": 3389,
               "description": "name, not address"},
              {"external_port": 8443, "internal_client": "192.168.178.20", "internal_port": 443,
               "description": "NAS"}]
    cfg = _box(port_shares=shares)
    with fritzbox(cfg) as port:
        obs, _, unreadable = _audit(cfg, port)
    (share,) = [o for o in obs if o.kind == "tr064-port-share"]
    assert (share.get("external_port"), share.get("internal_port")) == ("8443", "443")
    assert unreadable == ["WANIPConnection1 port mapping 0 not evaluated: NewInternalClient "
                          "'pvs.praxis.local' is not an IPv4 address"]
