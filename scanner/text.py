"""Make untrusted text from the network safe to show anywhere."""

from __future__ import annotations

import re

from scanner.model import Host, WlanNetwork, WlanSecurity

# CSI/OSC escape sequences first (7-bit ESC and the 8-bit C1 forms), then every other C0/C1
# control character and DEL.
_ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])"
                   r"|\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x1b\x9c]*(\x07|\x1b\\|\x9c)?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Bidirectional controls reorder what is shown ("gpj.exe" shows as "exe.jpg"): they are made
# visible as [U+202E], so that the reader sees the trick instead of falling for it. Line and
# paragraph separators become spaces.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_SEPARATORS = re.compile("[\u2028\u2029\x85]")
MAX_FIELD = 200


def show_bidi(text: str) -> str:
    return _BIDI.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def clean(value: object, limit: int = MAX_FIELD) -> str:
    """One line of printable text, at most ``limit`` characters (an ellipsis marks a cut)."""
    s = _CONTROL.sub("", _without_escapes(value)).replace("\n", " ").replace("\t", " ")
    return _cut(show_bidi(s), limit)


def with_line_breaks(value: object, limit: int = MAX_FIELD) -> str:
    """Like clean(), but CR, LF and tab stay: a greeting as the device wrote it, the form
    recog's and nmap's examples quote and the rules are written from ("...\\r\\n\\r\\nUsername:").
    For matching and the JSON only; whatever shows it to a person cleans it first."""
    return _cut(show_bidi(_CONTROL_BUT_LINES.sub("", _without_escapes(value))), limit)


def _without_escapes(value: object) -> str:
    s = "" if value is None else str(value)
    return _SEPARATORS.sub(" ", _ANSI.sub("", s))


def _cut(s: str, limit: int) -> str:
    return s if len(s) <= limit else s[: limit - 1] + "…"


def inert(text: str) -> str:
    """The last step before HTML: no control character, bidi controls shown (lines kept)."""
    return show_bidi(_CONTROL.sub("", _ANSI.sub("", text)))


def host_name(h: Host, limit: int = 60) -> str:
    """'Switch Flur (GS1900-24E)': the practice's name (site file) with the network's name
    beside it; without a site file's name the network's name; '' when there is neither."""
    network = h.hostnames[0] if h.hostnames else ""
    if not h.site_name:
        return clean(network, limit)
    if network and network.lower() != h.site_name.lower():
        return clean(f"{h.site_name} ({network})", limit)
    return clean(h.site_name, limit)


def device_line(vendor: str | None, product: str | None, os: str | None,
                version: str | None = None) -> str:
    """'Brother HL-L2350DW 1.10 (Linux)' from what classification found, '' when nothing."""
    name = " ".join(x for x in (vendor, product) if x)
    if product and vendor and product.lower().startswith(vendor.lower()):
        name = product
    if version and version.lower() not in name.lower():
        name = f"{name} {version}".strip()
    return clean(f"{name} ({os})" if name and os else name or os or "", 100)


# Where a device states its own maker, model and firmware (key names of the observations).
_OWN_WORDS = (("tr064-device", "manufacturer", "model", "firmware"),
              ("upnp-device", "manufacturer", "model_name", ""),
              ("connector-sds", "vendor_name", "product_name", "fw_version"))


def device_identity(h: Host) -> tuple[str | None, str | None, str | None]:
    """Maker, model and version of a host from every source: the classification first
    (rules, nmap's database, enterprise numbers), then the device's own descriptions
    (TR-064, UPnP, connector.sds) and nmap's product version where nmap's line names the
    device. Untrusted text: callers show it through :func:`clean` or the HTML escaper."""
    maker = h.vendor
    model = (h.classification.model if h.classification else None) or h.product
    version = None
    for kind, maker_key, model_key, version_key in _OWN_WORDS:
        for o in h.observations:
            if o.kind != kind:
                continue
            maker = maker or (o.get(maker_key) or None)
            model = model or (o.get(model_key) or None)
            version = version or ((o.get(version_key) or None) if version_key else None)
    if not version:
        for o in h.observations:
            if o.kind == "nmap-service" and o.get("names_device") == "product" and o.get("version") \
                    and o.get("soft") == "no":
                version = o.get("version")
                break
    return (clean(maker, 60) or None if maker else None, clean(model, 60) or None if model else None,
            clean(version, 40) or None if version else None)


def host_device_line(h: Host) -> str:
    """The inventory's device column: maker, model, version and operating system."""
    maker, model, version = device_identity(h)
    return device_line(maker, model, h.os, version)


def wlan_cells(w: WlanNetwork, L: dict[str, str]) -> dict[str, str]:
    """One WLAN as display strings, shared by the terminal and HTML reports."""
    name = clean(w.ssid, 64) if w.ssid else ""
    if w.hidden:
        name = f"{name} ({L['hidden']})" if name else f"({L['hidden']})"
    if w.ssid_hex:
        name += f" [hex {w.ssid_hex[:64]}]"
    if not w.wps_known:
        wps = L["unknown"]
    elif w.wps:
        wps = " ".join(x for x in (w.wps_version or "", L["wps_configured"] if w.wps_configured
                                   else "", L["wps_locked"] if w.wps_locked else "") if x) or L["yes"]
    else:
        wps = L["no"]
    where = " ".join(x for x in (str(w.channel) if w.channel else "", f"({w.band})" if w.band else "")
                     if x)
    return {"ssid": name, "bssid": clean(w.bssid), "vendor": clean(w.vendor or "", 40),
            "channel": where, "signal": f"{w.signal_dbm} dBm" if w.signal_dbm is not None else "",
            "security": clean(security_label(w), 120), "wps": wps}


def security_label(w: WlanNetwork) -> str:
    """'WPA2/WPA3 (PSK, SAE) CCMP PMF capable': one line for reports."""
    names = {WlanSecurity.OPEN: "open", WlanSecurity.OWE: "OWE", WlanSecurity.WEP: "WEP",
             WlanSecurity.WPA: "WPA", WlanSecurity.WPA2: "WPA2", WlanSecurity.WPA3: "WPA3"}
    parts = ["/".join(names[m] for m in (w.modes or (w.security,)))]
    if w.akms:
        parts.append("(" + ", ".join(w.akms) + ")")
    if w.ciphers and w.ciphers != ("WEP",):
        parts.append("+".join(w.ciphers))
    if w.pmf:
        parts.append(f"PMF {w.pmf}")
    return " ".join(parts)
