"""The site file under a careless hand: every mistake is one `file:line: reason` error.

Wrong types, empty names, policy values that would reach nmap (a negative rate is a 1 ms
scan delay), datetimes where a date belongs, odd files (FIFO, /dev/zero, directory, symlink
loop, 50 MB), a BOM: the loader answers SiteError (exit 2 in the CLI), never a traceback,
and never accepts what crashes or misleads later.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from scanner.site import MAX_SITE_BYTES, SiteError, load_site
from tests.conftest import praxisscan
from tests.test_site import GOOD, write

ACK = """
[[acknowledged]]
finding = "1f3a9c0d5e7b2a64"
reason = "Update kommt Q2"
by = "IT Müller"
until = 2027-03-31
"""
BSSIDS = 'min_security = "wpa2"\nbssids = ["3c:a6:2f:0a:01:02"]'


@pytest.mark.parametrize("change, message", [
    # wrong types: each was a traceback or a silent misreading
    (('services = ["tcp/445"]', "services = 5"),
     "praxis.toml:17: device 1 (EKG): services must be a list of strings like 'tcp/445'"),
    (('services = ["tcp/445"]', 'services = "tcp/445"'),
     "praxis.toml:17: device 1 (EKG): services must be a list"),
    (('size = "mittlere-praxis"', "size = []"), "praxis.toml:3: practice size [] is not one of"),
    (('name = "Praxis Dr. Weber"', "name = 5"), "praxis.toml:2: practice name must be a string"),
    (('name = "EKG"', "name = 5"), "praxis.toml:14: device 1: name must be a non-empty string"),
    (('name = "EKG"', 'name = ""'), "praxis.toml:14: device 1: name must be a non-empty string"),
    (('mac = "00-0D-B8-0A-40-40"', "mac = 5"), "praxis.toml:16: device 1 (EKG): mac 5 is not"),
    (('mac = "00-0D-B8-0A-40-40"', 'hostname = ""'),
     "praxis.toml:16: device 1 (EKG): hostname must be a non-empty string"),
    (('mac = "00-0D-B8-0A-40-40"', "hostname = 5"),
     "praxis.toml:16: device 1 (EKG): hostname must be a non-empty string"),
    (('mac = "00-0D-B8-0A-40-40"', "ip = [1]"),
     "praxis.toml:16: device 1 (EKG): ip [1] is not an IPv4 address"),
    (('services = ["tcp/445"]', 'zones = "medical"'),
     "praxis.toml:17: device 1 (EKG): zones must be a list"),
    (('services = ["tcp/445"]', "zones = [[]]"), "praxis.toml:17: device 1 (EKG): zones must"),
    (('services = ["tcp/445"]', "note = 5"), "praxis.toml:17: device 1 (EKG): note must be a string"),
    (('role = "medical-device"', "role = []"), "praxis.toml:15: device 1 (EKG): role []"),
    (('cidr = "192.168.10.0/24"', "cidr = 5"), "praxis.toml:10: network 2: cidr must be a string"),
    (('zone = "medical"', "zone = []"), "praxis.toml:11: network 2: zone [] is not one of"),
    (('ssid = "Praxis"', "ssid = 5"), "praxis.toml:20: wlan 1: ssid must be a non-empty string"),
    (('min_security = "wpa2"', "min_security = []"), "praxis.toml:22: wlan 1: min_security"),
    (('min_security = "wpa2"', 'min_security = "wpa2"\nbssids = [5]'),
     "praxis.toml:23: wlan 1: bssids must be a list of MAC addresses"),
    (('min_security = "wpa2"', 'min_security = "wpa2"\nbssids = "3c:a6:2f:0a:01:02"'),
     "praxis.toml:23: wlan 1: bssids must be a list"),
    (('min_security = "wpa2"', 'min_security = "wpa2"\nbssids = ["not a mac"]'),
     "praxis.toml:23: wlan 1: bssids: 'not a mac' is not a MAC address"),
    (('min_security = "wpa2"', 'min_security = "wpa2"\nvendors = "AVM"'),
     "praxis.toml:23: wlan 1: vendors must be a list"),
    (('min_security = "wpa2"', 'min_security = "wpa2"\nvendors = [""]'),
     "praxis.toml:23: wlan 1: vendors must be a list of non-empty strings"),
    (("[practice]", "practice = 5\n[x]"), "praxis.toml:2: unknown section 'x'"),
    (("[[device]]", "device = 5\n[[devicex]]"), "praxis.toml:14: unknown section 'devicex'"),
    (("[[device]]", "[device]"), "praxis.toml:13: device must be written as [[device]] tables"),
    # policy values (M2): refused when the file is read, before anything is sent
    (("host_pps = 10", "host_pps = -5"),
     "praxis.toml:25: policy.role.medical-device: host_pps -5 must be a number from 1 to 20"),
    (("host_pps = 10", "host_pps = 0"), "praxis.toml:25: policy.role.medical-device: host_pps 0"),
    (("host_pps = 10", "host_pps = nan"), "praxis.toml:25: policy.role.medical-device: host_pps nan"),
    (("host_pps = 10", "host_pps = inf"), "praxis.toml:25: policy.role.medical-device: host_pps inf"),
    (("host_pps = 10", 'host_pps = "fast"'),
     "praxis.toml:25: policy.role.medical-device: host_pps 'fast'"),
    (("host_pps = 10", "host_pps = true"), "praxis.toml:25: policy.role.medical-device: host_pps True"),
    (("host_pps = 10", "host_pps = 40"),  # above the policy file's cap for the role
     "praxis.toml:25: policy.role.medical-device: host_pps 40 must be a number from 1 to 20"),
    (("host_pps = 10", 'max_profile = "turbo"'),
     "praxis.toml:25: policy.role.medical-device: max_profile 'turbo' is not one of quick"),
    (("host_pps = 10", 'max_profile = "deep"'),  # medical devices get quick at most
     "praxis.toml:25: policy.role.medical-device: max_profile 'deep' is not one of quick"),
    (('probes = ["dicom"]', 'probes = "dicom"'),
     "praxis.toml:28: policy.host.00:0d:b8:0a:40:40: probes must be a list"),
    (('probes = ["dicom"]', 'probes = ["warp"]'),
     "praxis.toml:28: unknown probe 'warp' in policy.host.00:0d:b8:0a:40:40 (known: "),
    (('probes = ["dicom"]', "host_pps = 5000"),
     "praxis.toml:28: policy.host.00:0d:b8:0a:40:40: host_pps 5000 must be a number from 1 to 40"),
    (('[policy.host."00:0d:b8:0a:40:40"]', '[policy.host."drucker"]'),
     "praxis.toml:27: policy.host.drucker: not a MAC or IPv4 address"),
    (("[policy.role.medical-device]", "[policy.role.toaster]"),
     "praxis.toml:24: policy.role.toaster: not a role"),
    (("[policy.role.medical-device]\nhost_pps = 10", "[policy]\nrole = 5"),
     "praxis.toml:24: policy.role must be a table"),
    (("host_pps = 10", "host_pps = {a = 1}"),
     "praxis.toml:25: policy.role.medical-device: host_pps {'a': 1} must be a number"),
])
def test_wrong_values_are_refused_with_file_and_line(tmp_path: Path, change: tuple[str, str],
                                                     message: str) -> None:
    assert change[0] in GOOD
    with pytest.raises(SiteError) as e:
        load_site(write(tmp_path, GOOD.replace(*change, 1)))
    assert str(e.value).startswith(message), str(e.value)
    assert "\n" not in str(e.value)


def test_a_site_may_lower_the_caps_and_the_host_override_never_raises_the_role() -> None:
    from scanner.policy import load_policy

    policy = load_policy().with_overrides({"role": {"printer": {"host_pps": 10}},
                                           "host": {"00:0D:B8:0A:40:40": {"host_pps": 40,
                                                                          "max_profile": "deep",
                                                                          "probes": ["ftp", "dicom"]}}})
    assert policy.for_role("printer").host_pps == 10
    ekg = policy.for_host("medical-device", "00:0d:b8:0a:40:40", "192.168.10.40")
    assert ekg.host_pps == 20 and ekg.max_profile.value == "quick" and ekg.probes == {"dicom"}


@pytest.mark.parametrize("until, accepted", [
    ("2027-03-31", date(2027, 3, 31)),
    ("2027-03-31T12:00:00", None),
    ("2027-03-31T12:00:00+02:00", None),
    ("2027-03-31 12:00:00Z", None),
    ('"2027-03-31"', None),
    ("12:00:00", None),
    ("5", None),
])
def test_until_is_a_date_and_nothing_else(tmp_path: Path, until: str, accepted: date | None) -> None:
    path = write(tmp_path, GOOD + ACK.replace("2027-03-31", until))
    if accepted:
        assert load_site(path).acknowledged[0].until == accepted
        return
    with pytest.raises(SiteError) as e:
        load_site(path)
    assert str(e.value).startswith("praxis.toml:34: acknowledged 1: until must be a date like "
                                   "2027-03-31"), str(e.value)


@pytest.mark.parametrize("key", ["finding", "reason", "by"])
def test_acknowledgement_texts_must_be_non_empty_strings(tmp_path: Path, key: str) -> None:
    text = GOOD + ACK
    line = next(x for x in ACK.splitlines() if x.startswith(f"{key} ="))
    with pytest.raises(SiteError, match=rf"acknowledged 1: {key} must be a non-empty string"):
        load_site(write(tmp_path, text.replace(line, f'{key} = ""')))
    with pytest.raises(SiteError, match=rf"acknowledged 1: {key} must be a non-empty string"):
        load_site(write(tmp_path, text.replace(line, f"{key} = 5")))


def test_a_datetime_until_no_longer_loses_the_scan(tmp_path: Path) -> None:
    # M3: a datetime passed validation, then rule evaluation compared it with a date.
    path = write(tmp_path, GOOD + ACK.replace("2027-03-31", "2027-03-31T00:00:00Z"))
    r = praxisscan("scan", "--plan", "--site", str(path), "127.0.0.1")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "praxis.toml:34: acknowledged 1: until must be a date" in r.stderr


def test_syntax_errors_are_file_line_message(tmp_path: Path) -> None:
    with pytest.raises(SiteError) as e:
        load_site(write(tmp_path, GOOD + "\n[[device]\n"))
    assert str(e.value).startswith("praxis.toml:30: ") and "(at line" not in str(e.value)
    assert "column" in str(e.value)
    with pytest.raises(SiteError, match=r"^praxis.toml:\d+: "):
        load_site(write(tmp_path, GOOD + '\nx = "unterminated'))


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "praxis.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert load_site(path).name == "Praxis Dr. Weber"


def test_deep_nesting_is_an_error_not_a_recursion_crash(tmp_path: Path) -> None:
    deep = GOOD.replace("services = [\"tcp/445\"]", "services = " + "[" * 5000 + "]" * 5000)
    with pytest.raises(SiteError, match="praxis.toml: nested too deeply"):
        load_site(write(tmp_path, deep))
    inline = GOOD.replace('name = "EKG"', 'name = "EKG"\nnote = ' + "{a=" * 3000 + "1" + "}" * 3000)
    with pytest.raises(SiteError, match="praxis.toml: nested too deeply"):
        load_site(write(tmp_path, inline))


def test_only_small_regular_files_are_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    big = tmp_path / "big.toml"
    big.write_text(GOOD + "#" * MAX_SITE_BYTES)
    for path, message in [(fifo, "not a regular file"), (Path("/dev/zero"), "not a regular file"),
                          (tmp_path, "is a directory"), (loop, "cannot open"),
                          (big, "larger than 1 MiB"), (tmp_path / "no.toml", "no such site file")]:
        with pytest.raises(SiteError, match=message):
            load_site(path)


def test_the_cli_says_it_in_one_line_for_a_fifo_and_a_wrong_type(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    r = praxisscan("scan", "--plan", "--site", str(fifo), "127.0.0.1", timeout=20)
    assert r.returncode == 2 and r.stderr == f"praxisscan: error: {fifo}: not a regular file " \
        "(a device, FIFO or socket); name a site file\n"
    bad = write(tmp_path, GOOD.replace('services = ["tcp/445"]', "services = 5"))
    r = praxisscan("scan", "--plan", "--site", str(bad), "127.0.0.1")
    assert r.returncode == 2 and r.stderr.startswith("praxisscan: error: praxis.toml:17: ")
    assert r.stderr.count("\n") == 1


def test_plan_shows_the_rates_after_the_site_overrides(tmp_path: Path) -> None:
    site = write(tmp_path, GOOD)
    r = praxisscan("scan", "--plan", "--site", str(site), "192.168.50.0/29")
    assert r.returncode == 0, r.stderr
    assert "medical-device: at most 10 packets/s per host" in r.stdout
    assert "00:0d:b8:0a:40:40: probes: dicom" in r.stdout
    r = praxisscan("scan", "--plan", "192.168.50.0/29")
    assert "medical-device: at most 20 packets/s per host" in r.stdout
