"""SRE operations: health, shards, capacity, slow logs, restore drills."""
