"""Device classification: all evidence of a host against all fingerprint rules.

Each attribute (role, vendor, product, model, os, os_version) is taken from the matching
rule with the highest confidence; ties go to the rule that states more attributes (the
more specific), then to rule-file order. Every match is kept as a reason, and matches
whose answer lost stay visible as alternatives, so a report can explain the verdict.

nmap's service database (``nmap-service`` observations, scanner/probes/nmap_match.py) is
the broad base under our rules: its verdicts become reasons named
``nmap-service-probes:<line>`` with confidences below our rules that read a device's own
words (see :func:`nmap_reasons`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

from scanner.errors import UsageError
from scanner.classification.fingerprints import ATTRIBUTES, RuleFile, fingerprint_dir, load_rules
from scanner.classification.makers import maker_reasons
from scanner.model import Classification, Host, Observation, Reason, Role

Evidence = tuple[str, "str | frozenset[int]"]

# Model families that makers use across many models ("LaserJet", "imageRUNNER", "Catalyst",
# "DGS-1210") appear in whatever a device says about itself: their rules
# (fingerprints/model_families.toml) are read in each of these fields.
DEVICE_TEXT = "device_text"
# (Not mDNS models: Apple's identifiers and board ids, which mdns_model.toml reads whole.)
MODEL_FIELDS = frozenset({
    "http_title", "http_server", "http_auth", "snmp_sysdescr", "telnet_banner", "ftp_banner",
    "ssh_banner", "tls_subject", "dhcp_vendor_class", "ssdp_server", "upnp_device",
    "smtp_banner", "pop3_banner", "tr064_model", "mdns_cast_model"})


def evidence(host: Host) -> Iterator[Evidence]:
    """The host's facts as (field, value) pairs, the fields the rule files are keyed by."""
    if host.mac_vendor:
        yield "mac_vendor", host.mac_vendor
    if host.mac_randomized:
        yield "mac_randomized", "yes"
    for name in host.hostnames:
        yield "hostname", name
    tcp = frozenset(s.port for s in host.services if s.protocol.value == "tcp")
    if tcp:
        yield "ports", tcp
    for o in host.observations:
        g = o.get
        k = o.kind
        if k == "dhcp":
            if g("vendor_class"):
                yield "dhcp_vendor_class", g("vendor_class") or ""
            if g("param_list"):
                yield "dhcp_params", g("param_list") or ""
        elif k == "mdns-service":
            if g("type"):
                yield "mdns_service", g("type") or ""
            # _device-info's and _airplay's model=, _raop's am=: the same model identifiers
            for key in ("txt.model", "txt.am"):
                if g(key):
                    yield "mdns_model", g(key) or ""
            printer = _bonjour_printer(g("txt.ty"), g("txt.product"), g("txt.usb_mfg"),
                                       g("txt.usb_mdl"))
            if printer:
                yield "mdns_printer", printer
            if g("txt.md"):  # Google Cast's model name ("Chromecast", "BRAVIA 4K VH2")
                yield "mdns_cast_model", g("txt.md") or ""
        elif k == "ssdp" and g("server"):
            yield "ssdp_server", g("server") or ""
        elif k == "upnp-device":
            yield "upnp_device", f"{g('manufacturer', '')} | {g('model_name', '')} | {g('device_type', '')}"
        elif k == "http":
            if g("title"):
                yield "http_title", g("title") or ""
            if g("server"):
                yield "http_server", g("server") or ""
            if g("auth"):
                yield "http_auth", g("auth") or ""
        elif k == "tls" and g("subject"):
            yield "tls_subject", g("subject") or ""
        elif k == "banner" and g("text"):
            yield f"{g('protocol')}_banner", g("text") or ""
            if g("lines"):  # the greeting with its line breaks, as the rules quote it
                yield f"{g('protocol')}_banner", g("lines") or ""
        elif k in ("smtp", "pop3") and g("greeting"):
            yield f"{k}_banner", g("greeting") or ""
        elif k == "snmp":
            if g("sys_descr"):
                yield "snmp_sysdescr", g("sys_descr") or ""
            if g("sys_object_id"):
                yield "snmp_sysobjectid", (g("sys_object_id") or "").lstrip(".")
        elif k == "connector-sds":
            yield "connector_sds", f"{g('vendor_id', '')}/{g('product_code', '')}/{g('product_name', '')}"
        elif k == "sicct" and g("name"):
            yield "sicct_name", g("name") or ""
        elif k == "sicct-client":
            yield "sicct_client", "yes"
        elif k == "tr064-device" and g("model"):
            yield "tr064_model", g("model") or ""
        elif k == "smb" and g("os_version"):
            yield "smb_os", g("os_version") or ""
        elif k == "dicom" and g("association"):
            yield "dicom", f"{g('association')} {g('implementation_version', '')}".strip()


