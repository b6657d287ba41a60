"""Benchmarks: each script runs grader (and the peer, where there is one) on this machine in one
run and prints its figures; `.venv/bin/python -m bench.NAME` from the repository root.
bench/README.md holds the figures and how each was measured; bench/server.py starts the server.
"""
