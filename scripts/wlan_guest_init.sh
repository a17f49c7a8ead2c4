#!/bin/sh
# PID 1 of the recording VM (see record_wlan_tools.sh): simulated radios, access points,
# one scan with iw and one with nmcli, results tarred onto /dev/vdb, power off.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /tmp
mkdir -p /out /tmp/ap
hostname recorder; echo "record: radios" > /dev/console

# name|MAC|hostapd settings (one line, ';' between settings)
cat > /tmp/ap/list <<'EOF'
Praxis-Offen|3c:a6:2f:10:00:01|channel=1
Praxis-WEP|00:14:6c:10:00:02|channel=1;wep_default_key=0;wep_key0="praxi"
Praxis-WPA1|00:0b:86:10:00:03|channel=6;wpa=1;wpa_key_mgmt=WPA-PSK;wpa_pairwise=TKIP;wpa_passphrase=praxis-lab-1
Praxis-Mixed|00:21:29:10:00:04|channel=6;wpa=3;wpa_key_mgmt=WPA-PSK;wpa_pairwise=TKIP CCMP;rsn_pairwise=CCMP TKIP;wpa_passphrase=praxis-lab-1
Praxis|3c:a6:2f:10:00:05|channel=11;wpa=2;wpa_key_mgmt=WPA-PSK;rsn_pairwise=CCMP;wpa_passphrase=praxis-lab-1
Praxis-WPA3|3c:a6:2f:10:00:06|channel=11;wpa=2;wpa_key_mgmt=SAE;rsn_pairwise=CCMP;ieee80211w=2;sae_password=praxis-lab-1
Praxis-Trans|3c:a6:2f:10:00:07|channel=1;wpa=2;wpa_key_mgmt=WPA-PSK SAE;rsn_pairwise=CCMP;ieee80211w=1;wpa_passphrase=praxis-lab-1;sae_password=praxis-lab-1
Praxis-OWE|00:a0:57:10:00:08|channel=6;wpa=2;wpa_key_mgmt=OWE;rsn_pairwise=CCMP;ieee80211w=2
Praxis-Enterprise|00:a0:57:10:00:09|channel=11;wpa=2;wpa_key_mgmt=WPA-EAP;rsn_pairwise=CCMP;ieee8021x=1;own_ip_addr=127.0.0.1;auth_server_addr=127.0.0.1;auth_server_port=1812;auth_server_shared_secret=lab
Praxis-WPS|14:cc:20:10:00:0a|channel=1;wpa=2;wpa_key_mgmt=WPA-PSK;rsn_pairwise=CCMP;wpa_passphrase=praxis-lab-1;wps_state=2;eap_server=1;device_name=Praxis AP;manufacturer=TP-LINK;model_name=TL-WR740N
Praxis-WPS-Locked|14:cc:20:10:00:0b|channel=6;wpa=2;wpa_key_mgmt=WPA-PSK;rsn_pairwise=CCMP;wpa_passphrase=praxis-lab-1;wps_state=2;eap_server=1;ap_setup_locked=1;ap_pin=12345670
Praxis-Versteckt|3c:a6:2f:10:00:0c|channel=11;wpa=2;wpa_key_mgmt=WPA-PSK;rsn_pairwise=CCMP;wpa_passphrase=praxis-lab-1;ignore_broadcast_ssid=1
LATIN1|3c:a6:2f:10:00:0d|channel=1;wpa=2;wpa_key_mgmt=WPA-PSK;rsn_pairwise=CCMP;wpa_passphrase=praxis-lab-1
HOSTILE|3c:a6:2f:10:00:0e|channel=6
Praxis-5G|3c:a6:2f:10:00:0f|hw_mode=a;channel=36;country_code=DE;wpa=2;wpa_key_mgmt=WPA-PSK;rsn_pairwise=CCMP;wpa_passphrase=praxis-lab-1
EOF
count=$(wc -l < /tmp/ap/list)
modprobe mac80211_hwsim radios=$((count + 1))
sleep 1
iw --version > /out/versions.txt 2>&1
hostapd -v >> /out/versions.txt 2>&1
uname -r >> /out/versions.txt

i=1
while IFS='|' read -r name mac settings; do
  conf=/tmp/ap/$i.conf
  {
    echo "interface=wlan$i"; echo "driver=nl80211"; echo "ctrl_interface=/run/hostapd"
    case "$name" in
      LATIN1) echo 'ssid2=P"Praxis-K\xfcche"' ;;            # ISO-8859-1 'ü': not UTF-8
      HOSTILE) echo 'ssid=<b>Gast:</b>[red]\x1b[31m' ;;      # HTML, Rich markup, a colon
      *) echo "ssid=$name" ;;
    esac
    case "$settings" in *hw_mode=*) ;; *) echo "hw_mode=g" ;; esac
    echo "$settings" | tr ';' '\n'
  } > "$conf"
  ip link set "wlan$i" address "$mac"
  hostapd -B -P "/tmp/ap/$i.pid" -f "/tmp/ap/$i.log" "$conf" || echo "hostapd $name failed" >> /out/hostapd_failures.txt
  i=$((i + 1))
done < /tmp/ap/list
sleep 4
cat /tmp/ap/*.log > /out/hostapd.log 2>&1

echo "record: iw" > /dev/console; ip link set wlan0 up
for n in 1 2 3; do
  timeout 60 iw dev wlan0 scan > /out/iw_scan.txt 2>/out/iw_scan.err && break
  sleep 2
done
timeout 30 iw dev wlan0 scan dump > /out/iw_scan_dump.txt 2>&1
echo "record: iw done" > /dev/console

# nmcli needs NetworkManager, NetworkManager needs D-Bus and udev.
mkdir -p /run/dbus /run/udev
dbus-daemon --system --fork
/lib/systemd/systemd-udevd --daemon; udevadm trigger; udevadm settle --timeout=30
NetworkManager --no-daemon > /tmp/nm.log 2>&1 &
sleep 6; echo "record: nmcli" > /dev/console
timeout 30 nmcli radio wifi on
timeout 30 nmcli device wifi rescan ifname wlan0 2>/dev/null
sleep 6; echo "record: nmcli" > /dev/console
nmcli --version >> /out/versions.txt 2>&1
timeout 30 nmcli -t -f IN-USE,BSSID,SSID,MODE,CHAN,FREQ,SIGNAL,SECURITY,WPA-FLAGS,RSN-FLAGS device wifi list ifname wlan0 --rescan no > /out/nmcli_terse.txt 2>&1
# exactly what praxisscan runs (scanner/wlan/nmcli.py command())
timeout 30 nmcli -t -e yes -f BSSID,SSID,SSID-HEX,CHAN,FREQ,SIGNAL,SECURITY,WPA-FLAGS,RSN-FLAGS device wifi list ifname wlan0 > /out/nmcli_praxisscan.txt 2>&1
timeout 30 nmcli -t -e no -f BSSID,SSID,SECURITY device wifi list ifname wlan0 --rescan no > /out/nmcli_terse_noescape.txt 2>&1
timeout 30 nmcli -f ALL device wifi list ifname wlan0 --rescan no > /out/nmcli_table.txt 2>&1
timeout 30 nmcli -t -f SSID-HEX,BSSID,SSID device wifi list ifname wlan0 --rescan no > /out/nmcli_ssid_hex.txt 2>&1
cp /tmp/nm.log /out/networkmanager.log

tar -C /out -cf /dev/vdb .
sync
echo o > /proc/sysrq-trigger
sleep 10