def _bonjour_printer(ty: str | None, product: str | None, mfg: str | None,
                     mdl: str | None) -> str | None:
    """A printer's make and model from its Bonjour TXT: ty= where it has one, else the
    PostScript product name (``product=(HP LaserJet 4100 Series)``), else the IEEE 1284
    maker and model (``usb_MFG=``, ``usb_MDL=``; scanner/protocols/mdns.py lowercases the
    keys). Bonjour Printing 1.2.1 describes all three; a record without ty= is still named."""
    if ty:
        return ty
    if product and product.strip("() "):
        return product.strip("() ")
    if mfg and mdl:
        return mdl if mdl.lower().startswith(mfg.lower()) else f"{mfg} {mdl}"
    return None


# What devices pad their strings with: a sysDescr ending in CR LF or NUL, a model or vendor
# class with a trailing blank, a greeting after an empty line.
_PADDING = " \t\r\n\x00"


def _padding_stripped(pairs: Iterator[Evidence]) -> Iterator[Evidence]:
    """Each value as given, then, where it is padded, without the padding: the rules are
    written from the bare strings, and some (a greeting's leading empty lines) from the
    padded ones."""
    for field, value in pairs:
        yield field, value
        if isinstance(value, str):
            bare = value.strip(_PADDING)
            if bare and bare != value:
                yield field, bare


def classify(host: Host, rules: tuple[RuleFile, ...] | None = None) -> Host:
    by_field = _index(rules if rules is not None else load_rules())
    reasons: list[Reason] = []
    seen: set[tuple[str, str]] = set()
    texts: list[tuple[str, str]] = []
    for field, value in _padding_stripped(evidence(host)):
        if isinstance(value, str):
            texts.append((field, value))
        files = by_field.get(field, [])
        if field in MODEL_FIELDS:
            files = files + by_field.get(DEVICE_TEXT, [])
        for f in files:
            hit = f.first_match(value)
            if hit is None:
                continue
            rule, attrs = hit
            shown = ",".join(map(str, sorted(value))) if isinstance(value, frozenset) else value
            if (rule.id, shown) in seen:
                continue
            seen.add((rule.id, shown))
            reasons.append(Reason(rule.id, field, shown[:200], tuple(sorted(attrs.items())),
                                  rule.confidence))
    reasons.extend(nmap_reasons(host.observations))
    reasons.extend(enterprise_reasons(host.observations))
    reasons.extend(maker_reasons(texts))
    if not reasons:
        return host
    attr_dicts = [dict(r.attributes) for r in reasons]
    chosen: dict[str, tuple[str, Reason]] = {}
    for attr in ATTRIBUTES:
        best = max(((r, a) for r, a in zip(reasons, attr_dicts, strict=True) if a.get(attr)),
                   key=lambda ra: (ra[0].confidence, len(ra[1])), default=None)
        if best:
            chosen[attr] = (best[1][attr], best[0])
    alternatives = tuple(r for r, a in zip(reasons, attr_dicts, strict=True)
                         if any(a.get(k) and k in chosen and a[k] != chosen[k][0] for k in a))
    role = Role(chosen["role"][0]) if "role" in chosen else Role.UNKNOWN
    os_name = " ".join(x for x in (_val(chosen, "os"), _val(chosen, "os_version")) if x) or None
    return dataclasses.replace(
        host,
        role=role,
        vendor=_val(chosen, "vendor"),
        product=_val(chosen, "product") or _val(chosen, "model"),
        os=os_name,
        classification=Classification(
            confidence=chosen["role"][1].confidence if "role" in chosen else 0.0,
            model=_val(chosen, "model"),
            reasons=tuple(reasons),
            alternatives=alternatives,
        ),
    )


