"""The scan JSON contract: ``scan.schema.json`` and the checker that enforces it on reading."""
