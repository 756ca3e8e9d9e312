"""On-demand benchmarks of gws-async against real peers (not part of the test suite).

Run ``bash benchmarks/run`` (installs the peers, then runs every measure) or
``python -m benchmarks --help``. See benchmarks/README.md.
"""