# nmap's verdicts rank below our own rules that read what a device says about itself (0.6
# and above: banners, titles, SNMP, mDNS, SMB, SICCT, connector.sds) and above port sets and
# most MAC-vendor guesses. Its OS field is often a guess from the software (vsftpd says
# "Unix"), so it ranks lower still.
NMAP_CONFIDENCE = 0.48
NMAP_OS_CONFIDENCE = 0.3
NMAP_FIELD = "nmap_service"
# A device type decides a role only when the line names the device (the observation's
# ``names_device``, see scanner/probes/nmap_match.py): "GoAhead WebServer d/WAP/" or
# "Cisco telnetd d/switch/" name software or a brand found on many kinds of device.

# What nmap appends to a device's name to say which of its services answered.
_SERVICE_SUFFIX = re.compile(
    r"(?:\s+(?:(?:broadband |ADSL |DSL |label )?printer|router|switch|WAP|firewall|NAS|camera|"
    r"webcam|modem|copier|MFP|phone|VoIP phone|UPS|PDU))?"
    r"\s+(?:https? config|https? admin|https?d?|http interface|web interface|web server|"
    r"http server|ftpd|telnetd|sshd|smbd|pop3d|snmpd|ippd|rtspd|upnpd|admin httpd|config httpd)$",
    re.IGNORECASE)


def nmap_reasons(observations: tuple[Observation, ...]) -> list[Reason]:
    """nmap's verdicts as reasons. A softmatch names only the service: no reason here."""
    out: list[Reason] = []
    seen: set[str] = set()
    for o in observations:
        if o.kind != "nmap-service" or o.get("soft") != "no" or not o.get("line"):
            continue
        rule = f"nmap-service-probes:{o.get('line')}"
        g = lambda k: o.get(k) or ""  # noqa: E731, B023 (called in this iteration only)
        shown = " ".join(x for x in (g("service"), g("product"), g("version"), g("info")) if x)
        if rule in seen:
            continue
        seen.add(rule)
        cpes = g("cpes").split()
        hardware = [c for c in cpes if c.startswith("cpe:/h:")]
        attrs: dict[str, str] = {}
        named = g("names_device")
        if g("device_type") and named in ("product", "hardware"):
            role = _nmap_role(g("device_type"))
            if role:
                attrs["role"] = role
            vendor = _vendor(hardware[0] if hardware else "", g("product"))
            if vendor:
                attrs["vendor"] = vendor
            # "hardware": the product is the software that answered, not the device's name
            model = _model(g("product"), vendor) if named == "product" else ""
            if model:
                attrs["model"] = f"{model} {g('version')}".strip()
        if attrs:
            out.append(Reason(rule, NMAP_FIELD, shown[:200], tuple(sorted(attrs.items())),
                              NMAP_CONFIDENCE))
        if g("os") and g("os") != "Unix":
            out.append(Reason(rule, NMAP_FIELD, shown[:200], (("os", g("os")),),
                              NMAP_OS_CONFIDENCE))
    return out


# A registered enterprise number names the maker of the SNMP agent: below a device's own
# words (sysDescr 0.8-0.9), above MAC-vendor guesses; it never decides a role.
ENTERPRISE_CONFIDENCE = 0.65


