"""Classification: what a host is, from its evidence (fingerprint rules, nmap's verdicts, the
MAC vendor)."""
