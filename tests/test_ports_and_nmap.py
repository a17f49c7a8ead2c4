"""Port profiles and the nmap adapter's safety fences and XML conversion."""

from __future__ import annotations

import pytest

from scanner.errors import ScanRuntimeError
from scanner.model import Protocol, Service
from scanner.ports import NEVER_PROBED, Profile, nmap_top_tcp, port_spec, tcp_ports
from scanner.portscan.nmap_scan import parse_nmap_xml, tcp_scan_arguments
from tests.conftest import captures_dir


@pytest.mark.parametrize("profile", list(Profile))
def test_no_profile_touches_raw_printing_ports(profile: Profile) -> None:
    ports = tcp_ports(profile)
    assert not set(ports) & set(NEVER_PROBED)
    assert {22, 445, 3389, 4742} <= set(ports)


def test_standard_profile_adds_nmaps_top_ports() -> None:
    top = nmap_top_tcp(1000)
    if not top:
        pytest.skip("nmap-services not installed")
    assert len(top) == 1000
    assert set(top) - set(NEVER_PROBED) <= set(tcp_ports(Profile.STANDARD))
    assert len(tcp_ports(Profile.DEEP)) == 65535 - len(NEVER_PROBED)


def test_port_spec_is_compact() -> None:
    assert port_spec([5, 1, 2, 3, 9, 10]) == "1-3,5,9-10"


def test_nmap_arguments_never_include_os_detection_or_scripts() -> None:
    args = tcp_scan_arguments(tcp_ports(Profile.QUICK), "eth0")
    assert not {"-O", "-A", "--osscan-guess"} & set(args)
    assert not any(a.startswith("--script") or a == "-sC" for a in args)
    assert args[args.index("--exclude-ports") + 1] == "9100-9107"
    with pytest.raises(ScanRuntimeError, match="9100"):
        tcp_scan_arguments([80, 9100], None)


def test_real_nmap_xml_from_the_lab_capture() -> None:
    xml = (captures_dir() / "lab" / "lab_nmap_tcp.xml").read_text()
    (host,) = parse_nmap_xml(xml)
    assert host.ip == "10.77.0.2"
    assert host.mac == "e2:1b:d8:6c:d9:b6"
    assert len(host.services) == 15
    assert Service(21, Protocol.TCP, "ftp", "vsftpd", "3.0.3") in host.services
    ssh = next(s for s in host.services if s.port == 22)
    assert (ssh.product, ssh.version) == ("OpenSSH", "9.2p1 Debian 2+deb12u10")


@pytest.mark.parametrize("xml", ["", "<nmaprun", "<?xml version='1.0'?><x/>"])
def test_broken_nmap_output_is_an_error_not_an_empty_result(xml: str) -> None:
    with pytest.raises(ScanRuntimeError):
        parse_nmap_xml(xml)


@pytest.mark.parametrize("pps", [20, 40, 7.5])
def test_nmaps_pace_holds_even_when_every_port_answers(pps: float) -> None:
    """Each SYN to an open port costs a second packet (the kernel's RST to the SYN-ACK): at
    the scan delay, a second of probes that all hit open ports stays within the host's rate."""
    args = tcp_scan_arguments([21, 80, 445, 5900], None, host_pps=pps)
    delay_ms = int(args[args.index("--scan-delay") + 1].removesuffix("ms"))
    assert 2 * 1000 / delay_ms <= pps
