"""The audio part: the only place that imports pyo.

- graph: the parts below, built in signal order; applies the block's decisions.
- mix: segment players, generated-layer players, one-shots; the bed under its ducks.
- sidechain: the bed's gain from an input's level.  master: fader, finite guard, limiter, clip.
- metering: peak, RMS, K-weighted power, true peak, read from their streams.
- stream: segments' stems read from disk in chunks by one reader thread, into reusable slot tables, as the
  machine's residency Plan and what plays ask; streamhead: a segment's one position over its chunks (decks
  started on their exact samples), stopped while no stem of it sounds.
- voices (stem voices, segment players, one-shots), envelope (the one envelope player), playhead (sample-exact
  reads of tables), trigger, guard (finite gate), phrases (generated layers: phrases played as audio), backend (the
  pyo server), threadstate, probe.
"""