def enterprise_reasons(observations: tuple[Observation, ...]) -> list[Reason]:
    """The maker of each sysObjectID's enterprise number (IANA registry), where our
    vocabulary knows the organisation. A missing registry gives no reason here; the
    pipeline reports it as not tested."""
    from scanner.classification import enterprises

    oids = {(o.get("sys_object_id") or "").strip().lstrip(".") for o in observations
            if o.kind == "snmp" and o.get("sys_object_id")}
    if not oids:
        return []
    registry = enterprises.default()
    if isinstance(registry, enterprises.Unavailable):
        return []
    out = []
    for oid in sorted(oids):
        hit = registry.maker(oid[:200])
        if hit is None:
            continue
        number, name, maker = hit
        if maker:
            out.append(Reason(f"iana-pen:{number}", "snmp_sysobjectid", f"{oid[:120]} ({name})",
                              (("vendor", maker),), ENTERPRISE_CONFIDENCE))
    return out


def _nmap_role(device_type: str) -> str | None:
    if not device_type:
        return None
    from scanner.nmapdb.roles import role_for_device_type  # a table read, not the database

    role = role_for_device_type(device_type)
    return role.value if role else None


def _vendor(cpe: str, product: str) -> str:
    """The maker from ``cpe:/h:<vendor>:...`` or, without a hardware CPE, from the product's
    first word, spelt as our vocabulary spells it ("hp" -> "HP", "dlink" -> "D-Link"). A name
    the vocabulary does not hold names no maker: nmap's CPE vendors include product lines
    (``cpe:/h:speedport:...``), which are no makers."""
    parts = cpe.split(":")
    first = product.split()[0] if product.split() else ""
    name = parts[2].replace("_", " ") if len(parts) > 2 else first
    wanted = _letters(name)
    if not wanted:
        return ""
    for known in _vocabulary():
        if _letters(known) == wanted:
            return known
    return ""


def _letters(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _model(product: str, vendor: str) -> str:
    model = _SERVICE_SUFFIX.sub("", product).strip()
    if vendor and model.lower().startswith(vendor.lower() + " "):
        model = model[len(vendor) + 1:].strip()
    return model


_VOCABULARY: list[str] = []


def _vocabulary() -> list[str]:
    if not _VOCABULARY:
        try:
            text = (fingerprint_dir() / "vendors.txt").read_text(encoding="utf-8")
        except OSError:
            text = ""
        _VOCABULARY.extend(line.strip() for line in text.splitlines()
                           if line.strip() and not line.startswith("#"))
    return _VOCABULARY


_INDEX: dict[int, tuple[tuple[RuleFile, ...], dict[str, list[RuleFile]]]] = {}


def _index(rules: tuple[RuleFile, ...]) -> dict[str, list[RuleFile]]:
    """Rule files by field, built once per rule set (the set is kept alive with it)."""
    hit = _INDEX.get(id(rules))
    if hit is None or hit[0] is not rules:
        by_field: dict[str, list[RuleFile]] = {}
        for f in rules:
            by_field.setdefault(f.field, []).append(f)
        _INDEX[id(rules)] = hit = (rules, by_field)
    return hit[1]


def _val(chosen: dict[str, tuple[str, Reason]], attr: str) -> str | None:
    return chosen[attr][0] if attr in chosen else None


def parse_port_list(value: str) -> frozenset[int]:
    """'22, 80,4742' -> {22, 80, 4742}; anything but ASCII port numbers is a UsageError."""
    ports = set()
    for word in value.replace(" ", "").split(","):
        if not word:
            continue
        if not re.fullmatch(r"[0-9]{1,5}", word, re.ASCII) or int(word) > 65535:
            raise UsageError(f"ports wants port numbers 0-65535 separated by commas, "
                             f"not {word[:20]!r}")
        ports.add(int(word))
    return frozenset(ports)


def match_value(field: str, value: str) -> list[Reason]:
    """What the rules make of one observation (``praxisscan fingerprints match``)."""
    out = []
    parsed: str | frozenset[int] = value
    if field == "ports":
        parsed = parse_port_list(value)
    for f in load_rules():
        if f.field != field and not (f.field == DEVICE_TEXT and field in MODEL_FIELDS):
            continue
        hit = f.first_match(parsed)
        if hit:
            rule, attrs = hit
            out.append(Reason(rule.id, field, value[:200], tuple(sorted(attrs.items())),
                              rule.confidence))
    out.extend(maker_reasons([(field, value)]))
    return out
