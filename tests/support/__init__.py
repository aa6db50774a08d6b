"""Helpers that tests and benchmarks both import. One direction only: benchmarks and tests import
this package; nothing here imports a test module or a benchmark."""
