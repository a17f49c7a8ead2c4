"""The site file: accepted as written, refused with file:line and the reason when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.errors import UsageError
from scanner.lab.lab import LAB_SITE_FILE
from scanner.model import Host, Role
from scanner.site import SiteError, load_site
from tests.conftest import praxisscan

GOOD = """[practice]
name = "Praxis Dr. Weber"
size = "mittlere-praxis"

[[network]]
cidr = "192.168.178.0/24"
zone = "praxis"

[[network]]
cidr = "192.168.10.0/24"
zone = "medical"

[[device]]
name = "EKG"
role = "medical-device"
mac = "00-0D-B8-0A-40-40"
services = ["tcp/445"]

[[wlan]]
ssid = "Praxis"
zone = "praxis"
min_security = "wpa2"

[policy.role.medical-device]
host_pps = 10

[policy.host."00:0d:b8:0a:40:40"]
probes = ["dicom"]
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "praxis.toml"
    p.write_text(text)
    return p


def test_a_valid_site_file(tmp_path: Path) -> None:
    site = load_site(write(tmp_path, GOOD))
    assert site.anlagen == ("Anlage 1", "Anlage 2")
    (ekg,) = site.devices
    assert ekg.mac == "00:0d:b8:0a:40:40" and ekg.role is Role.MEDICAL_DEVICE
    assert site.device_for(Host(ip="192.168.10.40", mac="00:0d:b8:0a:40:40")) is ekg
    assert site.zone_of("192.168.10.40") == "medical" and site.zone_of("10.0.0.1") is None
    assert site.policy["role"]["medical-device"]["host_pps"] == 10


def test_the_lab_site_file_is_valid() -> None:
    assert len(load_site(LAB_SITE_FILE).devices) == 12


@pytest.mark.parametrize("change, message", [
    (('mac = "00-0D-B8-0A-40-40"', 'macc = "00-0D-B8-0A-40-40"'),
     "praxis.toml:16: device 1 (EKG): unknown key 'macc'"),
    (('role = "medical-device"', 'role = "ecg"'), "praxis.toml:15: device 1 (EKG): role 'ecg'"),
    (('zone = "medical"', 'zone = "labor"'), "praxis.toml:11: network 2: zone 'labor'"),
    (('size = "mittlere-praxis"', 'size = "huge"'), "praxis.toml:3: practice size 'huge'"),
    (('services = ["tcp/445"]', 'services = ["445"]'), "praxis.toml:17: device 1 (EKG): service '445'"),
    (('cidr = "192.168.10.0/24"', 'cidr = "192.168.10.0/33"'), "praxis.toml:10: network 2: cidr"),
    (("host_pps = 10", "speed = 10"), "policy.role.medical-device: unknown key 'speed'"),
    (("[practice]", "[praxis]"), "unknown section 'praxis'"),
    (('mac = "00-0D-B8-0A-40-40"', 'mac = "00-0D-B8"'), "is not a MAC address"),
])
def test_errors_name_the_line_and_the_reason(tmp_path: Path, change: tuple[str, str],
                                             message: str) -> None:
    with pytest.raises(SiteError) as e:
        load_site(write(tmp_path, GOOD.replace(*change)))
    assert message in str(e.value)


def test_contradictions_and_syntax_errors(tmp_path: Path) -> None:
    twice = GOOD + '\n[[device]]\nname = "EKG alt"\nrole = "workstation"\nmac = "00:0d:b8:0a:40:40"\n'
    with pytest.raises(SiteError, match=r"praxis.toml:30: device 2 \(EKG alt\): the same device as device 1"):
        load_site(write(tmp_path, twice))
    with pytest.raises(SiteError, match=r"^praxis.toml:30: Expected .* \(column 9\)$"):
        load_site(write(tmp_path, GOOD + "\n[[device]\n"))
    assert issubclass(SiteError, UsageError)


def test_the_cli_refuses_a_bad_site_file_with_exit_2(tmp_path: Path) -> None:
    bad = write(tmp_path, GOOD.replace('role = "medical-device"', 'role = "ecg"'))
    r = praxisscan("scan", "--site", str(bad), "127.0.0.1")
    assert r.returncode == 2
    assert r.stderr.strip() == ("praxisscan: error: praxis.toml:15: device 1 (EKG): role 'ecg' is "
                                "not one of " + ", ".join(x.value for x in Role))
