"""lab up / down leave the machine as they found it, also after a crash or a failed start."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.errors import LabError
from scanner.lab import netns
from scanner.lab.lab import Lab
from scanner.lab.topology import Daemon, load_practice
from tests.conftest import require_lab_prerequisites, root_links

pytestmark = pytest.mark.lab


def machine_state() -> dict[str, object]:
    def out(*argv: str) -> str:
        text = subprocess.run(argv, capture_output=True, text=True).stdout
        return "\n".join(line for line in text.splitlines() if not line.startswith("#"))

    return {
        "links": root_links(),
        "namespaces": sorted(netns.list_lab_namespaces()),
        "iptables-legacy": out("iptables-legacy-save"),
        "iptables": out("iptables-save"),
        "netns-etc": sorted(p.name for p in Path("/etc/netns").glob("*")),
    }


def lab_processes(lab_dir: Path) -> list[str]:
    ps = subprocess.run(["ps", "-eo", "stat=,args="], capture_output=True, text=True).stdout
    return [line for line in ps.splitlines()
            if str(lab_dir) in line and not line.lstrip().startswith("Z")]


@pytest.fixture
def lab_dir():
    # Not under /run, /var/log ...: the daemons see those privately (see Lab.__init__).
    d = Path(f"/var/lib/praxisscan/test-lab-{os.getpid()}")
    yield d
    assert not d.exists(), "the lab left its directory behind"


def up_in_a_process_that_ends(lab_dir: Path) -> None:
    """A crash, or `praxisscan lab up`: the process that built the lab is gone, its
    namespaces and daemons are not."""
    script = ("from pathlib import Path; from scanner.lab.lab import Lab; "
              f"Lab(directory=Path({str(lab_dir)!r})).up()")
    subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[2], check=True,
                   timeout=120)


def test_up_after_a_crash_and_down_leave_nothing(lab_dir: Path) -> None:
    require_lab_prerequisites()
    before = machine_state()
    up_in_a_process_that_ends(lab_dir)
    second = Lab(directory=lab_dir)
    second.up()
    assert second.status().up
    second.down()
    assert machine_state() == before
    assert not lab_dir.exists()
    assert lab_processes(lab_dir) == []


def test_two_downs_at_once_both_succeed(lab_dir: Path) -> None:
    """A Ctrl-C'd test run and an operator's `lab down` may race; neither may fail."""
    require_lab_prerequisites()
    before = machine_state()
    up_in_a_process_that_ends(lab_dir)
    script = ("import sys; from pathlib import Path; from scanner.lab.lab import Lab; "
              f"Lab(directory=Path({str(lab_dir)!r})).down()")
    downs = [subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).parents[2],
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errors = [d.communicate(timeout=120)[1] for d in downs]
    assert [d.returncode for d in downs] == [0, 0], errors
    assert machine_state() == before and not lab_dir.exists()


def test_a_lab_in_use_is_waited_for_not_torn_down(lab_dir: Path, monkeypatch) -> None:
    """Two users of the lab at once (a CI run without the helpers' lock and a benchmark)
    tore each other's lab down mid-test: a phone that had just joined vanished, the NAS's
    UPnP mapping was not there yet. A second up() or down() now waits for the owner."""
    require_lab_prerequisites()
    from scanner.lab import lab as lab_module

    monkeypatch.setattr(lab_module, "LOCK_WAIT", 1.0, raising=False)  # not half an hour
    owner = Lab(directory=lab_dir)
    owner.up()
    try:
        other = Lab(directory=lab_dir)
        for action in (other.up, other.down):
            with pytest.raises(LabError, match=f"in use by process {os.getpid()}"):
                action()
        assert owner.status().up  # untouched
    finally:
        owner.down()
    Lab(directory=lab_dir).down()  # free again: nothing to wait for


def test_a_lab_directory_the_daemons_cannot_see_is_refused() -> None:
    with pytest.raises(LabError, match="must not be under /run"):
        Lab(directory=Path("/run/somewhere/lab"))


def test_a_failed_up_cleans_up_after_itself(lab_dir: Path) -> None:
    require_lab_prerequisites()
    before = machine_state()
    practice = load_practice()
    broken_host = dataclasses.replace(practice.hosts[1], daemons=(Daemon("no-such-daemon"),))
    practice = dataclasses.replace(
        practice, hosts=tuple(broken_host if h is practice.hosts[1] else h for h in practice.hosts))
    lab = Lab(directory=lab_dir, practice=practice)
    with pytest.raises(LabError, match="no-such-daemon"):
        lab.up()
    assert machine_state() == before
