"""The command line: parsing, the commands, and what they print (library code never prints)."""
