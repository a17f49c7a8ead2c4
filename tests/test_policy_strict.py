"""scanner/policy.toml is checked like a site file: types, ranges, known names, file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.policy import KNOWN_PROBES, POLICY_FILE, PolicyError, load_policy
from scanner.probes.registry import jobs_for

TEXT = POLICY_FILE.read_text(encoding="utf-8")
MED = '[role.medical-device]\nhost_pps = 20'


def _line(needle: str) -> int:
    return next(i for i, line in enumerate(TEXT.splitlines(), 1) if line.startswith(needle))


@pytest.mark.parametrize("change, message", [
    (("max_pps = 2000", "max_pps = -1"), f"policy.toml:{_line('max_pps')}: max_pps -1 must be"),
    (("max_pps = 2000", "max_pps = nan"), f"policy.toml:{_line('max_pps')}: max_pps nan must be"),
    (("max_pps = 2000", 'max_pps = "2000"'), f"policy.toml:{_line('max_pps')}: max_pps '2000'"),
    (("max_pps = 2000", "max_pps = 2000\nburst = 3"), f"policy.toml:{_line('max_pps') + 1}: global: unknown key 'burst'"),
    ((MED, "[role.medical-device]\nhost_pps = 0"),
     f"policy.toml:{_line('host_pps = 20')}: role.medical-device: host_pps 0 must be a number "
     "from 1 to 2000"),
    ((MED, "[role.medical-device]\nhost_pps = inf"), "role.medical-device: host_pps inf"),
    ((MED, "[role.medical-device]\nhost_pps = -5"), "role.medical-device: host_pps -5"),
    ((MED, "[role.medical-device]\nhost_pps = 20\nspeed = 1"),
     "role.medical-device: unknown key 'speed'"),
    (('max_profile = "quick"', 'max_profile = "turbo"'), "max_profile 'turbo' is not one of"),
    (('probes = ["sicct", "tls", "greeting"]', 'probes = ["sicct", "warp"]'), "unknown probe 'warp' in role.card-terminal"),
    (('probes = ["sicct", "tls", "greeting"]', 'probes = "sicct"'), "probes must be a list"),
    (("[role.medical-device]", "[role.toaster]"), "role.toaster: not a role"),
    (("[default]", "[defaults]"), "unknown section 'defaults'"),
    (("printer = [631, 515]", "printer = [631, 70000]"),
     "prescan.ports.printer must be a list of port numbers"),
    (("printer = [631, 515]", 'printer = ["631"]'), "prescan.ports.printer must be a list"),
    (('card-terminal = "cherry gmbh|ingenico|worldline"', 'card-terminal = "(cherry"'),
     "prescan.vendor.card-terminal: missing ), unterminated subpattern"),
    (('card-terminal = "cherry gmbh|ingenico|worldline"', "card-terminal = 5"),
     "prescan.vendor.card-terminal must be a regular expression string"),
    (("max_pps = 2000", "max_pps = 2000\n[[x"), "policy.toml:"),
])
def test_a_bad_policy_file_is_refused_with_file_and_line(tmp_path: Path,
                                                         change: tuple[str, str],
                                                         message: str) -> None:
    assert change[0] in TEXT
    path = tmp_path / "policy.toml"
    path.write_text(TEXT.replace(*change, 1))
    with pytest.raises(PolicyError) as e:
        load_policy(path)
    assert message in str(e.value) and str(e.value).startswith("policy.toml:"), str(e.value)


def test_a_misspelt_probe_is_refused_with_its_line(tmp_path: Path) -> None:
    """The issue's example: "dicon" would otherwise switch the DICOM probe off in silence."""
    medical = 'probes = ["dicom", "sicct", "netbios", "smb", "greeting", "http"]'
    path = tmp_path / "policy.toml"
    path.write_text(TEXT.replace(medical, medical.replace('"dicom"', '"dicon"'), 1))
    with pytest.raises(PolicyError) as e:
        load_policy(path)
    assert str(e.value).startswith(f"policy.toml:{_line(medical)}: unknown probe 'dicon' "
                                   "in role.medical-device (known: "), str(e.value)


def test_the_shipped_policy_loads_and_names_only_known_probes() -> None:
    policy = load_policy()
    assert policy.default.probes == KNOWN_PROBES
    every_port = list(range(1, 65536))
    produced = {j.probe for j in jobs_for("10.0.0.1", every_port, KNOWN_PROBES, "10.0.0.9")}
    # upnp is the stage of announced locations; tr064 runs with a login too (not asked here)
    assert produced | {"upnp"} == KNOWN_PROBES
