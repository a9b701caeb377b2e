"""Benchmark harness comparing skhpo's searches with their peers.

Run ``python -m benchmarks.run --help``; see ``benchmarks/README.md``.
"""
