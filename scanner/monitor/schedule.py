"""The weekly scan as a systemd timer (or, shown as an alternative, a cron line).

`schedule install` writes praxisscan-watch.service and .timer and, where systemd runs, enables
the timer; `schedule remove` undoes exactly that. Secrets (SMTP, FRITZ!Box) live in an
environment file readable by root only, never in the unit.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import UsageError

UNIT = "praxisscan-watch"
UNIT_DIR = Path("/etc/systemd/system")
ENV_FILE = Path("/etc/praxisscan/watch.env")
DAYS = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat",
        "sun": "Sun", "mo": "Mon", "di": "Tue", "mi": "Wed", "do": "Thu", "fr": "Fri",
        "sa": "Sat", "so": "Sun"}
CRON_DAYS = {"Mon": 1, "Tue": 2, "Wed": 3, "Thu": 4, "Fri": 5, "Sat": 6, "Sun": 0}
ENV_TEMPLATE = """\
# Secrets for the weekly praxisscan run (read by systemd, mode 0600).
# PRAXISSCAN_SMTP_PASSWORD=
# PRAXISSCAN_FRITZBOX_PASSWORD=
"""


@dataclass(frozen=True)
class When:
    day: str  # "Mon"
    hour: int
    minute: int

    @property
    def on_calendar(self) -> str:
        return f"{self.day} *-*-* {self.hour:02d}:{self.minute:02d}:00"

    @property
    def cron(self) -> str:
        return f"{self.minute} {self.hour} * * {CRON_DAYS[self.day]}"


def parse_when(text: str) -> When:
    """'Mon 07:30' or 'Mo 7:30' (German day names too)."""
    m = re.fullmatch(r"\s*([A-Za-z]{2,3})\s+(\d{1,2}):(\d{2})\s*", text)
    if not m or m.group(1).lower() not in DAYS or int(m.group(2)) > 23 or int(m.group(3)) > 59:
        raise UsageError(f"--at wants a weekday and a time like 'Mon 07:30', not {text!r}")
    return When(DAYS[m.group(1).lower()], int(m.group(2)), int(m.group(3)))


def watch_command(watch_args: list[str]) -> list[str]:
    exe = shutil.which("praxisscan") or str(Path(sys.executable).with_name("praxisscan"))
    command = [exe, "watch", *watch_args]
    for arg in command:
        # a line break cannot be written into a cron line (sh's single quotes hold no escapes)
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in arg):
            raise UsageError(f"{arg!r} holds a control character; it cannot go into the "
                             "scheduled command")
    return command


_SYSTEMD_PLAIN = re.compile(r"[A-Za-z0-9_@./:,+=-]+")


def systemd_arg(arg: str) -> str:
    """One word of an ExecStart= line (systemd.service, "Command lines"): ``%`` starts a
    specifier and ``$`` a variable in quoted words too, so both are doubled; a word with
    anything but plain characters goes into double quotes with C escapes."""
    text = arg.replace("%", "%%").replace("$", "$$")
    if _SYSTEMD_PLAIN.fullmatch(arg):
        return text
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if 0x20 <= ord(c) != 0x7F else f"\\x{ord(c):02x}" for c in text) + '"'


def systemd_path(path: Path) -> str:
    """A path in a unit setting that expands specifiers (EnvironmentFile=)."""
    return str(path).replace("%", "%%")


def cron_command(command: list[str]) -> str:
    """The command field of a crontab line: sh-quoted, and every ``%`` (which cron turns into
    a line break, crontab(5)) escaped as ``\\%``; cron removes that backslash."""
    return " ".join(shlex.quote(c) for c in command).replace("%", "\\%")


def service_text(command: list[str], env_file: Path) -> str:
    return f"""\
# Written by praxisscan schedule install; remove with: praxisscan schedule remove
[Unit]
Description=praxisscan weekly network check of the practice
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
EnvironmentFile=-{systemd_path(env_file)}
ExecStart={" ".join(systemd_arg(c) for c in command)}
# exit 1 means "something new was reported", not a failure of the unit
SuccessExitStatus=1
Nice=10
PrivateTmp=yes
ProtectHome=read-only
ProtectSystem=full
"""


def timer_text(when: When) -> str:
    return f"""\
# Written by praxisscan schedule install
[Unit]
Description=praxisscan weekly network check ({when.on_calendar})

[Timer]
OnCalendar={when.on_calendar}
# a box that was off at the time catches up at the next boot
Persistent=true
RandomizedDelaySec=10min

[Install]
WantedBy=timers.target
"""


def cron_line(when: When, command: list[str]) -> str:
    return f"{when.cron} root {cron_command(command)} >> /var/log/praxisscan-watch.log 2>&1"


def systemd_running() -> bool:
    return Path("/run/systemd/system").is_dir() and shutil.which("systemctl") is not None


@dataclass(frozen=True)
class Installed:
    service: Path
    timer: Path
    env_file: Path
    enabled: bool
    cron: str


def install(watch_args: list[str], when: When, unit_dir: Path = UNIT_DIR,
            env_file: Path = ENV_FILE, enable: bool = True) -> Installed:
    command = watch_command(watch_args)
    unit_dir.mkdir(parents=True, exist_ok=True)
    service, timer = unit_dir / f"{UNIT}.service", unit_dir / f"{UNIT}.timer"
    service.write_text(service_text(command, env_file), encoding="utf-8")
    timer.write_text(timer_text(when), encoding="utf-8")
    if not env_file.exists():
        env_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(ENV_TEMPLATE)
    enabled = False
    if enable and unit_dir == UNIT_DIR and systemd_running():
        subprocess.run(["systemctl", "daemon-reload"], check=True)
        subprocess.run(["systemctl", "enable", "--now", f"{UNIT}.timer"], check=True)
        enabled = True
    return Installed(service, timer, env_file, enabled, cron_line(when, command))


def remove(unit_dir: Path = UNIT_DIR) -> list[Path]:
    """Disable the timer (where systemd runs) and delete the two units; the env file and the
    history stay: they are the practice's data."""
    if unit_dir == UNIT_DIR and systemd_running():
        subprocess.run(["systemctl", "disable", "--now", f"{UNIT}.timer"], check=False)
    removed = []
    for suffix in (".timer", ".service"):
        path = unit_dir / f"{UNIT}{suffix}"
        if path.exists():
            path.unlink()
            removed.append(path)
    if removed and unit_dir == UNIT_DIR and systemd_running():
        subprocess.run(["systemctl", "daemon-reload"], check=False)
    return removed
