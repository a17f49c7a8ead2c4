#!/usr/bin/env bash
# One entry point for a fresh Debian/Ubuntu machine (run as root):
#   bash scripts/dev.sh demo   install everything, build the lab practice, scan it, write the report
#   bash scripts/dev.sh test   install everything, run the whole test suite
#   bash scripts/dev.sh setup  install only
# Installing is idempotent: a second run skips what is already there.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

# System packages: nmap for the scanner; the real daemons of the lab practice; Chromium,
# poppler and fonts to render and print the reports in tests; systemd-analyze for the timer;
# libwireshark-data for IANA's enterprise numbers (the maker behind an SNMP sysObjectID).
APT_PACKAGES=(
  nmap arp-scan iproute2 iptables procps util-linux tcpdump socat openssl curl ieee-data
  samba openssh-server nginx-light vsftpd busybox-static snmpd snmp cups xrdp
  miniupnpd miniupnpd-iptables miniupnpc postgresql tigervnc-standalone-server radvd
  chromium poppler-utils fonts-dejavu-core systemd libwireshark-data
)
# Services whose Debian packages enable a system unit: none of them may run on the host.
HOST_UNITS=(smbd nmbd samba-ad-dc ssh nginx vsftpd snmpd cups cups-browsed xrdp xrdp-sesman
            miniupnpd postgresql radvd)

log() { printf '[dev] %s\n' "$*" >&2; }

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/dev.sh must run as root (the lab uses network namespaces): sudo bash scripts/dev.sh $*" >&2
    exit 2
  fi
}

install_system_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  if python_ok && ! "$(python_bin)" -c 'import ensurepip, venv' 2>/dev/null; then
    missing+=(python3-venv)
  fi
  [ ${#missing[@]} -eq 0 ] && { log "system packages present"; return; }
  log "installing: ${missing[*]}"
  # Debian's postinst scripts would start the daemons on the host (miniupnpd's default config
  # even names eth0): forbid that for the duration of the install.
  local made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ $made_policy -eq 1 ] && rm -f /usr/sbin/policy-rc.d
  # Keep them from starting at the next boot too, but only the ones this run installed.
  if [ -d /run/systemd/system ]; then
    for u in "${HOST_UNITS[@]}"; do
      for p in "${missing[@]}"; do
        if dpkg -L "$p" 2>/dev/null | grep -q "/$u.service$"; then
          systemctl disable --now "$u" >/dev/null 2>&1 || true
        fi
      done
    done
  fi
}

python_bin() { echo "${PYTHON:-python3}"; }
python_ok() {
  "$(python_bin)" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}

install_venv() {
  if ! python_ok; then
    echo "praxisscan needs Python >= 3.11 ($(python_bin) is $("$(python_bin)" -V 2>&1)); set PYTHON=/path/to/python3.11" >&2
    exit 2
  fi
  if [ ! -x .venv/bin/python ]; then
    log "creating .venv"
    "$(python_bin)" -m venv .venv
  fi
  local stamp=.venv/.praxisscan-installed
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    log "installing praxisscan into .venv"
    .venv/bin/pip install -q --upgrade pip >/dev/null
    .venv/bin/pip install -q -e ".[test,fleet]"
    touch "$stamp"
  fi
}

setup() { need_root "$@"; install_system_packages; install_venv; }

cmd=${1:-}
shift || true
case "$cmd" in
  setup) setup setup ;;
  demo)  setup demo; exec .venv/bin/praxisscan demo "$@" ;;
  test)  setup test; exec .venv/bin/python -m pytest "$@" ;;
  *) echo "usage: bash scripts/dev.sh demo|test|setup [args...]" >&2; exit 2 ;;
esac
