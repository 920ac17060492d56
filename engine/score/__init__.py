"""A score from disk: the state machine YAML and its stem pack, read and validated before anything plays.

Reading files (and probing audio headers) is I/O, so it lives here, above the pure core: what it returns, a
Machine and its Pack, is immutable data the core (engine/machine, engine/stems/pack.py) uses without I/O.
"""
