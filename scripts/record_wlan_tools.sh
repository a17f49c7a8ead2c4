#!/usr/bin/env bash
# Records real `iw` and `nmcli` scan output for the parser tests (tests/data/wlan_tools/).
#
# No radio is needed and nothing leaves this machine: a throw-away Debian 12 VM (qemu, no
# network card) loads mac80211_hwsim, runs one hostapd per simulated radio with the security
# settings a practice may meet (open, WEP, WPA1-TKIP, WPA/WPA2 mixed, WPA2, WPA3-SAE,
# transition, OWE, enterprise, WPS configured/locked, hidden, non-UTF-8 SSID, hostile SSID),
# and scans them from one more radio with the real iw 5.19 and nmcli 1.42 of Debian 12.
# The outputs come back on a second virtual disk.
#
# Usage (as root, on Debian/Ubuntu): bash scripts/record_wlan_tools.sh [WORKDIR]
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-/var/tmp/praxisscan-wlanrec}"
out="$here/tests/data/wlan_tools"
rootfs="$work/rootfs"
mkdir -p "$work" "$out"

if [[ $EUID -ne 0 ]]; then echo "record_wlan_tools: run as root" >&2; exit 2; fi
export DEBIAN_FRONTEND=noninteractive
command -v qemu-system-x86_64 >/dev/null && command -v debootstrap >/dev/null \
  || apt-get install -y -q qemu-system-x86 debootstrap e2fsprogs >/dev/null

if [[ ! -x "$rootfs/usr/sbin/hostapd" ]]; then
  # Inside a chroot no service starts, so the host never runs hostapd or NetworkManager.
  debootstrap --variant=minbase \
    --include=iw,hostapd,wpasupplicant,network-manager,dbus,kmod,linux-image-amd64,iproute2,udev \
    bookworm "$rootfs" http://deb.debian.org/debian
fi

install -m 0755 "$here/scripts/wlan_guest_init.sh" "$rootfs/record.sh"
mkdir -p "$rootfs/etc/NetworkManager/conf.d"
cat > "$rootfs/etc/NetworkManager/conf.d/praxisscan-record.conf" <<'EOF'
[main]
plugins=keyfile
[keyfile]
# Only the scanning radio; the access points belong to hostapd.
unmanaged-devices=except:interface-name:wlan0
EOF

rm -f "$work/root.img" "$work/out.img"
mkfs.ext4 -q -F -d "$rootfs" "$work/root.img" 3G
truncate -s 16M "$work/out.img"

kernel="$(ls "$rootfs"/boot/vmlinuz-* | sort -V | tail -1)"
initrd="$(ls "$rootfs"/boot/initrd.img-* | sort -V | tail -1)"
# Software emulation: nested KVM on our CI machines hangs after the BIOS (seen 2026-11-28).
accel=(-machine accel=tcg -cpu max)
[[ "${PRAXISSCAN_KVM:-0}" == 1 && -w /dev/kvm ]] && accel=(-enable-kvm -cpu host)

timeout 900 qemu-system-x86_64 "${accel[@]}" -m 1024 -smp 2 -nographic -no-reboot -nic none \
  -kernel "$kernel" -initrd "$initrd" \
  -append "root=/dev/vda rw console=ttyS0 init=/record.sh panic=-1 quiet" \
  -drive file="$work/root.img",if=virtio,format=raw \
  -drive file="$work/out.img",if=virtio,format=raw > "$work/console.log" 2>&1 || true

rm -rf "$work/extract" && mkdir -p "$work/extract"
tar -C "$work/extract" -xf "$work/out.img"
cp "$work/extract/"* "$out/"
echo "recorded into $out:"; ls -l "$out"
