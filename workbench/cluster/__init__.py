"""The local engine: Elastic's test distribution, run as real nodes on loopback."""
