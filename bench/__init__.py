"""Benchmarks that print figures next to peers' approaches; run them with `python -m bench.NAME`."""
