"""One module per figure; each exposes `measure(bench) -> list[Figure]`."""
