"""The scheduled run for real: `praxisscan watch` scans the lab practice three times; after the
first (the baseline) a phone joins. Only the run that sees it sends an e-mail (SMTP with
STARTTLS and login) and a webhook, both received by real servers on the scanner namespace's
own loopback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scanner.lab.lab import SCANNER_NS
from tests.conftest import REPO, praxisscan
from tests.lab.test_lab_changes import join_phone
from tests.receivers import PASSWORD, USER

pytestmark = pytest.mark.lab
PHONE_NS, PHONE_MAC = "pxlab-watchphone", "2e:66:77:88:99:aa"
SITE = REPO / "scanner" / "lab" / "praxis.toml"


def test_weekly_run_speaks_up_only_when_something_new_appears(lab, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    receivers = subprocess.Popen(
        ["ip", "netns", "exec", SCANNER_NS, sys.executable, "-m", "tests.receivers", str(inbox)],
        cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        ready = receivers.stdout.readline().split()
        assert ready[:1] == ["ready"], ready
        smtp_port, http_port = ready[1], ready[2]
        env = {"PRAXISSCAN_STATE_DIR": str(tmp_path / "state"), "PRAXISSCAN_SMTP_PASSWORD": PASSWORD}

        def watch() -> subprocess.CompletedProcess[str]:
            return praxisscan("watch", "--site", str(SITE), "-i", "eth0",
                              "--notify-email", "it@praxis.example", "--smtp-host", "127.0.0.1",
                              "--smtp-port", smtp_port, "--smtp-user", USER,
                              "--smtp-cafile", str(inbox / "smtp-cert.pem"),
                              "--notify-webhook", f"http://127.0.0.1:{http_port}/praxisscan",
                              "--report-dir", str(tmp_path / "reports"), env=env, ns=SCANNER_NS)

        first = watch()
        assert first.returncode == 0, first.stderr
        assert "first of this network" in first.stdout
        join_phone(lab, PHONE_NS, PHONE_MAC, "Galaxy-S24")
        second = watch()
        assert second.returncode == 1, second.stderr
        third = watch()
        assert third.returncode == 0, third.stderr
        assert "no new findings or devices" in third.stdout

        mails = sorted(inbox.glob("mail-*.eml"))
        hooks = sorted(inbox.glob("hook-*.json"))
        assert len(mails) == 1 and len(hooks) == 1  # only the run that saw the phone
        import email
        import email.policy
        import json

        mail = email.message_from_bytes(mails[0].read_bytes(), policy=email.policy.default)
        assert mail["Subject"].endswith(": 2 neue Befunde, 1 neues Gerät")
        assert PHONE_MAC in mail.get_body(("plain",)).get_content()
        meta = json.loads(mails[0].with_suffix(".json").read_text())
        assert meta["tls"] and meta["auth"]
        hook = json.loads(hooks[0].read_text())
        assert [d["mac"] for d in hook["diff"]["new_devices"]] == [PHONE_MAC]
        # a private phone, and one the site file does not list
        assert {f["rule"] for f in hook["diff"]["new_findings"]} == {"private-mobile-device",
                                                                     "unknown-device"}
        assert len(list((tmp_path / "reports").glob("praxisscan-*.html"))) >= 1
    finally:
        receivers.terminate()
        receivers.wait(10)
