"""Drive Debian's headless Chromium over the DevTools protocol on a pipe (fds 3 and 4), with
JavaScript switched off in the page: the console must work by links and forms alone. The test
types and presses keys as a user does; it reads the DOM the browser built.

Chromium trusts only the test's throw-away server key (--ignore-certificate-errors-spki-list)
and resolves no host name, so it reaches nothing but the loopback server.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

from tests.browser import chromium

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--no-default-browser-check",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--no-proxy-server")


def spki_hash(cert: Path) -> str:
    pub = subprocess.run(["openssl", "x509", "-in", str(cert), "-pubkey", "-noout"],
                         capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub,
                         capture_output=True, check=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def _high(fd: int) -> int:
    new = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return new


class Browser:
    def __init__(self, workdir: Path, server_cert: Path) -> None:
        to_browser_r, self._to_browser = (_high(fd) for fd in os.pipe())
        self._from_browser, from_browser_w = (_high(fd) for fd in os.pipe())

        def child_fds() -> None:
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.downloads = workdir / "downloads"
        self.downloads.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [chromium(), *FLAGS, f"--user-data-dir={workdir / 'profile'}",
             "--remote-debugging-pipe", f"--ignore-certificate-errors-spki-list={spki_hash(server_cert)}",
             "about:blank"], pass_fds=(3, 4), preexec_fn=child_fds,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next = 0
        self.events: list[dict] = []
        self.send("Browser.setDownloadBehavior", behavior="allow",
                  downloadPath=str(self.downloads), session=None)
        target = self.send("Target.createTarget", url="about:blank", session=None)["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True,
                                 session=None)["sessionId"]
        self.send("Page.enable")
        self.send("Network.enable")
        self.send("Emulation.setScriptExecutionDisabled", value=True)

    def close(self) -> None:
        try:
            self.send("Browser.close", session=None)
        except (OSError, RuntimeError):
            pass
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_browser, self._from_browser):
            os.close(fd)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, session: str | None | bool = True, **params: object) -> dict:
        self._next += 1
        msg: dict = {"id": self._next, "method": method, "params": params}
        if session is True:
            msg["sessionId"] = self.session
        elif session:
            msg["sessionId"] = session
        os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + 60
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._next:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_event(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read(deadline))

    def open(self, url: str) -> str:
        self.events.clear()
        self.send("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")
        return self.dom()

    def dom(self) -> str:
        root = self.send("DOM.getDocument", depth=0)["root"]["nodeId"]
        return self.send("DOM.getOuterHTML", nodeId=root)["outerHTML"]

    def url(self) -> str:
        history = self.send("Page.getNavigationHistory")
        return history["entries"][history["currentIndex"]]["url"]

    def _node(self, selector: str) -> int:
        root = self.send("DOM.getDocument", depth=0)["root"]["nodeId"]
        node = self.send("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
        assert node, f"no element {selector}"
        return node

    def type_into(self, selector: str, text: str) -> None:
        self.send("DOM.focus", nodeId=self._node(selector))
        self.send("Input.insertText", text=text)

    def remove(self, selector: str) -> None:
        self.send("DOM.removeNode", nodeId=self._node(selector))

    def press_enter(self, selector: str) -> str:
        """Focus the element, press Enter (submits its form), wait for the next page."""
        self.send("DOM.focus", nodeId=self._node(selector))
        self.events.clear()
        for kind in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter",
                      windowsVirtualKeyCode=13, text="\r" if kind == "keyDown" else "")
        self.wait_event("Page.loadEventFired")
        return self.dom()

    def cookies(self) -> list[dict]:
        return self.send("Network.getCookies")["cookies"]

    def download(self, url: str, timeout: float = 30) -> Path:
        before = set(self.downloads.iterdir())
        try:
            self.send("Page.navigate", url=url)
        except RuntimeError:
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            new = [p for p in set(self.downloads.iterdir()) - before
                   if not p.name.endswith(".crdownload")]
            if new:
                time.sleep(0.2)
                return new[0]
            time.sleep(0.1)
        raise TimeoutError(f"no download from {url}")
