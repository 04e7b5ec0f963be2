"""Benchmarks of ocop-sync against its binding limits (issue 6).

`python -m bench [--size 1k|10k|100k] [--only FIGURE…] [--out FILE]` starts the marketplace
sandboxes in a separate process on loopback, syncs a deterministic synthetic catalog and
measures the six figures side by side in one run (ratios, not absolute times: the machine
is shared). See docs/benchmarks.md.
"""
