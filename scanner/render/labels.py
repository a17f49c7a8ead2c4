"""Report wording in German (default) and English."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "de": {
        "title": "Netzwerk-Sicherheitsbericht", "name": "Name", "device": "Gerät", "acknowledged": "Akzeptiert", "hosts": "Geräte", "ip": "IP-Adresse",
        "mac": "MAC-Adresse", "vendor": "Hersteller (MAC)", "role": "Rolle",
        "services": "Offene Dienste", "findings": "Befunde", "no_findings": "Keine Befunde.",
        "not_tested": "Nicht geprüft", "scope": "Umfang", "profile": "Profil",
        "started": "Beginn", "finished": "Ende", "complete": "Vollständig",
        "incomplete": "UNVOLLSTÄNDIG: der Scan wurde abgebrochen",
        "randomized": "zufällige MAC (Privatgerät?)", "severity": "Schwere",
        "evidence": "Nachweis", "fix": "Abhilfe", "none": "keine", "metadata": "Scan-Daten",
        "summary": "{hosts} Geräte gefunden, {services} offene Dienste, {findings} Befunde.",
        "tool": "Werkzeug", "yes": "ja", "no": "nein",
        "wlans": "WLANs in Reichweite", "ssid": "Name (SSID)", "bssid": "BSSID",
        "channel": "Kanal", "signal": "Signal", "security": "Sicherheit", "wps": "WPS",
        "hidden": "verborgen", "unknown": "unbekannt", "wlan_source": "Quelle",
        "wlan_summary": "{n} WLANs gesehen (Quelle: {source}).",
    },
    "en": {
        "title": "Network security report", "name": "Name", "device": "Device", "acknowledged": "Acknowledged", "hosts": "Devices", "ip": "IP address",
        "mac": "MAC address", "vendor": "Vendor (MAC)", "role": "Role",
        "services": "Open services", "findings": "Findings", "no_findings": "No findings.",
        "not_tested": "Not tested", "scope": "Scope", "profile": "Profile",
        "started": "Started", "finished": "Finished", "complete": "Complete",
        "incomplete": "INCOMPLETE: the scan was interrupted",
        "randomized": "random MAC (private device?)", "severity": "Severity",
        "evidence": "Evidence", "fix": "Fix", "none": "none", "metadata": "Scan data",
        "summary": "{hosts} devices found, {services} open services, {findings} findings.",
        "tool": "Tool", "yes": "yes", "no": "no",
        "wlans": "WLANs in range", "ssid": "Name (SSID)", "bssid": "BSSID",
        "channel": "Channel", "signal": "Signal", "security": "Security", "wps": "WPS",
        "hidden": "hidden", "unknown": "unknown", "wlan_source": "Source",
        "wlan_summary": "{n} WLANs seen (source: {source}).",
    },
}


def labels(lang: str) -> dict[str, str]:
    return LABELS["en" if lang == "en" else "de"]
