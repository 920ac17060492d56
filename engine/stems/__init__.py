"""Stem packs: the manifest as data (pack.py). Audio loading lives in engine.audio."""
