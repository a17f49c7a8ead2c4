"""Over time: the scan history, what changed between two scans, the watch run, its systemd
timer, and the notice that tells the practice."""
