"""One generic test over all fingerprint rule files, and the rule loader's errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.classification.fingerprints import (ATTRIBUTES, RuleError, check_examples, fingerprint_dir,
                                  load_file, load_rules)

VOCABULARY = {line.strip() for line in (fingerprint_dir() / "vendors.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")}
RULE_FILES = sorted(fingerprint_dir().glob("*.toml"))


def test_every_rule_file_loads_and_every_example_holds() -> None:
    files = load_rules()
    assert {f.field for f in files} >= {
        "mac_vendor", "hostname", "dhcp_vendor_class", "mdns_service", "mdns_model",
        "ssdp_server", "upnp_device", "http_title", "http_server", "tls_subject",
        "ssh_banner", "ftp_banner", "telnet_banner", "smtp_banner", "snmp_sysdescr",
        "connector_sds", "sicct_name", "ports"}
    assert check_examples(files) == []


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_vendors_come_from_the_vocabulary(path: Path) -> None:
    for rule in load_file(path).rules:
        vendor = dict(rule.constants).get("vendor")
        assert vendor is None or vendor in VOCABULARY, f"{rule.source}: vendor {vendor!r}"
        # A captured vendor would bypass the vocabulary (its spelling comes from the wire).
        assert not rule.pattern or "vendor" not in rule.pattern.groupindex, rule.source


def _write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "x.toml"
    p.write_text('field = "hostname"\n' + body)
    return p


@pytest.mark.parametrize("body, message", [
    ('[[rule]]\nid = "a"\npattern = "("\nconfidence = 0.5\nexample = [{ value = "x" }]\n',
     "bad pattern"),
    ('[[rule]]\nid = "a"\npattern = "(?P<colour>x)"\nconfidence = 0.5\nexample = [{ value = "x" }]\n',
     "named groups must be attributes"),
    ('[[rule]]\nid = "a"\npattern = "x"\nconfidence = 0.5\n', "at least one example"),
    ('[[rule]]\nid = "a"\npattern = "x"\nconfidence = 0.5\nrole = "toaster"\nexample = [{ value = "x" }]\n',
     "toaster"),
    ('[[rule]]\nid = "a"\npattern = "x"\nconfidence = 0.5\ncolour = "red"\nexample = [{ value = "x" }]\n',
     "unknown keys"),
    ('[[rule]]\nid = "a"\npattern = "x"\nconfidence = 1.5\nexample = [{ value = "x" }]\n',
     "confidence"),
])
def test_malformed_rules_are_refused_with_their_place(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises((RuleError, ValueError), match=message):
        load_file(_write(tmp_path, body))


def test_shadowing_wrong_extractions_and_duplicate_ids_are_reported(tmp_path: Path) -> None:
    f = load_file(_write(tmp_path, """
[[rule]]
id = "general"
pattern = "^iPhone"
role = "smartphone"
confidence = 0.5
example = [{ value = "iPhone", role = "smartphone" }]

[[rule]]
id = "specific"
pattern = "^iPhone-(?P<model>\\\\d+)"
role = "smartphone"
confidence = 0.9
example = [{ value = "iPhone-15", role = "smartphone", model = "15" }]

[[rule]]
id = "general"
pattern = "^Pixel"
role = "tablet"
confidence = 0.5
example = [{ value = "Pixel", role = "smartphone" }]
"""))
    problems = "\n".join(check_examples((f,)))
    assert "shadowed by earlier x.toml rule 1 (general)" in problems
    assert "id also used by" in problems
    assert "extracted {'role': 'tablet'}, the example says {'role': 'smartphone'}" in problems


def test_attributes_are_the_scan_models() -> None:
    assert ATTRIBUTES == ("role", "vendor", "product", "model", "os", "os_version")


def test_the_maker_spellings_are_read_once_per_process() -> None:
    # load_rules checks fingerprints/maker_spellings.txt and the maker-name guess uses it:
    # one read of the file serves both (a fresh process: no cache filled by other tests).
    import subprocess
    import sys

    from tests.conftest import REPO

    count = (
        "import pathlib\n"
        "reads = []\n"
        "read_text = pathlib.Path.read_text\n"
        "def counted(self, *a, **k):\n"
        "    if self.name == 'maker_spellings.txt':\n"
        "        reads.append(self)\n"
        "    return read_text(self, *a, **k)\n"
        "pathlib.Path.read_text = counted\n"
        "from scanner.classification.fingerprints import load_rules\n"
        "from scanner.classification.makers import maker_reasons\n"
        "load_rules()\n"
        "(r,) = maker_reasons([('ftp_banner', 'SHARP MX-M363N Ver 01.05.00.1k FTP server.')])\n"
        "print(len(reads), dict(r.attributes)['vendor'])\n")
    r = subprocess.run([sys.executable, "-c", count], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1", "Sharp"]


def test_a_leading_word_boundary_still_holds_with_the_faster_gate(tmp_path: Path) -> None:
    # rules starting with \b are first tried without it (a faster superset): the boundary
    # must still decide, and a value the gate passes must still be matched in full
    f = load_file(_write(tmp_path, """
[[rule]]
id = "juniper-switch"
pattern = "\\\\b(EX|QFX)[0-9]{4}"
case = "sensitive"
role = "switch"
confidence = 0.5
example = [{ value = "Juniper EX4200-48PX Ethernet Switch", role = "switch" }]
"""))
    (rule,) = f.rules
    assert rule.gate is not None
    assert rule.match("Juniper EX4200-48PX Ethernet Switch") == {"role": "switch"}
    assert rule.match("APEX4200 controller") is None  # the gate matches, the rule does not
