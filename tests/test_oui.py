"""MAC vendor lookup: longest prefix, randomised addresses, IEEE CSV parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.classification.oui import SYSTEM_IEEE_DIR, MacVendors, is_randomized, normalize_mac, read_ieee_csv

needs_ieee = pytest.mark.skipif(not (SYSTEM_IEEE_DIR / "oui36.csv").exists(),
                                reason="Debian ieee-data not installed")


def test_ma_l_vendor_from_the_bundled_table() -> None:
    v = MacVendors(ieee_dirs=())
    assert v.lookup("3C:A6:2F:0A:01:01") == "AVM Audiovisuelles Marketing und Computersysteme GmbH"
    assert v.lookup("00-0d-b8-00-00-01") == "SCHILLER AG"


@needs_ieee
def test_ma_s_block_beats_the_registration_authority() -> None:
    # 70:B3:D5 is "IEEE Registration Authority" at 24 bits; 36 bits name the real owner.
    assert MacVendors().lookup("70:b3:d5:f2:f1:23") == "TELEPLATFORMS"


def test_operator_csv_overrides_and_adds_small_blocks(tmp_path: Path) -> None:
    (tmp_path / "mam.csv").write_text(
        "Registry,Assignment,Organization Name,Organization Address\n"
        'MA-M,8C1F645,"Praxis Medizintechnik, GmbH",Somewhere\n'
        "MA-M,XYZ,broken row,\n")
    v = MacVendors(ieee_dirs=(tmp_path,))
    assert v.lookup("8c:1f:64:5a:bc:de") == "Praxis Medizintechnik, GmbH"


def test_randomised_addresses_have_no_vendor() -> None:
    for mac in ("6a:3f:c1:5e:22:91", "da:a1:19:7e:33:05", "02:00:00:00:00:01"):
        assert is_randomized(mac)
        assert MacVendors(ieee_dirs=()).lookup(mac) is None
    assert not is_randomized("3c:a6:2f:0a:01:01")


@pytest.mark.parametrize("raw, norm", [("AABBCCDDEEFF", "aa:bb:cc:dd:ee:ff"),
                                       ("aa-bb-cc-dd-ee-ff", "aa:bb:cc:dd:ee:ff"),
                                       ("aa:bb:cc", None), ("zz:zz:zz:zz:zz:zz", None)])
def test_normalize_mac(raw: str, norm: str | None) -> None:
    assert normalize_mac(raw) == norm


def test_csv_reader_skips_malformed_rows(tmp_path: Path) -> None:
    f = tmp_path / "oui.csv"
    f.write_bytes(b"MA-L,00AABB,Good Vendor,addr\nMA-L,00AA,short,\n\xff\xfe,garbage\n")
    assert read_ieee_csv(f) == {"00AABB": "Good Vendor"}


# -- issue 12 L11: what `oui update` is handed -----------------------------------------------

GOOD_ROW = 'MA-S,70B3D5F2A,Example Medical GmbH,"Hauptstr. 1, Berlin DE"\n'
HEADER = "Registry,Assignment,Organization Name,Organization Address\n"


def _oui_update(path: Path, state: Path):  # noqa: ANN202
    from tests.conftest import praxisscan

    return praxisscan("oui", "update", str(path), env={"PRAXISSCAN_STATE_DIR": str(state)},
                      timeout=30)


def _refused(r, *words: str) -> None:  # noqa: ANN001
    assert r.returncode == 2, (r.returncode, r.stderr[-600:])
    assert "Traceback" not in r.stderr and r.stderr.startswith("praxisscan: error: "), r.stderr
    for w in words:
        assert w in r.stderr, r.stderr


def test_oui_update_refuses_a_huge_field_with_the_line(tmp_path: Path) -> None:
    huge = tmp_path / "oui36.csv"
    huge.write_text(HEADER + GOOD_ROW + 'MA-S,70B3D5F2B,"' + "A" * 300_000 + '",x\n')
    _refused(_oui_update(huge, tmp_path / "state"), f"{huge}:3: ")
    assert not (tmp_path / "state" / "oui").exists()


def test_oui_update_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    import os

    _refused(_oui_update(tmp_path, tmp_path / "state"), str(tmp_path), "regular file")
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    _refused(_oui_update(fifo, tmp_path / "state"), "regular file")  # no hang
    _refused(_oui_update(Path("/dev/zero"), tmp_path / "state"), "regular file")
    _refused(_oui_update(tmp_path / "missing.csv", tmp_path / "state"), "missing.csv")


def test_a_damaged_installed_csv_does_not_break_lookups(tmp_path: Path) -> None:
    (tmp_path / "oui36.csv").write_text('MA-S,70B3D5F2B,"' + "A" * 300_000 + '",x\n')
    (tmp_path / "mam.csv").write_text("MA-M,0055DA1,Small Maker,x\n")
    vendors = MacVendors(ieee_dirs=(tmp_path,))
    assert vendors.lookup("00:55:da:10:00:01") == "Small Maker"
