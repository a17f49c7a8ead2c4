"""WLAN audit: live (iw, nmcli) and offline (monitor-mode captures), into WlanNetwork."""
