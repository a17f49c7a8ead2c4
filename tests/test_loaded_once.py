"""The data files a scan reads on first use (nmap's service database, the IANA enterprise
numbers) are read once per process, also when the probes' threads ask at the same moment."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

ASK_FROM_THREADS = """
import importlib, sys, threading, time
module = importlib.import_module(sys.argv[1])
loads = []
real = module.load
def slow_load(*a, **k):
    loads.append(1)
    time.sleep(0.2)  # every thread asks while the first load is still running
    return real(*a, **k)
module.load = slow_load
got = []
threads = [threading.Thread(target=lambda: got.append(module.default())) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
got.append(module.default())
print(len(loads), len({id(g) for g in got}), len(got))
"""


@pytest.mark.parametrize("module", ["scanner.nmapdb", "scanner.classification.enterprises"])
def test_the_default_is_loaded_once_however_many_threads_ask(module: str) -> None:
    r = subprocess.run([sys.executable, "-c", ASK_FROM_THREADS, module], capture_output=True,
                       text=True, cwd=REPO, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1", "1", "9"]

